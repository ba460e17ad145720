"""Streamlit entry point: page setup and navigation only."""

import streamlit as st

from shipments.ui import overview

st.set_page_config(page_title="Aid shipment ledger", page_icon=":package:", layout="wide")
st.navigation([st.Page(overview.render, title="Overview", url_path="overview", default=True)]).run()
