"""Several processes writing at once lose nothing and duplicate nothing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from factories import projection_and_history
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from shipments.audit import audit_events
from shipments.db import REPO_ROOT
from shipments.models import Shipment, ShipmentRevision

pytestmark = pytest.mark.slow

WRITER = """
import sys
from decimal import Decimal
from shipments.db import make_engine, session_scope
from shipments.ledger import append_shipment, correct_shipment
from shipments.models import ShipmentCorrection, ShipmentCreate
from shipments.rules import parse

url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
mine = []
with session_scope(engine) as session:
    for n in range(count):
        shipment = append_shipment(
            session=session, by="ana", via="cli",
            shipment_in=parse(ShipmentCreate, {
                "event_date": f"2020-{1 + n % 12:02d}-{1 + n % 28:02d}", "date_means": "sent",
                "donor": f"Donor {worker}", "recipient": "Venezuela", "cargo": "medicine",
                "tonnes": f"{n + 1}.{worker:03d}",
                "sources": [{"url": "https://example.org/shared", "title": "Shared",
                             "publisher": "Example"}],
            }),
        )
        mine.append(shipment.id)
        if n % 5 == 4:
            target = mine[n // 2]
            correct_shipment(
                session=session, shipment_id=target, by="bo", via="cli",
                correction_in=parse(ShipmentCorrection, {
                    "note": f"checked by worker {worker} at {n}", "reason": "recount"}),
            )
print(len(mine))
"""

WORKERS, APPENDS = 4, 250


def test_four_writers_lose_nothing_and_duplicate_nothing(seeded_engine: Engine, database_url: str):
    seeded_engine.dispose()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, database_url, str(worker), str(APPENDS)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WORKERS)
    ]
    results = [writer.communicate(timeout=600) for writer in writers]
    assert [w.returncode for w in writers] == [0] * WORKERS, results
    assert [int(out) for out, _ in results] == [APPENDS] * WORKERS

    with Session(seeded_engine) as session:
        shipments = session.exec(select(func.count()).select_from(Shipment)).one()
        assert shipments == 4 + WORKERS * APPENDS
        revisions = session.exec(
            select(ShipmentRevision.shipment_id, ShipmentRevision.revision)
        ).all()
        by_shipment: dict[int, list[int]] = {}
        for shipment_id, number in revisions:
            by_shipment.setdefault(shipment_id, []).append(number)
        assert all(sorted(n) == list(range(1, len(n) + 1)) for n in by_shipment.values())
        corrections = sum(len(n) - 1 for n in by_shipment.values())
        assert corrections == WORKERS * (APPENDS // 5)
        events = [(e.action, e.via) for e in audit_events(session=session) if e.via == "cli"]
        assert events.count(("shipment.append", "cli")) == WORKERS * APPENDS
        assert events.count(("shipment.correct", "cli")) == corrections
        all_revisions = session.exec(select(func.count()).select_from(ShipmentRevision)).one()
        assert all_revisions == 4 + WORKERS * APPENDS + corrections


IMPORTER = """
import sys
from pathlib import Path
from shipments.db import make_engine, session_scope
from shipments.errors import InvalidInput
from shipments.exchange.import_rows import ImportOptions
from shipments.exchange.imports import import_file

url, path = sys.argv[1], Path(sys.argv[2])
with session_scope(make_engine(url)) as session:
    try:
        report = import_file(session=session, path=path, options=ImportOptions(), by="bo")
    except InvalidInput as refused:
        print(f"refused: {refused}")
        sys.exit(3)
print(f"committed {report.rows_added}")
"""


def _import_file(path, donor: str, rows: int) -> None:
    lines = ["date,date_means,donor,recipient,cargo,tonnes,source_url"]
    lines += [
        f"2021-{1 + n % 12:02d}-{1 + n % 28:02d},received,{donor},Cuba,food,{n + 1}.5,"
        f"https://example.org/{donor.lower().replace(' ', '-')}"
        for n in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_appends_and_imports_at_once_lose_nothing(
    seeded_engine: Engine, database_url: str, tmp_path
):
    """Two writers append and correct while two files are imported, and a third file is
    imported twice at the same moment: everything lands once, the second copy is refused."""
    from shipments.models import ImportBatch

    seeded_engine.dispose()
    files = [tmp_path / name for name in ("a.csv", "b.csv", "same.csv")]
    donors = ("Importer A", "Importer B", "Twice")
    for path, donor, rows in zip(files, donors, (150, 150, 100), strict=True):
        _import_file(path, donor, rows)
    commands = [[WRITER, database_url, str(worker), "100"] for worker in (1, 2)]
    commands += [[IMPORTER, database_url, str(path)] for path in files + files[2:]]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", *command],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = [(p.communicate(timeout=600), p.returncode) for p in processes]
    writers, importers, twice = results[:2], results[2:4], results[4:]
    assert [code for _, code in writers + importers] == [0] * 4, results
    assert [out.strip() for (out, _), _ in importers] == ["committed 150"] * 2
    outcomes = sorted((code, out.strip()) for (out, _), code in twice)
    assert outcomes[0] == (0, "committed 100"), results
    assert outcomes[1][0] == 3
    assert re.search(
        r"file: this file \(SHA-256 \w+\.\.\.\) (was already imported|is being)", outcomes[1][1]
    )

    with Session(seeded_engine) as session:
        shipments = session.exec(select(func.count()).select_from(Shipment)).one()
        assert shipments == 4 + 2 * 100 + 150 + 150 + 100
        assert session.exec(select(func.count()).select_from(ImportBatch)).one() == 3
        events = [(e.action, e.via) for e in audit_events(session=session)]
        assert events.count(("shipment.append", "cli")) == 200
        assert events.count(("shipment.correct", "cli")) == 2 * 20
        assert events.count(("shipment.append", "import")) == 400
        assert events.count(("import.commit", "import")) == 3
        # The projection agrees with the history, sources included.
        projected, from_history = projection_and_history(session)
        assert projected == from_history
        assert len(projected) == shipments
