"""The import page script that st.navigation runs."""

from shipments.ui.import_page import render

render()
