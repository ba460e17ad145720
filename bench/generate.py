"""Fill a ledger with N generated shipments quickly, for benchmarks (not through the importer).

10 donors, 8 recipients, 6 cargo types, 11 years (2014-2024); one revision each, one of 50
sources each. Rows go straight in with multi-row INSERTs, 10,000 at a time.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import Engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as bench/generate.py

from shipments.db import make_engine
from shipments.ledger import current_shipment_row
from shipments.models import CurrentShipment, RevisionSourceLink, Shipment, ShipmentRevision, Source
from shipments.seed import prepare_database

DONORS = [f"Donor {n}" for n in range(10)]
RECIPIENTS = [f"Recipient {n}" for n in range(8)]
CARGO = ["medicine", "food", "shelter", "water", "hygiene", "education"]
START = date(2014, 1, 1)
DAYS = (date(2024, 12, 31) - START).days + 1
CHUNK = 10_000


def fill(engine: Engine, rows: int) -> None:
    """Add ``rows`` shipments to a prepared ledger."""
    now = datetime.now(UTC)
    with engine.begin() as db:
        first_source = db.execute(text("SELECT COALESCE(MAX(id), 0) FROM source")).scalar_one()
        db.execute(
            insert(Source.__table__),  # type: ignore[attr-defined]
            [
                {
                    "publisher": "Bench",
                    "title": f"Report {n}",
                    "url": f"https://bench.example/{n}",
                    "kind": "report",
                    "recorded_by": "bench",
                    "recorded_at": now,
                }
                for n in range(50)
            ],
        )
        base = db.execute(text("SELECT COALESCE(MAX(id), 0) FROM shipment")).scalar_one()
        base_rev = db.execute(
            text("SELECT COALESCE(MAX(id), 0) FROM shipment_revision")
        ).scalar_one()
        for start in range(0, rows, CHUNK):
            numbers = range(start, min(rows, start + CHUNK))
            db.execute(
                insert(Shipment.__table__),  # type: ignore[attr-defined]
                [{"id": base + 1 + n, "created_by": "bench", "created_at": now} for n in numbers],
            )
            revisions = [
                {
                    "id": base_rev + 1 + n,
                    "shipment_id": base + 1 + n,
                    "revision": 1,
                    "action": "append",
                    "event_date": START + timedelta(days=(n * 7919) % DAYS),
                    "date_means": "sent" if n % 2 else "received",
                    "donor": DONORS[n % 10],
                    "recipient": RECIPIENTS[(n // 10) % 8],
                    "cargo": CARGO[(n // 80) % 6],
                    "mass_kg": 1_000 + (n * 37) % 99_000,
                    "recorded_by": "bench",
                    "recorded_at": now,
                }
                for n in numbers
            ]
            db.execute(insert(ShipmentRevision.__table__), revisions)  # type: ignore[attr-defined]
            db.execute(
                insert(CurrentShipment.__table__),  # type: ignore[attr-defined]
                [
                    current_shipment_row(
                        shipment_id=r["shipment_id"],
                        revision_id=r["id"],
                        facts=SimpleNamespace(**r),
                        source_ids=[first_source + 1 + n % 50],
                    )
                    for n, r in zip(numbers, revisions, strict=True)
                ],
            )
            db.execute(
                insert(RevisionSourceLink.__table__),  # type: ignore[attr-defined]
                [
                    {"revision_id": base_rev + 1 + n, "source_id": first_source + 1 + n % 50}
                    for n in numbers
                ],
            )
        if engine.dialect.name == "postgresql":
            for table in ("shipment", "shipment_revision"):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
        if engine.dialect.name == "sqlite":
            db.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # As autovacuum would soon after a bulk load: statistics, and the visibility map that
        # lets the covering indexes answer without reading the table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.execute(text("VACUUM ANALYZE"))


def main() -> None:
    """Create or extend a ledger with N generated shipments."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    prepare_database(engine)
    fill(engine, args.rows)
    print(f"added {args.rows:,} shipments to {engine.url.render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
