"""Bulk import at the database's speed: the rows it writes, on both backends, and its memory.

An import writes its rows as plain tuples (``COPY`` on PostgreSQL, ``executemany`` on SQLite).
These tests hold it to the ledger that adding the same shipments one at a time writes, to the
same ledger on both backends, and to writing nothing at all when one line of a big file is
refused.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDED, Databases
from factories import row_counts
from sqlalchemy import Engine, text
from sqlmodel import Session

from shipments.db import make_engine
from shipments.exchange.import_checks import RowsSeen
from shipments.exchange.import_rows import ImportOptions, convert_rows, scan_file
from shipments.exchange.imports import import_file
from shipments.ledger import add_shipment, duplicates, find_duplicates
from shipments.models import ShipmentCreate
from shipments.rules import clean_name
from shipments.transaction import run_write

HEADER = (
    "date,date_means,donor,recipient,cargo,tonnes,source_url,publisher,note,same_consignment_as\n"
)
# Line 9 is the received record of the seed's first shipment (sent 2019-03-29, 65 t): linked.
LINKED = "2019-04-10,received,China,Venezuela,medicine,64.5,https://example.org/r/7,,,1\n"
DONORS = ("China", "Cuba", "Bogotá Relief", "ÖRK")


def big_file(path: Path, rows: int, *, bad_line: int | None = None) -> Path:
    """Write ``rows`` distinct shipments over more than one batch: four donors (two not ASCII),
    fifty bare source URLs and one described source, notes on some, one row linked with the
    seed's first shipment; ``bad_line`` (a file line, the header being line 1) gets a mass the
    ledger refuses."""
    lines = [HEADER]
    for n in range(rows):
        if n == 7:
            lines.append(LINKED)
            continue
        day = date(2015 + n % 9, 1 + n % 12, 1 + n % 28)
        tonnes = f"{1 + n // 400}.{n % 1000:03d}"
        if bad_line is not None and n + 2 == bad_line:
            tonnes = "12.3456"
        described = n % 97 == 0
        url = "https://example.org/described" if described else f"https://example.org/r/{n % 50}"
        lines.append(
            f"{day.isoformat()},{'sent' if n % 2 else 'received'},{DONORS[n % 4]},Venezuela,"
            f"medicine,{tonnes},{url},{'Example Press' if described else ''},"
            f"{'checked twice' if n % 5 == 0 else ''},\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def ledger_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return what the ledger holds, table by table, as plain sorted tuples (no timestamps)."""
    queries = {
        "shipment": "SELECT id, created_by FROM shipment",
        "revision": "SELECT id, shipment_id, revision, action, reason, event_date, date_means,"
        " donor, recipient, cargo, cargo_description, note, mass_kg, recorded_by,"
        " CASE WHEN superseded_at IS NULL THEN 1 ELSE 0 END FROM shipment_revision",
        "current": "SELECT shipment_id, revision_id, event_date, donor, recipient, cargo,"
        " mass_kg, donor_key, recipient_key, cargo_key, source_ids FROM current_shipment",
        "revision_source": "SELECT revision_id, source_id FROM revision_source",
        "source": "SELECT id, url, publisher, title, published_date, kind, recorded_by FROM source",
        # Without ids: one at a time, a link's event follows its shipment's; in bulk, as
        # before, it follows the events of the shipments of its batch.
        "audit": "SELECT actor, via, action, subject, detail FROM audit_event"
        " WHERE action <> 'import.commit'",
        "links": "SELECT sent_id, received_id, action, reason FROM consignment_link",
    }
    with engine.connect() as connection:
        return {
            name: sorted(tuple(str(v) for v in row) for row in connection.execute(text(sql)))
            for name, sql in queries.items()
        }


def one_at_a_time(session: Session, path: Path) -> None:
    """Add a file's rows with ``add_shipment``, one ORM write after another, in one write."""
    scan = scan_file(path)
    options = ImportOptions(decimal_mark="point")
    rows = [s for _, s, _ in convert_rows(path, scan, options, []) if s is not None]

    def write(tx: Any) -> None:
        for shipment_in in rows:
            add_shipment(tx=tx, shipment_in=shipment_in)

    run_write(session=session, by="ana", via="import", write=write)


@pytest.fixture
def second_seeded_engine(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[Engine]:
    """Return an engine on a second seeded ledger, on the same backend as ``database_url``."""
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    databases: Databases = request.getfixturevalue(f"{backend}_databases")
    url = databases.create(tmp_path / "second.db", SEEDED)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    databases.drop(url)


def test_a_bulk_import_writes_what_adding_each_shipment_writes(
    seeded_engine: Engine, second_seeded_engine: Engine, tmp_path: Path
):
    path = big_file(tmp_path / "big.csv", 2_300)  # three batches
    with Session(seeded_engine, expire_on_commit=False) as session:
        report = import_file(
            session=session, path=path, options=ImportOptions(decimal_mark="point"), by="ana"
        )
    assert (report.committed, report.rows_added, report.problems) == (True, 2_300, [])
    assert len(ledger_rows(seeded_engine)["links"]) == 1
    with Session(second_seeded_engine, expire_on_commit=False) as session:
        one_at_a_time(session, path)
    assert ledger_rows(seeded_engine) == ledger_rows(second_seeded_engine)


def test_copy_on_postgresql_gives_the_ledger_executemany_gives_on_sqlite(
    request: pytest.FixtureRequest, tmp_path: Path
):
    path = big_file(tmp_path / "big.csv", 2_300)
    found = {}
    for backend in ("sqlite", "postgresql"):
        databases: Databases = request.getfixturevalue(f"{backend}_databases")
        url = databases.create(tmp_path / f"{backend}.db", SEEDED)
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                options = ImportOptions(decimal_mark="point")
                import_file(session=session, path=path, options=options, by="ana")
            found[backend] = ledger_rows(engine)
        finally:
            engine.dispose()
            databases.drop(url)
    assert found["postgresql"] == found["sqlite"]
    assert len(found["sqlite"]["revision_source"]) == 5 + 2_300  # the seed has five links


@pytest.mark.parametrize("bad_line", [2, 1_500, 2_301], ids=["first", "middle", "last"])
def test_one_refused_line_of_a_big_file_writes_nothing(
    seeded_session: Session, seeded_engine: Engine, tmp_path: Path, bad_line: int
):
    path = big_file(tmp_path / "big.csv", 2_300, bad_line=bad_line)
    before = row_counts(seeded_engine)
    report = import_file(
        session=seeded_session, path=path, options=ImportOptions(decimal_mark="point"), by="ana"
    )
    assert (report.committed, report.rows_added, report.rows_refused) == (False, 0, 1)
    [problem] = report.problems
    assert (problem.line, problem.field) == (bad_line, "quantity")
    assert "3 decimals" in problem.rule
    assert row_counts(seeded_engine) == before


def test_a_repeated_row_is_refused_by_the_line_it_repeats_across_merges(
    seeded_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(RowsSeen, "_RECENT", 100)  # the sorted arrays are merged many times
    path = big_file(tmp_path / "big.csv", 1_200)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines += [lines[5], lines[1_000], lines[5]]  # file lines 6, 1001 and 6 again
    path.write_text("".join(lines), encoding="utf-8")
    report = import_file(
        session=seeded_session, path=path, options=ImportOptions(decimal_mark="point"), by="ana"
    )
    assert report.rows_added == 0
    assert [(p.line, p.rule) for p in report.problems] == [
        (1_202, "duplicate of line 6 in this file"),
        (1_203, "duplicate of line 1001 in this file"),
        (1_204, "duplicate of line 6 in this file"),
    ]


def test_rows_seen_finds_the_first_line_of_every_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(RowsSeen, "_RECENT", 64)
    seen, first = RowsSeen(), {}
    generator = random.Random(16)
    for line in range(2, 5_000):
        key = hash(generator.randrange(2_000)) if line % 3 else generator.getrandbits(63)
        assert seen.first_line(key, line) == first.get(key)
        first.setdefault(key, line)


def test_duplicates_are_found_among_many_items(seeded_session: Session):
    def shipment(day: date, tonnes: str) -> ShipmentCreate:
        return ShipmentCreate.model_validate(
            {
                "event_date": day,
                "date_means": "received",
                "donor": "CHINA",  # the seed's donor, whatever the case
                "recipient": "Venezuela",
                "cargo": "medicine",
                "tonnes": tonnes,
                "sources": [{"url": "https://example.org/x", "title": "x", "publisher": "x"}],
            }
        )

    items = [shipment(date(2018, 1, 1 + n % 28), f"{n + 1}") for n in range(40)]
    items.insert(17, shipment(date(2019, 5, 27), "69"))  # the seed's fourth shipment
    assert find_duplicates(session=seeded_session, items=items) == {17: [4]}
    assert find_duplicates(session=seeded_session, items=items, exclude_id=4) == {}


@pytest.mark.parametrize("code", range(128))
def test_every_ascii_character_in_a_name_obeys_the_character_rules(code: int):
    name = f"a{chr(code)}b"
    if unicodedata.category(chr(code)) == "Cc":  # tab and newline too: a name is one line
        with pytest.raises(ValueError, match="control characters"):
            clean_name(name)
    else:
        assert clean_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Bogotá\u200b", "invisible formatting"),
        ("Bogotá\u2028Lima", "one line"),
        ("Bogo\x85tá", "control characters"),
        ("Bogotá\udcff", "not UTF-8"),
        ("Bogotá\x07\u200b", "control characters"),  # the first rule broken is named
    ],
)
def test_names_that_are_not_ascii_are_checked_character_by_character(name: str, rule: str):
    with pytest.raises(ValueError, match=rule):
        clean_name(name)


def test_each_pair_is_searched_in_the_date_and_mass_index_not_scanned(seeded_session: Session):
    """SQLite's plan of the duplicate check: the pairs, then one search of the (date, mass)
    index each; an ``IN`` list or a join the other way round read the whole index."""
    connection = seeded_session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plan depends on the table's size (each pair is LATERAL)")
    plan = connection.exec_driver_sql(
        f"EXPLAIN QUERY PLAN {duplicates._JOINED_CANDIDATES.element.text}",
        {"pairs": '[["2019-05-27", 69000]]', "exclude": 0},
    ).all()
    steps = [row[-1] for row in plan]
    assert any(s.startswith("SCAN json_each") for s in steps), steps
    assert any(
        s.startswith(
            "SEARCH c USING INDEX ix_current_shipment_event_date (event_date=? AND mass_kg=?)"
        )
        for s in steps
    ), steps
