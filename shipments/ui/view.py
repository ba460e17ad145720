"""What the viewer asked to see: the sidebar's filters and moment, read from the widgets.

The widgets themselves are drawn by ``shipments.ui.sidebar``; their keys are the URL's query
parameters, so a filtered view is a link that reopens it. The address obeys the data URLs' rules
(``shipments.exchange.view_params``): a value those rules refuse, or one the widgets cannot take
(a name the ledger does not hold, a date outside the pickers' range), is left out of the view
and said so (``address_problems``), never dropped without a word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import streamlit as st

from shipments.errors import InvalidInput, Problem
from shipments.exchange.view_params import (
    AS_OF,
    DATE_FROM,
    DATE_TO,
    FIRST_DATE,
    LAST_DATE,
    PARAMETERS,
    SOURCES_AT_LEAST,
    ViewQuery,
    check_range,
    parse_as_of,
    parse_sources,
    parse_view_query,
)
from shipments.ledger import ShipmentFilter
from shipments.rules import NAME_FIELDS, parse_moment, utcnow

# Widget key = query parameter name (shipments.exchange.view_params), so a filtered view is a
# link that reopens it, and the data URLs take the same parameters.
__all__ = [
    "AS_OF",
    "DATE_FROM",
    "DATE_TO",
    "FIRST_DATE",
    "LAST_DATE",
    "SOURCES_AT_LEAST",
    "View",
    "address_problems",
    "current",
    "describe",
    "note_address",
    "set_aside",
]

# The date pickers' range is the views' (FIRST_DATE, LAST_DATE): Streamlit's default, ten years
# either side of today, would drop an older From without a word.
_ADDRESS_PROBLEMS = "_view_address_problems"  # session state: what this run's address lost


@dataclass(frozen=True)
class View:
    """What the viewer asked to see: the filter and the moment (None for now).

    ``problems`` are the parts of the request left out of the view, each naming the parameter
    and the rule it broke.
    """

    filters: ShipmentFilter
    as_of: datetime | None
    problems: tuple[Problem, ...] = ()

    def key(self) -> tuple[str | None, ...]:
        """Return the view as plain strings, the key of every cached query."""
        f = self.filters
        return (
            f.date_from.isoformat() if f.date_from else None,
            f.date_to.isoformat() if f.date_to else None,
            "\x1f".join(f.donors),
            "\x1f".join(f.recipients),
            "\x1f".join(f.cargos),
            str(f.sources_at_least) if f.sources_at_least is not None else None,
            self.as_of.isoformat() if self.as_of else None,
        )

    @classmethod
    def from_key(cls, key: tuple[str | None, ...]) -> View:
        """Rebuild a view from its key."""
        start, end, donors, recipients, cargos, sources, moment = key
        return cls(
            filters=ShipmentFilter(
                date_from=date.fromisoformat(start) if start else None,
                date_to=date.fromisoformat(end) if end else None,
                donors=tuple(donors.split("\x1f")) if donors else (),
                recipients=tuple(recipients.split("\x1f")) if recipients else (),
                cargos=tuple(cargos.split("\x1f")) if cargos else (),
                sources_at_least=int(sources) if sources else None,
            ),
            as_of=parse_moment(moment) if moment else None,
        )

    def query(self) -> ViewQuery:
        """Return the view as the query a data URL takes."""
        return ViewQuery(filters=self.filters, as_of=self.as_of)

    def reversed_range(self) -> bool:
        """Return True when From is after To, so that no date can match."""
        try:
            check_range(self.filters.date_from, self.filters.date_to)
        except InvalidInput:
            return True
        return False

    def in_future(self) -> bool:
        """Return True when the as-of moment is later than now."""
        return self.as_of is not None and self.as_of > utcnow()


def address_problems(
    asked: Mapping[str, Sequence[str]],
    options: Mapping[str, Sequence[str]] | None,
    dates_taken: Mapping[str, date | None],
) -> tuple[Problem, ...]:
    """Return why the sidebar's widgets left out each date or name the address asks for.

    ``asked`` holds the address's values by parameter, read before the widgets took them;
    ``options`` the names each name filter offers (None: unknown, so names go unchecked);
    ``dates_taken`` what the date pickers hold now. A date breaks the data URLs' rules or lies
    outside the pickers' range, and the picker holds none (Streamlit also reads 2019/05/01,
    and then writes the address anew as 2019-05-01); a name is not one the ledger holds. The
    as-of and sources boxes keep whatever they are given, so their rules are checked on the view
    (``current``).
    """
    problems: list[Problem] = []
    for name in (DATE_FROM, DATE_TO, *NAME_FIELDS):
        values = [v for v in asked.get(name, ()) if v]
        if name in (DATE_FROM, DATE_TO) and dates_taken.get(name) is not None:
            continue
        try:
            parse_view_query([(name, v) for v in values])
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        if name in NAME_FIELDS and options is not None:
            unknown = [v for v in values if v not in options.get(name, ())]
            if unknown:
                got = ", ".join(repr(v) for v in unknown)
                problems.append(Problem(name, f"must name a {name} in the ledger (got {got})"))
    return tuple(problems)


def note_address(
    asked: Mapping[str, Sequence[str]], options: Mapping[str, Sequence[str]] | None
) -> None:
    """Keep, for this run's page, what the address asked for that the widgets left out."""
    taken = {name: st.session_state.get(name) for name in (DATE_FROM, DATE_TO)}
    st.session_state[_ADDRESS_PROBLEMS] = address_problems(asked, options, taken)


def set_aside() -> None:
    """Say that this run's page has no filters: its view is the whole ledger now.

    The filters' values are forgotten too. Streamlit would bring them back on the next page with
    filters, but puts them back in the address only sometimes (a race in the browser), and a
    view its address does not describe is a link that opens something else.
    """
    st.session_state[_ADDRESS_PROBLEMS] = None
    for key in PARAMETERS:
        st.session_state.pop(key, None)


def current() -> View:
    """Return the view the sidebar's widgets describe, with what was left out of it and why."""
    state = st.session_state
    if _ADDRESS_PROBLEMS in state and state[_ADDRESS_PROBLEMS] is None:
        return View(filters=ShipmentFilter(), as_of=None)
    filters = ShipmentFilter(
        date_from=state.get(DATE_FROM),
        date_to=state.get(DATE_TO),
        donors=tuple(state.get("donor") or ()),
        recipients=tuple(state.get("recipient") or ()),
        cargos=tuple(state.get("cargo") or ()),
    )
    problems = list(state.get(_ADDRESS_PROBLEMS, ()))
    try:
        filters = replace(filters, sources_at_least=parse_sources(state.get(SOURCES_AT_LEAST)))
    except InvalidInput as exc:
        problems.extend(exc.problems)
    try:
        as_of = parse_as_of(state.get(AS_OF))
    except InvalidInput as exc:
        problems.extend(exc.problems)
        as_of = None
    return View(filters=filters, as_of=as_of, problems=tuple(problems))


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
    if f.sources_at_least is not None:
        plural = "source" if f.sources_at_least == 1 else "sources"
        parts.append(f"at least {f.sources_at_least} independent {plural}")
    moment = "as it stands now"
    if view.as_of is not None and not view.in_future():
        moment = f"as it stood at {utc_text(view.as_of)}"
    return f"Ledger {moment}" + (f"; {', '.join(parts)}" if parts else "; all shipments")


def utc_text(moment: datetime) -> str:
    """Write a moment to the second, in UTC, saying so: ``2026-01-31 12:00:00 UTC``.

    A moment without a zone is taken as UTC, as everywhere in the ledger.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
