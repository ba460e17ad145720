"""The sidebar under the page menu: the editor's sign-out buttons, then the shared filters."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.exchange.view_params import PARAMETERS
from shipments.rules import NAME_FIELDS
from shipments.ui import data, session, view
from shipments.ui.common import AS_OF_MEANS, plain
from shipments.ui.view import (
    AS_OF,
    DATE_FROM,
    DATE_TO,
    FIRST_DATE,
    LAST_DATE,
    SOURCES_AT_LEAST,
)

LABELS = {"donor": "Donor", "recipient": "Recipient", "cargo": "Cargo"}
SOURCES_HELP = (
    "Only the shipments that many publishers support: those of its sources, and of the claims"
    " whose single-delivery reading is consistent with it alone (case and spaces aside). Empty"
    " for every shipment; a whole number from 1 to 100 otherwise."
)
AS_OF_HELP = (
    "When rows were recorded, not when cargo moved: the ledger and the reconciliation as they"
    " had been recorded by this moment, later corrections and retractions left out. An ISO 8601"
    " moment (UTC unless it names a zone); empty or `now` for the ledger as it stands."
)


def draw(editor: str | None, *, filters: bool) -> None:
    """Draw the sign-out buttons for a signed-in ``editor``, then the filters if the page has any.

    A page without ``filters`` (Edit, Import, Audit, Sign in) shows none: they would do nothing.
    """
    if editor is not None:
        if st.sidebar.button(f"Sign out ({plain(editor)})", key="sign_out"):
            _sign_out(everywhere=False)
        if st.sidebar.button(
            "Sign out everywhere",
            key="sign_out_everywhere",
            help="End this editor's sessions in every browser, this one included.",
        ):
            _sign_out(everywhere=True)
    if filters:
        _filters()
    else:
        view.set_aside()


def _sign_out(*, everywhere: bool) -> None:
    session.sign_out(everywhere=everywhere)
    data.clear()
    st.rerun()


def _filters() -> None:
    """Draw the shared filters; their values travel in the URL.

    What the address asks for is read before the widgets take it: a widget drops a value it
    cannot hold without a word, so the page says what was dropped and why (view.note_address).
    """
    asked = {name: st.query_params.get_all(name) for name in PARAMETERS}
    try:
        url = data.configured_url()
        data.refresh_if_changed(url)
        options: dict[str, list[str]] | None = {f: data.options(url, f) for f in NAME_FIELDS}
    except (SQLAlchemyError, ImportError, OSError):
        options = None  # the page says the database cannot be opened
    with st.sidebar:
        st.header("Filters")
        for key, label in ((DATE_FROM, "From"), (DATE_TO, "To")):
            st.date_input(
                label,
                value=None,
                min_value=FIRST_DATE,
                max_value=LAST_DATE,
                key=key,
                bind="query-params",
                format="YYYY-MM-DD",
                help="Delivery dates (the date each shipment was sent or received).",
            )
        for field in NAME_FIELDS:
            st.multiselect(
                LABELS[field],
                options[field] if options else [],
                key=field,
                bind="query-params",
                placeholder="All",
            )
        # A text box, checked on the view as As of is: a number box would round 2.5 to 2 and
        # write that into the address, where the rule is to refuse it and say so.
        st.text_input(
            "At least N independent sources",
            key=SOURCES_AT_LEAST,
            bind="query-params",
            placeholder="any, or e.g. 2",
            help=SOURCES_HELP,
        )
        st.text_input(
            "As of (UTC)",
            key=AS_OF,
            bind="query-params",
            placeholder="now, or e.g. 2026-01-31T12:00:00Z",
            help=AS_OF_HELP,
        )
        st.caption(AS_OF_MEANS)
    view.note_address(asked, options)
