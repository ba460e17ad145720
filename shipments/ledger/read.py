"""Read the ledger: as it stands now (from ``current_shipment``) or as it stood at a moment.

"As of" a moment counts only the revisions recorded by then: each shipment's latest such revision,
unless that is its retraction. Totals, daily series and filter options are summed and listed by
the database, so a page never holds the ledger in memory to draw a figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from shipments.errors import NotFound
from shipments.ledger.consignments import (
    DEFAULT_BASIS,
    LinkedRecord,
    counted_out,
    linked_records,
)
from shipments.ledger.filters import ShipmentFilter, filter_conditions, sources_conditions
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


@dataclass(frozen=True)
class DailyTotal:
    """Shipments and mass on one event date.

    ``records`` counts every record of the day, also the other record of a consignment that
    ``shipments`` and ``mass_kg`` count on another day (or on this day, once).
    """

    event_date: date
    shipments: int
    mass_kg: int
    records: int


@dataclass(frozen=True)
class LedgerTotals:
    """How many shipments the ledger holds, their total mass and the latest event date.

    A consignment of a sent and a received record is one shipment; ``records`` counts both.
    """

    shipments: int
    mass_kg: int
    latest_event: date | None = None
    records: int = 0


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


def ledger_totals(
    *, session: Session, as_of: datetime | None = None, filters: ShipmentFilter | None = None
) -> LedgerTotals:
    """Count the current shipments, sum their mass and find the latest date, in the database.

    A consignment linked from a sent and a received record counts once, by its sent record.
    """
    current = _current_facts(as_of, filters)
    count, mass, latest = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(current.c.mass_kg), 0),
            func.max(current.c.event_date),
        ).select_from(current)
    ).one()
    left_out = left_out_of_totals(session=session, as_of=as_of, filters=filters)
    if any(r.event_date == latest for r in left_out):
        latest = session.exec(
            select(func.max(current.c.event_date)).where(
                current.c.shipment_id.not_in([r.shipment_id for r in left_out])
            )
        ).one()
    return LedgerTotals(
        shipments=int(count) - len(left_out),
        mass_kg=int(mass) - sum(r.mass_kg for r in left_out),
        latest_event=latest,
        records=int(count),
    )


def daily_totals(
    *, session: Session, as_of: datetime | None = None, filters: ShipmentFilter | None = None
) -> list[DailyTotal]:
    """Return the shipment count and mass per event date, summed in the database.

    A linked consignment counts once, on the day of its sent record: the day of its received
    record keeps the record (``records``) but not its count or mass, and may count nothing.
    """
    current = _current_facts(as_of, filters)
    rows = session.exec(
        select(current.c.event_date, func.count(), func.sum(current.c.mass_kg))
        .group_by(current.c.event_date)
        .order_by(current.c.event_date)
    )
    left: dict[date, tuple[int, int]] = {}
    for record in left_out_of_totals(session=session, as_of=as_of, filters=filters):
        count, mass = left.get(record.event_date, (0, 0))
        left[record.event_date] = (count + 1, mass + record.mass_kg)
    days = []
    for day, count, mass in rows:
        less_count, less_mass = left.get(day, (0, 0))
        days.append(DailyTotal(day, int(count) - less_count, int(mass) - less_mass, int(count)))
    return days


def left_out_of_totals(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    basis: str = DEFAULT_BASIS,
) -> list[LinkedRecord]:
    """Return the linked records in a view that a basis does not count (each consignment once)."""
    left = [
        r
        for r in counted_out(linked_records(session=session, as_of=as_of), basis)
        if filters is None or _passes(filters, r)
    ]
    if left and filters is not None and filters.sources_at_least is not None:
        # Independent sources are counted by the database: keep the records it lets through.
        current = _current_facts(as_of, filters)
        ids = [r.shipment_id for r in left]
        kept = set(
            session.exec(select(current.c.shipment_id).where(current.c.shipment_id.in_(ids)))
        )
        left = [r for r in left if r.shipment_id in kept]
    return left


def _passes(filters: ShipmentFilter, record: LinkedRecord) -> bool:
    """Return True when a filter lets a record through: ``_filter_conditions``, in Python."""
    if filters.date_from is not None and record.event_date < filters.date_from:
        return False
    if filters.date_to is not None and record.event_date > filters.date_to:
        return False
    return all(
        not wanted or getattr(record, field) in wanted for field, wanted in filters.by_name()
    )


def totals_of(days: Iterable[DailyTotal]) -> LedgerTotals:
    """Add daily totals up into the totals ``ledger_totals`` would return for the same view."""
    count = mass = records = 0
    latest = None
    for day in days:
        count += day.shipments
        mass += day.mass_kg
        records += day.records
        if day.shipments:
            latest = day.event_date if latest is None else max(latest, day.event_date)
    return LedgerTotals(shipments=count, mass_kg=mass, latest_event=latest, records=records)


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
    current = _current_facts(as_of, None)
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


def filtered_revisions(
    statement: SelectOfScalar[ShipmentRevision], filters: ShipmentFilter | None
) -> SelectOfScalar[ShipmentRevision]:
    """Narrow a selection of revisions to those a filter lets through."""
    if filters is None:
        return statement
    return statement.where(
        *filter_conditions(
            filters,
            col(ShipmentRevision.event_date),
            col(ShipmentRevision.donor),
            col(ShipmentRevision.recipient),
            col(ShipmentRevision.cargo),
        ),
        *sources_conditions(filters, col(ShipmentRevision.id), col(ShipmentRevision.shipment_id)),
    )


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


def _current_facts(as_of: datetime | None, filters: ShipmentFilter | None) -> Any:
    """Subquery of the shipments in view: read from current_shipment now, from history as of."""
    if as_of is not None:
        return filtered_revisions(current_revisions_query(as_of), filters).subquery()
    table = CurrentShipment
    statement = sa_select(
        col(table.shipment_id),
        col(table.revision_id),
        col(table.event_date),
        col(table.donor),
        col(table.recipient),
        col(table.cargo),
        col(table.mass_kg),
    )
    if filters is not None:
        statement = statement.where(
            *filter_conditions(
                filters,
                col(table.event_date),
                col(table.donor),
                col(table.recipient),
                col(table.cargo),
            ),
            *sources_conditions(filters, col(table.revision_id), col(table.shipment_id)),
        )
    return statement.subquery()


def describe_shipment(facts: ShipmentPublic | ShipmentRevision | ShipmentCreate) -> str:
    """Return a shipment's facts on one line, as the CLI, the forms and the audit trail say them."""
    return (
        f"{facts.event_date.isoformat()} ({facts.date_means}) {facts.donor} -> "
        f"{facts.recipient}, {facts.cargo}, {format_tonnes(facts.mass_kg)} t"
    )
