"""Reading a shipment file: find its encoding and delimiter, map its columns, convert its rows.

The file is read twice, streaming both times: ``scan_file`` hashes it (SHA-256, so a file is
imported once), finds its encoding (UTF-8 with or without BOM, else Latin-1) and its delimiter
(``,`` or ``;``); ``convert_rows`` then reads each row into a ``ShipmentCreate`` with the same
rules as every other input, or into the problems that refuse it. Columns are found by their
header words, by a unit in the header ("Weight (kg)"), by HXL hashtags, or by the editor's map.
Columns are mapped by ``import_columns``; a file's day/month order and its decimal mark are
decided for the whole file (``import_dates``, ``import_numbers``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from shipments.errors import InvalidInput, Problem
from shipments.exchange.csvfiles import restore
from shipments.exchange.export import SHIPMENTS
from shipments.exchange.import_columns import (
    implied_date_means,
    is_hxl_row,
    map_columns,
    map_hxl,
    read_as,
)
from shipments.exchange.import_dates import DateOrder
from shipments.exchange.import_numbers import NumberFormat
from shipments.exchange.source_cells import read_sources_cell
from shipments.models import ShipmentCreate, SourceCreate
from shipments.rules import parse, parse_number
from shipments.units import (
    AMBIGUOUS_TON,
    kg_to_tonnes,
    mass_fits,
    quantity_to_kg,
    rounded_unit,
    unit_name,
)

_CHUNK = 1 << 20
_KNOWN_SOURCES = 10_000
TON_NOTE = "'ton' was read as the metric tonne (1,000 kg); say 'short ton' or 'long ton' if not."


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file: column mapping, date order, decimal mark, defaults for every row."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    date_order: str | None = None  # None (ISO only, or unambiguous), "dayfirst", "monthfirst"
    decimal_mark: str | None = None  # None (1.500 and 1,5 are refused), "point", "comma"
    source: Mapping[str, str] | None = None  # a source for rows that name none
    defaults: Mapping[str, str] = field(default_factory=dict)  # e.g. {"date_means": "received"}


@dataclass(frozen=True)
class FileScan:
    """What the first pass learnt: hash, encoding and delimiter."""

    sha256: str
    encoding: str
    delimiter: str


def scan_file(path: Path) -> FileScan:
    """Hash the file and find its encoding and delimiter, reading it in chunks."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    head = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if len(head) < 65536:
                head += chunk[: 65536 - len(head)]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput.single("file", "is UTF-16: save it as CSV in UTF-8 and try again")
    bom = head.startswith(codecs.BOM_UTF8)
    encoding = ("utf-8-sig" if bom else "utf-8") if utf8 else "latin-1"
    sample = head.decode(encoding, errors="ignore")
    first_line = sample.splitlines()[0] if sample else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    return FileScan(sha256=digest.hexdigest(), encoding=encoding, delimiter=delimiter)


def convert_rows(
    path: Path, scan: FileScan, options: ImportOptions, notes: list[str]
) -> Iterator[tuple[int, ShipmentCreate | None, list[Problem]]]:
    """Yield each data row's line, its shipment (or None) and its problems, streaming."""
    with path.open(newline="", encoding=scan.encoding) as handle:
        reader = csv.reader(handle, delimiter=scan.delimiter)
        try:
            header = next(reader, None)
            if header is None:
                raise InvalidInput.single("file", "is empty: no header row")
            columns, header_unit = map_columns(header, options.mapping, notes)
            options = _with_implied_meaning(options, header, columns, notes)
            order = DateOrder(options.date_order)
            own_export = _own_export(header, scan)
            numbers = NumberFormat(options.decimal_mark, own_export=own_export)
            if own_export:
                columns = _without_export_links(columns, notes)
            ended = reader.line_num
            first = True
            known: dict[tuple[Any, ...], SourceCreate] = {}
            for cells in reader:
                line, ended = ended + 1, reader.line_num  # a quoted record may span lines
                if not any(cell.strip() for cell in cells):
                    continue
                if first and is_hxl_row(cells):
                    columns, header_unit = map_hxl(
                        header, cells, options.mapping, notes, header_unit
                    )
                    if own_export:
                        columns = _without_export_links(columns, notes)
                    first = False
                    continue
                first = False
                if any(cell.strip() for cell in cells[len(header) :]):
                    yield line, None, [_too_many_cells(len(cells), len(header), scan.delimiter)]
                    continue
                yield (
                    line,
                    *_convert(cells, columns, header_unit, (order, numbers), options, notes, known),
                )
            if numbers.note is not None and numbers.note not in notes:
                notes.append(numbers.note)
        except csv.Error as exc:
            raise InvalidInput.single(
                "file", f"line {reader.line_num + 1} cannot be read as CSV: {exc}"
            ) from None


def _own_export(header: list[str], scan: FileScan) -> bool:
    """Return True when the file has the header of this ledger's export (plain or HXL)."""
    names = tuple(h.removeprefix("\ufeff") for h in header)
    exports = (SHIPMENTS.header(), SHIPMENTS.header(hxl=True))
    return scan.delimiter == "," and names in exports


def _without_export_links(columns: dict[str, int], notes: list[str]) -> dict[str, int]:
    """Leave out our export's same_consignment_as column: it names the exporting ledger's IDs,
    which are other shipments (or none) in the ledger the file is imported into."""
    if "same_consignment_as" not in columns:
        return columns
    note = (
        "The column same_consignment_as was not read: in an export it names the exporting"
        " ledger's shipment IDs. Link the two records of each consignment again once imported"
        " (Edit page, or python -m shipments consignments link)."
    )
    if note not in notes:
        notes.append(note)
    return {name: index for name, index in columns.items() if name != "same_consignment_as"}


def _with_implied_meaning(
    options: ImportOptions, header: list[str], columns: Mapping[str, int], notes: list[str]
) -> ImportOptions:
    """Say which column became which field; take the date's meaning from its header when the
    rows do not say it ("Received Date": received) and the editor gave none."""
    if (said := read_as(header, columns)) is not None and said not in notes:
        notes.append(said)
    implied = implied_date_means(header, columns)
    if implied is None or "date_means" in options.defaults:
        return options
    notes.append(
        f"Dates were read as when the cargo was {implied}, as the header"
        f" {header[columns['event_date']]!r} says."
    )
    return replace(options, defaults={**options.defaults, "date_means": implied})


def _too_many_cells(count: int, width: int, delimiter: str) -> Problem:
    return Problem(
        "row",
        f"has {count} cells but the header has {width}: a cell that holds the delimiter"
        f" ({delimiter!r}) must be in double quotes; nothing of the row is guessed",
    )


def _cell(cells: list[str], columns: Mapping[str, int], name: str) -> str | None:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return None
    return restore(cells[index].strip()) or None


def _convert(
    cells: list[str],
    columns: Mapping[str, int],
    header_unit: str | None,
    readers: tuple[DateOrder, NumberFormat],
    options: ImportOptions,
    notes: list[str],
    known: dict[tuple[Any, ...], SourceCreate],
) -> tuple[ShipmentCreate | None, list[Problem]]:
    """Convert a row's cells; ``known`` holds the sources already validated, by what gave them.

    A file names few sources on many lines: a source given exactly as before is passed to
    ``ShipmentCreate`` as the ``SourceCreate`` it became then, and not validated again.
    """
    problems: list[Problem] = []

    def value(name: str) -> str | None:
        return _cell(cells, columns, name) or options.defaults.get(name)

    order, numbers = readers
    kg = None
    try:
        kg = kilograms_noting_tons(
            value("quantity"), value("unit") or header_unit, notes, read=numbers.read
        )
    except ValueError as exc:
        problems.append(Problem("quantity", str(exc)))
    event_date: Any = value("event_date")
    try:
        event_date = order.read(event_date)
    except ValueError as exc:
        problems.append(Problem("event_date", str(exc)))
    sources: list[dict[str, Any]] = []
    try:
        sources = _sources(value, options)
    except ValueError as exc:
        problems.append(Problem("sources", str(exc)))
    data: dict[str, Any] = {
        "event_date": event_date,
        "date_means": value("date_means"),
        "donor": value("donor"),
        "recipient": value("recipient"),
        "cargo": value("cargo"),
        "cargo_description": value("cargo_description"),
        "note": value("note"),
        "sources": [known.get(tuple(given.items()), given) for given in sources],
        "same_consignment_as": value("same_consignment_as"),
        **_mass(kg),
    }
    try:
        shipment_in = parse(ShipmentCreate, data)
    except InvalidInput as exc:
        skip = {p.field for p in problems}
        problems.extend(p for p in exc.problems if p.field.split(".")[0] not in skip)
        return None, problems
    if len(known) > _KNOWN_SOURCES:
        known.clear()  # a file of ever new sources keeps no more than this many
    for given, kept in zip(sources, shipment_in.sources, strict=True):
        known[tuple(given.items())] = kept
    return (None, problems) if problems else (shipment_in, [])


def kilograms_noting_tons(
    quantity: str | None,
    unit: str | None,
    notes: list[str],
    *,
    read: Callable[..., Decimal] = parse_number,
) -> int:
    """Convert a quantity in a mass unit to whole kilograms, noting that a bare "ton" is metric
    and that pounds, short and long tons were rounded to the kilogram (a note per unit)."""
    kg = quantity_to_kg(quantity, unit, read=read)
    notes_now = [TON_NOTE] if unit_name(unit or "") in AMBIGUOUS_TON else []
    if (rounded := rounded_unit(unit)) is not None:
        notes_now.append(f"Quantities in {rounded} were converted and rounded to the kilogram.")
    notes.extend(note for note in notes_now if note not in notes)
    return kg


def _mass(kg: int | None) -> dict[str, Any]:
    """Return a row's mass as ``ShipmentCreate`` input: its kilograms, as converted."""
    if kg is None:
        return {"mass_kg": 1}  # the quantity's problem is reported; the row is refused anyway
    if mass_fits(kg):
        return {"mass_kg": kg}
    # A mass the ledger refuses: refused by the tonnes rule, in the words (field "tonnes", the
    # tonnes as the shortest exact decimal) that an import's refused row has always shown.
    return {"tonnes": f"{kg_to_tonnes(kg).normalize():f}"}


def _sources(value: Callable[[str], str | None], options: ImportOptions) -> list[dict[str, Any]]:
    """Return a row's sources: its URLs, each with the publisher and title the row gives it.

    The sources cell is read as our exports write it (``source_cells``); it must describe as many
    sources as there are URLs. A URL given with no title and no publisher is not described: it
    takes what the ledger holds for it, or its own address and host when it is new.
    """
    urls = (value("source_url") or "").split()
    cell = value("sources") or ""
    described = read_sources_cell(cell)
    if cell and urls and len(described) != len(urls):
        raise ValueError(
            f"describes {len(described)} source(s) but source_urls holds {len(urls)} URL(s):"
            " give one 'publisher: title' per URL, in the same order"
        )
    found = []
    for index, url in enumerate(urls):
        publisher, title = described[index] if index < len(described) else ("", "")
        title = value("source_title") or title
        publisher = value("publisher") or publisher
        found.append(
            {
                "url": url,
                "title": title or url,
                "publisher": publisher or _host(url),
                "described": bool(title or publisher),
            }
        )
    if not found and options.source:
        found.append(dict(options.source))
    return found


def _host(url: str) -> str:
    match = re.match(r"https?://([^/]+)", url)
    return match.group(1) if match else url
