"""Streamlit entry point: page setup, the shared filters, and navigation."""

import streamlit as st

from shipments.ui import view

PAGES = "shipments/ui/pages"

st.set_page_config(page_title="Aid shipment ledger", page_icon=":package:", layout="wide")
navigation = st.navigation(
    [
        st.Page(f"{PAGES}/overview.py", title="Overview", default=True),
        st.Page(f"{PAGES}/ledger.py", title="Ledger", url_path="ledger"),
        st.Page(f"{PAGES}/claims.py", title="Claims", url_path="claims"),
        st.Page(f"{PAGES}/downloads.py", title="Downloads", url_path="downloads"),
    ]
)
view.sidebar()
navigation.run()
