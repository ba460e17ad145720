"""Who wrote: a command-line write records the operating-system user and host beside ``--by``.

``--by`` (or ``$LEDGER_EDITOR``) names an editor account without proof, so every write made
through the command line also keeps the process's account (by its uid) and
``socket.gethostname()`` in its audit events; the dashboard's writes, proven by the sign-in, keep
neither. The tests set both to values no machine has, so a value taken from anywhere else fails
them.
"""

from __future__ import annotations

import csv
import io
import os
import pwd
from pathlib import Path
from typing import Any

import pytest
from dashboard_pages import on_tab, signed_in, switch_page
from factories import make_shipment, row_counts
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from shipments.audit import audit_events
from shipments.cli import main
from shipments.db import REPO_ROOT, current_revision, make_engine, migrate, session_scope
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.reports import AUDIT_COLUMNS, audit_rows
from shipments.ledger import append_shipment, retract_shipment
from shipments.models import AuditEvent
from shipments.transaction import shell_origin

OS_USER, HOST = "os-alice", "box-7.example"
DASHBOARD = str(REPO_ROOT / "dashboard.py")
IMPORTED = (
    "date,date_means,donor,recipient,cargo,tonnes,source_url\n"
    "2019-06-01,sent,Cuba,Venezuela,medicine,5,https://example.org/one\n"
)
ADD = [
    *("add", "--date", "2019-06-10", "--date-means", "received", "--donor", "Cuba"),
    *("--recipient", "Venezuela", "--cargo", "medicine", "--tonnes", "12"),
    *("--source-url", "https://example.org/cuba", "--source-title", "Cuban aid"),
    *("--publisher", "Example News", "--by", "ana"),
]
CLAIM = [
    *("claims", "add", "--claimant", "Health Ministry", "--quote", "almost 70 tonnes"),
    *("--metric", "tonnes", "--value", "70", "--reading", "single:2019-06-10,donor=China"),
    *("--source-url", "https://example.org/70", "--source-title", "70 t", "--publisher", "Ex"),
    *("--by", "ana"),
]

# command line -> the (actor, via, action) of each audit event it records
WRITES: dict[str, tuple[list[str], list[tuple[str, str, str]]]] = {
    "add": (ADD, [("ana", "cli", "shipment.append")]),
    "correct": (
        ["correct", "3", "--tonnes", "46", "--reason", "weighbill", "--by", "bo"],
        [("bo", "cli", "shipment.correct")],
    ),
    "retract": (
        ["retract", "2", "--reason", "entered twice", "--by", "ana"],
        [("ana", "cli", "shipment.retract")],
    ),
    "claims add": (CLAIM, [("ana", "cli", "claim.add")]),
    "import": (
        ["import", "IMPORTED", "--by", "carla"],
        [("carla", "import", "shipment.append"), ("carla", "import", "import.commit")],
    ),
    "editors add": (
        ["editors", "add", "dora", "--password-stdin"],
        [(OS_USER, "cli", "editor.add")],
    ),
    "editors disable": (["editors", "disable", "bo"], [(OS_USER, "cli", "editor.disable")]),
}


USER_NAME = "shipments.transaction.os_user"


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this machine's user OS_USER and its host HOST, as the standard library reports."""
    monkeypatch.setattr("shipments.transaction.os_user", lambda: OS_USER)
    monkeypatch.setattr("socket.gethostname", lambda: HOST)
    monkeypatch.delenv("LEDGER_EDITOR", raising=False)


def cli(url: str, *args: str) -> int:
    return main(["--database-url", url, *args], stdout=io.StringIO())


def newest_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        return max((e.id or 0 for e in session.exec(select(AuditEvent))), default=0)


def events_after(engine: Engine, after: int) -> list[AuditEvent]:
    with session_scope(engine) as session:
        found = session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > after).order_by(col(AuditEvent.id))
        )
        return list(found)


@pytest.mark.usefixtures("machine")
@pytest.mark.parametrize(("args", "expected"), list(WRITES.values()), ids=list(WRITES))
def test_every_cli_write_records_the_os_user_and_host(
    seeded_engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: list[tuple[str, str, str]],
):
    path = tmp_path / "one.csv"
    path.write_text(IMPORTED, encoding="utf-8")
    args = [str(path) if a == "IMPORTED" else a for a in args]
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    before = newest_id(seeded_engine)
    assert cli(database_url, *args) == 0
    events = events_after(seeded_engine, before)
    assert sorted({(e.actor, e.via, e.action) for e in events}) == sorted(expected)
    assert {(e.os_user, e.host) for e in events} == {(OS_USER, HOST)}


@pytest.mark.usefixtures("machine")
def test_the_seed_that_init_loads_records_who_ran_it(database_url: str):
    assert cli(database_url, "init") == 0
    engine = make_engine(database_url)
    events = events_after(engine, 0)
    engine.dispose()
    assert {(e.actor, e.via, e.os_user, e.host) for e in events} == {
        ("seed", "seed", OS_USER, HOST)
    }


def test_an_account_without_a_passwd_entry_is_recorded_by_its_uid(
    seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("socket.gethostname", lambda: HOST)

    def no_passwd_entry(uid: int) -> object:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr("pwd.getpwuid", no_passwd_entry)
    before = newest_id(seeded_engine)
    assert cli(database_url, "retract", "1", "--reason", "x", "--by", "ana") == 0
    [event] = events_after(seeded_engine, before)
    assert (event.os_user, event.host) == (f"uid {os.getuid()}", HOST)


@pytest.mark.usefixtures("machine")
@pytest.mark.parametrize(
    ("patch", "value", "message"),
    [
        (USER_NAME, "u" * 201, "os_user: the operating-system user name must be at most"),
        ("socket.gethostname", "h" * 256, "host: the host name must be at most 255 characters"),
        (USER_NAME, "caf\udce9", "os_user: the operating-system user name 'caf\\udce9'"),
    ],
)
def test_an_os_user_or_host_the_audit_cannot_keep_refuses_the_write(
    seeded_engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    patch: str,
    value: str,
    message: str,
):
    monkeypatch.setattr(patch, lambda: value)
    before = row_counts(seeded_engine)
    assert cli(database_url, "retract", "1", "--reason", "x", "--by", "ana") == 2
    assert message in capsys.readouterr().err
    assert row_counts(seeded_engine) == before
    assert cli(database_url, "list") == 0  # reading records nothing, so it is not refused


@pytest.mark.usefixtures("machine", "fresh_caches")
def test_a_dashboard_write_records_no_os_user_or_host(
    seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    before = newest_id(seeded_engine)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    signed_in(app, "ana")
    switch_page(app.run(), "/edit").run()
    on_tab(app, "Retract a shipment")
    app.number_input(key="drop_id").set_value(1)
    app.text_area(key="drop_reason").input("not medicine")
    button = next(b for b in app.get("form_submit_button") if b.proto.label == "Retract shipment")
    button.click().run()
    assert not app.exception
    [event] = events_after(seeded_engine, before)
    assert (event.actor, event.via, event.action) == ("ana", "form", "shipment.retract")
    assert (event.os_user, event.host) == (None, None)


@pytest.mark.usefixtures("machine", "fresh_caches")
def test_the_audit_page_and_its_csv_show_where_a_cli_write_ran(
    seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    import streamlit

    assert cli(database_url, "retract", "2", "--reason", "entered twice", "--by", "bo") == 0
    with session_scope(seeded_engine) as session:  # as the dashboard's form writes
        retract_shipment(session=session, shipment_id=1, reason="x", by="ana", via="form")
    downloads: dict[str, Any] = {}
    button = streamlit.download_button

    def keep(label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        downloads[label] = data
        return button(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", keep)
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    signed_in(app, "ana")
    switch_page(app.run(), "/audit").run()
    assert not app.exception
    writes = app.dataframe[0].value
    shown = list(zip(writes["actor"][:2], writes["via"][:2], writes["from"][:2], strict=True))
    assert shown == [("ana", "form", ""), ("bo", "cli", f"cli: {OS_USER}@{HOST}")]
    rows = list(csv.DictReader(io.StringIO(downloads["Writes (CSV)"])))
    assert [(r["actor"], r["from"]) for r in rows[:2]] == [
        ("ana", ""),
        ("bo", f"cli: {OS_USER}@{HOST}"),
    ]
    assert {r["from"] for r in rows[2:]} == {""}  # the seed, loaded by the tests, not the CLI


@pytest.mark.usefixtures("machine")
def test_a_hostile_os_user_is_kept_and_reaches_the_audit_csv_inert(
    seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(
        "shipments.transaction.os_user", lambda: '=HYPERLINK("http://x","y")\x1b[2J'
    )
    assert cli(database_url, "retract", "2", "--reason", "x", "--by", "bo") == 0
    with session_scope(seeded_engine) as session:
        [event] = [e for e in audit_events(session=session) if e.os_user]
        out = io.StringIO()
        write_csv(audit_rows([event]), out, AUDIT_COLUMNS)
    assert event.os_user == '=HYPERLINK("http://x","y")\x1b[2J'  # kept as the machine gave it
    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["from"] == f'cli: =HYPERLINK("http://x","y")\\x1b[2J@{HOST}'  # the escape, inert


def test_migration_0008_keeps_audit_rows_and_the_append_only_triggers(database_url: str):
    engine = make_engine(database_url)
    migrate(engine, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_event (at, actor, via, action, subject, detail)"
                " VALUES ('2026-01-02 03:04:05', 'old', 'cli', 'shipment.append', 'shipment 1',"
                " NULL)"
            )
        )
    migrate(engine, "0008")
    assert current_revision(engine) == "0008"
    with session_scope(engine) as session:
        [old] = session.exec(select(AuditEvent)).all()
    assert (old.actor, old.subject, old.os_user, old.host) == ("old", "shipment 1", None, None)
    refuses_rewriting(engine)
    migrate(engine, "0007")
    refuses_rewriting(engine)
    migrate(engine)
    refuses_rewriting(engine)
    engine.dispose()


def refuses_rewriting(engine: Engine) -> None:
    """Check that audit_event refuses UPDATE (the new columns too) and DELETE, keeping its rows."""
    columns = {c["name"] for c in inspect(engine).get_columns("audit_event")}
    statements = ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"]
    if "os_user" in columns:
        statements.append("UPDATE audit_event SET os_user = 'mallory', host = 'elsewhere'")
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
        assert connection.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == before


def test_a_library_write_outside_the_command_line_records_none(session: Session):
    """A script or a test that calls the library is not the command line: no OS user, no host."""
    append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
    [event] = session.exec(select(AuditEvent)).all()
    assert (event.os_user, event.host) == (None, None)


def test_the_os_user_is_the_account_of_the_uid_not_the_login_name_variables(
    monkeypatch: pytest.MonkeyPatch,
):

    monkeypatch.setenv("LOGNAME", "someone-else")
    monkeypatch.setenv("USER", "someone-else")
    assert shell_origin().os_user == pwd.getpwuid(os.getuid()).pw_name != "someone-else"
