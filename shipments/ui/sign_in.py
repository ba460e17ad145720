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

import re

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.auth import list_editors
from shipments.db import session_scope
from shipments.ui import data, sso, view
from shipments.ui.common import page, plain

SIGN_IN_ROUTE = "/auth/sign-in"
AFTER_SIGN_IN = "/edit"
FIRST_EDITOR = "python -m shipments editors add NAME"
STREAMLIT_PRIMARY = "#ff4b4b"
_COLOUR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")

FORM_STYLE = """
.ledger-sign-in { max-width: 28rem; }
.ledger-sign-in label { display: block; margin: 0 0 1rem; font-size: 0.875rem; }
.ledger-sign-in input {
  display: block; box-sizing: border-box; width: 100%; margin-top: 0.25rem;
  padding: 0.5rem 0.75rem; font: inherit; font-size: 1rem; color: inherit;
  background: #f0f2f6; border: 1px solid transparent; border-radius: 0.5rem;
}
.ledger-sign-in input:focus { outline: none; border-color: PRIMARY; }
.ledger-sign-in button {
  padding: 0.5rem 1rem; font: inherit; color: #fff; background: PRIMARY;
  border: 1px solid PRIMARY; border-radius: 0.5rem; cursor: pointer;
}
.ledger-sign-in button:hover { filter: brightness(0.9); }
"""


def primary_colour() -> str:
    """Return the theme's primary colour when it is a hex colour, else Streamlit's own."""
    configured = st.get_option("theme.primaryColor")
    if isinstance(configured, str) and _COLOUR.fullmatch(configured.strip()):
        return configured.strip()
    return STREAMLIT_PRIMARY


def form_html() -> str:
    """Return the sign-in form with its style, every value a constant or a checked colour."""
    style = FORM_STYLE.replace("PRIMARY", primary_colour())
    return (
        f"<style>{style}</style>"
        f'<form method="post" action="{SIGN_IN_ROUTE}" class="ledger-sign-in">'
        '<label>Name<input name="username" autocomplete="username" required></label>'
        '<label>Password<input name="password" type="password"'
        ' autocomplete="current-password" required></label>'
        f'<input type="hidden" name="next" value="{AFTER_SIGN_IN}">'
        '<button type="submit">Sign in</button></form>'
    )


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
            f"command line (it asks for the password twice):\n\n```sh\n{FIRST_EDITOR}\n```{also}"
        )
    _single_sign_on()
    st.html(form_html())
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
