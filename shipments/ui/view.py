"""The filters every page shares, drawn in the sidebar and kept in the URL's query string."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.ledger import ShipmentFilter
from shipments.rules import NAME_FIELDS as FILTER_FIELDS
from shipments.rules import parse_moment
from shipments.ui import data

# Widget key = query parameter name, so a filtered view is a link that reopens it.
DATE_FROM, DATE_TO, AS_OF = "from", "to", "as_of"
LIST_KEYS = {"donor": "donors", "recipient": "recipients", "cargo": "cargos"}
LABELS = {"donor": "Donor", "recipient": "Recipient", "cargo": "Cargo"}


@dataclass(frozen=True)
class View:
    """What the viewer asked to see: the filter and the moment (None for now)."""

    filters: ShipmentFilter
    as_of: datetime | None
    as_of_error: str | None = None

    def key(self) -> tuple[str | None, ...]:
        """Return the view as plain strings, the key of every cached query."""
        f = self.filters
        return (
            f.date_from.isoformat() if f.date_from else None,
            f.date_to.isoformat() if f.date_to else None,
            "\x1f".join(f.donors),
            "\x1f".join(f.recipients),
            "\x1f".join(f.cargos),
            self.as_of.isoformat() if self.as_of else None,
        )

    @classmethod
    def from_key(cls, key: tuple[str | None, ...]) -> View:
        """Rebuild a view from its key."""
        start, end, donors, recipients, cargos, moment = key
        return cls(
            filters=ShipmentFilter(
                date_from=date.fromisoformat(start) if start else None,
                date_to=date.fromisoformat(end) if end else None,
                donors=tuple(donors.split("\x1f")) if donors else (),
                recipients=tuple(recipients.split("\x1f")) if recipients else (),
                cargos=tuple(cargos.split("\x1f")) if cargos else (),
            ),
            as_of=parse_moment(moment) if moment else None,
        )


def sidebar() -> None:
    """Draw the shared filters; their values travel in the URL."""
    with st.sidebar:
        st.header("Filters")
        st.date_input("From", value=None, key=DATE_FROM, bind="query-params", format="YYYY-MM-DD")
        st.date_input("To", value=None, key=DATE_TO, bind="query-params", format="YYYY-MM-DD")
        try:
            url = data.configured_url()
            data.refresh_if_changed(url)
            options = {field: data.options(url, field) for field in FILTER_FIELDS}
        except (SQLAlchemyError, ImportError, OSError):
            options = {field: [] for field in FILTER_FIELDS}
        for field in FILTER_FIELDS:
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


def current() -> View:
    """Return the view the sidebar's widgets describe."""
    state = st.session_state
    filters = ShipmentFilter(
        date_from=state.get(DATE_FROM),
        date_to=state.get(DATE_TO),
        donors=tuple(state.get("donor") or ()),
        recipients=tuple(state.get("recipient") or ()),
        cargos=tuple(state.get("cargo") or ()),
    )
    text = (state.get(AS_OF) or "").strip()
    if not text or text.lower() == "now":
        return View(filters=filters, as_of=None)
    try:
        return View(filters=filters, as_of=parse_moment(text))
    except ValueError as exc:
        return View(filters=filters, as_of=None, as_of_error=f"As of: {exc}")


def describe(view: View) -> str:
    """Say in words what the view shows, for captions."""
    f = view.filters
    parts = []
    if f.date_from or f.date_to:
        start = f.date_from.isoformat() if f.date_from else "the start"
        end = f.date_to.isoformat() if f.date_to else "today"
        parts.append(f"from {start} to {end}")
    for label, values in (("donor", f.donors), ("recipient", f.recipients), ("cargo", f.cargos)):
        if values:
            parts.append(f"{label} {' or '.join(values)}")
    moment = f"as it stood at {view.as_of.isoformat()}" if view.as_of else "as it stands now"
    return f"Ledger {moment}" + (f"; {', '.join(parts)}" if parts else "; all shipments")
