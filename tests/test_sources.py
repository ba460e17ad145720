"""Sources kept whole: exported so that they import back as they were, and recorded once.

A source's publisher and title may hold ``;``, ``:``, quotes, commas, backslashes and any script;
the export's sources cell escapes what would split it (``shipments.exchange.source_cells``). A
source URL is recorded once, with the description first given: the same URL described otherwise
is refused on every input path, showing the recorded description.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import add_editors, make_shipment, row_counts, shipment_data
from sqlalchemy import Engine
from sqlmodel import Session

from shipments.cli import Exit, main
from shipments.db import make_engine, migrate
from shipments.errors import InvalidInput
from shipments.exchange.csvfiles import neutralise, restore
from shipments.exchange.import_rows import ImportOptions
from shipments.exchange.imports import import_file, preview_file
from shipments.exchange.source_cells import read_sources_cell, sources_cell
from shipments.ledger import add_shipments, append_shipment, correct_shipment, find_source
from shipments.models import ShipmentCorrection, SourceCreate
from shipments.rules import parse
from shipments.transaction import run_write

# Publishers and titles that a naive "publisher: title; publisher: title" cell splits wrongly,
# or that a spreadsheet would run, or that are not Latin. Names are one line: a newline is
# refused in a title (tests/factories.py INVALID_INPUTS), so newlines live in the notes below.
AWKWARD = [
    ("Pub: Colon", "Plain title"),
    ("Semi; colon", "A title; with a semicolon"),
    ("Reuters", "Venezuela: China sends 65 t; more to come"),
    ('He said "no"', 'The "269 tonnes" figure, explained'),
    ("Commas, Inc.", "one, two, three"),
    ("新华社", "中国向委内瑞拉运送药品：第四批"),  # noqa: RUF001 (a full-width colon, on purpose)
    ("Телеграф", "Венесуэла: помощь; итог"),
    ("وزارة الصحة", "شحنة أدوية: ٦٥ طن"),
    ("Back\\slash", "C:\\reports\\2019; final\\"),
    ('=HYPERLINK("http://x")', "-5 t: a minus"),
    ("'=quoted", '"=SUM(A1)" in quotes'),
    ("Ends with colon:", ":starts with a colon"),
    ("a:b;c\\d", "\\;\\:"),
    ("@handle", "+plus"),
]
NOTES = ["line one\nline two; with: punctuation", 'a "quoted"\n\tnote, with commas', None]


def awkward_ledger(engine: Engine, count: int) -> None:
    """Record ``count`` shipments citing one to three of the AWKWARD sources each."""
    sources = [
        {"url": f"https://example.org/source/{i}?a=1&b=%22x%22", "publisher": p, "title": t}
        for i, (p, t) in enumerate(AWKWARD)
    ]
    start = date(2019, 1, 1)
    items = []
    for n in range(count):
        cited = [sources[(n + k * 5) % len(sources)] for k in range(1 + n % 3)]
        shipment = make_shipment(
            event_date=(start + timedelta(days=n % 2000)).isoformat(),
            tonnes=f"{1 + n}.{n % 1000:03d}",
            donor=["China", "Rusia", "ООН", "中国"][n % 4],  # noqa: RUF001 (Cyrillic, on purpose)
            note=NOTES[n % len(NOTES)],
            sources=cited,
        )
        items.append((shipment, None))
    with Session(engine) as session:
        run_write(
            session=session, by="ana", via="cli", write=lambda tx: add_shipments(tx=tx, items=items)
        )


def cli(url: str, *args: str) -> int:
    return main(["--database-url", url, *args], stdout=io.StringIO())


def without_ids(path: Path) -> list[list[str]]:
    """The rows of an export apart from its ids and recorded fields (the header stays)."""
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    drop = {
        i
        for i, name in enumerate(rows[0])
        if name in ("id", "revision", "recorded_by", "recorded_at")
    }
    return [[cell for i, cell in enumerate(row) if i not in drop] for row in rows]


@pytest.mark.parametrize("hxl", [False, True], ids=["plain", "hxl"])
def test_a_thousand_shipments_round_trip_with_their_sources_whole(
    engine: Engine, database_url: str, other_database_url: str, tmp_path: Path, hxl: bool
):
    awkward_ledger(engine, 1000)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    hxl_flag = ["--hxl"] if hxl else []
    assert cli(database_url, "export", "--output", str(first), *hxl_flag) == Exit.DONE
    empty = make_engine(other_database_url)
    migrate(empty)
    add_editors(empty)
    # The library's import: the command line would first seed the empty ledger with the report's
    # four shipments (as any command does on a ledger that was never seeded).
    with Session(empty) as session:
        report = import_file(session=session, path=first, options=ImportOptions(), by="bo")
    assert (report.committed, report.rows_added, report.problems) == (True, 1000, [])
    assert cli(other_database_url, "export", "--output", str(second), *hxl_flag) == Exit.DONE

    again, original = without_ids(second), without_ids(first)
    assert len(original) == 1001 + hxl
    assert again == original
    # Byte for byte too, once the ids and recorded fields are set aside.
    assert first.read_bytes().count(b"\n") == second.read_bytes().count(b"\n")
    with Session(empty) as session:
        for index, (publisher, title) in enumerate(AWKWARD):
            source = find_source(
                session=session, url=f"https://example.org/source/{index}?a=1&b=%22x%22"
            )
            assert source is not None
            assert (source.publisher, source.title) == (publisher, title)
    empty.dispose()


@pytest.mark.parametrize(("publisher", "title"), AWKWARD)
def test_the_sources_cell_reads_back_what_it_wrote(publisher: str, title: str):
    source = SourceCreate(url="https://example.org/x", publisher=publisher, title=title)
    other = SourceCreate(url="https://example.org/y", publisher="Plain", title="Plain: title")
    cell = sources_cell([source, other, source])
    assert read_sources_cell(cell) == [
        (publisher, title),
        ("Plain", "Plain: title"),
        (publisher, title),
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        # Cells from elsewhere, unescaped: the first ": " ends the publisher, ";" a source.
        ("Reuters: Venezuela: China sends aid", [("Reuters", "Venezuela: China sends aid")]),
        ("AP: one; AFP: two", [("AP", "one"), ("AFP", "two")]),
        ("Only a publisher", [("Only a publisher", "")]),
        ("AP: one;; ", [("AP", "one")]),
        ("", []),
    ],
)
def test_a_sources_cell_from_elsewhere(cell: str, expected: list[tuple[str, str]]):
    assert read_sources_cell(cell) == expected


@pytest.mark.parametrize("cell", ["Pub: C:\\Users", "Pub: ends with \\", "\\n"])
def test_a_backslash_that_escapes_nothing_is_refused_not_guessed(cell: str):
    with pytest.raises(ValueError, match="backslash at character"):
        read_sources_cell(cell)


def write_file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


HEADER = "event_date,date_means,donor,recipient,cargo,tonnes,source_urls,sources"


def test_an_import_row_must_describe_as_many_sources_as_it_names(
    engine: Engine, session: Session, tmp_path: Path
):
    path = write_file(
        tmp_path / "two.csv",
        [
            HEADER,
            "2019-06-01,sent,China,Venezuela,medicine,5,"
            "https://a.example/1 https://a.example/2,AP: one",
        ],
    )
    report = preview_file(session=session, path=path, options=ImportOptions())
    assert [(p.field, p.rule[:40]) for p in report.problems] == [
        ("sources", "describes 1 source(s) but source_urls ho")
    ]


def test_a_file_with_a_stray_backslash_in_its_sources_is_refused_on_that_line(
    session: Session, tmp_path: Path
):
    path = write_file(
        tmp_path / "slash.csv",
        [HEADER, "2019-06-01,sent,China,Venezuela,medicine,5,https://a.example/1,Pub: C:\\x"],
    )
    report = preview_file(session=session, path=path, options=ImportOptions())
    assert [(p.line, p.field) for p in report.problems] == [(2, "sources")]
    assert "backslash" in report.problems[0].rule


# ---- a known URL described otherwise ---------------------------------------------------------

KNOWN = "https://example.org/report"  # shipment_data's source: "Example News", "Almost 70 ..."


def first_shipment(session: Session) -> int:
    return append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli").id


def test_a_known_url_with_another_title_is_refused_by_the_library(session: Session, engine: Engine):
    first_shipment(session)
    before = row_counts(engine)
    other = shipment_data(
        event_date="2019-06-11",
        sources=[{"url": KNOWN, "title": "My own title", "publisher": "Example News"}],
    )
    with pytest.raises(InvalidInput) as caught:
        append_shipment(
            session=session,
            shipment_in=parse(make_shipment().__class__, other),
            by="ana",
            via="cli",
        )
    assert [p.field for p in caught.value.problems] == ["sources.0.title"]
    assert "'Almost 70 tonnes arrive'" in caught.value.problems[0].rule
    assert row_counts(engine) == before


def test_the_same_description_again_takes_the_recorded_source(session: Session, engine: Engine):
    first_shipment(session)
    again = append_shipment(
        session=session, shipment_in=make_shipment(event_date="2019-06-11"), by="ana", via="cli"
    )
    assert [s.id for s in again.sources] == [1]


CLI_CASES = {
    "add": (
        [
            *("add", "--date", "2019-06-11", "--date-means", "received", "--donor", "China"),
            *("--recipient", "Venezuela", "--cargo", "medicine", "--tonnes", "5"),
            *("--source-url", KNOWN, "--source-title", "My own title"),
            *("--publisher", "My publisher"),
        ],
        ["--source-title", "'Almost 70 tonnes arrive'", "--publisher", "'Example News'"],
    ),
    "claims add": (
        [
            *("claims", "add", "--claimant", "Ministry", "--quote", "70 t", "--metric", "tonnes"),
            *("--value", "70", "--reading", "single:2019-06-10", "--source-url", KNOWN),
            *("--source-title", "Almost 70 tonnes arrive", "--publisher", "Another publisher"),
        ],
        ["--publisher", "'Example News'"],
    ),
}


@pytest.mark.parametrize(("args", "said"), CLI_CASES.values(), ids=CLI_CASES.keys())
def test_the_command_line_refuses_a_known_url_described_otherwise(
    engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: list[str],
):
    with Session(engine) as session:
        first_shipment(session)
    assert cli(database_url, "init") == Exit.DONE  # seeds the claims the ledger still lacks
    before = row_counts(engine)
    assert cli(database_url, *args, "--by", "ana") == Exit.REFUSED
    err = capsys.readouterr().err
    assert [words for words in said if words not in err] == []
    assert row_counts(engine) == before


def test_a_correction_adding_a_known_url_described_otherwise_is_refused(
    session: Session, engine: Engine
):
    first_shipment(session)
    second = append_shipment(
        session=session,
        shipment_in=make_shipment(
            event_date="2019-06-12",
            sources=[{"url": "https://other.example/x", "title": "Other", "publisher": "Other"}],
        ),
        by="ana",
        via="cli",
    )
    before = row_counts(engine)
    correction = parse(
        ShipmentCorrection,
        {
            "reason": "a second source",
            "add_sources": [{"url": KNOWN, "title": "Changed", "publisher": "Example News"}],
        },
    )
    with pytest.raises(InvalidInput) as caught:
        correct_shipment(
            session=session, shipment_id=second.id, correction_in=correction, by="ana", via="cli"
        )
    assert [p.field for p in caught.value.problems] == ["add_sources.0.title"]
    assert row_counts(engine) == before


def import_rows_of(session: Session, tmp_path: Path, rows: list[str]) -> Any:
    path = write_file(tmp_path / "known.csv", [HEADER, *rows])
    return import_file(session=session, path=path, options=ImportOptions(), by="ana")


def test_an_import_row_describing_a_known_url_otherwise_is_refused_and_a_bare_url_is_not(
    session: Session, engine: Engine, tmp_path: Path
):
    first_shipment(session)
    report = import_rows_of(
        session,
        tmp_path,
        [
            f"2019-06-01,sent,China,Venezuela,medicine,5,{KNOWN},My publisher: My title",  # 2
            f"2019-06-02,sent,China,Venezuela,medicine,6,{KNOWN},",  # 3 bare: takes the recorded
            f"2019-06-03,sent,China,Venezuela,medicine,7,{KNOWN},"
            "Example News: Almost 70 tonnes arrive",
        ],
    )
    assert [(p.line, p.field) for p in report.problems] == [
        (2, "sources.0.publisher"),
        (2, "sources.0.title"),
    ]
    assert not report.committed
    with_valid = import_file(
        session=session,
        path=tmp_path / "known.csv",
        options=ImportOptions(),
        by="ana",
        only_valid=True,
    )
    assert with_valid.rows_added == 2
    source = find_source(session=session, url=KNOWN)
    assert source is not None
    assert (source.publisher, source.title) == ("Example News", "Almost 70 tonnes arrive")


def test_one_file_describes_a_source_one_way(session: Session, tmp_path: Path):
    new = "https://new.example/1"
    report = import_rows_of(
        session,
        tmp_path,
        [
            f"2019-06-01,sent,China,Venezuela,medicine,5,{new},AP: First title",  # 2
            f"2019-06-02,sent,China,Venezuela,medicine,6,{new},AP: Second title",  # 3
            f"2019-06-03,sent,China,Venezuela,medicine,7,{new},",  # 4 bare
            "2019-06-04,sent,China,Venezuela,medicine,8,https://new.example/2,",  # 5 bare, new
            "2019-06-05,sent,China,Venezuela,medicine,9,https://new.example/2,AP: Late title",  # 6
        ],
    )
    assert [(p.line, p.field) for p in report.problems] == [(3, "sources.0"), (6, "sources.0")]
    assert "line 2 of this file" in report.problems[0].rule
    assert "named bare" in report.problems[1].rule
    assert "line 5" in report.problems[1].rule


def test_the_preview_and_the_import_agree_across_batches(session: Session, tmp_path: Path):
    # The URL is named bare on line 2, described on a line more than one batch (1,000 rows) later.
    rows = ["2019-06-01,sent,China,Venezuela,medicine,1,https://new.example/1,"]
    rows += [
        f"{date(2019, 1, 1) + timedelta(days=n % 300)},sent,China,Venezuela,medicine,{n + 2},"
        "https://new.example/2,AP: t"
        for n in range(1100)
    ]
    rows.append("2019-06-01,sent,China,Venezuela,medicine,5000,https://new.example/1,AP: A title")
    path = write_file(tmp_path / "batches.csv", [HEADER, *rows])
    preview = preview_file(session=session, path=path, options=ImportOptions())
    report = import_file(session=session, path=path, options=ImportOptions(), by="ana")
    assert [(p.line, p.field) for p in preview.problems] == [(1103, "sources.0")]
    assert report.problems == preview.problems
    assert not report.committed


@pytest.mark.parametrize(
    "stored",
    ["=1+1", "'=quoted", "''=twice", '"=SUM(A1)"', "-5 t", "+plus", "@handle", "'plain", "plain"],
)
def test_the_importer_takes_away_exactly_the_apostrophe_the_export_put(stored: str):
    assert restore(neutralise(stored)) == stored
