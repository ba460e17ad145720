"""Streamlit entry point: page setup, the shared filters, and navigation.

Viewers see the four read-only pages and "Sign in"; a signed-in editor also sees "Edit",
"Import" and "Audit" and a sign-out button. Pages not in the navigation cannot be opened by URL.
"""

import streamlit as st

from shipments.ui import data, session, view
from shipments.ui.common import plain

PAGES = "shipments/ui/pages"

st.set_page_config(page_title="Aid shipment ledger", page_icon=":package:", layout="wide")
editor = session.editor()
pages = [
    st.Page(f"{PAGES}/overview.py", title="Overview", default=True),
    st.Page(f"{PAGES}/ledger.py", title="Ledger", url_path="ledger"),
    st.Page(f"{PAGES}/claims.py", title="Claims", url_path="claims"),
    st.Page(f"{PAGES}/downloads.py", title="Downloads", url_path="downloads"),
]
if editor is None:
    pages.append(st.Page(f"{PAGES}/sign_in.py", title="Sign in", url_path="sign-in"))
else:
    pages.append(st.Page(f"{PAGES}/edit.py", title="Edit", url_path="edit"))
    pages.append(st.Page(f"{PAGES}/import_file.py", title="Import", url_path="import"))
    pages.append(st.Page(f"{PAGES}/audit.py", title="Audit", url_path="audit"))
navigation = st.navigation(pages)
if editor is not None and st.sidebar.button(f"Sign out ({plain(editor)})", key="sign_out"):
    session.sign_out()
    data.clear()
    st.rerun()
view.sidebar()
navigation.run()
