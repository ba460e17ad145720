"""Sign in: editors only; viewers need none of it."""

from __future__ import annotations

import streamlit as st

from shipments.auth import authenticate
from shipments.db import session_scope
from shipments.ui import data, session, view
from shipments.ui.common import page

REFUSED = "Wrong name or password."


@page
def sign_in(url: str, current: view.View) -> None:
    """Draw the sign-in form and act on it."""
    st.title("Sign in")
    st.caption("For data editors. Viewers can browse every page without signing in.")
    with st.form("sign_in"):
        name = st.text_input("Name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    with session_scope(data.engine(url)) as db:
        result = authenticate(session=db, name=name, password=password)
    if result.ok and result.editor:
        session.sign_in(result.editor)
        data.clear()
        st.rerun()
    elif result.outcome == "throttled" and result.retry_after:
        st.error(
            "Too many failed sign-ins for this name. Try again after "
            f"{result.retry_after.strftime('%H:%M:%S')} UTC."
        )
    elif result.outcome == "disabled":
        st.error("This editor account is disabled.")
    else:
        st.error(REFUSED)
