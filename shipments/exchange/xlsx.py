"""Excel workbooks of the exports: one sheet each, written in constant memory, no cell a formula.

A workbook holds the same rows, in the same order, as the CSV file of the same name, and differs
from it in how cells are kept:

- text is stored as text (an inline string), never read as a formula, so a ``=HYPERLINK(...)``
  typed into a note is shown as those characters and nothing runs. The CSV's apostrophe before
  such text is not needed here and is not added: the cell holds exactly what was recorded;
- numbers are numbers, written as the decimal the CSV holds (``5.000`` tonnes is the XML text
  ``5.000``) and shown with as many decimals as the CSV has. A number that Excel could not hold
  exactly (more than 15 significant digits) is kept as text instead;
- a calendar date (``dates``: ``event_date``, a claim's ``stated_on``, a source's
  ``published_date``) is a real Excel date shown as ``yyyy-mm-dd``, so it sorts, filters and
  groups by month (one before 1900, where Excel's dates start, stays text). A moment
  (``recorded_at``, the audit's ``at``) stays ISO 8601 text: an Excel date-time has no time
  zone and does not hold microseconds, so a real one would change it;
- an empty cell is left blank.

An HXL workbook has the row of hashtags under the header, as the HXL CSV does; HXL tools read
Excel files the same way. The header (and hashtag) rows are frozen; a plain workbook has a filter
on its header.

XlsxWriter's constant-memory mode keeps one row in memory and the sheet's XML in a temporary file;
``close`` zips that into the workbook. Both live in a directory of their own that is removed
whatever happens. A sheet holds at most 1,048,576 rows and a cell 32,767 characters: a file that
would not fit raises ``TooBigForExcel`` rather than being cut short. A large workbook takes a
while (bench/RESULTS.md): ``stop``, once set, ends the writing at the next row (``Abandoned``).
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information
from sqlmodel import Session
from xlsxwriter.exceptions import FileSizeError  # type: ignore[import-untyped]

from shipments.errors import TooBigForExcel
from shipments.exchange.export import SHIPMENTS, ExportTable, export_rows
from shipments.ledger import ShipmentFilter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_ROWS = 1_048_576  # Excel's rows per sheet, the header's included
CELL_CHARACTERS = 32_767  # Excel's characters per cell (UTF-16 code units)
EXACT_DIGITS = 15  # significant digits an Excel number keeps
DATE_FORMAT = "yyyy-mm-dd"
FIRST_YEAR = 1900  # Excel's dates start on 1900-01-01


class Abandoned(Exception):
    """The workbook is no longer wanted (its reader went away): writing stopped, nothing written."""


_OPTIONS = {
    "constant_memory": True,
    # Only write_string, write_number and write_datetime are called; these say it again.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def write_xlsx(
    rows: Iterable[Mapping[str, Any]],
    file: IO[bytes],
    columns: Sequence[str],
    *,
    sheet: str,
    hxl: Mapping[str, str] | None = None,
    dates: Collection[str] = (),
    stop: threading.Event | None = None,
) -> int:
    """Write a one-sheet workbook to ``file``: the header (and HXL hashtag row) then ``rows``.

    ``dates`` names the columns whose "YYYY-MM-DD" text is written as a real date. Return the
    number of data rows written. ``file`` is written only at the end, and not at all when a row
    or cell does not fit (``TooBigForExcel``) or ``stop`` was set (``Abandoned``).
    """
    with tempfile.TemporaryDirectory(prefix="ledger-xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(file, {**_OPTIONS, "tmpdir": scratch})
        try:
            count = _write_sheet(
                workbook, rows, columns, sheet=sheet, hxl=hxl, dates=dates, stop=stop
            )
            try:
                workbook.close()
            except FileSizeError:
                raise TooBigForExcel(
                    "the workbook would be larger than 4 GiB unzipped; narrow the view or take"
                    " the CSV"
                ) from None
        finally:
            _discard(workbook)
    return count


def _write_sheet(
    workbook: Any,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    sheet: str,
    hxl: Mapping[str, str] | None,
    dates: Collection[str],
    stop: threading.Event | None,
) -> int:
    worksheet = workbook.add_worksheet(sheet)
    header = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": DATE_FORMAT})
    decimals: dict[int, Any] = {}
    top = 2 if hxl is not None else 1
    worksheet.freeze_panes(top, 0)
    # In constant-memory mode a row is written whole before the next one starts.
    for index, name in enumerate(columns):
        worksheet.set_column(index, index, 12 if name in dates else max(10, len(name) + 2))
        worksheet.write_string(0, index, name, header)
    if hxl is not None:
        for index, name in enumerate(columns):
            if hxl.get(name):
                worksheet.write_string(1, index, hxl[name], header)
    is_date = [name in dates for name in columns]
    row_number = top - 1
    for row_number, row in enumerate(rows, start=top):
        if stop is not None and stop.is_set():
            raise Abandoned
        if row_number >= SHEET_ROWS:
            raise TooBigForExcel(
                f"the file holds more than {SHEET_ROWS - top:,} rows, the most an Excel sheet"
                " holds under its header; narrow the view (from, to, donor, recipient, cargo)"
                " or take the CSV"
            )
        for index, name in enumerate(columns):
            value = row.get(name, "")
            if value is None or value == "":
                continue
            if is_date[index]:
                when = _day(value, row_number, name)
                if when.year < FIRST_YEAR:  # before Excel's calendar: kept as its text
                    worksheet.write_string(row_number, index, when.isoformat())
                else:
                    worksheet.write_datetime(row_number, index, when, day)
            elif isinstance(value, str):
                if worksheet.write_string(row_number, index, value) == -2:
                    raise TooBigForExcel(
                        f"row {row_number + 1}, column {name}: an Excel cell holds at most"
                        f" {CELL_CHARACTERS:,} characters; take the CSV"
                    )
            else:
                _write_number(worksheet, row_number, index, value, decimals, workbook)
    if hxl is None and columns:
        worksheet.autofilter(0, 0, max(row_number, 0), len(columns) - 1)
    return row_number - top + 1


def _day(value: Any, row_number: int, name: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"row {row_number + 1}, column {name}: not a date as YYYY-MM-DD (got {value!r})"
        ) from None


def _write_number(
    worksheet: Any, row: int, column: int, value: Any, decimals: dict[int, Any], workbook: Any
) -> None:
    """Write an int or a Decimal as the number it is, shown with the decimals it has."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"row {row + 1}: a cell of type {type(value).__name__} has no Excel form")
    _, digits, exponent = Decimal(value).as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity: no ledger figure is either
        raise ValueError(f"row {row + 1}: {value} is not a number Excel holds")
    if len(digits) > EXACT_DIGITS:
        worksheet.write_string(row, column, str(value))  # kept exact, as text
        return
    if isinstance(value, int) or exponent >= 0:
        worksheet.write_number(row, column, int(value))
        return
    places = -exponent
    if places not in decimals:
        decimals[places] = workbook.add_format({"num_format": "0." + "0" * places})
    # XlsxWriter writes a Decimal by its own digits ("5.000"), never through a float.
    worksheet.write_number(row, column, value, decimals[places])


def _discard(workbook: Any) -> None:
    """Close what a workbook left open when it was not closed (its rows' temporary file)."""
    if not workbook.fileclosed:
        workbook.fileclosed = True  # nothing to write: its destructor must not try
        for worksheet in workbook.worksheets():
            with contextlib.suppress(Exception):
                worksheet._opt_close()


def write_shipments_xlsx(
    *,
    session: Session,
    file: IO[bytes],
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    hxl: bool = False,
    table: ExportTable = SHIPMENTS,
    stop: threading.Event | None = None,
) -> int:
    """Write the shipments (now, or as they stood at ``as_of``) as a workbook, by id.

    The rows and columns are those of ``write_shipments``'s CSV. Return the number of shipments.
    """
    rows = export_rows(session=session, as_of=as_of, filters=filters, table=table)
    return write_xlsx(
        rows,
        file,
        table.header(hxl=hxl),
        sheet="shipments",
        hxl=table.hashtags() if hxl else None,
        dates=table.days(),
        stop=stop,
    )
