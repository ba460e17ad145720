"""Benchmark: import N generated shipment rows, against plain sqlite3 executemany of the same rows.

Run: .venv/bin/python bench/import_bench.py [--rows N] [--database-url URL]
Prints rows per second for both, their ratio, and the importer's peak memory (max RSS of the
process that imports, which streams the file). Both write to fresh SQLite files in a temp folder
unless --database-url names another (empty) database for the importer.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DONORS = [f"Donor {n}" for n in range(10)]
RECIPIENTS = [f"Recipient {n}" for n in range(8)]
CARGO = ["medicine", "food", "shelter", "water", "hygiene", "education"]


def generate(path: Path, rows: int) -> None:
    """Write ``rows`` distinct shipments: 10 donors, 8 recipients, 6 cargo types, 11 years."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["event_date", "date_means", "donor", "recipient", "cargo", "tonnes", "source_urls"]
        )
        for n in range(rows):
            day = 1 + n % 28
            month = 1 + (n // 28) % 12
            year = 2014 + (n // 336) % 11
            writer.writerow(
                [
                    f"{year}-{month:02d}-{day:02d}",
                    "sent" if n % 2 else "received",
                    DONORS[n % 10],
                    RECIPIENTS[(n // 10) % 8],
                    CARGO[(n // 80) % 6],
                    f"{1 + n // 2640}.{n % 1000:03d}",
                    f"https://example.org/report/{n % 50}",
                ]
            )


IMPORTER = """
import resource, sys, time
from pathlib import Path
from shipments.db import make_engine, session_scope
from shipments.exchange.import_rows import ImportOptions
from shipments.exchange.imports import import_file
from shipments.seed import prepare_database
from shipments.auth import add_editor
url, path = sys.argv[1], Path(sys.argv[2])
engine = make_engine(url)
prepare_database(engine)
with session_scope(engine) as session:
    add_editor(session=session, name="bench", password="bench password", by="bench")
start = time.perf_counter()
with session_scope(engine) as session:
    report = import_file(
        session=session, path=path, options=ImportOptions(decimal_mark="point"), by="bench"
    )
elapsed = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(report.rows_added, len(report.problems), elapsed, peak_mb)
"""


def plain_sqlite(path: Path, target: Path) -> tuple[int, float]:
    """Insert the same rows with sqlite3 executemany: the floor for any importer."""
    db = sqlite3.connect(target)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE shipment (event_date TEXT, date_means TEXT, donor TEXT, recipient TEXT,"
        " cargo TEXT, mass_kg INTEGER, source_url TEXT)"
    )
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = ((d, m, do, r, c, round(float(t) * 1000), u) for d, m, do, r, c, t, u in reader)
        with db:
            db.executemany("INSERT INTO shipment VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - start
    count = db.execute("SELECT COUNT(*) FROM shipment").fetchone()[0]
    db.close()
    return count, elapsed


def main() -> None:
    """Generate, import both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "shipments.csv"
        generate(source, args.rows)
        size_mb = source.stat().st_size / 1e6
        count, plain_s = plain_sqlite(source, work / "plain.db")
        url = args.database_url or f"sqlite:///{work / 'ledger.db'}"
        done = subprocess.run(
            [sys.executable, "-c", IMPORTER, url, str(source)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        added, refused, ours_s, peak_mb = done.stdout.split()
        print(f"rows: {args.rows:,} ({size_mb:.0f} MB of CSV); importer: {url.split(':')[0]}")
        print(f"{'':28}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
        print(f"{'sqlite3 executemany':28}{count:>12,}{plain_s:>10.1f}{count / plain_s:>12,.0f}")
        ours = float(ours_s)
        print(
            f"{'ledger import (one txn)':28}{int(added):>12,}{ours:>10.1f}"
            f"{int(added) / ours:>12,.0f}"
        )
        print(f"importer / executemany time: {ours / plain_s:.1f}x; refused rows: {refused}")
        print(f"importer peak memory (max RSS): {float(peak_mb):.0f} MB (target < 500 MB)")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"this driver's peak memory: {own:.0f} MB")


if __name__ == "__main__":
    main()
