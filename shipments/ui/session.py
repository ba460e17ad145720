"""Who is signed in: the editor whose session the browser's cookie holds, checked every run.

The cookie is set by the sign-in route (``shipments.web.auth``), which a page cannot do: a page
only reads it (``st.context.cookies``) and resolves it against the database on every run, so a
session that is signed out, expired or whose editor is disabled signs the page out at once.
"""

from __future__ import annotations

import uuid

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.db import session_scope
from shipments.sessions import COOKIE, resolve_session, revoke_session, sign_out_everywhere
from shipments.ui import data
from shipments.ui.words import SIGN_IN_FIRST


def cookie_token() -> str | None:
    """Return the session token the browser sent with this page run, if any.

    The one place a page reads the cookie: tests of pages (AppTest, which sends no cookies)
    replace this function to stand for a browser holding a session.
    """
    token = st.context.cookies.get(COOKIE)
    return str(token) if token else None


def editor() -> str | None:
    """Return the name of the editor the browser's session signs in, or None."""
    token = cookie_token()
    if not token:
        return None
    try:
        with session_scope(data.engine(data.configured_url())) as db:
            return resolve_session(session=db, token=token)
    except (SQLAlchemyError, ImportError, OSError):
        return None


def editor_or_warning() -> str | None:
    """Return the signed-in editor's name; with none, say on the page that signing in is needed."""
    name = editor()
    if name is None:
        st.warning(SIGN_IN_FIRST)
    return name


def sign_out(*, everywhere: bool = False) -> None:
    """End this browser's session (or all the editor's) on the server; forget the forms' state.

    The cookie stays in the browser until it expires, but opens nothing: the server has revoked
    it. (The sign-out route also clears it; a page cannot.)
    """
    token = cookie_token()
    with session_scope(data.engine(data.configured_url())) as db:
        if everywhere:
            sign_out_everywhere(session=db, token=token)
        else:
            revoke_session(session=db, token=token)
    for key in list(st.session_state):
        if str(key).startswith(("add_", "fix_", "drop_")):
            del st.session_state[key]


def form_key(form: str) -> str:
    """Return the idempotency key of the form now on screen (new after each success)."""
    slot = f"{form}_form_key"
    if slot not in st.session_state:
        st.session_state[slot] = uuid.uuid4().hex
    return str(st.session_state[slot])


def new_form_key(form: str) -> None:
    """Start a fresh form: the next submit is a new write."""
    st.session_state[f"{form}_form_key"] = uuid.uuid4().hex
