"""The downloads page script that st.navigation runs."""

from shipments.ui.downloads import render

render()
