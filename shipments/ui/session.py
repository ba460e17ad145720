"""Who is signed in: the editor's name in the browser session, checked against the database."""

from __future__ import annotations

import uuid

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.auth import find_editor
from shipments.db import session_scope
from shipments.ui import data
from shipments.ui.words import SIGN_IN_FIRST

EDITOR_KEY = "editor"


def editor() -> str | None:
    """Return the signed-in editor's name, or None; a disabled account is signed out."""
    name = st.session_state.get(EDITOR_KEY)
    if not name:
        return None
    try:
        with session_scope(data.engine(data.configured_url())) as db:
            account = find_editor(session=db, name=name)
    except (SQLAlchemyError, ImportError, OSError):
        return None
    if account is None or not account.active:
        sign_out()
        return None
    return str(name)


def editor_or_warning() -> str | None:
    """Return the signed-in editor's name; with none, say on the page that signing in is needed."""
    name = editor()
    if name is None:
        st.warning(SIGN_IN_FIRST)
    return name


def sign_in(name: str) -> None:
    """Remember that ``name`` signed in, in this browser session only."""
    st.session_state[EDITOR_KEY] = name


def sign_out() -> None:
    """Forget the signed-in editor and every form's state."""
    for key in list(st.session_state):
        if key == EDITOR_KEY or str(key).startswith(("add_", "fix_", "drop_")):
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
