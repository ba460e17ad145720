"""The benchmarks' generated ledger is a valid one: bench/generate.py's realistic shape."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import generate

from shipments.cli import main

SHAPE = generate.Shape(claims=100, readings=150, corrections_pct=5, retractions_pct=1, notes_pct=20)


@pytest.fixture
def generated_url(seeded_engine: Engine, database_url: str) -> str:
    """Return the URL of the seed ledger with 5,000 generated shipments and 100 claims added."""
    generate.fill(seeded_engine, 5_000, SHAPE)
    return database_url


def test_the_generated_ledger_holds_the_shape_asked_for(
    generated_url: str, seeded_engine: Engine
) -> None:
    with seeded_engine.connect() as db:
        actions = dict(
            db.execute(text("SELECT action, COUNT(*) FROM shipment_revision GROUP BY action")).all()
        )
        readings = db.execute(
            text(
                "SELECT scope, inclusive, COUNT(*), COUNT(basis) FROM claim_reading"
                " WHERE claim_id IN (SELECT id FROM claim WHERE recorded_by = 'bench')"
                " GROUP BY scope, inclusive"
            )
        ).all()
        notes = db.execute(text("SELECT COUNT(note) FROM shipment_revision")).scalar_one()
        current = db.execute(text("SELECT COUNT(*) FROM current_shipment")).scalar_one()
    assert actions["append"] == 5_004
    assert 150 < actions["correct"] < 350  # 5 %
    assert 20 < actions["retract"] < 80  # 1 %
    assert current == 5_004 - actions["retract"]
    kinds = {(scope, bool(inclusive)) for scope, inclusive, _count, _bases in readings}
    assert kinds == {
        ("cumulative", True),
        ("cumulative", False),
        ("single", True),
        ("period", True),
    }
    assert sum(count for _s, _i, count, _b in readings) == 150
    assert sum(bases for *_rest, bases in readings) > 0  # some count consignments by a record
    assert 800 < notes < 1_300  # 20 %


def test_the_generated_ledger_is_consistent(generated_url: str) -> None:
    assert generate.check(generated_url) == []


def test_the_commands_read_the_generated_ledger(generated_url: str) -> None:
    for args in (
        ["reconcile", "--no-ids"],
        ["reconcile", "--no-ids", "--as-of", generate.MIDDLE],
        ["list", "--as-of", generate.MIDDLE, "--format", "csv"],
    ):
        out = io.StringIO()
        code = main(["--database-url", generated_url, *args], stdout=out)
        assert code in (0, 1), args  # reconcile exits 1 when a claim is inconsistent
        assert out.getvalue().count("\n") > 20, args
    middle = io.StringIO()
    main(
        ["--database-url", generated_url, "list", "--as-of", generate.MIDDLE, "--format", "csv"],
        stdout=middle,
    )
    now = io.StringIO()
    main(["--database-url", generated_url, "list", "--format", "csv"], stdout=now)
    assert 1_000 < middle.getvalue().count("\n") < now.getvalue().count("\n")
