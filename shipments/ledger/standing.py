"""Which revision stands for each shipment: now (through ``current_shipment``) or as of a moment.

The queries that ``read`` and ``consignments`` build on; a module of its own so that neither
imports the other's callers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from shipments.models import CurrentShipment, ShipmentRevision


def latest_revisions_query(as_of: datetime | None) -> SelectOfScalar[ShipmentRevision]:
    """Select each shipment's latest revision (recorded by ``as_of``), retractions included.

    A range condition on each revision: recorded by then, and not superseded by then (its
    ``superseded_at`` is when the next revision was recorded).
    """
    superseded = col(ShipmentRevision.superseded_at)
    if as_of is None:
        return select(ShipmentRevision).where(superseded.is_(None))
    return select(ShipmentRevision).where(
        col(ShipmentRevision.recorded_at) <= as_of,
        or_(superseded.is_(None), superseded > as_of),
    )


def current_revisions_query(as_of: datetime | None) -> SelectOfScalar[ShipmentRevision]:
    """Select the revision that stands for each shipment now (or at ``as_of``), not retracted.

    Now: through current_shipment, one row per shipment. As of a moment: from the history.
    """
    if as_of is None:
        return select(ShipmentRevision).join(
            CurrentShipment, col(CurrentShipment.revision_id) == col(ShipmentRevision.id)
        )
    return latest_revisions_query(as_of).where(col(ShipmentRevision.action) != "retract")
