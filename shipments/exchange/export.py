"""The shipments export: one column table, and the two ways of writing it.

Each ``Column`` of ``SHIPMENTS`` says what the column is called, its HXL hashtag, how a shipment
gives its cell in Python and how each database writes it into an export line. The header, the
HXL row, the database's line and the Python rows are all derived from that table, so adding a
column is adding one ``Column``.

The two ways give the same bytes for the same shipments:

- the current ledger is formatted by the database, one line per shipment, its cells joined by
  EXPORT_SEPARATOR (a control character that validation keeps out of every stored text). In
  place of the two source cells a line holds the ids of its sources, separated by spaces,
  between two EXPORT_SOURCES. Python checks, completes and writes the lines a batch at a time,
  so that it does no work per cell, or per row, for a million rows. The cells made from the
  sources (source_urls, corroborating_sources) follow the sources cell; a shipment that claims
  add a publisher to (``shipments.corroboration``) is written line by line;
- the ledger as it stood at a moment (and the dashboard's tables) goes through ``shipment_rows``,
  a Python row per shipment.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session, col

from shipments.corroboration import ClaimPublishers, claim_publishers, count_sources, resolve
from shipments.exchange.csvfiles import neutralise, write_csv, write_header
from shipments.exchange.reading import (
    ShipmentRow,
    SourceRef,
    iter_current_lines,
    iter_export_rows,
    sources_by_id,
)
from shipments.exchange.source_cells import source_urls_cell, sources_cell
from shipments.ledger import ShipmentFilter
from shipments.models import CurrentShipment, ShipmentPublic, ShipmentRevision
from shipments.units import kg_to_tonnes, tonnes_sql

EXPORT_SEPARATOR = "\x1f"
EXPORT_SOURCES = "\x1d"
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

    Return the number of shipments written. The current ledger is formatted by the database
    and streamed in batches; a past moment goes through Python rows. Both give the same bytes.
    """
    header = table.header(hxl=hxl)
    tags = table.hashtags() if hxl else None
    claims = claim_publishers(session=session, as_of=as_of)
    filters = resolve(session=session, filters=filters, as_of=as_of, claims=claims)
    if as_of is not None:
        rows = export_rows(
            session=session, as_of=as_of, filters=filters, table=table, claims=claims
        )
        return write_csv(rows, file, header, hxl=tags)
    writer = csv.writer(file, lineterminator="\n")
    write_header(writer, header, tags)
    separators = table.separators(hxl=hxl)
    text_first = table.fields(hxl=hxl)[0].type not in ("integer", "number")
    line = table.line(session.get_bind().dialect.name, hxl=hxl)
    cells = _SourceCells(session, table.from_sources(hxl=hxl))
    claimed = _Claimed(claims)
    count = 0
    # closing(): the batches hold a cursor on the database; end it here, even on an error.
    with closing(
        iter_current_lines(session=session, line=line, filters=filters, batch_size=batch_size)
    ) as batches:
        for batch in batches:
            if claimed.within(batch) or not _write_plain(
                batch, cells, file, separators, text_first
            ):
                # Some line needs care: each line is checked alone, and only those that need it
                # (or that claims add a publisher to) go through the csv module, cell by cell.
                for one in batch:
                    if claimed.within([one]) or not _write_plain(
                        [one], cells, file, separators, text_first
                    ):
                        _write_carefully(one[0], cells, writer, len(header), claims)
            count += len(batch)
    return count


# A batch of database-formatted lines can go out as it is unless a cell needs quoting (a comma,
# a quote, a line break) or starts like a formula. A batch is checked as one string, its lines
# joined by _LINES, so that a cell starts the string or follows _LINES or EXPORT_SEPARATOR.
# Substring tests run at C speed where a regular expression would read every character in
# Python's time. "+" and "-" occur in every line (in dates and times), so they are looked for
# only where a cell starts.
_LINES = "\x1e"
_ANYWHERE = (",", '"', "\r", "\n", "=", "@", "\t")
# Stored texts are trimmed, so a cell cannot start with a space; "'" can hide a formula behind it
# (neutralise looks past it), '"' is caught anywhere by _ANYWHERE.
_CELL_START = (EXPORT_SEPARATOR + "+", EXPORT_SEPARATOR + "-", EXPORT_SEPARATOR + "'")
_LINE_START = (_LINES + "+", _LINES + "-", _LINES + "'")
_SOURCE_CACHE_LIMIT = 100_000
_SOURCE_IDS = re.compile(r"[0-9 ]*")


def _write_plain(
    batch: Sequence[tuple[str]],
    cells: _SourceCells,
    file: TextIO,
    separators: int,
    text_first: bool,
) -> bool:
    """Write the lines as they are if no cell needs quoting or neutralising; else write nothing
    and return False. ``text_first``: a line's first cell is text, which may start a formula."""
    lines = _LINES.join(map(itemgetter(0), batch))
    # Split at the sources' marks: the odd parts are the ids of each line's sources.
    parts = lines.split(EXPORT_SOURCES)
    keys = parts[1::2]
    if not (
        len(keys) == len(batch)
        and lines.count(EXPORT_SEPARATOR) == separators * len(batch)
        and lines.count(_LINES) == len(batch) - 1
        and not any(mark in lines for mark in _ANYWHERE)
        and not any(mark in lines for mark in _CELL_START)
        and not (
            text_first
            and (any(mark in lines for mark in _LINE_START) or lines.startswith(("+", "-", "'")))
        )
    ):
        return False
    cells.load(keys)
    parts[1::2] = map(cells.csv, keys)
    file.write("".join(parts).replace(EXPORT_SEPARATOR, ",").replace(_LINES, "\n"))
    file.write("\n")
    return True


class _Claimed:
    """The shipments claims add a publisher to, found in a batch of lines by its ids' range
    (a line starts with its shipment's id, and the batches come by id)."""

    def __init__(self, claims: ClaimPublishers) -> None:
        self._ids = sorted(claims)

    def within(self, batch: Sequence[tuple[str]]) -> bool:
        """Return True when a shipment of the batch may be one claims add a publisher to."""
        if not self._ids or not batch:
            return False
        low = _line_id(batch[0][0])
        high = _line_id(batch[-1][0])
        at = bisect_left(self._ids, low)
        return at < len(self._ids) and self._ids[at] <= high


def _line_id(line: str) -> int:
    head = line.split(EXPORT_SEPARATOR, 1)[0]
    return int(head) if head.isdigit() else -1


def _write_carefully(
    line: str, cells: _SourceCells, writer: Any, width: int, claims: ClaimPublishers
) -> None:
    """Write a line that needs quoting or neutralising, or whose shipment claims add a publisher
    to, through the csv module, cell by cell."""
    parts = line.split(EXPORT_SOURCES)
    row = parts[0].split(EXPORT_SEPARATOR)[:-1]
    if len(parts) != 3 or not _SOURCE_IDS.fullmatch(parts[1]):
        raise ValueError(f"shipment {row[0]}: a stored text holds a control character")
    cells.load([parts[1]])
    shipment = _line_id(line)
    row += cells.raw(parts[1], claims.get(shipment, frozenset()))
    row += parts[2].split(EXPORT_SEPARATOR)[1:]
    if len(row) != width:
        raise ValueError(f"shipment {row[0]}: a stored text holds a control character")
    writer.writerow([neutralise(cell) for cell in row])


@dataclass(frozen=True, slots=True)
class _Sourced:
    """What a column made from the sources reads: the shipment's id and its sources."""

    id: int
    sources: tuple[SourceRef, ...]


class _SourceCells:
    """The sources cell and the cells made from the sources (``ExportTable.from_sources``), by
    the source ids a line lists; without the claims' publishers, which ``raw`` adds."""

    def __init__(self, session: Session, made: Sequence[Column]) -> None:
        self._session = session
        self._made = made
        self._sources: dict[int, SourceRef] = {}
        self._refs: dict[str, tuple[SourceRef, ...]] = {}
        self._raw: dict[str, tuple[str, ...]] = {}
        self._csv: dict[str, str] = {}

    def load(self, keys: Iterable[str]) -> None:
        """Make sure the sources these keys (ids separated by spaces) list are known."""
        if len(self._raw) > _SOURCE_CACHE_LIMIT:  # a ledger with a source per shipment
            self._sources.clear()
            self._refs, self._raw, self._csv = {}, {}, {}
        new = set(keys) - self._raw.keys()
        wanted = {int(n) for key in new for n in key.split()} - self._sources.keys()
        if wanted:
            self._sources.update(sources_by_id(session=self._session, ids=wanted))
        for key in new:
            refs = tuple(self._sources[n] for n in sorted(int(n) for n in key.split()))
            self._refs[key] = refs
            raw = self._cells(refs, frozenset())
            self._raw[key] = raw
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow([neutralise(cell) for cell in raw])
            self._csv[key] = out.getvalue()

    def _cells(self, refs: tuple[SourceRef, ...], claimed: frozenset[str]) -> tuple[str, ...]:
        shipment = _Sourced(0, refs)
        made = [str(c.cell(shipment, {0: claimed})) for c in self._made]
        return (sources_cell(refs), *made)

    def raw(self, key: str, claimed: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Return the cells as text; ``claimed``: the publishers claims add to this line's."""
        if claimed:
            return self._cells(self._refs[key], claimed)
        return self._raw[key]

    def csv(self, key: str) -> str:
        """Return the cells as CSV, joined by commas."""
        return self._csv[key]
