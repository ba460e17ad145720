"""The overview page script that st.navigation runs."""

from shipments.ui.overview import render

render()
