"""Several processes writing at once lose nothing and duplicate nothing."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from shipments.audit import audit_events
from shipments.db import REPO_ROOT
from shipments.models import Shipment, ShipmentRevision

WRITER = """
import sys
from decimal import Decimal
from shipments.db import make_engine, session_scope
from shipments.ledger import append_shipment, correct_shipment
from shipments.models import ShipmentCorrection, ShipmentCreate, parse

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
