"""The database itself keeps the ledger append-only: its triggers refuse rewriting history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from shipments.exchange.import_rows import ImportOptions
from shipments.exchange.imports import import_file

# Each protected table, a column to try to change, and its new value.
PROTECTED = [
    ("shipment", "created_by", "'mallory'"),
    ("shipment_revision", "mass_kg", "1"),
    ("revision_source", "source_id", "source_id"),
    ("source", "title", "'rewritten'"),
    ("claim", "value", "'1'"),
    ("claim_reading", "donor", "'Nobody'"),
    ("claim_reading", "basis", "'received'"),
    ("audit_event", "actor", "'mallory'"),
    ("import_batch", "sha256", "'0000'"),
]


@pytest.fixture
def ledger(seeded_engine: Engine, seeded_session: Session, tmp_path: Path) -> Engine:
    """Return the seeded ledger with one imported file, so every protected table has rows."""
    path = tmp_path / "one.csv"
    path.write_text(
        "date,date_means,donor,recipient,cargo,tonnes,source_url\n"
        "2019-06-01,sent,Cuba,Venezuela,medicine,5,https://example.org/one\n",
        encoding="utf-8",
    )
    assert import_file(
        session=seeded_session, path=path, options=ImportOptions(), by="ana"
    ).committed
    return seeded_engine


@pytest.mark.parametrize(("table", "column", "value"), PROTECTED)
@pytest.mark.parametrize("statement", ["update", "delete"])
def test_history_cannot_be_rewritten_in_the_database(
    ledger: Engine, table: str, column: str, value: str, statement: str
):
    sql = (
        f"UPDATE {table} SET {column} = {value}"
        if statement == "update"
        else f"DELETE FROM {table}"
    )
    with ledger.connect() as connection:
        before = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        assert before > 0
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(sql))
        connection.rollback()
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before


def test_an_import_batch_keeps_its_counters_writable(ledger: Engine):
    with ledger.begin() as connection:
        connection.execute(text("UPDATE import_batch SET rows_added = rows_added"))


def test_the_projection_and_accounts_stay_writable(ledger: Engine):
    with ledger.begin() as connection:
        connection.execute(text("UPDATE current_shipment SET cargo = cargo"))
        connection.execute(text("UPDATE editor SET active = active"))


def test_postgresql_refuses_truncating_history(ledger: Engine):
    if ledger.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none (DELETE is refused above)")
    with ledger.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("TRUNCATE shipment_revision CASCADE"))


def test_a_revision_takes_when_it_was_superseded_once_and_nothing_else(ledger: Engine):
    """The one change the database allows a revision: setting superseded_at where it is NULL."""
    with ledger.begin() as connection:
        standing = (
            connection.execute(
                text("SELECT id FROM shipment_revision WHERE superseded_at IS NULL ORDER BY id")
            )
            .scalars()
            .first()
        )
        connection.execute(
            text("UPDATE shipment_revision SET superseded_at = :at WHERE id = :id"),
            {"at": "2030-01-01 00:00:00", "id": standing},
        )
    for statement in (
        "UPDATE shipment_revision SET superseded_at = '2031-01-01 00:00:00' WHERE id = :id",
        "UPDATE shipment_revision SET superseded_at = NULL WHERE id = :id",
        "UPDATE shipment_revision SET superseded_at = '2031-01-01', mass_kg = 1 WHERE id = :id",
    ):
        with ledger.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), {"id": standing})
    with ledger.connect() as connection:
        others = (
            connection.execute(
                text("SELECT id FROM shipment_revision WHERE superseded_at IS NULL ORDER BY id")
            )
            .scalars()
            .first()
        )
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(
                text(
                    "UPDATE shipment_revision SET superseded_at = NULL, donor = 'x' WHERE id = :id"
                ),
                {"id": others},
            )


def test_a_correction_marks_the_revision_it_supersedes(ledger: Engine):
    from shipments.ledger import correct_shipment
    from shipments.models import ShipmentCorrection
    from shipments.rules import parse

    with Session(ledger) as session:
        fixed = correct_shipment(
            session=session,
            shipment_id=3,
            correction_in=parse(ShipmentCorrection, {"tonnes": "46", "reason": "weighbill"}),
            by="ana",
            via="cli",
        )
    with ledger.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT revision, recorded_at, superseded_at FROM shipment_revision"
                " WHERE shipment_id = 3 ORDER BY revision"
            )
        ).all()
    assert [r.revision for r in rows] == [1, fixed.revision]
    assert rows[0].superseded_at == rows[1].recorded_at
    assert rows[1].superseded_at is None
