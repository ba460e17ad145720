"""Helpers every page uses: safe text, the ledger pages' heading and the database guard."""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.ledger import LedgerTotals
from shipments.ui import data, view
from shipments.ui.words import DATABASE_ERROR, EMPTY_LEDGER, NO_MATCH

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:&])")
_AUTOLINK = re.compile(r"(?i)www|:(?=//)|@")


def plain(text: str) -> str:
    """Escape text for markdown (st.caption, labels) so it shows as typed.

    No HTML, images, links or maths: markdown characters are backslash-escaped, and a zero-width
    space after "www" and "://" stops bare addresses from turning into links.
    """
    text = _AUTOLINK.sub(lambda m: m.group(0) + "\u200b", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def heading(url: str, current: view.View, title: str) -> LedgerTotals | None:
    """Draw a ledger page's title and what it shows; return its totals, or None when empty."""
    st.title(title)
    st.caption(plain(view.describe(current)))
    totals = data.totals(url, current.key())
    if totals.shipments == 0:
        st.info(empty_message(current))
        return None
    return totals


def empty_message(current: view.View) -> str:
    """Say why a view holds no shipments: the filters, the moment, or an empty ledger."""
    if not current.filters.is_empty():
        return NO_MATCH
    if current.as_of is not None:
        return f"No shipments had been recorded by {current.as_of.isoformat()}."
    return EMPTY_LEDGER


def page(render: Callable[[str, view.View], None]) -> Callable[[], None]:
    """Return the callable st.Page runs: it passes the URL and view and words database errors."""

    def run() -> None:
        current = view.current()
        if current.as_of_error:
            st.warning(plain(current.as_of_error) + " Showing the ledger as it stands now.")
        try:
            render(data.configured_url(), current)
        except (SQLAlchemyError, ImportError, OSError):
            st.error(DATABASE_ERROR)

    run.__name__ = render.__name__
    return run
