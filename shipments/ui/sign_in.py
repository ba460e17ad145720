"""Sign in: editors only; viewers need none of it.

The form is plain HTML posting to the sign-in route (``/auth/sign-in``), not Streamlit widgets:
only a response from the server can set the ``HttpOnly`` session cookie, and a page run sends
none. Every value in it is a constant (the button's colour is the theme's, checked to be one); a
refused attempt is answered by the route's own page. The name field is ``username``:
Streamlit's HTML sanitiser drops ``name="name"`` (a form property it will not let markup
shadow). The sanitiser keeps a ``<style>`` element and ``class`` attributes, so the form is
styled by classes of its own, like Streamlit's inputs and primary button.

With single sign-on configured (``shipments.ui.sso``), a button per provider stands above the
form; a browser signed in with a provider whose address is no editor's is told why here.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.auth import list_editors
from shipments.db import session_scope
from shipments.sign_in_form import SIGN_IN_ROUTE, checked_colour, form_html
from shipments.ui import data, sso, view
from shipments.ui.common import page, plain

FIRST_EDITOR = ".venv/bin/python -m shipments editors add NAME"


def primary_colour() -> str:
    """Return the theme's primary colour when it is a hex colour, else Streamlit's own."""
    return checked_colour(st.get_option("theme.primaryColor"))


@page
def sign_in(url: str, current: view.View) -> None:
    """Draw the single sign-on buttons (when configured) and the password form."""
    st.title("Sign in")
    st.caption("For data editors. Viewers can browse every page without signing in.")
    if _no_editor_yet(url):
        also = (
            "\n\nAdd `--email ADDRESS` to let that editor sign in with single sign-on too."
            if sso.enabled()
            else ""
        )
        st.info(
            "No editor account exists yet. Whoever runs the server makes the first one on its "
            "command line, in the repository's folder and with the server's LEDGER_DATABASE_URL"
            f" (it asks for the password twice):\n\n```sh\n{FIRST_EDITOR}\n```{also}"
        )
    _single_sign_on()
    st.html(form_html(colour=primary_colour()))
    st.caption(f"If the form does not show, sign in on [its own page]({SIGN_IN_ROUTE}).")


def _single_sign_on() -> None:
    providers = sso.providers()
    if not providers:
        return
    claims = sso.identity()
    if claims is not None:
        label = sso.provider_label(claims)
        found = sso.match()
        if found is not None and not found.ok:
            st.warning(plain(sso.refusal(found, label)))
            command = sso.remedy(found)
            if command is not None:
                st.caption("An administrator can make an editor account with this address:")
                st.code(command, language="sh")
        if st.button(f"Sign out of {label}", key="sso_sign_out"):
            sso.logout()
    else:
        for provider in providers:
            if st.button(f"Sign in with {provider.label}", key=f"sso_{provider.key}"):
                sso.login(provider)
    st.caption("Or sign in with the name and password of an editor account:")


def _no_editor_yet(url: str) -> bool:
    try:
        with session_scope(data.engine(url)) as db:
            return not list_editors(session=db)
    except (SQLAlchemyError, ImportError, OSError):
        return False
