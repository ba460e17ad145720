"""What a view of the ledger adds up to: its shipments, mass and latest date, and day by day.

Summed by the database; a consignment linked from a sent and a received record counts once, by
the record a basis names (``shipments.ledger.consignments``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from shipments.ledger.consignments import DEFAULT_BASIS, LinkedRecord, counted_out, linked_records
from shipments.ledger.filters import ShipmentFilter, view_facts


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


def ledger_totals(
    *, session: Session, as_of: datetime | None = None, filters: ShipmentFilter | None = None
) -> LedgerTotals:
    """Count the current shipments, sum their mass and find the latest date, in the database.

    A consignment linked from a sent and a received record counts once, by its sent record.
    """
    current = view_facts(as_of, filters)
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
    current = view_facts(as_of, filters)
    rows = session.exec(
        select(current.c.event_date, func.count(), func.sum(current.c.mass_kg))
        .group_by(current.c.event_date)
        .order_by(current.c.event_date)
    )
    return days_less(rows, left_out_of_totals(session=session, as_of=as_of, filters=filters))


def days_less(
    rows: Iterable[tuple[date, int, int]], left_out: Iterable[LinkedRecord]
) -> list[DailyTotal]:
    """Return each day's totals (its date, records and mass, in date order) less the linked
    records that counting each consignment once leaves out (``left_out_of_totals``)."""
    left: dict[date, tuple[int, int]] = {}
    for record in left_out:
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
        current = view_facts(as_of, filters)
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
