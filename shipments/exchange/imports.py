"""Bulk import of shipment files: preview what a file would add, or add it in one transaction.

Both read the file as ``shipments.exchange.import_rows`` converts it, refuse the rows that repeat
a row of the same file or a current shipment, and report every refusal by line, field and rule.
The import's commit is one transaction: with any refused row nothing is written, unless the
editor asks for the valid rows only, which the audit trail records with the refused lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shipments.errors import InvalidInput, Problem
from shipments.exchange.import_checks import LinksSeen, Rows, RowsSeen, SourcesSeen
from shipments.exchange.import_rows import FileScan, ImportOptions, convert_rows, scan_file
from shipments.ledger import (
    add_shipments,
    duplicate_key,
    find_duplicates,
)
from shipments.models import ImportBatch, ShipmentCreate, Source
from shipments.rows import writing_many
from shipments.transaction import Transaction, require_editor, run_write
from shipments.units import format_tonnes

MAX_PROBLEMS = 10_000
PREVIEW_ROWS = 20  # the valid rows a preview shows as they will be recorded
REFUSED_COLUMNS = ("line", "field", "rule")
_BATCH = 1000


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
    preview: list[dict[str, str | int]] = field(default_factory=list)  # the first valid rows
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

    def refused_rows(self) -> list[dict[str, int | str]]:
        """Return each refusal as the refused-rows CSV lists it (REFUSED_COLUMNS)."""
        return [{"line": p.line, "field": p.field, "rule": p.rule} for p in self.problems]


def preview_file(
    *, session: Session, path: Path, options: ImportOptions, file_name: str | None = None
) -> ImportReport:
    """Read and check a file without writing anything; report what an import would do."""
    scan = scan_file(path)
    report = _new_report(scan, file_name or path.name)
    try:
        _refuse_if_imported(session, scan.sha256)
        for _ in _new_valid_rows(session, path, scan, options, report):
            pass
    finally:
        session.rollback()
    return report


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
    # Who imports is checked first, as for every write (run_write checks again, inside it); then,
    # before the write begins, the file is read and refused if it was imported already, so that
    # neither hashing a large file nor that refusal waits for (or holds) the write lock.
    require_editor(session=session, by=by, via=via)
    scan = scan_file(path)
    _refuse_if_imported(session, scan.sha256)
    name = file_name or path.name

    def write(tx: Transaction) -> ImportReport:
        report = _new_report(scan, name)
        # Again inside the write: another import of the same file may have committed since.
        _refuse_if_imported(tx.session, scan.sha256)
        batch_id = _add_batch(tx, scan, name)
        with writing_many(tx.session.connection()):
            for rows in _new_valid_rows(tx.session, path, scan, options, report):
                if rows and (only_valid or not report.problems):
                    add_shipments(tx=tx, items=rows, import_batch_id=batch_id)
                    report.rows_added += len(rows)
                    tx.session.expunge_all()
                    if progress is not None:
                        progress(report.rows_added)
        if (report.rows_refused and not only_valid) or report.rows_added == 0:
            tx.discard()  # nothing of the file is written
            report.rows_added = 0
            return report
        tx.session.execute(
            update(ImportBatch)
            .where(col(ImportBatch.id) == batch_id)
            .values(rows_added=report.rows_added, rows_refused=report.rows_refused)
        )
        refused = ", ".join(str(n) for n in report.refused_lines)
        tx.record(
            "import.commit",
            f"import batch {batch_id}",
            f"{name} (SHA-256 {scan.sha256}): {report.rows_added} added"
            + (f"; refused lines {refused}" if refused else ""),
        )
        report.committed = True
        report.batch_id = batch_id
        return report

    return run_write(session=session, by=by, via=via, write=write)


def _new_report(scan: FileScan, name: str) -> ImportReport:
    report = ImportReport(
        file_name=name, sha256=scan.sha256, encoding=scan.encoding, delimiter=scan.delimiter
    )
    if scan.encoding == "latin-1":
        report.notes.append("The file is not UTF-8; it was read as Latin-1.")
    return report


def _refuse_if_imported(session: Session, sha256: str) -> None:
    earlier = session.exec(select(ImportBatch).where(col(ImportBatch.sha256) == sha256)).first()
    if earlier is not None:
        raise InvalidInput.single(
            "file",
            f"this file (SHA-256 {sha256[:12]}...) was already imported as batch "
            f"{earlier.id} on {earlier.recorded_at:%Y-%m-%d} by {earlier.recorded_by}",
        )


def _add_batch(tx: Transaction, scan: FileScan, name: str) -> int:
    """Add the import's batch row (its file's hash is a unique key); return its id."""
    batch = ImportBatch(
        file_name=name[:500],
        sha256=scan.sha256,
        rows_added=0,
        rows_refused=0,
        recorded_by=tx.actor,
        recorded_at=tx.at,
    )
    tx.session.add(batch)
    try:
        tx.session.flush()
    except IntegrityError:
        # PostgreSQL: the same file is being imported by another session right now; its batch
        # row holds the file's hash, and the unique key refused this one.
        raise InvalidInput.single(
            "file",
            f"this file (SHA-256 {scan.sha256[:12]}...) is being imported by someone"
            " else at this moment; nothing was written",
        ) from None
    assert batch.id is not None
    return batch.id


def _new_valid_rows(
    session: Session, path: Path, scan: FileScan, options: ImportOptions, report: ImportReport
) -> Iterator[Rows]:
    """Read the file into ``report``; yield its valid rows that are new, a batch at a time.

    A row is refused when it repeats an earlier row of the file or a current shipment (same
    donor, recipient, date and mass).
    """
    seen = RowsSeen()
    sources = SourcesSeen()
    links = LinksSeen()
    pending: Rows = []
    for line, shipment_in, problems in convert_rows(path, scan, options, report.notes):
        report.rows_read += 1
        key = None if shipment_in is None else hash(duplicate_key(shipment_in))
        if key is not None and (first := seen.first_line(key, line)) is not None:
            problems = [Problem("shipment", f"duplicate of line {first} in this file")]
        if problems:
            report.refuse(line, problems)
            continue
        assert shipment_in is not None
        pending.append((shipment_in, line))
        if len(pending) >= _BATCH:
            yield _not_in_ledger(session, pending, report, sources, links)
            pending = []
    yield _not_in_ledger(session, pending, report, sources, links)
    report.problems.sort(key=lambda p: p.line)
    if report.rows_read == 0:
        raise InvalidInput.single("file", "has a header but no rows to import")


def _not_in_ledger(
    session: Session,
    pending: Rows,
    report: ImportReport,
    sources: SourcesSeen,
    links: LinksSeen,
) -> Rows:
    """Refuse the rows that repeat a current shipment, describe a source otherwise than the
    ledger or an earlier line does, or cannot be one consignment with the shipment they name;
    count the others and return them."""
    repeats = find_duplicates(session=session, items=[s for s, _ in pending])
    links.prepare(session, pending)
    urls = {source.url for shipment_in, _ in pending for source in shipment_in.sources}
    recorded = {s.url: s for s in session.exec(select(Source).where(col(Source.url).in_(urls)))}
    keep: Rows = []
    for index, (shipment_in, line) in enumerate(pending):
        if index not in repeats and (problems := sources.check(shipment_in, line, recorded)):
            report.refuse(line, problems)
            continue
        if index in repeats:
            ids = ", ".join(str(i) for i in repeats[index])
            report.refuse(
                line,
                [
                    Problem(
                        "shipment",
                        f"probable duplicate of shipment {ids} (same donor, recipient, date and"
                        " mass)",
                    )
                ],
            )
            continue
        if (unlinkable := links.problem(shipment_in, line)) is not None:
            report.refuse(line, [unlinkable])
            continue
        links.remember(shipment_in, line)
        sources.remember(shipment_in, line, recorded)
        if len(report.preview) < PREVIEW_ROWS:
            report.preview.append(_as_recorded(shipment_in, line))
        report.rows_valid += 1
        report.kg_valid += shipment_in.mass_kg
        keep.append((shipment_in, line))
    return keep


def _as_recorded(shipment_in: ShipmentCreate, line: int) -> dict[str, str | int]:
    """Return a valid row as it will be recorded: its facts, and its mass in tonnes."""
    return {
        "line": line,
        "event_date": shipment_in.event_date.isoformat(),
        "date_means": shipment_in.date_means,
        "donor": shipment_in.donor,
        "recipient": shipment_in.recipient,
        "cargo": shipment_in.cargo,
        "tonnes": format_tonnes(shipment_in.mass_kg),
        "sources": "; ".join(s.url for s in shipment_in.sources),
        "same_consignment_as": shipment_in.same_consignment_as or "",
    }
