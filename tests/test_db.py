"""Database set-up: the URL, SQLite pragmas, migrations that keep rows, and seeding once."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from factories import row_counts
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from shipments.db import (
    REPO_ROOT,
    alembic_config,
    current_revision,
    database_url,
    make_engine,
    migrate,
    session_scope,
)
from shipments.exchange.export import write_shipments
from shipments.ledger import current_shipments, ledger_totals
from shipments.seed import Seeded, prepare_database, seed_ledger


def head_revision() -> str | None:
    """Return the newest migration revision shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_default_url_is_the_sqlite_file_in_the_repository(monkeypatch):
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    url = make_url(database_url())
    assert (url.get_backend_name(), url.database) == (
        "sqlite",
        str(REPO_ROOT / "data" / "ledger.db"),
    )


def test_environment_url_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    assert database_url() == f"sqlite:///{tmp_path}/x.db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_relative_sqlite_path_is_taken_from_the_repository(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    url = make_url(database_url("sqlite:///data/elsewhere.db"))
    assert url.database == str(REPO_ROOT / "data" / "elsewhere.db")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 10_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_migrate_reaches_head(engine: Engine):
    assert current_revision(engine) == head_revision()


def test_seed_is_idempotent(database_url: str):
    engine = make_engine(database_url)
    assert prepare_database(engine) == Seeded(shipments=4, claims=7)
    first = row_counts(engine)
    assert prepare_database(engine) == Seeded(shipments=0, claims=0)
    assert row_counts(engine) == first
    engine.dispose()


def test_seed_does_not_return_after_every_shipment_is_retracted(seeded_session, seeded_engine):
    from shipments.ledger import retract_shipment

    for shipment_id in (1, 2, 3, 4):
        retract_shipment(
            session=seeded_session, shipment_id=shipment_id, reason="x", by="ana", via="cli"
        )
    assert seed_ledger(session=seeded_session) == Seeded(shipments=0, claims=0)
    assert ledger_totals(session=seeded_session).shipments == 0


def test_upgrade_from_the_first_revision_keeps_rows(database_url: str):
    script = ScriptDirectory.from_config(alembic_config())
    first = script.get_base()
    assert first is not None
    engine = make_engine(database_url)
    migrate(engine, first)
    assert current_revision(engine) == first
    at = datetime(2026, 1, 2, 3, 4, 5)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO source (publisher, title, url, kind, recorded_by, recorded_at)"
                " VALUES ('P', 'T', 'https://example.org/t', 'press', 'old', :at)"
            ),
            {"at": at},
        )
        connection.execute(
            text("INSERT INTO shipment (created_by, created_at) VALUES ('old', :at)"), {"at": at}
        )
        connection.execute(
            text(
                "INSERT INTO shipment_revision (shipment_id, revision, action, event_date,"
                " date_means, donor, recipient, cargo, mass_kg, recorded_by, recorded_at)"
                " VALUES (1, 1, 'append', '2019-05-27', 'received', 'China', 'Venezuela',"
                " 'medicine', 69000, 'old', :at)"
            ),
            {"at": at},
        )
        connection.execute(text("INSERT INTO revision_source VALUES (1, 1)"))
        connection.execute(
            text("INSERT INTO ledger_seed (name, applied_at) VALUES ('shipments', :at)"), {"at": at}
        )
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with session_scope(engine) as session:
        [shipment] = current_shipments(session=session)
    assert (shipment.id, shipment.mass_kg, shipment.recorded_by) == (1, 69_000, "old")
    assert shipment.recorded_at == at.replace(tzinfo=UTC)
    assert [s.url for s in shipment.sources] == ["https://example.org/t"]
    with engine.connect() as connection:  # filled by migrations 0005 and 0006
        projected = connection.execute(text("SELECT revision_id, source_ids FROM current_shipment"))
        assert projected.all() == [(1, "1")]
    with session_scope(engine) as session:
        out = io.StringIO()
        write_shipments(session=session, file=out)
    assert "https://example.org/t" in out.getvalue().splitlines()[1]
    assert prepare_database(engine) == Seeded(shipments=0, claims=7)
    with session_scope(engine) as session:
        assert ledger_totals(session=session).mass_kg == 69_000
    engine.dispose()


def test_database_refuses_what_the_models_refuse(engine: Engine):
    """The CHECK constraints are a second line behind the models, for writes that bypass them."""
    at = datetime(2026, 1, 2)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO shipment (id, created_by, created_at) VALUES (1, 'x', :at)"),
            {"at": at},
        )
    insert = text(
        "INSERT INTO shipment_revision (shipment_id, revision, action, event_date, date_means,"
        " donor, recipient, cargo, mass_kg, recorded_by, recorded_at)"
        " VALUES (1, 1, 'append', '2019-05-27', :means, 'C', 'V', 'm', :kg, 'x', :at)"
    )
    for means, kg in (("received", 0), ("arrived", 5), ("sent", 100_000_001)):
        with pytest.raises(Exception, match=r"(?i)check"), engine.begin() as connection:
            connection.execute(insert, {"means": means, "kg": kg, "at": at})


def test_servers_starting_together_migrate_and_seed_once(database_url: str):
    """Two processes starting on the same new database end with one schema and one seed."""
    import subprocess
    import sys

    code = (
        "import sys; from shipments.db import make_engine; "
        "from shipments.seed import prepare_database; "
        "print(prepare_database(make_engine(sys.argv[1])).shipments)"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code, database_url],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [start.communicate(timeout=120) for start in starts]
    assert [start.returncode for start in starts] == [0, 0], results
    assert sorted(int(out) for out, _ in results) == [0, 4]
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        assert ledger_totals(session=session).mass_kg == 269_000
    engine.dispose()


def test_migrations_match_the_models(engine: Engine):
    """Every table, column and index the models declare is what the migrations create."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_the_migration_files_names_give_alembics_head():
    """migrate() skips Alembic for a database at file_head(): it must be Alembic's own head."""
    from shipments.db import file_head

    assert file_head() == head_revision()


def test_a_database_at_the_head_is_not_migrated_again(engine, monkeypatch):
    """The fast path: nothing of Alembic runs when the stored revision is the head."""
    import alembic.command

    from shipments.db import stored_revision

    assert stored_revision(engine) == head_revision()
    calls = []
    monkeypatch.setattr(alembic.command, "upgrade", lambda *args: calls.append(args))
    migrate(engine)
    assert calls == []
    migrate(engine, "0011")  # any other target still goes through Alembic
    assert len(calls) == 1
