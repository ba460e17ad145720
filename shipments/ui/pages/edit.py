"""The edit page script that st.navigation runs."""

from shipments.ui.edit_page import render

render()
