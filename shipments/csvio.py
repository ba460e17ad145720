"""Streaming CSV and HXL export: rows are written as they are read, never gathered in memory.

An HXL file is the same CSV with a row of HXL hashtags under the header (https://hxlstandard.org),
so humanitarian tools can map its columns whatever the header words say. Text cells that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) are prefixed with an apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, TextIO

from sqlmodel import Session

from shipments.exchange.export import (
    EXPORT_SEPARATOR,
    EXPORT_SEPARATORS,
    EXPORT_SOURCES,
    ShipmentRow,
    SourceRef,
    iter_current_export_batches,
    iter_export_rows,
    sources_by_id,
)
from shipments.ledger import ShipmentFilter
from shipments.models import ClaimPublic, ShipmentPublic, SourcePublic
from shipments.units import KG_PER_TONNE

SHIPMENT_COLUMNS: tuple[str, ...] = (
    "id",
    "revision",
    "event_date",
    "date_means",
    "donor",
    "recipient",
    "cargo",
    "cargo_description",
    "tonnes",
    "kilograms",
    "sources",
    "source_urls",
    "note",
    "recorded_by",
    "recorded_at",
)

# HXL hashtags by column. Tonnes go in #item+num with a unit column (#value is for money); the
# kilograms column is left out of HXL files so that #item+num means one quantity.
SHIPMENT_HXL: dict[str, str] = {
    "id": "#meta+id",
    "revision": "#meta+revision",
    "event_date": "#date+occurred",
    "date_means": "#meta+date_means",
    "donor": "#org+funder+name",
    "recipient": "#country+dest",
    "cargo": "#item+type",
    "cargo_description": "#item+name",
    "tonnes": "#item+num",
    "unit": "#item+unit",
    "sources": "#meta+source",
    "source_urls": "#meta+url",
    "note": "#description+notes",
    "recorded_by": "#meta+recorded_by",
    "recorded_at": "#date+recorded",
}

CLAIM_COLUMNS: tuple[str, ...] = (
    "id",
    "claimant",
    "stated_on",
    "metric",
    "value",
    "qualifier",
    "tolerance_pct",
    "readings",
    "quote",
    "source",
    "source_url",
    "note",
    "recorded_by",
    "recorded_at",
)

CLAIM_HXL: dict[str, str] = {
    "id": "#meta+id",
    "claimant": "#org+claimant+name",
    "stated_on": "#date+reported",
    "metric": "#indicator+type",
    "value": "#indicator+num+claimed",
    "qualifier": "#indicator+qualifier",
    "tolerance_pct": "#indicator+pct+tolerance",
    "readings": "#description+readings",
    "quote": "#description+quote",
    "source": "#meta+source",
    "source_url": "#meta+url",
    "note": "#description+notes",
    "recorded_by": "#meta+recorded_by",
    "recorded_at": "#date+recorded",
}

SOURCE_COLUMNS: tuple[str, ...] = ("id", "publisher", "title", "url", "published_date", "kind")

SOURCE_HXL: dict[str, str] = {
    "id": "#meta+id",
    "publisher": "#meta+source",
    "title": "#meta+title",
    "url": "#meta+url",
    "published_date": "#date+published",
    "kind": "#meta+kind",
}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_NAME_STEM = 150
_THOUSANDTH = Decimal("0.001")


def neutralise(value: Any) -> Any:
    """Return ``value`` made inert for spreadsheets if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def tonnes(mass_kg: int) -> Decimal:
    """Return kilograms as tonnes with exactly three decimals."""
    return (Decimal(mass_kg) / KG_PER_TONNE).quantize(_THOUSANDTH)


def source_cells(sources: Iterable[SourceRef | SourcePublic]) -> tuple[str, str]:
    """Return a shipment's sources and source_urls cells: "publisher: title; ..." and the URLs."""
    listed = list(sources)
    return (
        "; ".join(f"{source.publisher}: {source.title}" for source in listed),
        " ".join(source.url for source in listed),
    )


def shipment_rows(shipments: Iterable[ShipmentPublic | ShipmentRow]) -> Iterator[dict[str, Any]]:
    """Turn shipments into export rows: one per shipment, tonnes and kilograms, its sources."""
    for s in shipments:
        sources, urls = source_cells(s.sources)
        yield {
            "id": s.id,
            "revision": s.revision,
            "event_date": s.event_date.isoformat(),
            "date_means": s.date_means,
            "donor": s.donor,
            "recipient": s.recipient,
            "cargo": s.cargo,
            "cargo_description": s.cargo_description or "",
            "tonnes": tonnes(s.mass_kg),
            "unit": "t",
            "kilograms": s.mass_kg,
            "sources": sources,
            "source_urls": urls,
            "note": s.note or "",
            "recorded_by": s.recorded_by,
            "recorded_at": s.recorded_at.isoformat(timespec="microseconds"),
        }


def claim_rows(claims: Iterable[ClaimPublic]) -> Iterator[dict[str, Any]]:
    """Turn claims into export rows, one per claim, its readings described in words."""
    for c in claims:
        yield {
            "id": c.id,
            "claimant": c.claimant,
            "stated_on": c.stated_on.isoformat() if c.stated_on else "",
            "metric": c.metric,
            "value": Decimal(c.value),
            "qualifier": c.qualifier,
            "tolerance_pct": c.tolerance_pct if c.tolerance_pct is not None else "",
            "readings": "; ".join(r.describe() for r in c.readings),
            "quote": c.quote,
            "source": f"{c.source.publisher}: {c.source.title}",
            "source_url": c.source.url,
            "note": c.note or "",
            "recorded_by": c.recorded_by,
            "recorded_at": c.recorded_at.isoformat(),
        }


def source_rows(sources: Iterable[SourcePublic]) -> Iterator[dict[str, Any]]:
    """Turn sources into export rows."""
    for s in sources:
        yield {
            "id": s.id,
            "publisher": s.publisher,
            "title": s.title,
            "url": s.url,
            "published_date": s.published_date.isoformat() if s.published_date else "",
            "kind": s.kind,
        }


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    file: TextIO,
    columns: Sequence[str] = SHIPMENT_COLUMNS,
    *,
    hxl: Mapping[str, str] | None = None,
) -> int:
    """Write a header (and the HXL hashtag row) then ``rows``, neutralising formulas.

    Return the number of data rows written.
    """
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    if hxl is not None:
        writer.writerow([hxl.get(column, "") for column in columns])
    count = 0
    for row in rows:
        writer.writerow([neutralise(row.get(column, "")) for column in columns])
        count += 1
    return count


# A batch of database-formatted lines can go out as it is unless a cell needs quoting (a comma,
# a quote, a line break) or starts like a formula. A batch is checked as one string, its lines
# joined by _LINES, so every cell but a line's first (an id) follows EXPORT_SEPARATOR.
# Substring tests run at C speed; a regular expression took seconds over a million lines. "+"
# and "-" occur in every line (in dates and times), so they are looked for where a cell starts.
_LINES = "\x1e"
_ANYWHERE = (",", '"', "\r", "\n", "=", "@", "\t")
_CELL_START = (EXPORT_SEPARATOR + "+", EXPORT_SEPARATOR + "-")
_SOURCE_CACHE_LIMIT = 100_000
_SOURCE_IDS = re.compile(r"[0-9 ]*")


def write_shipments(
    *,
    session: Session,
    file: TextIO,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    hxl: bool = False,
    batch_size: int = 5000,
) -> int:
    """Write the shipments (now, or as they stood at ``as_of``) as CSV or HXL CSV, by id.

    Return the number of shipments written. The current ledger is formatted by the database
    and streamed in batches; a past moment goes through ``shipment_rows``. Both give the same
    bytes for the same shipments.
    """
    columns = tuple(SHIPMENT_HXL) if hxl else SHIPMENT_COLUMNS
    tags = SHIPMENT_HXL if hxl else None
    if as_of is not None:
        rows = shipment_rows(iter_export_rows(session=session, as_of=as_of, filters=filters))
        return write_csv(rows, file, columns, hxl=tags)
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    if tags is not None:
        writer.writerow([tags.get(column, "") for column in columns])
    cells = _SourceCells(session)
    count = 0
    # closing(): the batches hold a cursor on the database; end it here, even on an error.
    with closing(
        iter_current_export_batches(
            session=session, filters=filters, unit=hxl, batch_size=batch_size
        )
    ) as batches:
        for batch in batches:
            if not _write_plain(batch, cells, file):
                # Some line needs care: each line is checked alone, and only those that need it
                # go through the csv module, cell by cell.
                for line in batch:
                    if not _write_plain([line], cells, file):
                        _write_carefully(line[0], cells, writer, len(columns))
            count += len(batch)
    return count


def _write_plain(batch: Sequence[tuple[str]], cells: _SourceCells, file: TextIO) -> bool:
    """Write the lines as they are if no cell needs quoting or neutralising; else write nothing
    and return False."""
    lines = _LINES.join(map(itemgetter(0), batch))
    # Split at the sources' marks: the odd parts are the ids of each line's sources.
    parts = lines.split(EXPORT_SOURCES)
    keys = parts[1::2]
    if not (
        len(keys) == len(batch)
        and lines.count(EXPORT_SEPARATOR) == EXPORT_SEPARATORS * len(batch)
        and lines.count(_LINES) == len(batch) - 1
        and not any(mark in lines for mark in _ANYWHERE)
        and not any(mark in lines for mark in _CELL_START)
    ):
        return False
    cells.load(keys)
    parts[1::2] = map(cells.csv, keys)
    file.write("".join(parts).replace(EXPORT_SEPARATOR, ",").replace(_LINES, "\n"))
    file.write("\n")
    return True


def _write_carefully(line: str, cells: _SourceCells, writer: Any, width: int) -> None:
    """Write a line that needs quoting or neutralising through the csv module, cell by cell."""
    parts = line.split(EXPORT_SOURCES)
    row = parts[0].split(EXPORT_SEPARATOR)[:-1]
    if len(parts) != 3 or not _SOURCE_IDS.fullmatch(parts[1]):
        raise ValueError(f"shipment {row[0]}: a stored text holds a control character")
    cells.load([parts[1]])
    row += cells.raw(parts[1])
    row += parts[2].split(EXPORT_SEPARATOR)[1:]
    if len(row) != width:
        raise ValueError(f"shipment {row[0]}: a stored text holds a control character")
    writer.writerow([neutralise(cell) for cell in row])


class _SourceCells:
    """The sources and source_urls cells of the export, by the source ids a line lists."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._sources: dict[int, SourceRef] = {}
        self._raw: dict[str, tuple[str, str]] = {"": ("", "")}
        self._csv: dict[str, str] = {"": ","}

    def load(self, keys: Iterable[str]) -> None:
        """Make sure the sources these keys (ids separated by spaces) list are known."""
        if len(self._raw) > _SOURCE_CACHE_LIMIT:  # a ledger with a source per shipment
            self._sources.clear()
            self._raw = {"": ("", "")}
            self._csv = {"": ","}
        new = set(keys) - self._raw.keys()
        wanted = {int(n) for key in new for n in key.split()} - self._sources.keys()
        if wanted:
            self._sources.update(sources_by_id(session=self._session, ids=wanted))
        for key in new:
            refs = [self._sources[n] for n in sorted(int(n) for n in key.split())]
            raw = source_cells(refs)
            self._raw[key] = raw
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow([neutralise(cell) for cell in raw])
            self._csv[key] = out.getvalue()

    def raw(self, key: str) -> tuple[str, str]:
        """Return the two cells as text."""
        return self._raw[key]

    def csv(self, key: str) -> str:
        """Return the two cells as CSV, joined by a comma."""
        return self._csv[key]


def download_name(
    kind: str,
    *,
    filters: ShipmentFilter | None = None,
    as_of: datetime | None = None,
    on: date,
    hxl: bool = False,
) -> str:
    """Name a download after what it holds: kind, filter, moment, the day it was made."""
    parts = [kind]
    f = filters or ShipmentFilter()
    if f.date_from or f.date_to:
        start = f.date_from.isoformat() if f.date_from else "start"
        end = f.date_to.isoformat() if f.date_to else "now"
        parts.append(f"{start}-to-{end}")
    for label, values in (("donor", f.donors), ("recipient", f.recipients), ("cargo", f.cargos)):
        if values:
            parts.append(f"{label}-" + "+".join(values))
    if as_of is not None:
        parts.append("as-of-" + as_of.strftime("%Y-%m-%dT%H%M%SZ"))
    parts.append(on.isoformat())
    if hxl:
        parts.append("hxl")
    safe = [re.sub(r"[^\w+.-]+", "-", part).strip("-") for part in parts]
    stem = "_".join(p for p in safe if p)
    if len(stem) > MAX_NAME_STEM:
        # Keep the kind at the front and the day (and "hxl") at the end; shorten the middle.
        tail = "_".join(safe[-2:] if hxl else safe[-1:])
        stem = stem[: MAX_NAME_STEM - len(tail) - 5].rstrip("_-+") + "_etc_" + tail
    return stem + ".csv"
