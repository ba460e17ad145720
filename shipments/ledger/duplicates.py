"""Probable duplicates: a new shipment that repeats a current one (same date, mass, donor and
recipient) is refused unless the editor confirms it; an import refuses its repeats by line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from shipments.errors import DuplicateShipment
from shipments.models import ShipmentCreate, ShipmentRevision


def find_duplicates(
    *, session: Session, items: Sequence[ShipmentCreate], exclude_id: int | None = None
) -> dict[int, list[int]]:
    """Return, by position in ``items``, the current shipments each one repeats.

    A repeat has the same donor and recipient (whatever their case), date and mass. One query
    whatever the number of items: the revisions with those dates and masses (an index lookup)
    that stand (not superseded, not a retraction). The cost grows with neither the ledger nor
    the items.
    """
    pairs = {(s.event_date, s.mass_kg) for s in items}
    if not pairs:
        return {}
    candidates_query = select(ShipmentRevision).where(
        tuple_(col(ShipmentRevision.event_date), col(ShipmentRevision.mass_kg)).in_(list(pairs)),
        col(ShipmentRevision.superseded_at).is_(None),
        col(ShipmentRevision.action) != "retract",
    )
    if exclude_id is not None:
        candidates_query = candidates_query.where(col(ShipmentRevision.shipment_id) != exclude_id)
    current: dict[tuple[Any, ...], set[int]] = {}
    for c in session.exec(candidates_query):
        current.setdefault(duplicate_key(c), set()).add(c.shipment_id)
    found = {}
    for index, s in enumerate(items):
        if (ids := current.get(duplicate_key(s))) is not None:
            found[index] = sorted(ids)
    return found


def duplicate_key(facts: ShipmentCreate | ShipmentRevision) -> tuple[Any, ...]:
    """Return what two shipments share when one probably repeats the other.

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
