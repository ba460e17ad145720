"""The sign_in page script that st.navigation runs."""

from shipments.ui.sign_in_page import render

render()
