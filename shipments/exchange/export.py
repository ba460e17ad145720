"""The shipments export: one column table, and the two ways of writing it.

Each ``Column`` of ``SHIPMENTS`` says what the column is called, its HXL hashtag, how a shipment
gives its cell in Python and how each database writes it into an export line. The header, the
HXL row, the database's line and the Python rows are all derived from that table, so adding a
column is adding one ``Column``.

The two ways give the same bytes for the same shipments:

- the export files (``write_shipments``), now or as the ledger stood at a moment, are formatted
  by the database, one line per shipment, its cells joined by
  EXPORT_SEPARATOR (a control character that validation keeps out of every stored text). In
  place of the two source cells a line holds the ids of its sources, separated by spaces,
  between two EXPORT_SOURCES. Python checks, completes and writes the lines a batch at a time,
  so that it does no work per cell, or per row, for a million rows. The cells made from the
  sources (source_urls, corroborating_sources) follow the sources cell; a shipment that claims
  add a publisher to (``shipments.corroboration``) is written line by line;
- the workbooks, the command line's ``list --format csv`` and the dashboard's tables go through
  ``shipment_rows``, a Python row per shipment.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session, col

from shipments.corroboration import ClaimPublishers, claim_publishers, count_sources, resolve
from shipments.exchange.csvfiles import write_header
from shipments.exchange.lines import (
    EXPORT_SEPARATOR,
    EXPORT_SOURCES,
    Claimed,
    SourceCells,
    write_batch,
)
from shipments.exchange.reading import (
    PARTNERS,
    ShipmentRow,
    iter_export_rows,
    iter_lines,
    source_lookup,
)
from shipments.exchange.source_cells import source_urls_cell, sources_cell
from shipments.ledger import ShipmentFilter
from shipments.models import CurrentShipment, ShipmentPublic, ShipmentRevision
from shipments.units import kg_to_tonnes, tonnes_sql

DIALECTS = ("sqlite", "postgresql")
# The function that formats a line, by dialect; each writes a NULL as "".
_FORMAT = {"sqlite": func.printf, "postgresql": func.format}

Cell = tuple[str, Sequence[Any]]  # a format cell ("%s", "%d.%03d", ...) and its arguments


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the shipments export.

    ``hxl`` is its HXL hashtag (None: left out of HXL files); ``hxl_only`` leaves it out of plain
    files. ``value`` gives its cell from a shipment (a ``ShipmentPublic`` or a ``ShipmentRow``)
    and, with ``uses_claims``, the publishers of the claims that support it alone.
    ``sql`` gives, by dialect, the format cell and the arguments that write it into the
    database's export line. The columns made from the sources have none (source_urls,
    corroborating_sources): a line holds its sources' ids once, in the sources column's cell,
    and the cells that follow it are written from them. ``type`` is its
    Table Schema type (``string``, ``integer``, ``number``, ``date``, ``datetime``), which a
    Data Package descriptor states; ``description`` says what it holds, units included.
    """

    name: str
    hxl: str | None
    value: Callable[..., Any]
    sql: Mapping[str, Cell] | None
    hxl_only: bool = False
    type: str = "string"
    description: str = ""
    uses_claims: bool = False

    def cell(self, shipment: Any, claims: ClaimPublishers) -> Any:
        """Return this column's cell for a shipment."""
        if self.uses_claims:
            return self.value(shipment, claims.get(shipment.id, frozenset()))
        return self.value(shipment)


@dataclass(frozen=True)
class ExportTable:
    """The columns of an export, in order, and all that is derived from them."""

    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        made = [i for i, c in enumerate(self.columns) if c.sql is None]
        if made and made != list(range(names.index("sources") + 1, made[-1] + 1)):
            raise ValueError("the columns without SQL must directly follow the sources column")

    def fields(self, *, hxl: bool = False) -> tuple[Column, ...]:
        """Return the columns of a plain or an HXL file, in order."""
        if hxl:
            return tuple(c for c in self.columns if c.hxl is not None)
        return tuple(c for c in self.columns if not c.hxl_only)

    def header(self, *, hxl: bool = False) -> tuple[str, ...]:
        """Return the header of a plain or an HXL file."""
        return tuple(c.name for c in self.fields(hxl=hxl))

    def days(self) -> tuple[str, ...]:
        """Return the names of the columns that hold a calendar date."""
        return tuple(c.name for c in self.columns if c.type == "date")

    def hashtags(self) -> dict[str, str]:
        """Return the HXL hashtag of each column of an HXL file, by name, in order."""
        return {c.name: c.hxl for c in self.columns if c.hxl is not None}

    def rows(
        self, shipments: Iterable[ShipmentPublic | ShipmentRow], *, claims: ClaimPublishers
    ) -> Iterator[dict[str, Any]]:
        """Turn shipments into export rows: one per shipment, a cell for every column.

        ``claims``: the claims' publishers by shipment (``claim_publishers``), as of the moment
        the shipments are read at.
        """
        for s in shipments:
            yield {c.name: c.cell(s, claims) for c in self.columns}

    def from_sources(self, *, hxl: bool = False) -> tuple[Column, ...]:
        """Return the columns a line's sources give (those without SQL), in order."""
        return tuple(c for c in self.fields(hxl=hxl) if c.sql is None)

    def line(self, dialect: str, *, hxl: bool = False) -> Any:
        """Return the expression of a shipment's export line in ``dialect`` (module docstring)."""
        cells = [c.sql[dialect] for c in self.fields(hxl=hxl) if c.sql is not None]
        return _FORMAT[dialect](
            EXPORT_SEPARATOR.join(cell for cell, _ in cells),
            *(arg for _, args in cells for arg in args),
        )

    def separators(self, *, hxl: bool = False) -> int:
        """Return how many EXPORT_SEPARATORs an export line holds."""
        return sum(1 for c in self.fields(hxl=hxl) if c.sql is not None) - 1


def _text(column: Any) -> dict[str, Cell]:
    return dict.fromkeys(DIALECTS, ("%s", (column,)))


def _integer(column: Any) -> dict[str, Cell]:
    return {"sqlite": ("%d", (column,)), "postgresql": ("%s", (column,))}


SHIPMENTS = ExportTable(
    (
        Column(
            "id",
            "#meta+id",
            attrgetter("id"),
            _integer(col(ShipmentRevision.shipment_id)),
            type="integer",
        ),
        Column(
            "revision",
            "#meta+revision",
            attrgetter("revision"),
            _integer(col(ShipmentRevision.revision)),
            type="integer",
        ),
        Column(
            "event_date",
            "#date+occurred",
            lambda s: s.event_date.isoformat(),
            {
                "sqlite": ("%s", (col(ShipmentRevision.event_date),)),  # stored as "YYYY-MM-DD"
                "postgresql": (
                    "%s",
                    (func.to_char(col(ShipmentRevision.event_date), "YYYY-MM-DD"),),
                ),
            },
            type="date",
            description="when the cargo was sent or received (see date_means)",
        ),
        Column(
            "date_means",
            "#meta+date_means",
            attrgetter("date_means"),
            _text(col(ShipmentRevision.date_means)),
        ),
        Column(
            "donor", "#org+funder+name", attrgetter("donor"), _text(col(ShipmentRevision.donor))
        ),
        Column(
            "recipient",
            "#country+dest",
            attrgetter("recipient"),
            _text(col(ShipmentRevision.recipient)),
        ),
        Column("cargo", "#item+type", attrgetter("cargo"), _text(col(ShipmentRevision.cargo))),
        Column(
            "cargo_description",
            "#item+name",
            lambda s: s.cargo_description or "",
            _text(col(ShipmentRevision.cargo_description)),
        ),
        # Tonnes go in #item+num with a unit column (#value is for money); the kilograms column
        # is left out of HXL files so that #item+num means one quantity.
        Column(
            "tonnes",
            "#item+num",
            lambda s: kg_to_tonnes(s.mass_kg),
            {dialect: tonnes_sql(col(ShipmentRevision.mass_kg), dialect) for dialect in DIALECTS},
            type="number",
            description="mass in metric tonnes, three decimals: the kilograms column in tonnes",
        ),
        Column(
            "kilograms",
            None,
            attrgetter("mass_kg"),
            _integer(col(ShipmentRevision.mass_kg)),
            type="integer",
            description="mass in kilograms, a whole number",
        ),
        Column(
            "unit", "#item+unit", lambda s: "t", dict.fromkeys(DIALECTS, ("t", ())), hxl_only=True
        ),
        Column(
            "sources",
            "#meta+source",
            lambda s: sources_cell(s.sources),
            dict.fromkeys(
                DIALECTS,
                (EXPORT_SOURCES + "%s" + EXPORT_SOURCES, (col(CurrentShipment.source_ids),)),
            ),
        ),
        Column("source_urls", "#meta+url", lambda s: source_urls_cell(s.sources), None),
        Column(
            "corroborating_sources",
            "#meta+sources+num",
            lambda s, claimed: count_sources((source.publisher for source in s.sources), claimed),
            None,
            uses_claims=True,
            type="integer",
            description=(
                "independent sources: distinct publishers (case and spaces aside) among its"
                " sources and of the claims whose single-delivery reading is consistent with it"
                " alone"
            ),
        ),
        Column(
            "note", "#description+notes", lambda s: s.note or "", _text(col(ShipmentRevision.note))
        ),
        Column(
            "same_consignment_as",
            "#meta+consignment",
            lambda s: "" if s.once_with is None else s.once_with,
            _text(PARTNERS.c.other_id),
            type="integer",
            description="the id of the other record (sent or received) of the same consignment,"
            " when the two are linked: a total counts them once",
        ),
        Column(
            "recorded_by",
            "#meta+recorded_by",
            attrgetter("recorded_by"),
            _text(col(ShipmentRevision.recorded_by)),
        ),
        Column(
            "recorded_at",
            "#date+recorded",
            lambda s: s.recorded_at.isoformat(timespec="microseconds"),
            {
                # SQLite stores a datetime as "YYYY-MM-DD HH:MM:SS.ffffff".
                "sqlite": (
                    "%sT%s+00:00",
                    (
                        func.substr(col(ShipmentRevision.recorded_at), 1, 10),
                        func.substr(col(ShipmentRevision.recorded_at), 12),
                    ),
                ),
                "postgresql": (
                    "%s",
                    (
                        func.to_char(
                            col(ShipmentRevision.recorded_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
                        ),
                    ),
                ),
            },
            type="datetime",
            description="when this revision was recorded, UTC",
        ),
    )
)
SHIPMENT_COLUMNS = SHIPMENTS.header()


def shipment_rows(
    shipments: Iterable[ShipmentPublic | ShipmentRow], *, claims: ClaimPublishers
) -> Iterator[dict[str, Any]]:
    """Turn shipments into export rows: one per shipment, tonnes and kilograms, its sources."""
    return SHIPMENTS.rows(shipments, claims=claims)


def export_rows(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    table: ExportTable = SHIPMENTS,
    claims: ClaimPublishers | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream the export rows of the shipments in a view (now, or as they stood at ``as_of``).

    ``claims``: ``claim_publishers`` at the same moment, when the caller has them.
    """
    if claims is None:
        claims = claim_publishers(session=session, as_of=as_of)
    filters = resolve(session=session, filters=filters, as_of=as_of, claims=claims)
    shipments = iter_export_rows(session=session, as_of=as_of, filters=filters)
    return table.rows(shipments, claims=claims)


def write_shipments(
    *,
    session: Session,
    file: TextIO,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    hxl: bool = False,
    batch_size: int = 5000,
    table: ExportTable = SHIPMENTS,
) -> int:
    """Write the shipments (now, or as they stood at ``as_of``) as CSV or HXL CSV, by id.

    Return the number of shipments written. The database formats each shipment's line, now
    and as of a moment alike, and the lines are streamed in batches (module docstring).
    """
    header = table.header(hxl=hxl)
    tags = table.hashtags() if hxl else None
    claims = claim_publishers(session=session, as_of=as_of)
    filters = resolve(session=session, filters=filters, as_of=as_of, claims=claims)
    writer = csv.writer(file, lineterminator="\n")
    write_header(writer, header, tags)
    separators = table.separators(hxl=hxl)
    text_first = table.fields(hxl=hxl)[0].type not in ("integer", "number")
    line = table.line(session.get_bind().dialect.name, hxl=hxl)
    claimed = Claimed(claims)
    count = 0
    # closing(): the batches hold a cursor on the database; end it here, even on an error.
    with (
        source_lookup(session) as lookup,
        closing(
            iter_lines(
                session=session, line=line, as_of=as_of, filters=filters, batch_size=batch_size
            )
        ) as batches,
    ):
        cells = SourceCells(lookup, table.from_sources(hxl=hxl))
        for batch in batches:
            write_batch(
                batch,
                cells,
                file,
                writer,
                separators=separators,
                text_first=text_first,
                width=len(header),
                claims=claims,
                claimed=claimed,
            )
            count += len(batch)
    return count
