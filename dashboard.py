"""Streamlit entry point: page setup, the shared filters, and navigation."""

import streamlit as st

from shipments.ui import claims_page, data, downloads, ledger_page, overview, view

st.set_page_config(page_title="Aid shipment ledger", page_icon=":package:", layout="wide")
navigation = st.navigation(
    [
        st.Page(overview.render, title="Overview", url_path="overview", default=True),
        st.Page(ledger_page.render, title="Ledger", url_path="ledger"),
        st.Page(claims_page.render, title="Claims", url_path="claims"),
        st.Page(downloads.render, title="Downloads", url_path="downloads"),
    ]
)
view.sidebar(data.configured_url())
navigation.run()
