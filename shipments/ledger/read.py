"""Read the ledger: as it stands now (from ``current_shipment``) or as it stood at a moment.

"As of" a moment counts only the revisions recorded by then: each shipment's latest such revision,
unless that is its retraction. Totals, daily series and filter options are summed and listed by
the database, so a page never holds the ledger in memory to draw a figure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shipments.errors import NotFound
from shipments.ledger.consignments import (
    linked_records,
)
from shipments.ledger.filters import ShipmentFilter, filtered_revisions, view_facts
from shipments.ledger.standing import current_revisions_query, latest_revisions_query
from shipments.models import (
    CurrentShipment,
    RevisionPublic,
    RevisionSourceLink,
    ShipmentCreate,
    ShipmentPublic,
    ShipmentRevision,
    Source,
    SourcePublic,
)
from shipments.rules import NAME_FIELDS
from shipments.units import format_tonnes

P = TypeVar("P", bound=ShipmentPublic)
_BATCH = 500


def current_shipments(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ShipmentPublic]:
    """Return the ledger as it stands now, or as it stood at ``as_of``, oldest event first."""
    return list(
        iter_current_shipments(
            session=session, as_of=as_of, filters=filters, limit=limit, offset=offset
        )
    )


def iter_current_shipments(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
    batch_size: int = _BATCH,
) -> Iterator[ShipmentPublic]:
    """Stream the current shipments (or those at ``as_of``) in batches, oldest event first."""
    statement = (
        filtered_revisions(current_revisions_query(as_of), filters)
        .order_by(col(ShipmentRevision.event_date), col(ShipmentRevision.shipment_id))
        .offset(offset)
        .limit(limit)
    )
    once_with = {r.shipment_id: r.other_id for r in linked_records(session=session, as_of=as_of)}
    rows = session.exec(statement.execution_options(yield_per=batch_size))
    for batch in rows.partitions(batch_size):
        yield from public_shipments(session, batch, once_with)


def public_shipments(
    session: Session, revisions: Sequence[ShipmentRevision], once_with: dict[int, int]
) -> list[ShipmentPublic]:
    """Return standing revisions as shipments: their sources read at once, and each one's other
    record from ``once_with`` (shipment id -> the other record of its consignment)."""
    sources = sources_by_revision(session, [row_id(r) for r in revisions])
    shipments = []
    for revision in revisions:
        shipment = public_revision(ShipmentPublic, revision, sources.get(row_id(revision), []))
        shipment.once_with = once_with.get(shipment.id)
        shipments.append(shipment)
    return shipments


def retracted_shipments(*, session: Session, as_of: datetime | None = None) -> list[RevisionPublic]:
    """Return the retraction of every shipment withdrawn (by ``as_of``), latest first."""
    statement = latest_revisions_query(as_of).where(col(ShipmentRevision.action) == "retract")
    rows = list(session.exec(statement.order_by(col(ShipmentRevision.recorded_at).desc())))
    sources = sources_by_revision(session, [row_id(r) for r in rows])
    return [public_revision(RevisionPublic, r, sources.get(row_id(r), [])) for r in rows]


def get_shipment(
    *, session: Session, shipment_id: int, as_of: datetime | None = None
) -> ShipmentPublic:
    """Return one shipment as it stands (or stood at ``as_of``); NotFound if absent or retracted."""
    statement = current_revisions_query(as_of).where(
        col(ShipmentRevision.shipment_id) == shipment_id
    )
    revision = session.exec(statement).first()
    if revision is None:
        raise NotFound(f"no current shipment with id {shipment_id}")
    once_with = {r.shipment_id: r.other_id for r in linked_records(session=session, as_of=as_of)}
    return public_shipments(session, [revision], once_with)[0]


def shipment_history(*, session: Session, shipment_id: int) -> list[RevisionPublic]:
    """Return every revision of a shipment, first to last; NotFound if it never existed."""
    revisions = list(
        session.exec(
            select(ShipmentRevision)
            .where(col(ShipmentRevision.shipment_id) == shipment_id)
            .order_by(col(ShipmentRevision.revision))
        )
    )
    if not revisions:
        raise NotFound(f"no shipment with id {shipment_id}")
    sources = sources_by_revision(session, [row_id(r) for r in revisions])
    return [public_revision(RevisionPublic, r, sources.get(row_id(r), [])) for r in revisions]


def distinct_values(*, session: Session, field: str, as_of: datetime | None = None) -> list[str]:
    """Return the distinct donors, recipients or cargo categories of the current ledger.

    Now: stepping through current_shipment's index on the field, one probe per value (a
    recursive query), where DISTINCT would read the whole index.
    """
    if field not in NAME_FIELDS:
        raise ValueError(f"field must be one of {NAME_FIELDS}")
    if as_of is None:
        column = getattr(CurrentShipment.__table__.c, field)  # type: ignore[attr-defined]
        values = sa_select(func.min(column).label("value")).cte("names", recursive=True)
        step = sa_select(func.min(column)).where(column > values.c.value).scalar_subquery()
        values = values.union_all(sa_select(step).where(values.c.value.is_not(None)))
        return list(
            session.execute(
                sa_select(values.c.value)
                .where(values.c.value.is_not(None))
                .order_by(values.c.value)
            ).scalars()
        )
    current = view_facts(as_of, None)
    column = current.c[field]
    return list(session.exec(select(column).distinct().order_by(column)))


def first_recorded_at(*, session: Session) -> datetime | None:
    """Return when the ledger's first revision was recorded, or None before any was."""
    column = col(ShipmentRevision.recorded_at)
    return session.exec(select(column).order_by(column).limit(1)).first()


def list_sources(*, session: Session) -> list[SourcePublic]:
    """Return every recorded source, in the order they were recorded."""
    return [source_public(s) for s in session.exec(select(Source).order_by(col(Source.id)))]


def find_source(*, session: Session, url: str) -> Source | None:
    """Return the source recorded for ``url``, if any."""
    return session.exec(select(Source).where(col(Source.url) == url)).first()


def sources_by_revision(
    session: Session, revision_ids: Sequence[int]
) -> dict[int, list[SourcePublic]]:
    """Return the sources of each revision, in the order they were recorded, by revision id."""
    found: dict[int, list[SourcePublic]] = {}
    for start in range(0, len(revision_ids), _BATCH):
        chunk = revision_ids[start : start + _BATCH]
        rows = session.exec(
            select(RevisionSourceLink.revision_id, Source)
            .join(Source, col(Source.id) == RevisionSourceLink.source_id)
            .where(col(RevisionSourceLink.revision_id).in_(chunk))
            .order_by(col(RevisionSourceLink.revision_id), col(Source.id))
        )
        for revision_id, source in rows:
            found.setdefault(revision_id, []).append(source_public(source))
    return found


def source_public(source: Source) -> SourcePublic:
    """Return a source as the public model."""
    return SourcePublic.model_validate(source, from_attributes=True)


def public_revision(kind: type[P], revision: ShipmentRevision, sources: list[SourcePublic]) -> P:
    """Return a revision as a public shipment (``ShipmentPublic`` or ``RevisionPublic``)."""
    data = revision.model_dump()
    data["id"] = revision.shipment_id
    data["sources"] = sources
    return kind.model_validate(data)


def row_id(row: ShipmentRevision | Source) -> int:
    """Return a flushed row's id."""
    assert row.id is not None, "row has not been flushed"
    return row.id


def describe_shipment(facts: ShipmentPublic | ShipmentRevision | ShipmentCreate) -> str:
    """Return a shipment's facts on one line, as the CLI, the forms and the audit trail say them."""
    return (
        f"{facts.event_date.isoformat()} ({facts.date_means}) {facts.donor} -> "
        f"{facts.recipient}, {facts.cargo}, {format_tonnes(facts.mass_kg)} t"
    )
