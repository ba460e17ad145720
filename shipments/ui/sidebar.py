"""The sidebar under the page menu: the editor's sign-out buttons, then the shared filters."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.rules import NAME_FIELDS
from shipments.ui import data, session
from shipments.ui.common import plain
from shipments.ui.view import AS_OF, DATE_FROM, DATE_TO

LABELS = {"donor": "Donor", "recipient": "Recipient", "cargo": "Cargo"}


def draw(editor: str | None) -> None:
    """Draw the sign-out buttons for a signed-in ``editor``, then the filters."""
    if editor is not None:
        if st.sidebar.button(f"Sign out ({plain(editor)})", key="sign_out"):
            _sign_out(everywhere=False)
        if st.sidebar.button(
            "Sign out everywhere",
            key="sign_out_everywhere",
            help="End this editor's sessions in every browser, this one included.",
        ):
            _sign_out(everywhere=True)
    _filters()


def _sign_out(*, everywhere: bool) -> None:
    session.sign_out(everywhere=everywhere)
    data.clear()
    st.rerun()


def _filters() -> None:
    """Draw the shared filters; their values travel in the URL."""
    with st.sidebar:
        st.header("Filters")
        st.date_input("From", value=None, key=DATE_FROM, bind="query-params", format="YYYY-MM-DD")
        st.date_input("To", value=None, key=DATE_TO, bind="query-params", format="YYYY-MM-DD")
        try:
            url = data.configured_url()
            data.refresh_if_changed(url)
            options = {field: data.options(url, field) for field in NAME_FIELDS}
        except (SQLAlchemyError, ImportError, OSError):
            options = {field: [] for field in NAME_FIELDS}
        for field in NAME_FIELDS:
            st.multiselect(
                LABELS[field], options[field], key=field, bind="query-params", placeholder="All"
            )
        st.text_input(
            "As of (UTC)",
            key=AS_OF,
            bind="query-params",
            placeholder="now, or e.g. 2026-01-31T12:00:00Z",
            help="Show the ledger and the reconciliation as they stood at this moment.",
        )
