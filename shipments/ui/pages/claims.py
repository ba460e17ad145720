"""The claims page script that st.navigation runs."""

from shipments.ui.claims_page import render

render()
