"""The ledger page script that st.navigation runs."""

from shipments.ui.ledger_page import render

render()
