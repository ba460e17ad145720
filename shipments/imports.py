"""Bulk import of shipment files: read, convert units and dates, validate, then commit or not.

The file is read twice, streaming both times: a first pass hashes it (SHA-256, so a file is
imported once), finds its encoding (UTF-8 with or without BOM, else Latin-1) and its delimiter
(``,`` or ``;``); the second pass converts each row with the same rules as every other input.
The commit is one transaction: with any refused row nothing is written, unless the editor asks
for the valid rows only, which the audit trail records with the refused lines.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shipments.audit import record_event
from shipments.auth import require_editor
from shipments.db import write_connection
from shipments.errors import InvalidInput, Problem
from shipments.ledger import add_shipments_bulk, find_duplicates_bulk
from shipments.models import ImportBatch, ShipmentCreate
from shipments.rules import parse, parse_number, utcnow
from shipments.units import KG_PER_TONNE

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

# Kilograms per unit. "ton" alone is read as the metric tonne, and the preview says so.
MASS_UNITS: dict[str, Decimal] = {
    "t": Decimal(1000),
    "tonne": Decimal(1000),
    "tonnes": Decimal(1000),
    "mt": Decimal(1000),
    "metric ton": Decimal(1000),
    "metric tons": Decimal(1000),
    "metric tonne": Decimal(1000),
    "metric tonnes": Decimal(1000),
    "ton": Decimal(1000),
    "tons": Decimal(1000),
    "kg": Decimal(1),
    "kgs": Decimal(1),
    "kilogram": Decimal(1),
    "kilograms": Decimal(1),
    "lb": Decimal("0.45359237"),
    "lbs": Decimal("0.45359237"),
    "pound": Decimal("0.45359237"),
    "pounds": Decimal("0.45359237"),
    "short ton": Decimal("907.18474"),
    "short tons": Decimal("907.18474"),
    "long ton": Decimal("1016.0469088"),
    "long tons": Decimal("1016.0469088"),
}
AMBIGUOUS_TON = ("ton", "tons")
NOT_MASS = {
    "pallet",
    "pallets",
    "carton",
    "cartons",
    "truck",
    "trucks",
    "piece",
    "pieces",
    "pcs",
    "box",
    "boxes",
    "unit",
    "units",
    "container",
    "containers",
    "kit",
    "kits",
    "bag",
    "bags",
    "parcel",
    "parcels",
    "l",
    "litre",
    "litres",
    "liter",
    "liters",
    "m3",
    "doses",
}

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
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_SLASHED = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_UNIT_IN_HEADER = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^)\]]+)[\)\]]\s*$")
_BATCH = 1000
MAX_PROBLEMS = 10_000


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file: column mapping, date order and defaults for every row."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    date_order: str | None = None  # None (ISO only, or unambiguous), "dayfirst", "monthfirst"
    source: Mapping[str, str] | None = None  # a source for rows that name none
    defaults: Mapping[str, str] = field(default_factory=dict)  # e.g. {"date_means": "received"}


@dataclass(frozen=True)
class RowProblem:
    """One refused row: its line in the file, the field and the rule."""

    line: int
    field: str
    rule: str


@dataclass
class ImportReport:
    """What an import read, would add or added, and every refused row."""

    file_name: str
    sha256: str
    encoding: str
    delimiter: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_refused: int = 0
    kg_valid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    committed: bool = False
    rows_added: int = 0
    batch_id: int | None = None

    def refuse(self, line: int, problems: Iterable[Problem]) -> None:
        """Count a refused row and keep its problems (the first MAX_PROBLEMS of the file)."""
        self.rows_refused += 1
        for problem in problems:
            if len(self.problems) >= MAX_PROBLEMS:
                note = f"Only the first {MAX_PROBLEMS:,} problems are listed."
                if note not in self.notes:
                    self.notes.append(note)
                return
            self.problems.append(RowProblem(line, problem.field, problem.rule))

    @property
    def refused_lines(self) -> list[int]:
        """Return the file lines that were refused, in order, each once."""
        return sorted({p.line for p in self.problems})


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


def preview_file(
    *, session: Session, path: Path, options: ImportOptions, file_name: str | None = None
) -> ImportReport:
    """Read and check a file without writing anything; report what an import would do."""
    return _run(
        session=session,
        path=path,
        options=options,
        file_name=file_name,
        by=None,
        via="import",
        commit=False,
        only_valid=False,
    )


def import_file(
    *,
    session: Session,
    path: Path,
    options: ImportOptions,
    by: str,
    via: str = "import",
    file_name: str | None = None,
    only_valid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a file in one transaction: all rows or none (or, if asked, the valid rows only)."""
    return _run(
        session=session,
        path=path,
        options=options,
        file_name=file_name,
        by=by,
        via=via,
        commit=True,
        only_valid=only_valid,
        progress=progress,
    )


def _run(
    *,
    session: Session,
    path: Path,
    options: ImportOptions,
    file_name: str | None,
    by: str | None,
    via: str,
    commit: bool,
    only_valid: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    actor = require_editor(session=session, by=by, via=via) if commit else None
    scan = scan_file(path)
    name = file_name or path.name
    report = ImportReport(
        file_name=name, sha256=scan.sha256, encoding=scan.encoding, delimiter=scan.delimiter
    )
    if scan.encoding == "latin-1":
        report.notes.append("The file is not UTF-8; it was read as Latin-1.")
    _refuse_if_imported(session, scan.sha256)
    if commit:
        write_connection(session)
    batch: ImportBatch | None = None
    try:
        if commit:
            # Again inside the write: another import of the same file may have committed since.
            _refuse_if_imported(session, scan.sha256)
            assert actor is not None
            batch = ImportBatch(
                file_name=name[:500],
                sha256=scan.sha256,
                rows_added=0,
                rows_refused=0,
                recorded_by=actor,
                recorded_at=utcnow(),
            )
            session.add(batch)
            try:
                session.flush()
            except IntegrityError:
                # PostgreSQL: the same file is being imported by another session right now; its
                # batch row holds the file's hash, and the unique key refused this one.
                raise InvalidInput.single(
                    "file",
                    f"this file (SHA-256 {scan.sha256[:12]}...) is being imported by someone"
                    " else at this moment; nothing was written",
                ) from None
        # Rows seen so far, by a 64-bit hash of (donor, recipient, date, mass): constant size
        # per row, so a million-row file stays well inside memory.
        seen: dict[int, int] = {}
        pending: list[tuple[ShipmentCreate, int]] = []

        def flush() -> None:
            repeats = find_duplicates_bulk(session=session, items=[s for s, _ in pending])
            keep = []
            for index, (shipment_in, line) in enumerate(pending):
                if index in repeats:
                    ids = ", ".join(str(i) for i in repeats[index])
                    report.refuse(
                        line,
                        [
                            Problem(
                                "shipment",
                                f"probable duplicate of shipment {ids} "
                                "(same donor, recipient, date and mass)",
                            )
                        ],
                    )
                    continue
                report.rows_valid += 1
                report.kg_valid += shipment_in.mass_kg
                keep.append((shipment_in, line))
            pending.clear()
            if commit and keep and (only_valid or not report.problems):
                assert batch is not None
                assert actor is not None
                add_shipments_bulk(
                    session=session, items=keep, by=actor, via=via, import_batch_id=batch.id
                )
                report.rows_added += len(keep)
                session.expunge_all()
                if progress is not None:
                    progress(report.rows_added)

        for line, shipment_in, problems in convert_rows(path, scan, options, report):
            report.rows_read += 1
            if shipment_in is not None:
                key = hash(
                    (
                        shipment_in.donor.casefold(),
                        shipment_in.recipient.casefold(),
                        shipment_in.event_date,
                        shipment_in.mass_kg,
                    )
                )
                if key in seen:
                    problems = [Problem("shipment", f"duplicate of line {seen[key]} in this file")]
                else:
                    seen[key] = line
            if problems:
                report.refuse(line, problems)
                continue
            assert shipment_in is not None
            pending.append((shipment_in, line))
            if len(pending) >= _BATCH:
                flush()
        flush()
        report.problems.sort(key=lambda p: p.line)
        if report.rows_read == 0:
            raise InvalidInput.single("file", "has a header but no rows to import")
        if not commit or (report.rows_refused and not only_valid) or report.rows_added == 0:
            session.rollback()
            report.rows_added = 0
            return report
        assert batch is not None
        assert actor is not None
        batch = session.merge(batch)
        batch.rows_added = report.rows_added
        batch.rows_refused = report.rows_refused
        session.add(batch)
        refused = ", ".join(str(n) for n in report.refused_lines)
        record_event(
            session=session,
            actor=actor,
            via=via,
            action="import.commit",
            subject=f"import batch {batch.id}",
            detail=f"{name} (SHA-256 {scan.sha256}): {report.rows_added} added"
            + (f"; refused lines {refused}" if refused else ""),
        )
        session.commit()
        report.committed = True
        report.batch_id = batch.id
        return report
    except BaseException:
        session.rollback()
        raise


def _refuse_if_imported(session: Session, sha256: str) -> None:
    earlier = session.exec(select(ImportBatch).where(col(ImportBatch.sha256) == sha256)).first()
    if earlier is not None:
        raise InvalidInput.single(
            "file",
            f"this file (SHA-256 {sha256[:12]}...) was already imported as batch "
            f"{earlier.id} on {earlier.recorded_at:%Y-%m-%d} by {earlier.recorded_by}",
        )


def convert_rows(
    path: Path, scan: FileScan, options: ImportOptions, report: ImportReport
) -> Iterator[tuple[int, ShipmentCreate | None, list[Problem]]]:
    """Yield each data row's line, its shipment (or None) and its problems, streaming."""
    with path.open(newline="", encoding=scan.encoding) as handle:
        reader = csv.reader(handle, delimiter=scan.delimiter)
        try:
            header = next(reader, None)
            if header is None:
                raise InvalidInput.single("file", "is empty: no header row")
            columns, header_unit = _map_columns(header, options, report)
            order = DateOrder(options.date_order)
            ended = reader.line_num
            first = True
            for cells in reader:
                line, ended = ended + 1, reader.line_num  # a quoted record may span lines
                if not any(cell.strip() for cell in cells):
                    continue
                if first and _is_hxl_row(cells):
                    columns, header_unit = _map_hxl(header, cells, options, report, header_unit)
                    first = False
                    continue
                first = False
                yield (line, *_convert(cells, columns, header_unit, order, options, report))
        except csv.Error as exc:
            raise InvalidInput.single(
                "file", f"line {reader.line_num + 1} cannot be read as CSV: {exc}"
            ) from None


def _normal(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower())


def _map_columns(
    header: list[str], options: ImportOptions, report: ImportReport
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
    if note and note not in report.notes:
        report.notes.append(note)
    return columns, header_unit


def _is_hxl_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _map_hxl(
    header: list[str],
    tags: list[str],
    options: ImportOptions,
    report: ImportReport,
    header_unit: str | None,
) -> tuple[dict[str, int], str | None]:
    columns: dict[str, int] = {}
    for index, tag in enumerate(tags):
        parts = set(tag.strip().lower().replace(" ", "").split("+"))
        for pattern, target in HXL_FIELDS:
            if set(pattern.split("+")) <= parts and target not in columns:
                columns[target] = index
                break
    report.notes.append("HXL hashtags were found and used to map the columns.")
    report.notes[:] = [n for n in report.notes if not n.startswith("Columns not read")]
    mapped, _ = _map_columns(header, ImportOptions(mapping=options.mapping), report)
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
    order: DateOrder,
    options: ImportOptions,
    report: ImportReport,
) -> tuple[ShipmentCreate | None, list[Problem]]:
    problems: list[Problem] = []

    def value(name: str) -> str | None:
        return _cell(cells, columns, name) or options.defaults.get(name)

    kg = None
    try:
        kg = to_kilograms(value("quantity"), value("unit") or header_unit, report)
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
        "tonnes": Decimal(kg) / KG_PER_TONNE if kg is not None else "1",
        "sources": _sources(value, options),
    }
    try:
        shipment_in = parse(ShipmentCreate, data)
    except InvalidInput as exc:
        skip = {p.field for p in problems}
        problems.extend(p for p in exc.problems if p.field.split(".")[0] not in skip)
        return None, problems
    return (None, problems) if problems else (shipment_in, [])


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


def to_kilograms(quantity: str | None, unit: str | None, report: ImportReport | None = None) -> int:
    """Convert a quantity in a mass unit to whole kilograms (tonnes keep the 3-decimal rule)."""
    if quantity is None:
        raise ValueError("is required (a weight with its unit)")
    if not unit or not unit.strip():
        raise ValueError("has no unit: add a unit column or put the unit in the header")
    name = _normal(unit).rstrip(".")
    if name in NOT_MASS:
        raise ValueError(f"is counted in {unit!r}, which is not a mass: give the weight instead")
    if name not in MASS_UNITS:
        raise ValueError(f"has an unknown unit {unit!r} (use t, kg, lb, short ton or long ton)")
    number = parse_number(quantity, what="a quantity")
    if number <= 0:
        raise ValueError(f"must be greater than 0 (got {quantity})")
    kg = number * MASS_UNITS[name]
    if MASS_UNITS[name] == 1000 and kg != kg.to_integral_value():
        raise ValueError(f"must have at most 3 decimals in tonnes (got {quantity})")
    if report is not None and name in AMBIGUOUS_TON:
        note = (
            "'ton' was read as the metric tonne (1,000 kg); say 'short ton' or 'long ton' if not."
        )
        if note not in report.notes:
            report.notes.append(note)
    try:
        return int(kg.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    except InvalidOperation:
        raise ValueError(f"is too large (got {quantity})") from None


class DateOrder:
    """The day/month order of one file: as the editor said, else as its unambiguous dates show.

    Without the editor's word, an ambiguous date is refused, and an unambiguous date in the other
    order from an earlier one is refused too: one file does not mix orders.
    """

    def __init__(self, given: str | None) -> None:
        self.given = given
        self.seen: tuple[str, str] | None = None  # (order, the date that showed it)

    def read(self, text: Any) -> str | date | None:
        """Read one date under the file's order."""
        value = read_date(text, self.given)
        match = _SLASHED.fullmatch(str(text).strip()) if isinstance(text, str) else None
        if self.given is None and match:
            first, second = int(match.group(1)), int(match.group(2))
            found = "day-first" if first > 12 else "month-first" if second > 12 else None
            if found is not None:
                if self.seen is None:
                    self.seen = (found, str(text).strip())
                elif self.seen[0] != found:
                    raise ValueError(
                        f"{str(text).strip()!r} is {found}, but {self.seen[1]!r} earlier in this "
                        f"file is {self.seen[0]}: say which order the file uses"
                    )
        return value


def read_date(text: Any, order: str | None) -> str | date | None:
    """Read ISO dates always; D/M/Y or M/D/Y only when ``order`` says which, or unambiguous."""
    if text is None or isinstance(text, date):
        return text
    value = str(text).strip()
    if match := _ISO.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
        return _real(year, month, day, value)
    if match := _SLASHED.fullmatch(value):
        first, second, year = (int(g) for g in match.groups())
        if order == "dayfirst" or (order is None and first > 12 >= second):
            return _real(year, second, first, value)
        if order == "monthfirst" or (order is None and second > 12 >= first):
            return _real(year, first, second, value)
        raise ValueError(f"{value!r} is ambiguous: say whether dates are day-first or month-first")
    return value  # the model's rule says what is wrong with it


def _real(year: int, month: int, day: int, text: str) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"must be a real calendar date (got {text!r})") from None
