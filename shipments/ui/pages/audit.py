"""The audit page script that st.navigation runs."""

from shipments.ui.audit_page import render

render()
