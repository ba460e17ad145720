"""Which shipments a view shows, and the conditions that say so in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from shipments.ledger.standing import current_revisions_query
from shipments.models import CurrentShipment, RevisionSourceLink, ShipmentRevision, Source
from shipments.rules import NAME_FIELDS


@dataclass(frozen=True)
class ShipmentFilter:
    """Which shipments a view shows: a date range, donors, recipients, cargo (any of each), and
    at least ``sources_at_least`` independent sources (``shipments.corroboration``).

    Independent sources count claims too, which the ledger cannot judge, so a filter with
    ``sources_at_least`` is resolved before it is used (``shipments.corroboration.resolve``):
    ``publisher_spellings`` maps each other spelling of a publisher to one, ``claimed`` lists the
    shipments that claims bring to the number. An unresolved one is refused, never half applied.
    """

    date_from: date | None = None
    date_to: date | None = None
    donors: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    cargos: tuple[str, ...] = ()
    sources_at_least: int | None = None
    publisher_spellings: tuple[tuple[str, str], ...] = ()
    claimed: tuple[int, ...] | None = None

    def is_empty(self) -> bool:
        """Return True when the filter lets every shipment through."""
        return self == ShipmentFilter()

    def by_name(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Return the names wanted for each name field (NAME_FIELDS), in that order."""
        return tuple(zip(NAME_FIELDS, (self.donors, self.recipients, self.cargos), strict=True))


def filter_conditions(
    filters: ShipmentFilter, event_date: Any, donor: Any, recipient: Any, cargo: Any
) -> list[Any]:
    """Return the conditions of a filter's dates and names on these columns."""
    conditions = []
    if filters.date_from is not None:
        conditions.append(event_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(event_date <= filters.date_to)
    columns = {"donor": donor, "recipient": recipient, "cargo": cargo}
    for field, wanted in filters.by_name():
        if wanted:
            conditions.append(columns[field].in_(wanted))
    return conditions


def sources_conditions(filters: ShipmentFilter, revision_id: Any, shipment_id: Any) -> list[Any]:
    """Keep the shipments with at least ``sources_at_least`` independent sources: publishers
    among the revision's sources (one per spelling), or a shipment claims bring there."""
    wanted = filters.sources_at_least
    if wanted is None:
        return []
    if filters.claimed is None:
        raise ValueError("sources_at_least needs shipments.corroboration.resolve first")
    publisher: Any = col(Source.publisher)
    if filters.publisher_spellings:
        publisher = case(dict(filters.publisher_spellings), value=publisher, else_=publisher)
    # Correlated: the database counts a revision's publishers through the link's primary key,
    # row by row as it reads the view, so a page of the ledger stops when the page is full.
    publishers = (
        sa_select(func.count(func.distinct(publisher)))
        .select_from(RevisionSourceLink)
        .join(Source, col(Source.id) == col(RevisionSourceLink.source_id))
        .where(col(RevisionSourceLink.revision_id) == revision_id)
        .scalar_subquery()
    )
    enough = publishers >= wanted
    if not filters.claimed:
        return [enough]
    return [or_(enough, shipment_id.in_(filters.claimed))]


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


def view_facts(as_of: datetime | None, filters: ShipmentFilter | None) -> Any:
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
