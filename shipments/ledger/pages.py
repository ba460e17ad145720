"""A page of the ledger as it stands now, oldest event first, as cheap at the end as at the start.

The order (event date, then id) is the order of ``current_shipment``'s date index (on SQLite the
id is the row id every index ends with), so a page reads that index from one end and stops
when it has its rows: from the start for the first half of the ledger, from the end (in
reverse) for the second half. A page therefore skips at most half the view, reading the index
alone for the rows it skips, and the last page reads only itself. As of a past moment, a page
comes from the history (``iter_current_shipments``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shipments.ledger.consignments import linked_records
from shipments.ledger.filters import ShipmentFilter, filter_conditions, sources_conditions
from shipments.ledger.read import iter_current_shipments, public_shipments
from shipments.models import CurrentShipment, ShipmentPublic, ShipmentRevision


def current_page(
    *,
    session: Session,
    filters: ShipmentFilter | None = None,
    as_of: datetime | None = None,
    limit: int,
    offset: int = 0,
) -> list[ShipmentPublic]:
    """Return ``limit`` shipments of the view from ``offset``, oldest event first."""
    if as_of is not None:
        return list(
            iter_current_shipments(
                session=session, as_of=as_of, filters=filters, limit=limit, offset=offset
            )
        )
    table = CurrentShipment
    conditions = (
        [
            *filter_conditions(
                filters,
                col(table.event_date),
                col(table.donor),
                col(table.recipient),
                col(table.cargo),
            ),
            *sources_conditions(filters, col(table.revision_id), col(table.shipment_id)),
        ]
        if filters is not None
        else []
    )
    forward = (col(table.event_date), col(table.shipment_id))
    skip, take, backward = offset, limit, False
    if offset > limit:
        total = session.exec(select(func.count()).select_from(table).where(*conditions)).one()
        after = total - offset - limit  # rows of the view after this page
        if after < offset:
            skip, take, backward = max(0, after), min(limit, max(0, total - offset)), True
    order = [c.desc() for c in forward] if backward else list(forward)
    # The rows skipped are read from the date index alone (date and id are all it needs); only
    # the page's own rows are then joined to their revisions.
    keys = (
        sa_select(col(table.shipment_id).label("shipment_id"))
        .where(*conditions)
        .order_by(*order)
        .offset(skip)
        .limit(take)
        .subquery()
    )
    statement = (
        select(ShipmentRevision)
        .join(table, col(table.revision_id) == col(ShipmentRevision.id))
        .join(keys, keys.c.shipment_id == col(table.shipment_id))
        .order_by(col(table.event_date), col(table.shipment_id))
    )
    revisions = list(session.exec(statement))
    once_with = {r.shipment_id: r.other_id for r in linked_records(session=session)}
    return public_shipments(session, revisions, once_with)
