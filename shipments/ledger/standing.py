"""Which revision stands for each shipment: now (through ``current_shipment``) or as of a moment.

The queries that ``read`` and ``consignments`` build on; a module of its own so that neither
imports the other's callers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from shipments.models import CurrentShipment, ShipmentRevision


def latest_revisions_query(as_of: datetime | None) -> SelectOfScalar[ShipmentRevision]:
    """Select each shipment's latest revision (recorded by ``as_of``), retractions included."""
    recorded = [] if as_of is None else [col(ShipmentRevision.recorded_at) <= as_of]
    newest = (
        select(
            col(ShipmentRevision.shipment_id).label("shipment_id"),
            func.max(ShipmentRevision.revision).label("revision"),
        )
        .where(*recorded)
        .group_by(col(ShipmentRevision.shipment_id))
        .subquery()
    )
    return select(ShipmentRevision).join(
        newest,
        and_(
            col(ShipmentRevision.shipment_id) == newest.c.shipment_id,
            col(ShipmentRevision.revision) == newest.c.revision,
        ),
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
