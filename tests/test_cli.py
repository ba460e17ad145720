"""The command line: the same rules and results as the library, exit 0 / 2, errors on stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import INVALID_INPUTS, SOUTH_FRONT, make_shipment, resolve, row_counts
from sqlalchemy import Engine

from shipments.cli import COMMANDS, Exit, main, output
from shipments.cli.commands import FLAGS, Command
from shipments.cli.options import OneOf
from shipments.db import REPO_ROOT, make_engine, session_scope
from shipments.ledger import append_shipment

FLAG_FOR = {
    "event_date": "--date",
    "date_means": "--date-means",
    "donor": "--donor",
    "recipient": "--recipient",
    "cargo": "--cargo",
    "tonnes": "--tonnes",
    "source_url": "--source-url",
}


@pytest.fixture(autouse=True)
def editors(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every database these tests use the editors ana, bo and carla; write as ana."""
    monkeypatch.setenv("LEDGER_EDITOR", "ana")
    if "database_url" in request.fixturenames:
        request.getfixturevalue("engine")  # the migrated ledger with the editors, at database_url


def add_args(**overrides: str) -> list[str]:
    values = {
        "event_date": "2019-06-10",
        "date_means": "received",
        "donor": "China",
        "recipient": "Venezuela",
        "cargo": "medicine",
        "tonnes": "68",
        "source_url": "https://example.org/report",
    }
    values.update(resolve(overrides))
    args = ["add"]
    for name, value in values.items():
        args += [f"{FLAG_FOR[name]}={value}"]
    return [*args, "--source-title", "70 t arrive", "--publisher", "Example", "--by", "ana"]


def run(url: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(["--database-url", url, *args], stdout=out)
    return code, out.getvalue(), capsys.readouterr().err


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        return row_counts(engine)
    finally:
        engine.dispose()


def export_rows(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, str]]:
    code, out, _ = run(url, "export", *extra, capsys=capsys)
    assert code == 0
    return list(csv.DictReader(io.StringIO(out)))


def test_init_then_export_gives_the_four_deliveries(database_url: str, capsys):
    code, out, _ = run(database_url, "init", capsys=capsys)
    assert code == 0
    assert "seeded 4 shipments and 7 claims" in out
    assert "ledger: 4 shipments, 269.000 t" in out
    rows = export_rows(database_url, capsys)
    assert [
        (
            r["id"],
            r["event_date"],
            r["date_means"],
            r["donor"],
            r["recipient"],
            r["tonnes"],
            r["kilograms"],
        )
        for r in rows
    ] == [
        ("1", "2019-03-29", "sent", "China", "Venezuela", "65.000", "65000"),
        ("2", "2019-05-13", "sent", "China", "Venezuela", "71.000", "71000"),
        ("3", "2019-05-16", "sent", "China", "Venezuela", "64.000", "64000"),
        ("4", "2019-05-27", "received", "China", "Venezuela", "69.000", "69000"),
    ]
    assert sum(int(r["kilograms"]) for r in rows) == 269_000
    assert rows[3]["source_urls"].split() == [SOUTH_FRONT, "https://pic.twitter.com/CzSceB9L4f"]


def test_init_twice_changes_nothing(database_url: str, capsys):
    assert run(database_url, "init", capsys=capsys)[0] == 0
    before = counts(database_url)
    code, out, _ = run(database_url, "init", capsys=capsys)
    assert code == 0
    assert "already initialised: nothing added" in out
    assert counts(database_url) == before


def test_add_records_a_shipment(database_url: str, capsys):
    code, out, err = run(database_url, *add_args(), capsys=capsys)
    assert (code, err) == (0, "")
    assert out == "added shipment 5: 2019-06-10 (received) China -> Venezuela, medicine, 68.000 t\n"
    rows = export_rows(database_url, capsys)
    assert (rows[-1]["recorded_by"], rows[-1]["tonnes"]) == ("ana", "68.000")


@pytest.mark.parametrize(("field", "overrides", "rule"), INVALID_INPUTS)
def test_add_refuses_bad_input_and_writes_nothing(
    database_url: str, capsys, field: str, overrides: dict[str, Any], rule: str
):
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    code, out, err = run(database_url, *add_args(**overrides), capsys=capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {field}")
    assert rule in err
    assert counts(database_url) == before


def test_add_without_a_source_is_refused(database_url: str, capsys):
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    args = [a for a in add_args() if not a.startswith("--source-url")]
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", database_url, *args])
    assert exited.value.code == 2
    assert "the following arguments are required: --source-url" in capsys.readouterr().err
    assert counts(database_url) == before


def test_duplicate_needs_confirmation(database_url: str, capsys):
    args = add_args(event_date="2019-05-16", date_means="sent", tonnes="64")
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    code, _, err = run(database_url, *args, capsys=capsys)
    assert code == 2
    assert "probable duplicate of shipment 3" in err
    assert "--confirm-duplicate" in err
    assert counts(database_url) == before
    code, out, _ = run(database_url, *args, "--confirm-duplicate", capsys=capsys)
    assert (code, out.split(":")[0]) == (0, "added shipment 5")


def test_correction_and_retraction_show_in_history_totals_and_as_of(database_url: str, capsys):
    run(database_url, "init", capsys=capsys)
    time.sleep(0.01)
    before_changes = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    code, out, _ = run(
        database_url,
        "correct",
        "3",
        "--tonnes",
        "46",
        "--reason",
        "weighbill",
        "--by",
        "ana",
        capsys=capsys,
    )
    assert (code, out) == (
        0,
        "corrected shipment 3 (revision 2): "
        "2019-05-16 (sent) China -> Venezuela, medicine, 46.000 t\n",
    )
    code, out, _ = run(
        database_url, "retract", "1", "--reason", "not medicine", "--by", "bo", capsys=capsys
    )
    assert (code, out) == (0, "retracted shipment 1 (revision 2): not medicine\n")

    _, history, _ = run(database_url, "history", "3", capsys=capsys)
    assert "revision 1 append" in history
    assert "revision 2 correct" in history
    assert "by ana" in history
    assert "reason: weighbill" in history
    _, history, _ = run(database_url, "history", "1", capsys=capsys)
    assert "revision 2 retract" in history
    assert "reason: not medicine" in history

    _, listing, _ = run(database_url, "list", capsys=capsys)
    assert listing.splitlines()[-1] == "3 shipments, 186.000 t"
    _, listing, _ = run(database_url, "list", "--as-of", before_changes, capsys=capsys)
    assert listing.splitlines()[-1].startswith("4 shipments, 269.000 t as of")
    now = export_rows(database_url, capsys)
    assert [(r["id"], r["revision"], r["tonnes"]) for r in now] == [
        ("2", "1", "71.000"),
        ("3", "2", "46.000"),
        ("4", "1", "69.000"),
    ]
    old = export_rows(database_url, capsys, "--as-of", before_changes)
    assert [r["tonnes"] for r in old] == ["65.000", "71.000", "64.000", "69.000"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["correct", "3", "--tonnes", "0", "--reason", "x"],
            "error: tonnes: must be greater than 0",
        ),
        (
            ["correct", "3", "--date", "2019-02-30", "--reason", "x"],
            "error: event_date (--date): must be a real calendar date",
        ),
        (["correct", "3", "--tonnes", "5", "--reason", " "], "error: reason: a reason is required"),
        (["correct", "3", "--reason", "x"], "must change at least one field"),
        (["correct", "99", "--tonnes", "5", "--reason", "x"], "error: no shipment with id 99"),
        (["retract", "99", "--reason", "x"], "error: no shipment with id 99"),
        (["retract", "2", "--reason", ""], "error: reason: a reason is required"),
        (["history", "99"], "error: no shipment with id 99"),
        (
            [
                "add",
                "--date",
                "2019-06-01",
                "--date-means",
                "sent",
                "--donor",
                "China",
                "--recipient",
                "Venezuela",
                "--cargo",
                "medicine",
                "--tonnes",
                "5",
                "--source-url",
                "https://example.org/x",
                "--source-title",
                "x",
                "--publisher",
                "x",
                "--by",
                " ",
            ],
            "error: by: who records the change is required",
        ),
    ],
)
def test_refused_writes_exit_2_with_the_reason(database_url: str, capsys, args, message):
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    code, out, err = run(database_url, *args, capsys=capsys)
    assert (code, out) == (2, "")
    assert message in err
    assert counts(database_url) == before


def test_bad_as_of_is_refused(database_url: str, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", database_url, "list", "--as-of", "yesterday"])
    assert exited.value.code == 2
    assert "must be an ISO 8601 timestamp" in capsys.readouterr().err


def test_list_formats(database_url: str, capsys):
    _, table, _ = run(database_url, "list", capsys=capsys)
    assert table.splitlines()[0].split() == [
        "id",
        "rev",
        "date",
        "means",
        "donor",
        "recipient",
        "cargo",
        "tonnes",
    ]
    _, as_json, _ = run(database_url, "list", "--format", "json", capsys=capsys)
    assert [item["mass_kg"] for item in json.loads(as_json)] == [65000, 71000, 64000, 69000]
    _, as_csv, _ = run(database_url, "list", "--format", "csv", capsys=capsys)
    assert len(list(csv.DictReader(io.StringIO(as_csv)))) == 4


def test_export_to_a_file(database_url: str, capsys, tmp_path):
    target = tmp_path / "ledger.csv"
    code, _, err = run(database_url, "export", "--output", str(target), capsys=capsys)
    assert code == 0
    assert f"wrote 4 shipments to {target}" in err
    assert target.read_text(encoding="utf-8").count("\n") == 5


def test_writes_default_to_ledger_editor(database_url: str, capsys, monkeypatch):
    monkeypatch.setenv("LEDGER_EDITOR", "carla")
    args = [a for a in add_args() if a not in ("--by", "ana")]
    assert run(database_url, *args, capsys=capsys)[0] == 0
    assert export_rows(database_url, capsys)[-1]["recorded_by"] == "carla"


@pytest.mark.parametrize("command", ["list", "reconcile"])
def test_unreachable_database_exits_3(capsys, command: str):
    """3, not 1: a script running reconcile can tell a failed claim from a missing database."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    code, _, err = run(url, command, capsys=capsys)
    assert code == 3
    assert "error: cannot use the database at postgresql+psycopg://nobody@127.0.0.1:1/none" in err


@pytest.mark.parametrize("url", ["foo", "postgresql://ana:s3cret@host:port/db"])
def test_a_database_url_that_is_not_one_is_said_so_without_repeating_it(capsys, url: str):
    code, _, err = run(url, "list", capsys=capsys)
    assert code == 3
    assert "error: cannot use the database at the URL given (--database-url or" in err
    assert "which is not a database URL" in err
    assert "s3cret" not in err
    assert "None" not in err


@pytest.mark.parametrize("command", [("list",), ("claims", "list"), ("reconcile",)], ids=" ".join)
def test_every_json_output_writes_letters_as_they_are(
    engine: Engine, database_url: str, capsys, command: tuple[str, ...]
):
    assert run(database_url, "init", capsys=capsys)[0] == Exit.DONE  # the seed, then one more
    with session_scope(engine) as session:
        append_shipment(
            session=session,
            shipment_in=make_shipment(recipient="Türkiye", donor="中国"),
            by="ana",
            via="cli",
        )
    code, out, _ = run(database_url, *command, "--format", "json", capsys=capsys)
    assert code in (0, 1)
    json.loads(out)
    assert "\\u" not in out
    assert "Cancillería" in out  # a seed publisher: in every output (sources, claims)
    if command == ("list",):
        assert "Türkiye" in out
        assert "中国" in out


def test_json_output_escapes_what_is_not_printable_and_reads_back_the_same():
    value = {"text": "a\u202eb \x7f \u2028 c\td 中国 \U0001f600"}
    out = io.StringIO()
    output.json_value(value, out)
    assert json.loads(out.getvalue()) == value
    assert all(c.isprintable() for c in out.getvalue() if c != "\n")
    assert "\\u202e" in out.getvalue()
    assert "\\u007f" in out.getvalue()
    assert "\\u2028" in out.getvalue()
    assert "中国 😀" in out.getvalue()


def test_python_dash_m_shipments_runs(database_url: str):
    env = {**os.environ, "LEDGER_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "shipments", "list"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "4 shipments, 269.000 t"
    refused = subprocess.run(
        [sys.executable, "-m", "shipments", "correct", "3", "--tonnes", "-1", "--reason", "x"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: tonnes: must be greater than 0 (got -1)\n",
    )


def test_reconcile_json_on_the_seeded_ledger(database_url: str, capsys):
    code, out, _ = run(database_url, "reconcile", "--format", "json", capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert report["summary"] == {"claims": 7, "consistent": 7, "inconsistent": 0, "no data": 0}
    [ministry] = [c for c in report["claims"] if c["value"] == 269]
    assert ministry["verdict"] == "consistent"
    assert ministry["source"]["url"] == "https://pic.twitter.com/CzSceB9L4f"
    assert "269 Toneladas" in ministry["quote"]
    assert [
        (r["reading"].split(",")[0], r["ledger_value"], r["verdict"]) for r in ministry["readings"]
    ] == [
        ("cumulative to 2019-05-27 (inclusive)", 269.0, "consistent"),
        ("delivery on 2019-05-27", 69.0, "inconsistent"),
    ]
    assert ministry["supported_by"] == [ministry["readings"][0]["id"]]
    assert ministry["readings"][0]["shipment_ids"] == [1, 2, 3, 4]


def test_reconcile_after_correcting_16_may(database_url: str, capsys):
    run(database_url, "init", capsys=capsys)
    time.sleep(0.01)
    before = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    assert (
        run(database_url, "correct", "3", "--tonnes", "46", "--reason", "test", capsys=capsys)[0]
        == 0
    )
    code, out, _ = run(database_url, "reconcile", "--format", "json", capsys=capsys)
    assert code == 1
    [ministry] = [c for c in json.loads(out)["claims"] if c["value"] == 269]
    cumulative = ministry["readings"][0]
    assert ministry["verdict"] == "inconsistent"
    assert (cumulative["ledger_value"], cumulative["difference"], cumulative["difference_pct"]) == (
        251.0,
        -18.0,
        -6.7,
    )
    code, table, _ = run(database_url, "reconcile", capsys=capsys)
    assert code == 1
    assert "difference -18.000 t (-6.7 %): inconsistent" in table
    code, out, _ = run(database_url, "reconcile", "--as-of", before, capsys=capsys)
    assert code == 0
    assert out.splitlines()[-1].endswith("7 consistent, 0 inconsistent, 0 no data")


def test_reconcile_without_ids_keeps_counts_and_verdicts(database_url: str, capsys):
    _, listed, _ = run(database_url, "reconcile", "--format", "json", capsys=capsys)
    code, out, _ = run(database_url, "reconcile", "--format", "json", "--no-ids", capsys=capsys)
    assert code == 0
    bare, full = json.loads(out), json.loads(listed)
    full_readings = [r for c in full["claims"] for r in c["readings"]]
    bare_readings = [r for c in bare["claims"] for r in c["readings"]]
    assert any(r["shipment_ids"] for r in full_readings)
    assert all(r["shipment_ids"] == [] for r in bare_readings)
    for r in full_readings:
        r["shipment_ids"] = []
    assert bare == full


def test_reconcile_csv_has_one_row_per_reading(database_url: str, capsys):
    code, out, _ = run(database_url, "reconcile", "--format", "csv", capsys=capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 8
    assert [(r["value"], r["reading_verdict"], r["ledger_value"]) for r in rows[:2]] == [
        ("269", "consistent", "269.000"),
        ("269", "inconsistent", "69.000"),
    ]


def claim_args(*extra: str) -> list[str]:
    return [
        "claims",
        "add",
        "--claimant",
        "Health Ministry",
        "--stated-on",
        "2019-06-10",
        "--quote",
        "almost 70 tonnes",
        "--metric",
        "tonnes",
        "--value",
        "70",
        "--qualifier",
        "approximately",
        "--reading",
        "single:2019-06-10,donor=China",
        "--source-url",
        "https://example.org/70",
        "--source-title",
        "70 t",
        "--publisher",
        "Example",
        "--by",
        "ana",
        *extra,
    ]


def test_claims_add_and_reconcile(database_url: str, capsys):
    run(database_url, *add_args(), capsys=capsys)
    code, out, err = run(database_url, *claim_args(), capsys=capsys)
    assert (code, err) == (0, "")
    assert out == (
        "added claim 8: 70 t (approximately +/-5%) [delivery on 2019-06-10, donor China]\n"
    )
    code, out, _ = run(database_url, "reconcile", "--format", "json", capsys=capsys)
    assert code == 0
    added = json.loads(out)["claims"][-1]
    assert (added["verdict"], added["readings"][0]["ledger_value"]) == ("consistent", 68.0)
    _, listing, _ = run(database_url, "claims", "list", capsys=capsys)
    assert listing.splitlines()[-1] == "8 claims"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--value", "-1"], "error: value: must be greater than 0"),
        (["--value", "1e3"], "error: value: must be a plain positive number written like 64"),
        (["--metric", "pallets"], "error: metric: must be tonnes or deliveries"),
        (["--qualifier", "roughly"], "error: qualifier: must be one of exact"),
        (["--tolerance-pct", "500"], "error: tolerance_pct (--tolerance-pct): must be more than 0"),
        (["--stated-on", "2019-02-30"], "error: stated_on (--stated-on): must be a real calendar"),
        (["--reading", "single:2019-02-30"], "error: readings.1.end (--reading): must be a real"),
        (
            ["--reading", "someday:2019-01-01"],
            "error: readings.1.scope (--reading): must be one of",
        ),
        (
            ["--reading", "single:2019-05-01,country=X"],
            "error: readings (--reading): filter 'country=X'",
        ),
        (["--quote", " "], "error: quote: the verbatim quote is required"),
        (["--source-url", "mailto:x@example.org"], "error: source.url (--source-url): must be"),
        (["--by", ""], "error: by: who records the change is required"),
        (["--by", "mallory"], "error: by: must name an active editor account ('mallory' is not"),
    ],
)
def test_claims_add_refuses_bad_input(database_url: str, capsys, extra, message):
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    code, out, err = run(database_url, *claim_args(*extra), capsys=capsys)
    assert (code, out) == (2, "")
    assert message in err
    assert counts(database_url) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--as-of", "0001-01-01T00:00+01:00"], "must be an ISO 8601 timestamp"),
        (["history", "99999999999999999999"], "must be a shipment id"),
        (["retract", "-1", "--reason", "x"], "must be a shipment id"),
        (["correct", "x1", "--tonnes", "1", "--reason", "x"], "must be a shipment id"),
    ],
)
def test_malformed_arguments_exit_2(database_url: str, capsys, args, message):
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", database_url, *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["retract", "2", "--reason", "bad \udcff byte", "--by", "ana"],
        ["retract", "2", "--reason", "x", "--by", "\udcff"],
        ["correct", "2", "--tonnes", "5", "--reason", "\udcff", "--by", "ana"],
        ["retract", "2", "--reason", "r" * 2001, "--by", "ana"],
    ],
)
def test_undecodable_or_overlong_text_is_refused(database_url: str, capsys, args):
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    code, _, err = run(database_url, *args, capsys=capsys)
    assert code == 2
    assert "must be valid text" in err or "at most 2000 characters" in err
    assert counts(database_url) == before


@pytest.mark.parametrize(
    "url", ["foo", "sqlite:////proc/nope/ledger.db"], ids=["not-a-url", "unwritable"]
)
def test_unusable_database_url_exits_3(url: str, capsys):
    code, _, err = run(url, "list", capsys=capsys)
    assert code == 3
    assert err.startswith("error: cannot use the database at")


def test_a_write_without_an_editor_is_refused(database_url: str, capsys, monkeypatch):
    monkeypatch.delenv("LEDGER_EDITOR", raising=False)
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    args = [a for a in add_args() if a not in ("--by", "ana")]
    code, out, err = run(database_url, *args, capsys=capsys)
    assert (code, out) == (2, "")
    assert "error: by: who records the change is required" in err
    assert "Pass --by NAME or set LEDGER_EDITOR" in err
    code, _, err = run(database_url, "retract", "1", "--reason", "x", capsys=capsys)
    assert code == 2
    assert counts(database_url) == before


def test_editors_add_list_disable(database_url: str, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    code, out, _ = run(database_url, "editors", "add", "dora", "--password-stdin", capsys=capsys)
    assert (code, out) == (0, "added editor dora\n")
    code, out, _ = run(database_url, "editors", "list", capsys=capsys)
    assert out.splitlines()[-1] == "4 editors"
    assert any(line.split()[:2] == ["dora", "active"] for line in out.splitlines())
    assert run(database_url, *add_args(), "--by", "dora", capsys=capsys)[0] == 0
    code, out, _ = run(database_url, "editors", "disable", "dora", capsys=capsys)
    assert (code, out) == (0, "disabled editor dora\n")
    before = counts(database_url)
    code, _, err = run(database_url, "retract", "1", "--reason", "x", "--by", "dora", capsys=capsys)
    assert code == 2
    assert "'dora' is disabled" in err
    assert counts(database_url) == before


@pytest.mark.parametrize(
    ("stdin", "name", "message"),
    [
        ("short\n", "eve", "error: password: must be at least 12 characters"),
        ("a long enough passphrase\n", "ana", "error: name: an editor named 'ana' already exists"),
        ("a long enough passphrase\n", " ", "error: name: who records the change is required"),
    ],
)
def test_editors_add_refuses_bad_input(
    database_url: str, capsys, monkeypatch, stdin, name, message
):
    run(database_url, "init", capsys=capsys)
    before = counts(database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _, err = run(database_url, "editors", "add", name, "--password-stdin", capsys=capsys)
    assert code == 2
    assert message in err
    assert counts(database_url) == before


def test_editors_add_without_a_terminal_needs_password_stdin(
    database_url: str, capsys, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(database_url, "editors", "add", "eve", capsys=capsys)
    assert code == 2
    assert "pass --password-stdin" in err


def declared_flags(commands: tuple[Command, ...]) -> set[str]:
    flags: set[str] = set()
    for command in commands:
        flags |= declared_flags(command.actions)
        for argument in command.arguments:
            for option in argument.options if isinstance(argument, OneOf) else (argument,):
                flags.update(option.flags)
    return flags


def test_refusals_name_only_arguments_that_exist():
    """An error names the flag to change (FILE is the import's positional file)."""
    assert {flag.lower() for flag in FLAGS.values()} <= declared_flags(COMMANDS)


def test_an_output_file_that_cannot_be_written_is_named(database_url: str, tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "out.csv"
    code, _, err = run(database_url, "export", "--output", str(target), capsys=capsys)
    assert code == Exit.DATABASE
    assert err.startswith(f"error: cannot write {target}: No such file or directory")
    assert "database" not in err


def test_a_reader_that_goes_away_stops_the_command_quietly(database_url: str, engine):
    from factories import make_shipment

    from shipments.db import session_scope
    from shipments.ledger import add_shipments
    from shipments.transaction import run_write

    rows = [(make_shipment(donor=f"Donor {n}"), None) for n in range(2000)]
    with session_scope(engine) as session:
        run_write(
            session=session, by="ana", via="cli", write=lambda tx: add_shipments(tx=tx, items=rows)
        )
    reader = subprocess.Popen(
        [sys.executable, "-m", "shipments", "export"],
        cwd=REPO_ROOT,
        env={**os.environ, "LEDGER_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None
    assert reader.stderr is not None
    assert reader.stdout.readline().startswith(b"id,revision,")
    reader.stdout.close()  # as `| head -1` does once it has its line
    assert reader.wait(timeout=120) == 1
    assert reader.stderr.read() == b""


def test_reconcile_as_of_keeps_its_report_when_a_claim_comes_later(database_url: str, capsys):
    time.sleep(0.01)
    before = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    first = run(database_url, "reconcile", "--as-of", before, "--format", "json", capsys=capsys)
    code, _, err = run(
        database_url,
        "claims",
        "add",
        "--claimant",
        "Someone",
        "--quote",
        "a thousand tonnes",
        "--metric",
        "tonnes",
        "--value",
        "1000",
        "--reading",
        "cumulative:2019-05-27",
        "--source-url",
        "https://example.org/thousand",
        "--source-title",
        "A thousand",
        "--publisher",
        "Example",
        capsys=capsys,
    )
    assert code == 0, err
    assert run(database_url, "reconcile", capsys=capsys)[0] == 1
    later = run(database_url, "reconcile", "--as-of", before, "--format", "json", capsys=capsys)
    assert later == first
    assert first[0] == 0
    code, out, _ = run(database_url, "reconcile", "--as-of", "0001-01-01", capsys=capsys)
    assert code == 0
    assert out.splitlines()[-1].startswith("0 claims as of 0001-01-01")
    assert out.splitlines()[-1].endswith(": 0 consistent, 0 inconsistent, 0 no data")


def test_text_from_data_reaches_the_terminal_inert(database_url: str, tmp_path, capsys):
    """A reason cannot fake a revision line; a file's header cannot send escape sequences."""
    fake = "weighbill\nrevision 9 (correct) by mallory"
    code, _, err = run(
        database_url, "correct", "1", "--tonnes", "66", "--reason", fake, capsys=capsys
    )
    assert code == 0, err
    _, history, _ = run(database_url, "history", "1", capsys=capsys)
    assert "    reason: weighbill\\nrevision 9 (correct) by mallory" in history.splitlines()
    assert not any(line.startswith("revision 9") for line in history.splitlines())
    path = tmp_path / "escapes.csv"
    path.write_text(
        "date,date_means,donor,recipient,cargo,tonnes,source_url,\x1b]0;owned\x07\x1b[2J\n"
        "2019-06-01,sent,Cuba,Venezuela,medicine,5,https://example.org/e,x\n",
        encoding="utf-8",
    )
    code, out, err = run(database_url, "import", str(path), "--dry-run", capsys=capsys)
    assert code == 0, err
    assert "\x1b" not in out + err
    assert "Columns not read: \\x1b]0;owned\\x07\\x1b[2J." in out


def test_init_empty_starts_a_ledger_of_ones_own_that_no_later_start_seeds(
    other_database_url: str, capsys
):
    code, out, _ = run(other_database_url, "init", "--empty", capsys=capsys)
    assert code == Exit.DONE
    assert "an empty ledger of your own" in out
    for command in (("list",), ("init",), ("claims", "list")):
        code, out, _ = run(other_database_url, *command, capsys=capsys)
        assert code == Exit.DONE
    engine = make_engine(other_database_url)
    counts = row_counts(engine)
    engine.dispose()
    assert (counts["shipment"], counts["claim"], counts["source"]) == (0, 0, 0)


def test_init_seed_loads_another_folder_laid_out_like_data_seed(
    other_database_url: str, tmp_path, capsys
):
    folder = tmp_path / "my-seed"
    folder.mkdir()
    for name in ("sources.csv", "claims.csv"):
        lines = (REPO_ROOT / "data" / "seed" / name).read_text(encoding="utf-8").splitlines()
        (folder / name).write_text("\n".join(lines[:1] if name == "claims.csv" else lines) + "\n")
    shipments = (REPO_ROOT / "data" / "seed" / "shipments.csv").read_text().splitlines()
    (folder / "shipments.csv").write_text("\n".join(shipments[:2]) + "\n", encoding="utf-8")
    code, out, _ = run(other_database_url, "init", "--seed", str(folder), capsys=capsys)
    assert code == Exit.DONE
    assert f"seeded 1 shipments and 0 claims from {folder}" in out
    assert "ledger: 1 shipments, 65.000 t" in out


@pytest.mark.parametrize(
    ("setting", "args", "code", "said"),
    [
        ("none", ("list",), Exit.DONE, "0 shipments, 0.000 t"),
        ("/no/such/folder", ("list",), Exit.REFUSED, "error: LEDGER_SEED: '/no/such/folder' is"),
        ("/no/such/folder", ("init", "--seed", "/x"), Exit.REFUSED, "error: seed: '/x' is not"),
    ],
)
def test_the_seed_setting_chooses_what_any_first_start_loads(
    other_database_url: str, monkeypatch, capsys, setting: str, args: tuple[str, ...], code, said
):
    monkeypatch.setenv("LEDGER_SEED", setting)
    got, out, err = run(other_database_url, *args, capsys=capsys)
    assert got == code
    assert said in out + err
