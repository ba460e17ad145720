"""Who is signed in: the editor whose session the browser's cookie holds, checked every run.

The cookie is set by the sign-in route (``shipments.web.auth``), which a page cannot do: a page
only reads it (``st.context.cookies``) and resolves it against the database on every run, so a
session that is signed out, expired or whose editor is disabled signs the page out at once.

Without such a session, a single sign-on (``shipments.ui.sso``) whose e-mail address is an
active editor's signs that editor in, checked every run in the same way; a password session
comes first when a browser holds both.
"""

from __future__ import annotations

import uuid

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.db import session_scope
from shipments.sessions import COOKIE, resolve_session, revoke_session, sign_out_everywhere
from shipments.ui import data, sso
from shipments.ui.common import plain
from shipments.ui.words import SIGN_IN_FIRST


def cookie_token() -> str | None:
    """Return the session token the browser sent with this page run, if any.

    The one place a page reads the cookie: tests of pages (AppTest, which sends no cookies)
    replace this function to stand for a browser holding a session.
    """
    token = st.context.cookies.get(COOKIE)
    return str(token) if token else None


def editor() -> str | None:
    """Return the name of the editor the browser's session or single sign-on signs in, or None."""
    return password_editor() or single_sign_on_editor()


def password_editor() -> str | None:
    """Return the name of the editor the browser's session cookie signs in, or None."""
    token = cookie_token()
    if not token:
        return None
    try:
        with session_scope(data.engine(data.configured_url())) as db:
            return resolve_session(session=db, token=token)
    except (SQLAlchemyError, ImportError, OSError):
        return None


def single_sign_on_editor() -> str | None:
    """Return the name of the active editor whose address this browser's single sign-on is.

    A sign-on that is no editor's is told why once per browser tab, on whichever page the
    provider sends the browser back to, in a toast that stays until closed (the Sign in page
    says it again).
    """
    found = sso.match()
    if found is None:
        return None
    if found.ok:
        return found.editor
    told = f"sso_told_{found.outcome}_{found.email}"
    if not st.session_state.get(told):
        st.session_state[told] = True
        claims = sso.identity() or {}
        message = plain(sso.refusal(found, sso.provider_label(claims)))
        st.toast(message, icon=":material/info:", duration="infinite")
    return None


def editor_or_warning() -> str | None:
    """Return the signed-in editor's name; with none, say on the page that signing in is needed."""
    name = editor()
    if name is None:
        st.warning(SIGN_IN_FIRST)
    return name


def sign_out(*, everywhere: bool = False) -> None:
    """End this browser's session (or all the editor's) on the server, and its single sign-on;
    forget the forms' state.

    The cookie stays in the browser until it expires, but opens nothing: the server has revoked
    it. (The sign-out route also clears it; a page cannot.) A single sign-on is ended by sending
    the browser to Streamlit's logout route, which clears its identity cookie and, where the
    provider offers one, ends the sign-on at the provider too. Single sign-ons in other browsers
    cannot be reached from here: they end with their lifetime, or when the account is disabled.
    """
    token = cookie_token()
    if token:
        with session_scope(data.engine(data.configured_url())) as db:
            if everywhere:
                sign_out_everywhere(session=db, token=token)
            else:
                revoke_session(session=db, token=token)
    for key in list(st.session_state):
        if str(key).startswith(("add_", "fix_", "drop_")):
            del st.session_state[key]
    if sso.identity() is not None:
        data.clear()  # the caller's own clear and rerun never come: logout ends this run
        sso.logout()


def form_key(form: str) -> str:
    """Return the idempotency key of the form now on screen (new after each success)."""
    slot = f"{form}_form_key"
    if slot not in st.session_state:
        st.session_state[slot] = uuid.uuid4().hex
    return str(st.session_state[slot])


def new_form_key(form: str) -> None:
    """Start a fresh form: the next submit is a new write."""
    st.session_state[f"{form}_form_key"] = uuid.uuid4().hex
