"""Probable duplicates: a new shipment that repeats a current one (same date, mass, donor and
recipient) is refused unless the editor confirms it; an import refuses its repeats by line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, column, text
from sqlmodel import Session

from shipments.errors import DuplicateShipment
from shipments.models import CurrentShipment, ShipmentCreate
from shipments.rows import converter


def find_duplicates(
    *, session: Session, items: Sequence[ShipmentCreate], exclude_id: int | None = None
) -> dict[int, list[int]]:
    """Return, by position in ``items``, the current shipments each one repeats.

    A repeat has the same donor and recipient (whatever their case), date and mass. One query
    whatever the number of items: the current shipments (``current_shipment``, which holds the
    standing revision of each shipment not retracted) with those dates and masses, each pair
    looked up in the (date, mass) index. The pairs are a table the query joins, not an ``IN``
    list, which SQLite answers by scanning the whole index; they go as one parameter, a JSON
    list on SQLite (``json_each``) and two arrays on PostgreSQL (``unnest``), so the query's
    text is the same for any number of pairs: with a parameter per date and mass, thousands of
    them were bound one by one, and psycopg parsed the text again, on every batch of an import
    (bench/RESULTS.md). On PostgreSQL each pair is a LATERAL lookup behind ``OFFSET 0`` (which
    keeps the planner from turning it back into a join): an import's own rows are in no
    statistics until it commits, and the planner, taking the table for small, hash-joined a seq
    scan of every current shipment in every batch. The cost grows with neither the ledger nor
    the items.
    """
    pairs = sorted({(s.event_date, s.mass_kg) for s in items})
    if not pairs:
        return {}
    parameters: dict[str, Any] = {"exclude": exclude_id or 0}  # no shipment has id 0
    if session.get_bind().dialect.name == "postgresql":
        query = _LATERAL_CANDIDATES
        parameters["days"], parameters["masses"] = map(list, zip(*pairs, strict=True))
    else:
        query = _JOINED_CANDIDATES
        as_stored = converter(session.connection(), _DAY) or str
        parameters["pairs"] = json.dumps([[as_stored(day), kg] for day, kg in pairs])
    found_by_key: dict[tuple[Any, ...], set[int]] = {}
    for c in session.execute(query, parameters):
        found_by_key.setdefault(duplicate_key(c), set()).add(c.shipment_id)
    found = {}
    for index, s in enumerate(items):
        if (ids := found_by_key.get(duplicate_key(s))) is not None:
            found[index] = sorted(ids)
    return found


_DAY = CurrentShipment.__table__.c.event_date  # type: ignore[attr-defined]
_COLUMNS = (
    column("shipment_id", Integer),
    column("event_date", Date),  # read back as dates, as the items hold them
    column("mass_kg", Integer),
    column("donor", String),
    column("recipient", String),
)
_SELECTED = "SELECT c.shipment_id, c.event_date, c.mass_kg, c.donor, c.recipient"
_MATCH = (
    "c.event_date = wanted.event_date AND c.mass_kg = wanted.mass_kg AND c.shipment_id <> :exclude"
)
_EXCLUDE = bindparam("exclude", type_=Integer)
# SQLite: the pairs as a JSON list of [day as stored, kilograms].
_JOINED_CANDIDATES = (
    text(
        "WITH wanted (event_date, mass_kg) AS"
        " (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:pairs))"
        f" {_SELECTED} FROM wanted JOIN current_shipment c ON {_MATCH}"
    )
    .bindparams(_EXCLUDE)
    .columns(*_COLUMNS)
)
_LATERAL_CANDIDATES = (
    text(
        "WITH wanted (event_date, mass_kg) AS"
        " (SELECT * FROM unnest(CAST(:days AS date[]), CAST(:masses AS integer[])))"
        f" {_SELECTED} FROM wanted"
        f" CROSS JOIN LATERAL (SELECT * FROM current_shipment c WHERE {_MATCH} OFFSET 0) c"
    )
    .bindparams(_EXCLUDE)
    .columns(*_COLUMNS)
)


def duplicate_key(facts: Any) -> tuple[Any, ...]:
    """Return what two shipments (or rows with their facts) share when one probably repeats
    the other.

    The same date and mass, and the same donor and recipient whatever their case.
    """
    return (facts.event_date, facts.mass_kg, facts.donor.casefold(), facts.recipient.casefold())


def refuse_duplicates(
    session: Session, shipment_in: ShipmentCreate, *, exclude_id: int | None
) -> None:
    """Refuse a shipment that probably repeats a current one (DuplicateShipment names it)."""
    matches = find_duplicates(session=session, items=[shipment_in], exclude_id=exclude_id)
    if matches:
        raise DuplicateShipment(matches[0])
