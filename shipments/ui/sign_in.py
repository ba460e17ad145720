"""Sign in: editors only; viewers need none of it.

The form is plain HTML posting to the sign-in route (``/auth/sign-in``), not Streamlit widgets:
only a response from the server can set the ``HttpOnly`` session cookie, and a page run sends
none. Every value in it is a constant; a refused attempt is answered by the route's own page.
The name field is ``username``: Streamlit's HTML sanitiser drops ``name="name"`` (a form
property it will not let markup shadow).
"""

from __future__ import annotations

import streamlit as st

from shipments.ui import view
from shipments.ui.common import page

SIGN_IN_ROUTE = "/auth/sign-in"
AFTER_SIGN_IN = "/edit"


@page
def sign_in(url: str, current: view.View) -> None:
    """Draw the sign-in form, which posts to the sign-in route."""
    st.title("Sign in")
    st.caption("For data editors. Viewers can browse every page without signing in.")
    st.html(
        f'<form method="post" action="{SIGN_IN_ROUTE}" class="ledger-sign-in">'
        '<p><label>Name<br><input name="username" autocomplete="username" required></label></p>'
        '<p><label>Password<br><input name="password" type="password"'
        ' autocomplete="current-password" required></label></p>'
        f'<input type="hidden" name="next" value="{AFTER_SIGN_IN}">'
        '<p><button type="submit">Sign in</button></p></form>'
    )
    st.caption(f"If the form does not show, sign in on [its own page]({SIGN_IN_ROUTE}).")
