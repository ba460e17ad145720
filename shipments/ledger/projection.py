"""Keep ``current_shipment`` in step with the history: one row per shipment that stands now.

Every write that changes what stands goes through here, inside that write's transaction: an
append adds the shipment's row, a correction replaces it with the new revision's facts, a
retraction removes it. Readers of the ledger as it stands now read this table instead of finding
the latest of every revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session

from shipments.models import CurrentShipment, ShipmentRevision


class ProjectedFacts(Protocol):
    """The facts of a revision that ``current_shipment`` repeats."""

    @property
    def event_date(self) -> date: ...
    @property
    def donor(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def cargo(self) -> str: ...
    @property
    def mass_kg(self) -> int: ...


def current_shipment_row(
    *, shipment_id: int, revision_id: int, facts: ProjectedFacts, source_ids: Iterable[int]
) -> dict[str, Any]:
    """Return the ``current_shipment`` row for a revision's facts and its sources' ids."""
    return {
        "source_ids": " ".join(str(i) for i in sorted(set(source_ids))),
        "shipment_id": shipment_id,
        "revision_id": revision_id,
        "event_date": facts.event_date,
        "donor": facts.donor,
        "recipient": facts.recipient,
        "cargo": facts.cargo,
        "mass_kg": facts.mass_kg,
        "donor_key": facts.donor.casefold(),
        "recipient_key": facts.recipient.casefold(),
        "cargo_key": facts.cargo.casefold(),
    }


def show_revision(session: Session, revision: ShipmentRevision, source_ids: Iterable[int]) -> None:
    """Make ``current_shipment`` show this revision (appended or corrected) for its shipment."""
    assert revision.id is not None, "revision has not been flushed"
    row = current_shipment_row(
        shipment_id=revision.shipment_id,
        revision_id=revision.id,
        facts=revision,
        source_ids=source_ids,
    )
    # populate_existing: a copy held in this session may be older than another session's write.
    existing = session.get(CurrentShipment, revision.shipment_id, populate_existing=True)
    if existing is None:
        session.add(CurrentShipment(**row))
    else:
        for name, value in row.items():
            setattr(existing, name, value)
        session.add(existing)


def hide_shipment(session: Session, shipment_id: int) -> None:
    """Remove a retracted shipment from ``current_shipment``."""
    projected = session.get(CurrentShipment, shipment_id, populate_existing=True)
    if projected is not None:
        session.delete(projected)
