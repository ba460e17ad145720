"""What the viewer asked to see: the sidebar's filters and moment, read from the widgets.

The widgets themselves are drawn by ``shipments.ui.sidebar``; their keys are the URL's query
parameters, so a filtered view is a link that reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from shipments.errors import InvalidInput
from shipments.exchange.view_params import AS_OF, DATE_FROM, DATE_TO, ViewQuery, parse_as_of
from shipments.ledger import ShipmentFilter
from shipments.rules import parse_moment

# Widget key = query parameter name (shipments.exchange.view_params), so a filtered view is a
# link that reopens it, and the data URLs take the same parameters.
__all__ = ["AS_OF", "DATE_FROM", "DATE_TO", "View", "current", "describe"]


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

    def query(self) -> ViewQuery:
        """Return the view as the query a data URL takes."""
        return ViewQuery(filters=self.filters, as_of=self.as_of)


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
    try:
        return View(filters=filters, as_of=parse_as_of(state.get(AS_OF)))
    except InvalidInput as exc:
        return View(filters=filters, as_of=None, as_of_error=f"As of: {exc.problems[0].rule}")


def describe(view: View) -> str:
    """Say in words what the view shows, for captions."""
    f = view.filters
    parts = []
    if f.date_from or f.date_to:
        start = f.date_from.isoformat() if f.date_from else "the start"
        end = f.date_to.isoformat() if f.date_to else "today"
        parts.append(f"from {start} to {end}")
    for label, values in f.by_name():
        if values:
            parts.append(f"{label} {' or '.join(values)}")
    moment = f"as it stood at {view.as_of.isoformat()}" if view.as_of else "as it stands now"
    return f"Ledger {moment}" + (f"; {', '.join(parts)}" if parts else "; all shipments")
