"""The dashboard's query parameters, read and written in one place for its pages and data URLs.

A dashboard link and its data link say the same thing with the same parameters:

    from, to                   event dates, YYYY-MM-DD, each at most once; from not after to
    donor, recipient, cargo    names, any of each (the parameter repeated, one name per value)
    sources_at_least           a whole number from 1 to MAX_SOURCES_AT_LEAST: only shipments
                               with at least that many independent sources (corroboration)
    as_of                      an ISO 8601 moment, or "now" (the default)

Anything else is refused with an ``InvalidInput`` naming the parameter and the rule, never
guessed at. The Downloads page, the sidebar's as-of box and the data routes all use these words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

from shipments.errors import InvalidInput
from shipments.ledger import ShipmentFilter
from shipments.rules import (
    EARLIEST_DATE,
    MAX_NAME_LENGTH,
    NAME_FIELDS,
    parse_moment,
    parse_sources_at_least,
)

DATA_ROOT = "/data/"  # where the data URLs live, from the server's root (shipments.web.data)
DATE_FROM, DATE_TO, AS_OF = "from", "to", "as_of"
SOURCES_AT_LEAST = "sources_at_least"
PARAMETERS = (DATE_FROM, DATE_TO, *NAME_FIELDS, SOURCES_AT_LEAST, AS_OF)
MAX_VALUES = 100  # names asked for per name parameter
# The dates a view may name: event dates start at EARLIEST_DATE; To may look ahead.
FIRST_DATE = EARLIEST_DATE
LAST_DATE = date(2099, 12, 31)
MAX_VALUE_LENGTH = MAX_NAME_LENGTH  # no stored name is longer; a moment or a date far shorter
_SHOWN = 60  # characters of a refused text repeated in the rule
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ViewQuery:
    """What a link asks to see: the filter and the moment (None for now)."""

    filters: ShipmentFilter = field(default_factory=ShipmentFilter)
    as_of: datetime | None = None

    def items(self) -> list[tuple[str, str]]:
        """Return the query parameters that ask for this view, in PARAMETERS order."""
        f = self.filters
        items = []
        if f.date_from:
            items.append((DATE_FROM, f.date_from.isoformat()))
        if f.date_to:
            items.append((DATE_TO, f.date_to.isoformat()))
        for name, values in f.by_name():
            items.extend((name, value) for value in values)
        if f.sources_at_least is not None:
            items.append((SOURCES_AT_LEAST, str(f.sources_at_least)))
        if self.as_of is not None:
            items.append((AS_OF, self.as_of.isoformat()))
        return items

    def query_string(self) -> str:
        """Return the URL query (without "?") that asks for this view; "" for everything now."""
        return urlencode(self.items())


def data_url(file: str, view: ViewQuery | None = None) -> str:
    """Return the address, from the server's root, of data file ``file`` asked for ``view``."""
    query = view.query_string() if view is not None else ""
    return DATA_ROOT + file + (f"?{query}" if query else "")


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


def parse_as_of(text: str | None) -> datetime | None:
    """Return the moment ``text`` names, None for now (empty or "now"), or refuse it."""
    text = (text or "").strip()
    if not text or text.lower() == "now":
        return None
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidInput.single(AS_OF, _too_long(text))
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise InvalidInput.single(AS_OF, str(exc)) from None


def parse_sources(text: str | None) -> int | None:
    """Return the independent sources a view asks for, None for any (empty), or refuse it."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_sources_at_least(text)
    except ValueError as exc:
        raise InvalidInput.single(SOURCES_AT_LEAST, str(exc)) from None


def check_range(date_from: date | None, date_to: date | None) -> None:
    """Refuse a date range that ends before it starts."""
    if date_from and date_to and date_to < date_from:
        rule = f"must not be before from ({date_from.isoformat()}); got {date_to.isoformat()}"
        raise InvalidInput.single(DATE_TO, rule)


def parse_view_query(items: Iterable[tuple[str, str]]) -> ViewQuery:
    """Read a URL's query parameters (repeated names kept) into a view, or refuse them.

    The first broken rule is reported, naming the parameter: an unknown name, a one-value
    parameter given twice, a value too long or holding a control character, a date that is not
    YYYY-MM-DD, a range that ends before it starts, a number of sources that is not a whole
    number from 1 to MAX_SOURCES_AT_LEAST, a moment that is not ISO 8601.
    """
    given: dict[str, list[str]] = {}
    for name, value in items:
        if name not in PARAMETERS:
            rule = f"is not a parameter here; the parameters are {', '.join(PARAMETERS)}"
            raise InvalidInput.single(name[:_SHOWN], rule)
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput.single(name, _too_long(value))
        if _CONTROL.search(value):
            rule = f"must not hold control characters such as line breaks (got {_shown(value)})"
            raise InvalidInput.single(name, rule)
        given.setdefault(name, []).append(value)
    for name in (DATE_FROM, DATE_TO, SOURCES_AT_LEAST, AS_OF):
        if len(given.get(name, ())) > 1:
            raise InvalidInput.single(name, f"must be given once (got {len(given[name])})")
    date_from = _date(DATE_FROM, given.get(DATE_FROM, [""])[0])
    date_to = _date(DATE_TO, given.get(DATE_TO, [""])[0])
    check_range(date_from, date_to)
    names = {}
    for name in NAME_FIELDS:
        values = tuple(v for v in given.get(name, ()) if v)
        if len(values) > MAX_VALUES:
            rule = f"may be given at most {MAX_VALUES} times (got {len(values)})"
            raise InvalidInput.single(name, rule)
        names[name] = values
    return ViewQuery(
        filters=ShipmentFilter(
            date_from=date_from,
            date_to=date_to,
            donors=names["donor"],
            recipients=names["recipient"],
            cargos=names["cargo"],
            sources_at_least=parse_sources(given.get(SOURCES_AT_LEAST, [""])[0]),
        ),
        as_of=parse_as_of(given.get(AS_OF, [""])[0]),
    )


def _date(name: str, text: str) -> date | None:
    if not text:
        return None
    rule = f"must be a date as YYYY-MM-DD, such as 2026-01-31 (got {_shown(text)})"
    if not _DATE.fullmatch(text):
        raise InvalidInput.single(name, rule)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.single(name, rule) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        rule = f"must be from {FIRST_DATE} to {LAST_DATE} (got {day.isoformat()})"
        raise InvalidInput.single(name, rule)
    return day


def _too_long(text: str) -> str:
    return f"must be at most {MAX_VALUE_LENGTH} characters (got {len(text)})"
