"""Helpers every page uses: safe text, the ledger pages' heading and the database guard."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.db import session_scope
from shipments.errors import Problem
from shipments.ledger import LedgerTotals, first_recorded_at
from shipments.ui import data, view
from shipments.ui.view import utc_text
from shipments.ui.words import DATABASE_ERROR, EMPTY_LEDGER, NO_MATCH

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:&])")
_AUTOLINK = re.compile(r"(?i)www|:(?=//)|@")

AS_OF_MEANS = (
    "As of is a moment of recording, not a delivery date: the ledger as it had been written down"
    " by then. Choose delivery dates with From and To."
)


def plain(text: str) -> str:
    """Escape text for markdown (st.caption, labels) so it shows as typed.

    No HTML, images, links or maths: markdown characters are backslash-escaped, and a zero-width
    space after "www" and "://" stops bare addresses from turning into links.
    """
    text = _AUTOLINK.sub(lambda m: m.group(0) + "\u200b", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


@st.cache_data(show_spinner=False, ttl=data.TTL_SECONDS)
def first_recorded(url: str) -> datetime | None:
    """Return when the ledger's first shipment was recorded, or None before any was."""
    with session_scope(data.engine(url)) as session:
        return first_recorded_at(session=session)


def heading(url: str, current: view.View, title: str) -> LedgerTotals | None:
    """Draw a ledger page's title and what it shows; return its totals, or None when empty."""
    st.title(title)
    st.caption(plain(view.describe(current)))
    totals = data.totals(url, current.key())
    if totals.records == 0:
        st.info(empty_message(current, first_recorded(url)))
        return None
    return totals


def empty_message(current: view.View, first: datetime | None) -> str:
    """Say why a view holds no shipments: the dates, the moment, the filters or an empty ledger.

    ``first`` is when the ledger's first shipment was recorded (None: it holds none).
    """
    f = current.filters
    if current.reversed_range():
        return "No delivery date lies between these From and To (see above)."
    if first is None:
        return EMPTY_LEDGER
    if current.as_of is not None and current.as_of < first:
        return (
            f"Nothing had been recorded by {utc_text(current.as_of)}: the first shipment was"
            f" recorded at {utc_text(first)}. {AS_OF_MEANS} Clear As of, or pick a later moment,"
            " to see shipments."
        )
    if not f.is_empty():
        return NO_MATCH
    if current.as_of is not None:
        return f"Every shipment recorded by {utc_text(current.as_of)} had been retracted by then."
    return EMPTY_LEDGER


def problems_message(problems: Iterable[Problem]) -> str:
    """Say, as markdown, which parts of the request were ignored and why."""
    lines = [f"- {plain(f'{p.field}: {p.rule}')}" for p in problems]
    return "Ignored (the view is shown without it):\n" + "\n".join(lines)


def range_message(current: view.View) -> str:
    """Say plainly that From is after To (the data URLs refuse such a range; see view_params)."""
    f = current.filters
    start = f.date_from.isoformat() if f.date_from else ""
    end = f.date_to.isoformat() if f.date_to else ""
    return (
        f"From ({start}) is after To ({end}), so no delivery date lies between them and nothing"
        " is shown. Swap the two dates, or clear one."
    )


def future_message(as_of: datetime) -> str:
    """Say what an as-of moment later than now shows."""
    return (
        f"As of {utc_text(as_of)} is in the future, so this is the ledger as it stands now:"
        " whatever is recorded between now and then is not in it yet."
    )


def page(render: Callable[[str, view.View], None]) -> Callable[[], None]:
    """Return the callable st.Page runs: it passes the URL and view and words database errors.

    What the view could not take from the request, and an as-of moment in the future, are said
    above the page (only pages with the sidebar's filters have a view to speak of).
    """

    def run() -> None:
        current = view.current()
        if current.problems:
            st.warning(problems_message(current.problems))
        if current.reversed_range():
            st.warning(plain(range_message(current)))
        if current.as_of is not None and current.in_future():
            st.info(future_message(current.as_of))
        try:
            render(data.configured_url(), current)
        except (SQLAlchemyError, ImportError, OSError):
            st.error(DATABASE_ERROR)

    run.__name__ = render.__name__
    return run
