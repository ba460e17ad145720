"""Excel workbooks: the CSV's rows and totals, text kept as text, numbers and dates as they are.

Each workbook is read back with openpyxl, as an analyst's spreadsheet would read it, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import make_shipment
from openpyxl.cell.cell import Cell
from sqlmodel import Session

from shipments.cli import Exit, main
from shipments.errors import TooBigForExcel
from shipments.exchange import xlsx
from shipments.exchange.csvfiles import restore
from shipments.exchange.export import SHIPMENTS, write_shipments
from shipments.exchange.reports import SOURCE_COLUMNS, SOURCE_HXL, source_rows
from shipments.exchange.xlsx import write_shipments_xlsx, write_xlsx
from shipments.ledger import append_shipment, list_sources
from shipments.rules import utcnow

HYPERLINK = '=HYPERLINK("http://x","y")'
CHINESE = "中华人民共和国"
ARABIC = "جمهورية اليمن"
TRICKY: list[dict[str, Any]] = [
    {"note": HYPERLINK},
    {"donor": CHINESE, "recipient": ARABIC, "note": "نقل جوي، ٣ رحلات"},
    {
        "sources": [
            {"url": "https://example.org/h", "title": HYPERLINK, "publisher": "@Agency"},
            {"url": "https://example.org/z", "title": "新闻", "publisher": "Xinhua"},
        ]
    },
    {"cargo_description": "-rations", "recipient": "+Venezuela", "note": "@someone"},
    {"tonnes": "0.001"},
    {"tonnes": "68.123"},
    {"tonnes": "99999.999", "note": 'quoted "text", comma\nand a line break'},
    {"tonnes": "100000"},
]


@pytest.fixture
def ledger(seeded_session: Session) -> Session:
    """The seeded ledger and shipments whose cells a spreadsheet could misread."""
    for n, overrides in enumerate(TRICKY):
        shipment_in = make_shipment(event_date=f"2019-07-{n + 1:02d}", **overrides)
        append_shipment(session=seeded_session, shipment_in=shipment_in, by="ana", via="cli")
    return seeded_session


def workbook_rows(data: bytes) -> list[list[Cell]]:
    """Return the workbook's only sheet, a list of cells a row."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [book.active.title]
    return [list(row) for row in book.active.iter_rows()]


def as_csv_text(cell: Cell) -> str:
    """Return a cell as the CSV writes it: a date as YYYY-MM-DD, a number with its decimals."""
    if cell.value is None:
        return ""
    if cell.data_type == "d":
        assert cell.number_format == "yyyy-mm-dd"
        return str(cell.value.date().isoformat())
    if cell.data_type == "n":
        if cell.number_format.startswith("0."):
            return f"{cell.value:.{len(cell.number_format) - 2}f}"
        assert isinstance(cell.value, int), cell
        return str(cell.value)
    assert cell.data_type == "s", cell
    return str(cell.value)


def csv_rows(text: str) -> list[list[str]]:
    """Return a CSV file's rows, each cell as recorded (the apostrophe before a formula gone)."""
    return [[restore(cell) for cell in row] for row in csv.reader(io.StringIO(text))]


def exports(session: Session, *, hxl: bool, as_of: datetime | None = None) -> tuple[str, bytes]:
    text, book = io.StringIO(), io.BytesIO()
    write_shipments(session=session, file=text, hxl=hxl, as_of=as_of)
    write_shipments_xlsx(session=session, file=book, hxl=hxl, as_of=as_of)
    return text.getvalue(), book.getvalue()


@pytest.mark.parametrize("hxl", [False, True], ids=["plain", "hxl"])
@pytest.mark.parametrize("moment", ["now", "as-of"])
def test_the_workbook_holds_the_rows_and_totals_of_the_csv(ledger: Session, hxl: bool, moment):
    as_of = utcnow() + timedelta(days=1) if moment == "as-of" else None
    text, book = exports(ledger, hxl=hxl, as_of=as_of)
    sheet = [[as_csv_text(cell) for cell in row] for row in workbook_rows(book)]
    expected = csv_rows(text)
    assert sheet == expected
    assert len(sheet) == 1 + hxl + 4 + len(TRICKY)  # the seed's current shipments, and ours
    header = expected[0]
    tonnes = [Decimal(row[header.index("tonnes")]) for row in expected[1 + hxl :]]
    cells = workbook_rows(book)[1 + hxl :]
    in_sheet = [cell.value for row in cells for cell in row if cell.column_letter == "I"]
    assert header[8] == "tonnes"
    assert sum(tonnes) == Decimal("200609.123")
    assert round(Decimal(sum(in_sheet)), 3) == sum(tonnes)
    if not hxl:
        kilograms = [row[9].value for row in cells]
        assert sum(kilograms) == 200_609_123 == sum(int(r[9]) for r in expected[1:])


def test_numbers_are_the_csvs_decimals_not_a_floats_digits(ledger: Session):
    _, book = exports(ledger, hxl=False)
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    for written in ("<v>0.001</v>", "<v>68.123</v>", "<v>99999.999</v>", "<v>100000.000</v>"):
        assert written in sheet
    [row] = [r for r in workbook_rows(book) if r[4].value == CHINESE]
    assert (row[8].value, row[8].number_format) == (68, "0.000")
    assert (row[9].value, row[9].number_format) == (68000, "General")


def test_a_formula_is_stored_as_text_and_nothing_runs(ledger: Session):
    _, book = exports(ledger, hxl=False)
    rows = workbook_rows(book)
    header = [cell.value for cell in rows[0]]
    notes = [row[header.index("note")] for row in rows[1:]]
    [note] = [cell for cell in notes if cell.value == HYPERLINK]
    assert note.data_type == "s"
    for row in rows[1:]:
        assert all(cell.data_type != "f" for cell in row)
    [hyperlinked] = [row for row in rows if "Xinhua" in str(row[header.index("sources")].value)]
    assert hyperlinked[header.index("sources")].value == f"@Agency: {HYPERLINK}; Xinhua: 新闻"
    described = [row[header.index("cargo_description")].value for row in rows]
    assert "-rations" in described  # as recorded: no apostrophe, as the CSV needs
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_a_source_title_that_starts_like_a_formula_is_a_string(ledger: Session):
    book = io.BytesIO()
    write_xlsx(source_rows(list_sources(session=ledger)), book, SOURCE_COLUMNS, sheet="sources")
    rows = workbook_rows(book.getvalue())
    [title] = [row[2] for row in rows if row[2].value == HYPERLINK]
    assert (title.data_type, title.value) == ("s", HYPERLINK)
    assert rows[1][0].data_type == "n"  # an id is a number


def test_chinese_and_arabic_text_is_intact(ledger: Session):
    _, book = exports(ledger, hxl=True)
    rows = workbook_rows(book)
    [row] = [r for r in rows if r[4].value == CHINESE]
    assert row[5].value == ARABIC
    assert row[13].value == "نقل جوي، ٣ رحلات"


def test_dates_are_real_dates_and_moments_stay_iso_text(ledger: Session):
    text, book = exports(ledger, hxl=False)
    rows = workbook_rows(book)
    first = next(csv.DictReader(io.StringIO(text)))
    event_date, recorded_at = rows[1][2], rows[1][16]
    assert event_date.is_date
    assert event_date.value == datetime(2019, 3, 29)
    assert event_date.number_format == "yyyy-mm-dd"
    assert (recorded_at.data_type, recorded_at.value) == ("s", first["recorded_at"])


def test_the_hxl_workbook_has_the_hashtag_row_under_the_header(ledger: Session):
    _, book = exports(ledger, hxl=True)
    rows = workbook_rows(book)
    assert [cell.value for cell in rows[0]] == list(SHIPMENTS.header(hxl=True))
    assert [cell.value for cell in rows[1]] == list(SHIPMENTS.hashtags().values())
    assert openpyxl.load_workbook(io.BytesIO(book)).active.freeze_panes == "A3"


def test_a_file_longer_than_a_sheet_is_refused_and_nothing_written(
    ledger: Session, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 5)
    book = io.BytesIO()
    with pytest.raises(TooBigForExcel, match="more than 4 rows, the most an Excel sheet holds"):
        write_shipments_xlsx(session=ledger, file=book)
    assert book.getvalue() == b""
    write_shipments_xlsx(session=ledger, file=book, filters=_donors(CHINESE))
    assert len(workbook_rows(book.getvalue())) == 2


def _donors(*names: str) -> Any:
    from shipments.ledger import ShipmentFilter

    return ShipmentFilter(donors=names)


def test_a_cell_longer_than_excel_holds_is_refused_not_cut():
    rows = [{"a": "x" * 10}, {"a": "y" * 32_768}]
    with pytest.raises(TooBigForExcel, match="row 3, column a: an Excel cell holds at most"):
        write_xlsx(rows, io.BytesIO(), ("a",), sheet="s")


def test_a_number_excel_cannot_hold_exactly_is_kept_as_text():
    book = io.BytesIO()
    rows = [{"n": 12345678901234567, "d": Decimal("1234567890123.4567")}, {"n": 7, "d": ""}]
    write_xlsx(rows, book, ("n", "d"), sheet="s")
    cells = workbook_rows(book.getvalue())
    assert [(c.value, c.data_type) for c in cells[1]] == [
        ("12345678901234567", "s"),
        ("1234567890123.4567", "s"),
    ]
    assert [c.value for c in cells[2]] == [7, None]


def test_a_date_before_excels_calendar_stays_text():
    book = io.BytesIO()
    rows = [{"d": "1899-12-31"}, {"d": "1900-01-01"}]
    write_xlsx(rows, book, ("d",), sheet="s", dates=("d",))
    cells = workbook_rows(book.getvalue())
    assert [(c[0].value, c[0].data_type) for c in cells[1:]] == [
        ("1899-12-31", "s"),
        (datetime(1900, 1, 1), "d"),
    ]


def test_a_date_column_that_holds_no_date_is_refused():
    with pytest.raises(ValueError, match="row 2, column d: not a date as YYYY-MM-DD"):
        write_xlsx([{"d": "soon"}], io.BytesIO(), ("d",), sheet="s", dates=("d",))


def test_a_failed_workbook_leaves_no_temporary_file(tmp_path: Path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(TooBigForExcel):
        write_xlsx([{"a": "y" * 32_768}], io.BytesIO(), ("a",), sheet="s")
    write_xlsx([{"a": "fine"}], io.BytesIO(), ("a",), sheet="s")
    assert list(tmp_path.iterdir()) == []


def test_the_hxl_report_workbook_has_its_hashtags():
    book = io.BytesIO()
    rows = [{"id": 1, "publisher": "P", "title": "T", "url": "u", "published_date": "2019-01-02"}]
    write_xlsx(
        rows, book, tuple(SOURCE_HXL), sheet="sources", hxl=SOURCE_HXL, dates=("published_date",)
    )
    cells = workbook_rows(book.getvalue())
    assert [c.value for c in cells[1]] == list(SOURCE_HXL.values())
    assert cells[2][4].value == datetime(2019, 1, 2)


def test_the_cli_writes_a_workbook_to_a_file(ledger: Session, database_url: str, tmp_path, capsys):
    out = tmp_path / "ledger.xlsx"
    args = ["--database-url", database_url, "export", "--format", "xlsx", "--output", str(out)]
    assert main(args) == Exit.DONE
    assert capsys.readouterr().err == "wrote 12 shipments to " + str(out) + "\n"
    text = io.StringIO()
    write_shipments(session=ledger, file=text)
    assert [[as_csv_text(c) for c in r] for r in workbook_rows(out.read_bytes())] == csv_rows(
        text.getvalue()
    )


def test_the_cli_refuses_a_workbook_on_standard_output(database_url: str, capsys):
    assert main(["--database-url", database_url, "export", "--format", "xlsx"]) == Exit.REFUSED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "error: output: a workbook is written to a file, not to standard output: pass --output"
    )


def test_the_cli_leaves_no_file_when_the_workbook_does_not_fit(
    ledger: Session, database_url: str, tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 5)
    out = tmp_path / "ledger.xlsx"
    args = ["--database-url", database_url, "export", "--format", "xlsx", "-o", str(out)]
    assert main(args) == Exit.REFUSED
    assert "an Excel sheet holds under its header" in capsys.readouterr().err
    assert not out.exists()


def test_the_cli_format_is_checked(database_url: str, capsys):
    with pytest.raises(SystemExit):
        main(["--database-url", database_url, "export", "--format", "xls"])
    assert "invalid choice: 'xls'" in capsys.readouterr().err
