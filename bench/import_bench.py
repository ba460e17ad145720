"""Benchmark: import N generated shipment rows, against a bare bulk insert of the same rows.

Run: .venv/bin/python bench/import_bench.py [--rows N] [--database-url URL]

The baseline, measured in the same run before and after the import, reads the same CSV and
inserts its rows, with the mass converted to kilograms, into one flat table with no index: on
SQLite with ``sqlite3`` ``executemany`` in one transaction (a temp folder's file), on PostgreSQL
(``--database-url postgresql+psycopg://...``, an empty database) with psycopg's ``COPY ... FROM
STDIN`` into a table of that database, dropped afterwards. The importer runs in its own process
(fresh SQLite file in the temp folder unless --database-url names an empty database); its
resident memory (VmRSS) is read after the batches that cross a tenth, half and all of the rows,
and its peak during the import (VmHWM, reset once the database is set up: the editor's
argon2 hash alone takes 64 MB).

After the import, the floor under any importer of the ledger: the rows the import wrote (its
batch, the new sources, shipments, revisions, current_shipment rows, source links and audit
events) written again by the driver alone into the same tables and indexes of a fresh ledger
(another temp file, or a database created beside the named one and dropped after):
``executemany`` in one transaction on SQLite (the rows read in chunks between the timed
writes), ``COPY ... FROM STDIN`` on PostgreSQL (each table's rows read whole, then the COPY
timed to its end). Only the writes and the commit are timed. What the importer takes beyond it
is its own work (reading, checking and converting the file).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
import json, sys, time
from pathlib import Path
from shipments.db import make_engine, session_scope
from shipments.exchange.import_rows import ImportOptions
from shipments.exchange.imports import import_file
from shipments.seed import prepare_database
from shipments.auth import add_editor
url, path, total = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
prepare_database(engine)
with session_scope(engine) as session:
    add_editor(session=session, name="bench", password="bench password", by="bench")
marks = sorted({max(1, total // 10), max(1, total // 2), total})
samples = []
def rss_mb(field="VmRSS:"):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
# Setting up (migrations, the seed, the editor's argon2 hash: 64 MB) is not the import: its
# peak is forgotten (Linux: 5 > clear_refs resets VmHWM) and the import's measured alone.
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before_mb = rss_mb()
def progress(done):
    while marks and done >= marks[0]:
        samples.append((done, rss_mb()))
        marks.pop(0)
start = time.perf_counter()
with session_scope(engine) as session:
    report = import_file(
        session=session,
        path=path,
        options=ImportOptions(decimal_mark="point"),
        by="bench",
        progress=progress,
    )
elapsed = time.perf_counter() - start
peak_mb = rss_mb("VmHWM:")
print(json.dumps({"added": report.rows_added, "refused": report.rows_refused, "seconds": elapsed,
                  "before_mb": before_mb, "peak_mb": peak_mb, "samples": samples}))
"""


def _flat_rows(path: Path):  # type: ignore[no-untyped-def]
    """Yield the CSV's rows as the flat table takes them: the mass in whole kilograms."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for d, m, do, r, c, t, u in reader:
            yield d, m, do, r, c, round(float(t) * 1000), u


def plain_sqlite(path: Path, target: Path) -> tuple[int, float]:
    """Insert the same rows with sqlite3 executemany: the floor for any importer on SQLite."""
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE shipment (event_date TEXT, date_means TEXT, donor TEXT, recipient TEXT,"
        " cargo TEXT, mass_kg INTEGER, source_url TEXT)"
    )
    start = time.perf_counter()
    with db:
        db.executemany("INSERT INTO shipment VALUES (?, ?, ?, ?, ?, ?, ?)", _flat_rows(path))
    elapsed = time.perf_counter() - start
    count = db.execute("SELECT COUNT(*) FROM shipment").fetchone()[0]
    db.close()
    return count, elapsed


def plain_postgresql(path: Path, url: str) -> tuple[int, float]:
    """COPY the same rows into a flat table with psycopg: the floor for any importer there."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as db:
        db.execute("DROP TABLE IF EXISTS import_bench_plain")
        db.execute(
            "CREATE TABLE import_bench_plain (event_date DATE, date_means TEXT, donor TEXT,"
            " recipient TEXT, cargo TEXT, mass_kg INTEGER, source_url TEXT)"
        )
        db.commit()
        start = time.perf_counter()
        with db.cursor() as cursor, cursor.copy("COPY import_bench_plain FROM STDIN") as copy:
            for row in _flat_rows(path):
                copy.write_row(row)
        db.commit()
        elapsed = time.perf_counter() - start
        count = db.execute("SELECT COUNT(*) FROM import_bench_plain").fetchone()[0]
        db.execute("DROP TABLE import_bench_plain")
        db.commit()
    return count, elapsed


# The tables an import writes (sources: those its file names), parents first, each with the
# column its new rows are found by.
WRITTEN = (
    ("import_batch", "id"),
    ("source", "id"),
    ("shipment", "id"),
    ("shipment_revision", "id"),
    ("current_shipment", "shipment_id"),
    ("revision_source", "revision_id"),
    ("audit_event", "id"),
)
CHUNK = 50_000


def _fresh_ledger(url: str) -> Any:
    """Return the engine of a fresh, migrated and seeded ledger at ``url``."""
    sys.path.insert(0, str(REPO))
    from shipments.db import make_engine
    from shipments.seed import prepare_database

    engine = make_engine(url)
    prepare_database(engine)
    return engine


def floor_sqlite(imported: str, fresh: str) -> tuple[int, float]:
    """Write the imported ledger's new rows into a fresh ledger with executemany; return the
    rows written and the seconds the writes and the commit took."""
    engine = _fresh_ledger(fresh)
    source = sqlite3.connect(imported.removeprefix("sqlite:///"))
    target: Any = engine.raw_connection()  # the ledger's own pragmas (foreign keys, WAL)
    raw = target.driver_connection
    written, seconds = 0, 0.0
    try:
        raw.execute("PRAGMA cache_size = -65536")  # 64 MB, as the importer (rows.writing_many)
        raw.execute("BEGIN IMMEDIATE")
        for table, key in WRITTEN:
            (largest,) = raw.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()
            width = len(raw.execute(f"SELECT * FROM {table} LIMIT 0").description)
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * width)})"
            rows = source.execute(
                f"SELECT * FROM {table} WHERE {key} > ? ORDER BY {key}", (largest,)
            )
            while chunk := rows.fetchmany(CHUNK):
                start = time.perf_counter()
                raw.executemany(insert, chunk)
                seconds += time.perf_counter() - start
                written += len(chunk)
        start = time.perf_counter()
        raw.commit()
        seconds += time.perf_counter() - start
    finally:
        target.close()
        source.close()
        engine.dispose()
    return written, seconds


def floor_postgresql(imported: str) -> tuple[int, float]:
    """Write the imported ledger's new rows into a fresh ledger (a database created for it and
    dropped after) with COPY; return the rows written and the seconds the writes took."""
    import psycopg

    conninfo = imported.replace("postgresql+psycopg://", "postgresql://")
    name = conninfo.rsplit("/", 1)[1] + "_floor"
    server = conninfo.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        engine = _fresh_ledger(imported.rsplit("/", 1)[0] + "/" + name)
        engine.dispose()
        written, seconds = 0, 0.0
        with (
            psycopg.connect(conninfo) as source,
            psycopg.connect(conninfo.rsplit("/", 1)[0] + "/" + name) as target,
        ):
            for table, key in WRITTEN:
                (largest,) = target.execute(  # type: ignore[misc]
                    f"SELECT coalesce(max({key}), 0) FROM {table}"
                ).fetchone()
                query = f"COPY (SELECT * FROM {table} WHERE {key} > {int(largest)} ORDER BY {key})"
                # Read whole before the write is timed: the server would otherwise go on with
                # what it was sent while the next rows were read, outside the timed part.
                with source.cursor() as out, out.copy(query + " TO STDOUT") as reading:
                    blocks = [bytes(block) for block in reading]
                start = time.perf_counter()
                with target.cursor() as into, into.copy(f"COPY {table} FROM STDIN") as copy:
                    for at in range(0, len(blocks), CHUNK):
                        copy.write(b"".join(blocks[at : at + CHUNK]))
                seconds += time.perf_counter() - start
                written += len(blocks)
            start = time.perf_counter()
            target.commit()
            seconds += time.perf_counter() - start
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    return written, seconds


def main() -> None:
    """Generate, insert the flat rows, import, insert the flat rows again; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "shipments.csv"
        generate(source, args.rows)
        size_mb = source.stat().st_size / 1e6
        url = args.database_url or f"sqlite:///{work / 'ledger.db'}"
        postgresql = url.startswith("postgresql")
        if postgresql:
            baseline_name = "psycopg COPY (flat table)"
            baseline = lambda: plain_postgresql(source, url)  # noqa: E731
        else:
            baseline_name = "sqlite3 executemany"
            baseline = lambda: plain_sqlite(source, work / "plain.db")  # noqa: E731
        count, before_s = baseline()
        done = subprocess.run(
            [sys.executable, "-c", IMPORTER, url, str(source), str(args.rows)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        _, after_s = baseline()
        if postgresql:
            floor_rows, floor_s = floor_postgresql(url)
        else:
            floor_rows, floor_s = floor_sqlite(url, f"sqlite:///{work / 'floor.db'}")
        plain_s = statistics.mean([before_s, after_s])
        added, ours = int(result["added"]), float(result["seconds"])
        print(f"rows: {args.rows:,} ({size_mb:.0f} MB of CSV); importer: {url.split(':')[0]}")
        print(f"{'':30}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
        print(
            f"{baseline_name:30}{count:>12,}{plain_s:>10.1f}{count / plain_s:>12,.0f}"
            f"   (before {before_s:.1f} s, after {after_s:.1f} s)"
        )
        floor_name = "its rows, driver alone" if postgresql else "its rows, executemany alone"
        print(
            f"{floor_name:30}{floor_rows:>12,}{floor_s:>10.1f}{floor_rows / floor_s:>12,.0f}"
            f"   ({floor_s / plain_s:.1f}x the baseline: the floor under any importer)"
        )
        print(f"{'ledger import (one txn)':30}{added:>12,}{ours:>10.1f}{added / ours:>12,.0f}")
        print(
            f"importer / baseline time: {ours / plain_s:.1f}x (target <= 10x);"
            f" refused rows: {result['refused']}"
        )
        samples = ", ".join(f"{mb:.0f} MB at {rows:,}" for rows, mb in result["samples"])
        print(
            f"importer memory (VmRSS): {result['before_mb']:.0f} MB before the import,"
            f" then after the batch that crossed: {samples}"
        )
        print(
            f"importer peak memory during the import (VmHWM): {result['peak_mb']:.0f} MB"
            " (target < 300 MB, not rising with rows)"
        )
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"this driver's peak memory: {own:.0f} MB")


if __name__ == "__main__":
    main()
