"""What the import command prints: the summary, its progress, and the refused rows' file."""

from __future__ import annotations

import sys
from typing import TextIO

from shipments.cli.output import say
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.imports import REFUSED_COLUMNS, ImportReport
from shipments.units import format_tonnes


def import_summary(report: ImportReport, out: TextIO, *, dry_run: bool) -> None:
    """Print what an import read, refused and added (or would add)."""
    say(
        f"file: {report.file_name} (SHA-256 {report.sha256}, {report.encoding}, "
        f"delimiter {report.delimiter!r})",
        file=out,
    )
    for note in report.notes:
        say(f"note: {note}", file=out)
    say(f"rows read: {report.rows_read}", file=out)
    say(f"rows refused: {report.rows_refused}", file=out)
    for problem in report.problems:
        say(f"  line {problem.line}: {problem.field}: {problem.rule}", file=out)
    would = (
        "would add" if dry_run else ("added" if report.committed else "added nothing; would add")
    )
    tonnes = format_tonnes(report.kg_valid)
    say(f"{would}: {report.rows_valid} shipments, {tonnes} t", file=out)
    if report.committed:
        say(f"imported as batch {report.batch_id}: {report.rows_added} shipments", file=out)
    elif not dry_run and report.problems:
        say("nothing was written: fix the refused rows, or pass --only-valid", file=out)


def import_progress(rows: int) -> None:
    """Tell the terminal how far a long import has gone."""
    say(f"imported {rows} rows so far", file=sys.stderr, flush=True)


def refused_rows(report: ImportReport, path: str) -> None:
    """Write the refused rows of an import to ``path`` as CSV (line, field, rule)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write_csv(report.refused_rows(), handle, REFUSED_COLUMNS)
