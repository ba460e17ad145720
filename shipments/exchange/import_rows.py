"""Reading a shipment file: find its encoding and delimiter, map its columns, convert its rows.

The file is read twice, streaming both times: ``scan_file`` hashes it (SHA-256, so a file is
imported once), finds its encoding (UTF-8 with or without BOM, else Latin-1) and its delimiter
(``,`` or ``;``); ``convert_rows`` then reads each row into a ``ShipmentCreate`` with the same
rules as every other input, or into the problems that refuse it. Columns are found by their
header words, by a unit in the header ("Weight (kg)"), by HXL hashtags, or by the editor's map.
A file's day/month order and its decimal mark are decided for the whole file
(``import_dates``, ``import_numbers``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from shipments.errors import InvalidInput, Problem
from shipments.exchange.export import SHIPMENTS
from shipments.exchange.import_dates import DateOrder
from shipments.exchange.import_numbers import NumberFormat
from shipments.models import ShipmentCreate
from shipments.rules import parse, parse_number
from shipments.units import (
    AMBIGUOUS_TON,
    MASS_UNITS,
    kg_to_tonnes,
    mass_fits,
    quantity_to_kg,
    rounded_unit,
    unit_name,
)

TARGETS = (
    "event_date",
    "date_means",
    "donor",
    "recipient",
    "cargo",
    "cargo_description",
    "quantity",
    "unit",
    "note",
    "source_url",
    "source_title",
    "publisher",
    "sources",
    "ignore",
)

HEADER_ALIASES: dict[str, str] = {
    "event date": "event_date",
    "date": "event_date",
    "date means": "date_means",
    "donor": "donor",
    "recipient": "recipient",
    "cargo": "cargo",
    "cargo description": "cargo_description",
    "description": "cargo_description",
    "quantity": "quantity",
    "weight": "quantity",
    "mass": "quantity",
    "amount": "quantity",
    "unit": "unit",
    "units": "unit",
    "uom": "unit",
    "note": "note",
    "notes": "note",
    "source urls": "source_url",
    "source url": "source_url",
    "url": "source_url",
    "source title": "source_title",
    "title": "source_title",
    "publisher": "publisher",
    "sources": "sources",
}

# HXL hashtags and the field each feeds; a file's tag matches when it has the pattern's parts.
HXL_FIELDS: tuple[tuple[str, str], ...] = (
    ("#date+occurred", "event_date"),
    ("#meta+date_means", "date_means"),
    ("#org+funder", "donor"),
    ("#country+dest", "recipient"),
    ("#item+type", "cargo"),
    ("#item+name", "cargo_description"),
    ("#item+num", "quantity"),
    ("#item+unit", "unit"),
    ("#meta+url", "source_url"),
    ("#meta+source", "sources"),
    ("#description+notes", "note"),
)

_CHUNK = 1 << 20
_UNIT_IN_HEADER = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^)\]]+)[\)\]]\s*$")
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
            columns, header_unit = _map_columns(header, options, notes)
            order = DateOrder(options.date_order)
            numbers = NumberFormat(options.decimal_mark, own_export=_own_export(header, scan))
            ended = reader.line_num
            first = True
            for cells in reader:
                line, ended = ended + 1, reader.line_num  # a quoted record may span lines
                if not any(cell.strip() for cell in cells):
                    continue
                if first and _is_hxl_row(cells):
                    columns, header_unit = _map_hxl(header, cells, options, notes, header_unit)
                    first = False
                    continue
                first = False
                yield (
                    line,
                    *_convert(cells, columns, header_unit, (order, numbers), options, notes),
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


def _normal(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower())


def _map_columns(
    header: list[str], options: ImportOptions, notes: list[str]
) -> tuple[dict[str, int], str | None]:
    header = [h.removeprefix("\ufeff").removeprefix("\u00ef\u00bb\u00bf") for h in header]
    columns: dict[str, int] = {}
    header_unit: str | None = None
    ignored: list[str] = []
    given = {_normal(k): v for k, v in options.mapping.items()}
    chosen = [v for v in given.values() if v != "ignore"]
    if len(chosen) != len(set(chosen)):
        raise InvalidInput.single("mapping", "two columns are mapped to the same field")
    for index, raw in enumerate(header):
        name = _normal(raw)
        if name not in given and HEADER_ALIASES.get(name) in chosen:
            ignored.append(raw)
            continue  # the editor mapped another column to this field
        target = given.get(name) or HEADER_ALIASES.get(name)
        unit = None
        match = _UNIT_IN_HEADER.match(name)
        if target is None and match and HEADER_ALIASES.get(_normal(match["name"])) == "quantity":
            target = "quantity"
        elif target is None and name in MASS_UNITS:
            target, unit = "quantity", name
        if target == "quantity":
            if "quantity" in columns:
                continue  # a second quantity column (e.g. kilograms next to tonnes) is not read
            if match and unit is None:
                unit = _normal(match["unit"])
            if unit is not None:
                header_unit = unit
        if target is None:
            ignored.append(raw)
            continue
        if target not in TARGETS:
            fields = ", ".join(TARGETS)
            raise InvalidInput.single(
                "mapping", f"{raw!r} maps to unknown field {target!r} (fields: {fields})"
            )
        if target != "ignore" and target not in columns:
            columns[target] = index
    if "tonnes" in (_normal(h) for h in header) and header_unit is None:
        header_unit = "t"
    for wanted in options.mapping:
        if _normal(wanted) not in (_normal(h) for h in header):
            raise InvalidInput.single("mapping", f"the file has no column {wanted!r}")
    missing = [f for f in ("event_date", "quantity") if f not in columns]
    if missing and not any(h.startswith("#") for h in header):
        raise InvalidInput.single(
            "mapping",
            f"no column is read as {' or '.join(missing)}; map one with --map "
            f"(the file's columns: {', '.join(header)[:300]})",
        )
    note = f"Columns not read: {', '.join(ignored)}." if ignored else None
    if note and note not in notes:
        notes.append(note)
    return columns, header_unit


def _is_hxl_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _map_hxl(
    header: list[str],
    tags: list[str],
    options: ImportOptions,
    notes: list[str],
    header_unit: str | None,
) -> tuple[dict[str, int], str | None]:
    columns: dict[str, int] = {}
    for index, tag in enumerate(tags):
        parts = set(tag.strip().lower().replace(" ", "").split("+"))
        for pattern, target in HXL_FIELDS:
            if set(pattern.split("+")) <= parts and target not in columns:
                columns[target] = index
                break
    notes.append("HXL hashtags were found and used to map the columns.")
    notes[:] = [n for n in notes if not n.startswith("Columns not read")]
    mapped, _ = _map_columns(header, ImportOptions(mapping=options.mapping), notes)
    for target, index in mapped.items():
        columns.setdefault(target, index)
    return columns, header_unit


def _cell(cells: list[str], columns: Mapping[str, int], name: str) -> str | None:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return None
    value = cells[index].strip()
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]  # our own exports neutralise formulas this way
    return value or None


def _convert(
    cells: list[str],
    columns: Mapping[str, int],
    header_unit: str | None,
    readers: tuple[DateOrder, NumberFormat],
    options: ImportOptions,
    notes: list[str],
) -> tuple[ShipmentCreate | None, list[Problem]]:
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
    data: dict[str, Any] = {
        "event_date": event_date,
        "date_means": value("date_means"),
        "donor": value("donor"),
        "recipient": value("recipient"),
        "cargo": value("cargo"),
        "cargo_description": value("cargo_description"),
        "note": value("note"),
        "sources": _sources(value, options),
        **_mass(kg),
    }
    try:
        shipment_in = parse(ShipmentCreate, data)
    except InvalidInput as exc:
        skip = {p.field for p in problems}
        problems.extend(p for p in exc.problems if p.field.split(".")[0] not in skip)
        return None, problems
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
    urls = (value("source_url") or "").split()
    described = [part.strip() for part in (value("sources") or "").split(";") if part.strip()]
    found = []
    for index, url in enumerate(urls):
        publisher, _, title = (described[index] if index < len(described) else "").partition(": ")
        found.append(
            {
                "url": url,
                "title": value("source_title") or title or url,
                "publisher": value("publisher") or publisher or _host(url),
            }
        )
    if not found and options.source:
        found.append(dict(options.source))
    return found


def _host(url: str) -> str:
    match = re.match(r"https?://([^/]+)", url)
    return match.group(1) if match else url
