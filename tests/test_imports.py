"""Bulk import: readers, units, dates, preview, all-or-nothing commit, provenance."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from factories import INVALID_INPUTS, add_editors, row_counts, tomorrow
from sqlalchemy import Engine
from sqlmodel import Session, select

from shipments.audit import audit_events
from shipments.db import REPO_ROOT, make_engine, migrate
from shipments.errors import InvalidInput
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.export import SHIPMENT_COLUMNS, SHIPMENTS, shipment_rows
from shipments.exchange.import_dates import read_date
from shipments.exchange.import_numbers import NumberFormat
from shipments.exchange.import_rows import ImportOptions, kilograms_noting_tons
from shipments.exchange.imports import ImportReport, import_file, preview_file
from shipments.ledger import iter_current_shipments, ledger_totals
from shipments.models import ImportBatch, Shipment
from shipments.units import format_tonnes, quantity_to_kg

# The export's columns that describe the shipment (not its id or who recorded it, which an
# import into another ledger does not keep).
FACTS = tuple(
    c for c in SHIPMENT_COLUMNS if c not in ("id", "revision", "recorded_by", "recorded_at")
)


def export(session: Session, *, hxl: bool = False) -> str:
    out = io.StringIO()
    rows = shipment_rows(iter_current_shipments(session=session), claims={})
    if hxl:
        write_csv(rows, out, tuple(SHIPMENTS.hashtags()), hxl=SHIPMENTS.hashtags())
    else:
        write_csv(rows, out, SHIPMENT_COLUMNS)
    return out.getvalue()


def facts(text: str) -> list[dict[str, str]]:
    return [{k: r[k] for k in FACTS} for r in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize("hxl", [False, True], ids=["plain", "hxl"])
def test_round_trip_through_an_empty_ledger(
    seeded_session: Session, other_database_url: str, tmp_path: Path, hxl: bool
):
    original = export(seeded_session, hxl=hxl)
    path = tmp_path / "ledger.csv"
    path.write_text(original, encoding="utf-8")
    empty = make_engine(other_database_url)
    migrate(empty)
    add_editors(empty)
    session = Session(empty, expire_on_commit=False)
    assert ledger_totals(session=session).shipments == 0
    report = import_file(session=session, path=path, options=ImportOptions(), by="ana")
    assert (report.committed, report.rows_added, report.problems) == (True, 4, [])
    assert ledger_totals(session=session).mass_kg == 269_000
    again = export(session, hxl=hxl)
    if hxl:
        again_rows = list(csv.reader(io.StringIO(again)))
        original_rows = list(csv.reader(io.StringIO(original)))
        assert again_rows[:2] == original_rows[:2]
        keep = [i for i, c in enumerate(original_rows[0]) if c in FACTS or c == "unit"]
        assert [[r[i] for i in keep] for r in again_rows[2:]] == [
            [r[i] for i in keep] for r in original_rows[2:]
        ]
    else:
        assert facts(again) == facts(original)
    session.close()
    empty.dispose()


MESSY_ROWS = [
    # line 2 onwards; semicolons, mixed units, Latin-1 name
    "Fecha;Donante;Receptor;Carga;Cantidad;Unidad;Fuente",
    "2019-06-01;Bogotá;Venezuela;medicine;12;t;https://example.org/a",  # 2 ok
    "2019-06-02;China;Venezuela;medicine;5000;kg;https://example.org/a",  # 3 ok
    "2019-06-03;China;Venezuela;medicine;10;pallets;https://example.org/a",  # 4 pallets
    f"{tomorrow()};China;Venezuela;medicine;3;MT;https://example.org/a",  # 5 future
    "05/06/2019;China;Venezuela;medicine;3;t;https://example.org/a",  # 6 ambiguous
    "2019-06-02;China;Venezuela;medicine;5;t;https://example.org/a",  # 7 duplicate of 3
    # line 8: a formula-looking donor, in pounds
    '2019-06-04;=HYPERLINK("http://evil.example");Venezuela;medicine;1000;lb;https://example.org/a',
    "2019-06-05;China;Venezuela;medicine;2;short ton;https://example.org/a",  # 9 ok
    "2019-06-06;China;Venezuela;medicine;1;ton;https://example.org/a",  # 10 ok, note
]
MESSY_MAP = {
    "Fecha": "event_date",
    "Donante": "donor",
    "Receptor": "recipient",
    "Carga": "cargo",
    "Cantidad": "quantity",
    "Unidad": "unit",
    "Fuente": "source_url",
}


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    path = tmp_path / "messy.csv"
    body = "\r\n".join(MESSY_ROWS) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("latin-1"))
    return path


def messy_options() -> ImportOptions:
    return ImportOptions(mapping=MESSY_MAP, defaults={"date_means": "received"})


def test_the_messy_file_preview_lists_every_problem_with_its_line(
    seeded_session: Session, messy: Path
):
    report = preview_file(session=seeded_session, path=messy, options=messy_options())
    assert (report.encoding, report.delimiter) == ("latin-1", ";")
    assert "The file is not UTF-8; it was read as Latin-1." in report.notes
    assert any("'ton' was read as the metric tonne" in n for n in report.notes)
    assert [(p.line, p.field) for p in report.problems] == [
        (4, "quantity"),
        (5, "event_date"),
        (6, "event_date"),
        (7, "shipment"),
    ]
    rules = {p.line: p.rule for p in report.problems}
    assert "'pallets', which is not a mass" in rules[4]
    assert "must not be in the future" in rules[5]
    assert "ambiguous" in rules[6]
    assert rules[7] == "duplicate of line 3 in this file"
    assert report.rows_read == 9
    assert report.rows_valid == 5
    expected_kg = 12_000 + 5_000 + 454 + 1_814 + 1_000  # 1000 lb and 2 short tons, to the kg
    assert report.kg_valid == expected_kg


def test_the_messy_file_commit_writes_nothing(
    seeded_session: Session, seeded_engine: Engine, messy: Path
):
    before = row_counts(seeded_engine)
    report = import_file(session=seeded_session, path=messy, options=messy_options(), by="ana")
    assert (report.committed, report.rows_added) == (False, 0)
    assert row_counts(seeded_engine) == before


def test_only_the_valid_rows_when_asked_with_the_refused_lines_audited(
    seeded_session: Session, messy: Path
):
    report = import_file(
        session=seeded_session, path=messy, options=messy_options(), by="ana", only_valid=True
    )
    assert (report.committed, report.rows_added, report.refused_lines) == (True, 5, [4, 5, 6, 7])
    assert ledger_totals(session=seeded_session).mass_kg == 269_000 + report.kg_valid
    [event] = [e for e in audit_events(session=seeded_session) if e.action == "import.commit"]
    assert (event.actor, event.via) == ("ana", "import")
    assert "refused lines 4, 5, 6, 7" in (event.detail or "")
    # Newest first: the commit that closes the import is listed before the shipments it added.
    listed = [e.action for e in audit_events(session=seeded_session) if e.via == "import"]
    assert listed == ["import.commit"] + ["shipment.append"] * 5
    donors = {s.donor for s in iter_current_shipments(session=seeded_session)}
    assert {"Bogotá", '=HYPERLINK("http://evil.example")'} <= donors
    exported = export(seeded_session)
    assert '\'=HYPERLINK(""http://evil.example"")' in exported


def test_each_imported_shipment_records_its_file_and_line(seeded_session: Session, messy: Path):
    report = import_file(
        session=seeded_session, path=messy, options=messy_options(), by="ana", only_valid=True
    )
    batch = seeded_session.get(ImportBatch, report.batch_id)
    assert batch is not None
    assert (batch.file_name, batch.sha256, batch.rows_added, batch.rows_refused) == (
        "messy.csv",
        report.sha256,
        5,
        4,
    )
    lines = sorted(
        s.import_line
        for s in seeded_session.exec(
            select(Shipment).where(Shipment.import_batch_id == report.batch_id)
        )
    )
    assert lines == [2, 3, 8, 9, 10]


def test_the_same_file_is_imported_once(seeded_session: Session, seeded_engine, messy: Path):
    import_file(
        session=seeded_session, path=messy, options=messy_options(), by="ana", only_valid=True
    )
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput, match="was already imported as batch 1"):
        import_file(
            session=seeded_session, path=messy, options=messy_options(), by="ana", only_valid=True
        )
    assert row_counts(seeded_engine) == before


def test_an_import_needs_an_active_editor(seeded_session: Session, seeded_engine, messy: Path):
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput, match="active editor account"):
        import_file(session=seeded_session, path=messy, options=messy_options(), by="nobody")
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize("content", ["utf-16", "imported before"])
def test_who_imports_is_checked_before_the_file(
    seeded_session: Session, seeded_engine: Engine, messy: Path, tmp_path: Path, content: str
):
    """A writer who may not import is told so, not what the file holds or who imported it."""
    if content == "utf-16":
        path = write(tmp_path, "u.csv", "")
        path.write_bytes("date,donor\n2019-06-01,Cuba\n".encode("utf-16"))
    else:
        import_file(
            session=seeded_session, path=messy, options=messy_options(), by="ana", only_valid=True
        )
        path = messy
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput) as refused:
        import_file(session=seeded_session, path=path, options=messy_options(), by="nobody")
    assert refused.value.fields() == {"by"}
    assert row_counts(seeded_engine) == before


# (the weight column's header, the row's donor and amount, the field refused, the rule's words)
REFUSED_ROWS = [
    ("tonnes", "China\u202e", "5", "donor", "must not contain invisible formatting characters"),
    ("tonnes", "Chi\u2028na", "5", "donor", "must be one line (no line or paragraph separators)"),
    (
        "t",
        "Cuba",
        "100000.001",
        "tonnes",
        "must be at most 100,000 t per shipment (got 100000.001)",
    ),
    ("kg", "Cuba", "150000000", "tonnes", "must be at most 100,000 t per shipment (got 150000)"),
    ("lb", "Cuba", "0.4", "tonnes", "must be greater than 0 (got 0)"),
]


@pytest.mark.parametrize(("unit", "donor", "amount", "field", "rule"), REFUSED_ROWS)
def test_a_row_the_ledger_cannot_keep_is_refused_with_its_field_and_rule(
    seeded_session: Session,
    seeded_engine: Engine,
    tmp_path: Path,
    unit: str,
    donor: str,
    amount: str,
    field: str,
    rule: str,
):
    row = ROW.format(day=1, amount=amount).replace(",Cuba,", f",{donor},")
    path = write(tmp_path, "r.csv", HEAD.format(quantity=f"Weight ({unit})") + row)
    # The file says its decimal mark: without it, 100000.001 would be refused as ambiguous.
    options = ImportOptions(decimal_mark="point")
    report = preview_file(session=seeded_session, path=path, options=options)
    assert [(p.line, p.field, p.rule) for p in report.problems] == [(2, field, rule)]
    before = row_counts(seeded_engine)
    done = import_file(session=seeded_session, path=path, options=options, by="ana")
    assert (done.committed, done.rows_added) == (False, 0)
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize(
    ("quantity", "unit", "kg"),
    [
        ("65", "t", 65_000),
        ("65.5", "tonnes", 65_500),
        ("1", "MT", 1_000),
        ("2", "metric tons", 2_000),
        ("1", "ton", 1_000),
        ("250", "kg", 250),
        ("1", "lb", 0),
        ("100", "lbs", 45),
        ("1", "short ton", 907),
        ("1", "long ton", 1_016),
        ("10", "short tons", 9_072),
        ("3", "Long Tons", 3_048),
    ],
)
def test_mass_units_convert_to_kilograms(quantity: str, unit: str, kg: int):
    assert quantity_to_kg(quantity, unit) == kg


@pytest.mark.parametrize(
    ("quantity", "unit", "rule"),
    [
        ("3", "pallets", "not a mass"),
        ("3", "cartons", "not a mass"),
        ("1", "trucks", "not a mass"),
        ("1", "furlongs", "unknown unit"),
        ("1.0005", "t", "at most 3 decimals"),
        ("0", "kg", "greater than 0"),
        (None, "t", "is required"),
        ("1e3", "kg", "written like 64"),
    ],
)
def test_units_and_quantities_that_are_refused(quantity, unit, rule):
    with pytest.raises(ValueError, match=rule):
        quantity_to_kg(quantity, unit)


def test_a_bare_ton_is_noted_in_the_preview():
    report = ImportReport(file_name="f", sha256="x", encoding="utf-8", delimiter=",")
    kilograms_noting_tons("1", "tons", report.notes)
    assert report.notes == [
        "'ton' was read as the metric tonne (1,000 kg); say 'short ton' or 'long ton' if not."
    ]


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2019-05-27", None, "2019-05-27"),
        ("2019-5-7", None, "2019-05-07"),
        ("27/05/2019", None, "2019-05-27"),
        ("05/27/2019", None, "2019-05-27"),
        ("05/06/2019", "dayfirst", "2019-06-05"),
        ("05/06/2019", "monthfirst", "2019-05-06"),
        ("27.05.2019", "dayfirst", "2019-05-27"),
    ],
)
def test_dates(text: str, order: str | None, expected: str):
    assert read_date(text, order) == expected


@pytest.mark.parametrize(
    ("text", "order", "rule"),
    [
        ("05/06/2019", None, "ambiguous"),
        ("31/02/2019", "dayfirst", "real calendar date"),
        ("2019-02-30", None, "real calendar date"),
    ],
)
def test_dates_that_are_refused(text: str, order: str | None, rule: str):
    with pytest.raises(ValueError, match=rule):
        read_date(text, order)


def test_cli_import_dry_run_then_commit(
    seeded_engine: Engine, database_url: str, messy: Path, capsys, tmp_path: Path
):
    from shipments.cli import main

    base = [
        "--database-url",
        database_url,
        "import",
        str(messy),
        "--by",
        "ana",
        "--date-means",
        "received",
    ]
    maps = [arg for header, field in MESSY_MAP.items() for arg in ("--map", f"{header}={field}")]
    before = row_counts(seeded_engine)
    errors = tmp_path / "errors.csv"
    assert main([*base, *maps, "--dry-run", "--errors", str(errors)]) == 2
    out = capsys.readouterr().out
    assert "  line 4: quantity: is counted in 'pallets', which is not a mass" in out
    assert "would add: 5 shipments, 20.268 t" in out
    assert errors.read_text(encoding="utf-8").splitlines()[0] == "line,field,rule"
    assert main([*base, *maps]) == 2
    assert "nothing was written" in capsys.readouterr().out
    assert row_counts(seeded_engine) == before
    assert main([*base, *maps, "--only-valid"]) == 0
    # A rolled-back import still uses up a PostgreSQL sequence number, so the id may be 2.
    assert re.search(r"imported as batch \d+: 5 shipments", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--map", "Nope=donor"], "the file has no column 'Nope'"),
        (["--map", "Fecha=when"], "maps to unknown field 'when'"),
        (["--map", "Fecha"], "must be HEADER=FIELD"),
    ],
)
def test_cli_import_refuses_a_bad_mapping(
    seeded_engine: Engine, database_url: str, messy: Path, capsys, extra, message
):
    from shipments.cli import main

    before = row_counts(seeded_engine)
    code = main(["--database-url", database_url, "import", str(messy), "--by", "ana", *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert row_counts(seeded_engine) == before


def test_a_killed_import_leaves_the_ledger_as_it_was(
    seeded_engine: Engine, database_url: str, tmp_path: Path
):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("event_date,date_means,donor,recipient,cargo,tonnes,source_urls\n")
        for n in range(30_000):
            day = f"2018-{1 + n % 12:02d}-{1 + n % 28:02d}"
            handle.write(
                f"{day},sent,Donor {n},Venezuela,medicine,{1 + n % 997}.5,https://example.org/big\n"
            )
    before = row_counts(seeded_engine)
    seeded_engine.dispose()
    importing = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shipments",
            "--database-url",
            database_url,
            "import",
            str(path),
            "--by",
            "ana",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert importing.stderr is not None
    deadline = time.monotonic() + 120
    progress = ""
    while time.monotonic() < deadline and "imported 3000 rows" not in progress:
        progress = importing.stderr.readline()
        assert progress or importing.poll() is None, "the import ended before it was killed"
    assert "imported 3000 rows" in progress
    os.kill(importing.pid, signal.SIGKILL)
    importing.wait(timeout=30)
    assert importing.returncode == -signal.SIGKILL
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize(
    ("header", "mapping", "kg"),
    [
        ("Weight (kg)", {}, 1500),
        ("weight_(lb)", {}, 680),
        ("Peso (lb)", {"Peso (lb)": "quantity"}, 680),
        ("tonnes", {}, 1_500_000),
        ("MT", {}, 1_500_000),
    ],
)
def test_a_unit_in_the_header_applies_to_every_row(
    seeded_session: Session, tmp_path: Path, header: str, mapping: dict[str, str], kg: int
):
    path = tmp_path / "units.csv"
    path.write_text(
        f"date,date_means,donor,recipient,cargo,{header},source_url\n"
        "2019-06-01,sent,Cuba,Venezuela,medicine,1500,https://example.org/u\n",
        encoding="utf-8",
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions(mapping=mapping))
    assert (report.problems, report.kg_valid) == ([], kg)


def test_imported_shipments_are_whole_records_with_sources_and_audit(
    seeded_session: Session, messy: Path
):
    report = import_file(
        session=seeded_session, path=messy, options=messy_options(), by="ana", only_valid=True
    )
    imported = [s for s in iter_current_shipments(session=seeded_session) if s.id > 4]
    assert len(imported) == report.rows_added == 5
    assert all([src.url for src in s.sources] == ["https://example.org/a"] for s in imported)
    assert all((s.revision, s.recorded_by) == (1, "ana") for s in imported)
    appended = [
        e
        for e in audit_events(session=seeded_session)
        if e.action == "shipment.append" and e.via == "import"
    ]
    assert sorted(e.subject for e in appended) == sorted(f"shipment {s.id}" for s in imported)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "date,date_means,donor,recipient,cargo,{quantity},source_url\n"
ROW = "2019-06-{day:02d},sent,Cuba,Venezuela,medicine,{amount},https://example.org/r\n"


def test_hxl_keeps_the_unit_in_the_header(seeded_session: Session, tmp_path: Path):
    path = write(
        tmp_path,
        "h.csv",
        HEAD.format(quantity="Weight (kg)")
        + "#date+occurred,#meta+date_means,#org+funder,#country+dest,#item+type,"
        "#item+num,#meta+url\n" + ROW.format(day=1, amount=500),
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert (report.problems, report.kg_valid) == ([], 500)


def test_a_hashtag_looking_row_later_in_the_file_is_data(seeded_session: Session, tmp_path: Path):
    path = write(
        tmp_path,
        "d.csv",
        HEAD.format(quantity="Weight (kg)")
        + ROW.format(day=1, amount=500)
        + "#N/A,#N/A,#N/A,#N/A,#N/A,#N/A,#N/A\n"
        + ROW.format(day=2, amount=500),
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert report.kg_valid == 1000
    assert report.refused_lines == [3]


def test_a_quantity_without_a_unit_is_refused(seeded_session: Session, tmp_path: Path):
    path = write(tmp_path, "b.csv", HEAD.format(quantity="quantity") + ROW.format(day=1, amount=5))
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert [(p.line, p.field) for p in report.problems] == [(2, "quantity")]
    assert "has no unit" in report.problems[0].rule


def test_an_explicit_mapping_beats_a_standard_header(seeded_session: Session, tmp_path: Path):
    path = write(
        tmp_path,
        "m.csv",
        "date,date_means,donor,Giver,recipient,cargo,tonnes,source_url\n"
        "2019-06-01,sent,WRONG,Cuba,Venezuela,medicine,5,https://example.org/m\n",
    )
    report = import_file(
        session=seeded_session,
        path=path,
        options=ImportOptions(mapping={"Giver": "donor"}),
        by="ana",
    )
    assert report.committed
    assert {s.donor for s in iter_current_shipments(session=seeded_session)} == {"China", "Cuba"}


def test_an_import_that_adds_nothing_does_not_use_up_the_file(
    seeded_session: Session, seeded_engine: Engine, tmp_path: Path
):
    path = write(
        tmp_path,
        "e.csv",
        HEAD.format(quantity="tonnes")
        + "05/06/2019,sent,Cuba,Venezuela,medicine,5,https://example.org/e\n",
    )
    before = row_counts(seeded_engine)
    report = import_file(
        session=seeded_session, path=path, options=ImportOptions(), by="ana", only_valid=True
    )
    assert (report.committed, report.rows_refused) == (False, 1)
    assert row_counts(seeded_engine) == before
    again = import_file(
        session=seeded_session, path=path, options=ImportOptions(date_order="dayfirst"), by="ana"
    )
    assert again.committed


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (HEAD.format(quantity="tonnes"), "has a header but no rows to import"),
        ("\ufeff".encode("utf-16-le").decode("latin-1") + "x", "is UTF-16"),
        ("a\tb\tc\n1\t2\t3\n", "no column is read as event_date or quantity"),
        (
            HEAD.format(quantity="tonnes") + '2019-06-01,"' + "x" * 140_000 + '"\n',
            "cannot be read as CSV",
        ),
    ],
    ids=["header-only", "utf-16", "tabs", "huge-cell"],
)
def test_unreadable_files_are_refused_whole(
    seeded_session: Session, seeded_engine: Engine, tmp_path: Path, content: str, rule: str
):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        content.encode("latin-1")
        if "utf-16" in rule.lower() or "UTF-16" in rule
        else content.encode("utf-8")
    )
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput, match=rule):
        import_file(session=seeded_session, path=path, options=ImportOptions(), by="ana")
    assert row_counts(seeded_engine) == before


def test_one_file_does_not_mix_day_and_month_order(seeded_session: Session, tmp_path: Path):
    path = write(
        tmp_path,
        "mix.csv",
        HEAD.format(quantity="tonnes")
        + "13/05/2019,sent,Cuba,Venezuela,medicine,5,https://example.org/x\n"
        + "05/14/2019,sent,Cuba,Venezuela,medicine,6,https://example.org/x\n",
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert [(p.line, p.field) for p in report.problems] == [(3, "event_date")]
    assert "earlier in this file is day-first" in report.problems[0].rule


def test_a_quoted_record_over_two_lines_reports_where_it_starts(
    seeded_session: Session, tmp_path: Path
):
    path = write(
        tmp_path,
        "q.csv",
        "date,date_means,donor,recipient,cargo,tonnes,source_url,note\n"
        '2019-06-01,sent,Cuba,Venezuela,medicine,5,https://example.org/q,"two\nlines"\n'
        "2019-06-02,sent,Cuba,Venezuela,medicine,0,https://example.org/q,\n",
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert report.refused_lines == [4]


# A file's numbers, read as the file writes them and converted exactly (issue 12, item 4).

PESO = (
    "Fecha;Donante;Receptor;Carga;Peso (kg);Fuente\n"
    "2019-06-01;Cuba;Venezuela;medicine;{amount};https://example.org/peso\n"
)
PESO_MAP = {
    "Fecha": "event_date",
    "Donante": "donor",
    "Receptor": "recipient",
    "Carga": "cargo",
    "Peso (kg)": "quantity",
    "Fuente": "source_url",
}
AMBIGUOUS = (
    "'1.500' is ambiguous: say which decimal mark the file uses (--decimal-point or "
    "--decimal-comma on the command line, 'Decimal mark in this file' on the Import page)"
)
# What the `;`-separated Peso (kg) file holding 1.500 gives, by the decimal mark it is read with:
# (the CLI's flags, the Import page's choice, the refusal or None, the kilograms it adds).
PESO_READINGS = [
    ([], "not said", AMBIGUOUS, 0),
    (
        ["--decimal-point"],
        "point (1,500.5)",
        "must be whole kilograms (the ledger keeps whole kilograms; got 1.500)",
        0,
    ),
    (["--decimal-comma"], "comma (1.500,5)", None, 1500),
]


def run_import(database_url: str, path: Path, *args: str) -> int:
    from shipments.cli import main

    maps = [arg for header, target in PESO_MAP.items() for arg in ("--map", f"{header}={target}")]
    return main(
        [
            *("--database-url", database_url, "import", str(path), "--by", "ana"),
            *("--date-means", "received", *maps, *args),
        ]
    )


@pytest.mark.parametrize(("flags", "choice", "refusal", "kg"), PESO_READINGS)
def test_cli_reads_1_500_kilograms_as_the_file_says(
    seeded_engine: Engine,
    seeded_session: Session,
    database_url: str,
    tmp_path: Path,
    capsys,
    flags: list[str],
    choice: str,
    refusal: str | None,
    kg: int,
):
    path = write(tmp_path, "peso.csv", PESO.format(amount="1.500"))
    before = row_counts(seeded_engine)
    code = run_import(database_url, path, *flags)
    out = capsys.readouterr().out
    if refusal is not None:
        assert code == 2
        assert f"  line 2: quantity: {refusal}\n" in out
        assert row_counts(seeded_engine) == before
    else:
        assert code == 0
        assert "note: Numbers were read with a decimal comma, as asked: 1.500,5 is 1500.5." in out
        added = [s for s in iter_current_shipments(session=seeded_session) if s.donor == "Cuba"]
        assert [s.mass_kg for s in added] == [kg]


def test_without_a_decimal_mark_the_preview_says_how_to_give_one(
    seeded_session: Session, tmp_path: Path
):
    path = write(tmp_path, "peso.csv", PESO.format(amount="1.500"))
    report = preview_file(
        session=seeded_session,
        path=path,
        options=ImportOptions(mapping=PESO_MAP, defaults={"date_means": "received"}),
    )
    assert [(p.line, p.field, p.rule) for p in report.problems] == [(2, "quantity", AMBIGUOUS)]
    assert (
        "Numbers such as '1.500' read differently with a decimal point and a decimal comma, so "
        "their rows were refused: say which decimal mark the file uses (--decimal-point or "
        "--decimal-comma on the command line, 'Decimal mark in this file' on the Import page)."
    ) in report.notes


def test_the_two_decimal_marks_cannot_both_be_given(database_url: str, tmp_path: Path, capsys):
    path = write(tmp_path, "peso.csv", PESO.format(amount="1.500"))
    with pytest.raises(SystemExit) as exited:
        run_import(database_url, path, "--decimal-point", "--decimal-comma")
    assert exited.value.code == 2
    assert "argument --decimal-comma: not allowed with argument --decimal-point" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("text", "mark", "number"),
    [
        ("1500", None, "1500"),
        ("64.25", None, "64.25"),
        ("1.5", None, "1.5"),
        ("1.0005", None, "1.0005"),
        (" +2 ", None, "2"),
        ("1.500", "point", "1.5"),
        ("1,500", "point", "1500"),
        ("1,500.25", "point", "1500.25"),
        ("12,345,678.9", "point", "12345678.9"),
        ("1.500", "comma", "1500"),
        ("1,5", "comma", "1.5"),
        ("1,500", "comma", "1.5"),
        ("1.500,25", "comma", "1500.25"),
        ("1 500,25", "comma", "1500.25"),
        ("1\u00a0500", "comma", "1500"),
        ("12.345.678,9", "comma", "12345678.9"),
        ("0,5", "comma", "0.5"),
    ],
)
def test_numbers_are_read_as_the_file_writes_them(text: str, mark: str | None, number: str):
    assert NumberFormat(mark).read(text) == Decimal(number)


@pytest.mark.parametrize(
    ("text", "mark", "rule"),
    [
        ("1.500", None, "'1.500' is ambiguous: say which decimal mark"),
        ("1,5", None, "'1,5' is ambiguous"),
        ("1,500", None, "'1,500' is ambiguous"),
        ("1.500.000", None, "'1.500.000' is ambiguous"),
        ("100000.001", None, "'100000.001' is ambiguous"),
        ("1,50,0", "point", "',' may only group thousands in threes"),
        ("1,5", "point", "',' may only group thousands in threes"),
        ("0,500", "point", "',' may only group thousands in threes"),
        ("1234,567.5", "point", "',' may only group thousands in threes"),
        ("1,50,0", "comma", "'.' or a space may only group thousands in threes"),
        ("64.25", "comma", "'.' or a space may only group thousands in threes"),
        ("0.500", "comma", "'.' or a space may only group thousands in threes"),
        ("1.500 000", "comma", "'.' or a space may only group thousands in threes"),
        ("1.500,25,5", "comma", "'.' or a space may only group thousands in threes"),
        ("1.500.000", "point", "written like 64 or 64.5"),
        ("1 500", None, "written like 64 or 64.5"),
        ("1e3", "comma", "written like 64 or 64.5"),
        ("1,5e3", "point", "written like 64 or 64.5"),
        ("nan", "comma", "finite number"),
        ("\u0661\u066b\u0665", "comma", "written like 64 or 64.5"),
        ("\u0661,\u0665", "comma", "written like 64 or 64.5"),
    ],
)
def test_numbers_that_are_refused(text: str, mark: str | None, rule: str):
    with pytest.raises(ValueError, match=re.escape(rule)):
        NumberFormat(mark).read(text)


def test_a_decimal_comma_file_in_tonnes(seeded_session: Session, tmp_path: Path):
    path = write(
        tmp_path,
        "coma.csv",
        "Fecha;Donante;Receptor;Carga;Cantidad;Unidad;Fuente\n"
        "2019-06-01;Cuba;Venezuela;medicine;1,5;t;https://example.org/coma\n"
        "2019-06-02;Cuba;Venezuela;medicine;1.234,567;t;https://example.org/coma\n"
        "2019-06-03;Cuba;Venezuela;medicine;1,2345;t;https://example.org/coma\n",
    )
    mapping = {**PESO_MAP, "Cantidad": "quantity", "Unidad": "unit"}
    del mapping["Peso (kg)"]
    options = ImportOptions(mapping=mapping, defaults={"date_means": "sent"}, decimal_mark="comma")
    report = import_file(
        session=seeded_session, path=path, options=options, by="ana", only_valid=True
    )
    assert [(p.line, p.field, p.rule) for p in report.problems] == [
        (4, "quantity", "must have at most 3 decimals in tonnes (got 1,2345)")
    ]
    added = [s for s in iter_current_shipments(session=seeded_session) if s.donor == "Cuba"]
    assert [s.mass_kg for s in added] == [1_500, 1_234_567]


@pytest.mark.parametrize(
    ("quantity", "unit", "rule"),
    [
        ("1.00000000000000000000000000001", "t", "must have at most 3 decimals in tonnes"),
        ("99999.99999999999999999999999999999", "t", "must have at most 3 decimals in tonnes"),
        ("0.0000000000000000000000000001", "t", "must have at most 3 decimals in tonnes"),
        ("1.5", "kg", "must be whole kilograms (the ledger keeps whole kilograms; got 1.5)"),
        ("1.0000000000000000000000000001", "kg", "must be whole kilograms"),
        ("64.5000000000000000000000000001", "kilograms", "must be whole kilograms"),
        ("1" + "0" * 40, "lb", "is too large"),
    ],
)
def test_metric_quantities_are_converted_exactly_or_refused(quantity: str, unit: str, rule: str):
    with pytest.raises(ValueError, match=re.escape(rule)):
        quantity_to_kg(quantity, unit)


def test_a_tonnage_with_more_digits_than_decimal_arithmetic_keeps_is_refused(
    seeded_session: Session, seeded_engine: Engine, tmp_path: Path
):
    path = write(
        tmp_path,
        "t.csv",
        HEAD.format(quantity="tonnes")
        + ROW.format(day=1, amount="1.00000000000000000000000000001"),
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert [(p.line, p.field, p.rule) for p in report.problems] == [
        (
            2,
            "quantity",
            "must have at most 3 decimals in tonnes (got 1.00000000000000000000000000001)",
        )
    ]
    before = row_counts(seeded_engine)
    done = import_file(session=seeded_session, path=path, options=ImportOptions(), by="ana")
    assert (done.committed, done.rows_added) == (False, 0)
    assert row_counts(seeded_engine) == before


def test_imperial_quantities_are_rounded_to_the_kilogram_and_the_preview_says_so(
    seeded_session: Session, tmp_path: Path
):
    path = write(
        tmp_path,
        "imperial.csv",
        "date,date_means,donor,recipient,cargo,quantity,unit,source_url\n"
        "2019-06-01,sent,Cuba,Venezuela,medicine,2,short tons,https://example.org/i\n"
        "2019-06-02,sent,Cuba,Venezuela,medicine,1.5,short ton,https://example.org/i\n"
        "2019-06-03,sent,Cuba,Venezuela,medicine,1000,lb,https://example.org/i\n"
        "2019-06-04,sent,Cuba,Venezuela,medicine,7,t,https://example.org/i\n",
    )
    report = import_file(session=seeded_session, path=path, options=ImportOptions(), by="ana")
    assert (report.committed, report.problems) == (True, [])
    added = [s for s in iter_current_shipments(session=seeded_session) if s.donor == "Cuba"]
    # 2 x 907.18474 = 1814.36948; 1.5 x 907.18474 = 1360.77711; 1000 x 0.45359237 = 453.59237
    assert [s.mass_kg for s in added] == [1_814, 1_361, 454, 7_000]
    assert [n for n in report.notes if "rounded" in n] == [
        "Quantities in short tons were converted and rounded to the kilogram.",
        "Quantities in pounds were converted and rounded to the kilogram.",
    ]


def test_a_metric_file_has_no_rounding_note(seeded_session: Session, tmp_path: Path):
    path = write(
        tmp_path, "m.csv", HEAD.format(quantity="Weight (kg)") + ROW.format(day=1, amount=5)
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert report.problems == []
    assert [n for n in report.notes if "round" in n] == []


def _with_semicolons(text: str) -> str:
    """Return a CSV text written again with ";" between cells, as a spreadsheet saves it."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


def test_our_own_export_is_read_with_a_decimal_point_and_says_so(
    seeded_session: Session, tmp_path: Path
):
    exported = export(seeded_session)
    assert ",65.000,65000," in exported
    own = write(tmp_path, "own.csv", exported)
    report = preview_file(session=seeded_session, path=own, options=ImportOptions())
    assert {p.field for p in report.problems} == {"shipment"}  # each row repeats a shipment
    assert (
        "The file has the header of this ledger's export: numbers were read with a decimal "
        "point, as the export writes them."
    ) in report.notes
    # A header changed, or another delimiter (a spreadsheet saved it again): not ours to vouch for.
    for name, text in [
        ("renamed.csv", exported.replace("recorded_at", "when", 1)),
        ("semicolons.csv", _with_semicolons(exported)),
    ]:
        report = preview_file(
            session=seeded_session, path=write(tmp_path, name, text), options=ImportOptions()
        )
        assert {p.rule for p in report.problems} == {
            f"'{tonnes}' is ambiguous: say which decimal mark the file uses (--decimal-point or "
            "--decimal-comma on the command line, 'Decimal mark in this file' on the Import page)"
            for tonnes in ("65.000", "71.000", "64.000", "69.000")
        }


def test_the_tonnes_rules_hold_on_import(seeded_engine: Engine, database_url: str, tmp_path: Path):
    """Every tonnes case of the shared bad-input table, through `python -m shipments import`."""
    cases = [
        (overrides["tonnes"], rule)
        for field, overrides, rule in INVALID_INPUTS
        if field == "tonnes"
    ]
    assert len(cases) >= 14
    rows = "".join(
        f"2019-06-{day:02d},sent,Cuba,Venezuela,medicine,{amount},https://example.org/r\n"
        for day, (amount, _) in enumerate(cases, start=1)
    )
    path = write(tmp_path, "tonnes.csv", HEAD.format(quantity="tonnes") + rows)
    before = row_counts(seeded_engine)
    seeded_engine.dispose()
    # The file says its decimal mark: without it, 100000.001 (a point and three digits) would
    # be refused as ambiguous before the limit is checked.
    done = subprocess.run(
        [
            *(sys.executable, "-m", "shipments", "--database-url", database_url, "import"),
            *(str(path), "--by", "ana", "--decimal-point"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    refused = dict(re.findall(r"^  line (\d+): (.+)$", done.stdout, flags=re.M))
    assert sorted(int(line) for line in refused) == list(range(2, len(cases) + 2))
    for line, (amount, rule) in enumerate(cases, start=2):
        # The field is the file's: "quantity" (the number and its unit as the file gives them),
        # or "tonnes" for a mass past the ledger's limit, checked on the converted kilograms as
        # every input's is; the rule's words are the CLI's and the form's.
        field, _, words = refused[str(line)].partition(": ")
        assert field in ("quantity", "tonnes"), (amount, refused[str(line)])
        assert rule in words, (amount, words)
    assert "nothing was written" in done.stdout
    assert row_counts(seeded_engine) == before


@pytest.mark.usefixtures("fresh_caches")
@pytest.mark.parametrize(("flags", "choice", "refusal", "kg"), PESO_READINGS)
def test_the_import_page_reads_numbers_as_the_cli_flag_does(
    seeded_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    choice: str,
    refusal: str | None,
    kg: int,
):
    from dashboard_pages import signed_in, switch_page
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    content = PESO.format(amount="1.500")
    app = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=60)
    signed_in(app, "ana")
    switch_page(app.run(), "/import").run()
    app.file_uploader(key="import_file").upload("peso.csv", content.encode("utf-8")).run()
    for index, target in enumerate(PESO_MAP.values()):
        app.selectbox(key=f"import_map_{index}").set_value(target)
    app.selectbox(key="import_means").set_value("received")
    app.radio(key="import_decimal_mark").set_value(choice).run()
    assert not app.exception
    shown = {m.label: m.value for m in app.metric}
    refused = [d.value for d in app.dataframe if "rule" in d.value.columns]
    page_rules = list(refused[0]["rule"]) if refused else []
    page_notes = [re.sub(r"\\(.)", r"\1", info.value) for info in app.info]

    path = write(tmp_path, "peso.csv", content)
    code = run_import(database_url, path, *flags, "--dry-run")
    out = capsys.readouterr().out
    assert code == (2 if refusal else 0)
    assert page_rules == re.findall(r"^  line 2: quantity: (.+)$", out, flags=re.M)
    assert page_rules == ([refusal] if refusal else [])
    assert page_notes == re.findall(r"^note: (.+)$", out, flags=re.M)
    assert (shown["Rows refused"], shown["Would add"]) == (("1", "0") if refusal else ("0", "1"))
    tonnes = f"{format_tonnes(kg)} t"
    assert shown["Tonnes it would add"] == tonnes
    assert f"would add: {0 if refusal else 1} shipments, {tonnes}" in out


def test_an_unknown_decimal_mark_is_refused_whole(seeded_session: Session, tmp_path: Path):
    path = write(tmp_path, "peso.csv", PESO.format(amount="1.500"))
    with pytest.raises(InvalidInput, match=r"decimal_mark: must be point or comma \(got 'dot'\)"):
        preview_file(
            session=seeded_session,
            path=path,
            options=ImportOptions(mapping=PESO_MAP, decimal_mark="dot"),
        )


@pytest.mark.parametrize(
    ("header", "means"),
    [
        ("Received Date;Peso (kg);Donante;Receptor;Carga;Fuente", "received"),
        ("Fecha de envío;Cantidad (kg);Donante;Destinatario;Carga;Fuente", "sent"),
        ("Date de réception;Poids (kg);Donateur;Destinataire;Cargaison;Lien", "received"),
    ],
)
def test_common_english_spanish_and_french_headers_map_themselves(
    seeded_session: Session, tmp_path: Path, header: str, means: str
):
    path = write(
        tmp_path, "plain.csv", f"{header}\n2019-06-01;1500;Cuba;Venezuela;rice;https://x.org/1\n"
    )
    report = preview_file(session=seeded_session, path=path, options=ImportOptions())
    assert (report.rows_valid, report.kg_valid, report.problems) == (1, 1500, [])
    first = header.split(";")
    assert f"Columns read: {first[0]!r} as event_date, {first[1]!r} as quantity" in " ".join(
        report.notes
    )
    assert f"Dates were read as when the cargo was {means}" in " ".join(report.notes)


def test_a_date_header_does_not_overrule_the_editors_date_means(
    seeded_session: Session, tmp_path: Path
):
    path = write(
        tmp_path,
        "plain.csv",
        "Received Date;Peso (kg);Donante;Receptor;Carga;Fuente\n"
        "2019-06-01;1500;Cuba;Venezuela;rice;https://x.org/1\n",
    )
    options = ImportOptions(defaults={"date_means": "sent"})
    report = preview_file(session=seeded_session, path=path, options=options)
    assert report.rows_valid == 1
    assert not any(n.startswith("Dates were read as") for n in report.notes)
