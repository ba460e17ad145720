"""The export's reading of the ledger: shipments as plain rows, or as lines the database formats."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from shipments.ledger import (
    ShipmentFilter,
    current_revisions_query,
    filtered_revisions,
    linked_records,
    standing_partners,
)
from shipments.models import CurrentShipment, RevisionSourceLink, ShipmentRevision, Source

_BATCH = 500
# Each record of a consignment standing now, and its other record: export lines join it.
PARTNERS = standing_partners()


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A source as an export lists it."""

    url: str
    publisher: str
    title: str


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    """A current shipment as an export reads it: plain values, no validation on the way out.

    Every stored column of its revision reads as an attribute (``row.donor``, ``row.reason``),
    except ``id``, which is the shipment's stable id as everywhere else; ``sources`` are its
    revision's sources. A new export column reads what it needs without an edit here.
    """

    revision_row: Any
    sources: tuple[SourceRef, ...]
    once_with: int | None = None

    @property
    def id(self) -> int:
        """Return the shipment's stable id (not the revision's)."""
        return int(self.revision_row.shipment_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.revision_row, name)


def iter_export_rows(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    batch_size: int = 5000,
) -> Iterator[ShipmentRow]:
    """Stream the current shipments for export: plain rows, a sources query per batch."""
    revisions = ShipmentRevision.__table__.c  # type: ignore[attr-defined]
    statement = (
        filtered_revisions(current_revisions_query(as_of), filters)
        .with_only_columns(*revisions)
        .order_by(col(ShipmentRevision.shipment_id))
    )
    once_with = {r.shipment_id: r.other_id for r in linked_records(session=session, as_of=as_of)}
    rows = session.execute(statement.execution_options(yield_per=batch_size))
    for batch in rows.partitions(batch_size):
        links: dict[int, list[SourceRef]] = {}
        for revision_id, url, publisher, title in session.execute(
            sa_select(
                col(RevisionSourceLink.revision_id),
                col(Source.url),
                col(Source.publisher),
                col(Source.title),
            )
            .join(Source, col(Source.id) == col(RevisionSourceLink.source_id))
            .where(col(RevisionSourceLink.revision_id).in_([row.id for row in batch]))
            .order_by(col(RevisionSourceLink.revision_id), col(Source.id))
        ):
            links.setdefault(revision_id, []).append(SourceRef(url, publisher, title))
        for row in batch:
            yield ShipmentRow(row, tuple(links.get(row.id, ())), once_with.get(row.shipment_id))


def iter_current_lines(
    *,
    session: Session,
    line: Any,
    filters: ShipmentFilter | None = None,
    batch_size: int = 5000,
) -> Generator[Sequence[tuple[str]], None, None]:
    """Stream the current shipments, by id, in batches of one-cell rows: ``line`` of each.

    ``line`` is an expression over the shipment's current revision, its ``CurrentShipment`` row
    and its ``PARTNERS`` row (the other record of its consignment; NULLs when it has none) that
    the database formats into one text.
    """
    statement = (
        filtered_revisions(current_revisions_query(None), filters)
        .outerjoin(PARTNERS, PARTNERS.c.shipment_id == col(CurrentShipment.shipment_id))
        .with_only_columns(line)
        .order_by(col(CurrentShipment.shipment_id))
    )
    if session.get_bind().dialect.name != "sqlite":
        # PostgreSQL: a named (server-side) cursor of psycopg's own, fetching a batch per round
        # trip; through SQLAlchemy's result rows the Python side took longer than the query.
        connection = session.connection()
        compiled = statement.compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor(name="ledger_export") as cursor:
            cursor.execute(str(compiled), compiled.params)
            while rows := cursor.fetchmany(batch_size):
                yield rows
        return
    # SQLite: one text column, which needs no conversion, read from the driver's cursor, which
    # SQLAlchemy has not read from (it buffers rows only for stream_results); a million result
    # row objects cost more than the rest of the Python side of the export.
    result = session.connection().execute(statement)
    try:
        while batch := result.cursor.fetchmany(batch_size):
            yield batch
    finally:
        result.close()


def sources_by_id(*, session: Session, ids: Iterable[int]) -> dict[int, SourceRef]:
    """Return the sources with these ids, as an export lists them."""
    wanted = sorted(set(ids))
    found: dict[int, SourceRef] = {}
    for start in range(0, len(wanted), _BATCH):
        for source_id, url, publisher, title in session.execute(
            sa_select(
                col(Source.id), col(Source.url), col(Source.publisher), col(Source.title)
            ).where(col(Source.id).in_(wanted[start : start + _BATCH]))
        ):
            found[source_id] = SourceRef(url, publisher, title)
    return found
