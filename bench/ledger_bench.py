"""Benchmark: CSV export, appends and reconciliation on a ledger filled by generate.py.

Run: .venv/bin/python bench/ledger_bench.py URL   (URL of a ledger holding N shipments)
Prints, each with its baseline from the same run:
  - CSV export of the ledger (python -m shipments export) against `sqlite3 -csv` of the same
    table (SQLite only), and the export's peak memory;
  - append latency p50 / p95 for 200 single appends, and throughput of 4 processes appending
    100 each at once;
  - reconciliation of 1,000 claims against the ledger, against reconciling the 7 seed claims.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

EXPORT = """
import resource, sys, time
from shipments.cli import main
start = time.perf_counter()
code = main(["--database-url", sys.argv[1], "export", "--output", sys.argv[2]])
print(code, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

APPENDS = """
import sys, time
from shipments.db import make_engine, session_scope
from shipments.ledger import append_shipment
from shipments.models import ShipmentCreate, parse
url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
times = []
with session_scope(engine) as session:
    for n in range(count):
        shipment_in = parse(ShipmentCreate, {
            "event_date": "2025-01-01", "date_means": "sent", "donor": f"Bench {worker}",
            "recipient": "Venezuela", "cargo": "medicine", "tonnes": f"{n + 1}.{worker:03d}",
            "sources": [{"url": "https://bench.example/appends", "title": "Appends",
                         "publisher": "Bench"}]})
        start = time.perf_counter()
        append_shipment(session=session, shipment_in=shipment_in, by="bench", via="cli")
        times.append(time.perf_counter() - start)
print(" ".join(f"{t:.6f}" for t in times))
"""

RECONCILE = """
import sys, time
from shipments.db import make_engine, session_scope
from shipments.reconcile import reconcile
engine = make_engine(sys.argv[1])
with session_scope(engine) as session:
    start = time.perf_counter()
    result = reconcile(session=session)
    print(len(result.claims), time.perf_counter() - start)
"""


def python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def add_claims(url: str, count: int) -> None:
    """Record ``count`` claims with one or two readings each, as the bench editor."""
    code = """
import sys
from shipments.db import make_engine, session_scope
from shipments.models import ClaimCreate, parse, parse_reading_spec
from shipments.reconcile import insert_claim
url, count = sys.argv[1], int(sys.argv[2])
with session_scope(make_engine(url)) as session:
    for n in range(count):
        year = 2014 + n % 11
        specs = [f"cumulative:{year}-06-30,donor=Donor {n % 10}",
                 f"period:{year}-01-01:{year}-12-31,recipient=Recipient {n % 8},cargo=food"]
        insert_claim(session=session, by="bench", via="cli", claim_in=parse(ClaimCreate, {
            "claimant": f"Bench {n}", "quote": "a figure", "metric": "tonnes",
            "value": str(1000 + n), "qualifier": "approximately",
            "source": {"url": "https://bench.example/claims", "title": "Claims",
                       "publisher": "Bench"},
            "readings": [parse_reading_spec(s) for s in specs[: 1 + n % 2]]}))
    session.commit()
"""
    python(code, url, str(count))


def main() -> None:
    """Run every comparison and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="a ledger filled by bench/generate.py")
    args = parser.parse_args()
    url = make_url(args.url)
    python(
        "import sys; from shipments.db import make_engine, session_scope; "
        "from shipments.auth import add_editor, find_editor\n"
        "with session_scope(make_engine(sys.argv[1])) as s:\n"
        "    find_editor(session=s, name='bench') or add_editor(session=s, name='bench', "
        "password='bench password', by='bench')",
        args.url,
    )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "export.csv"
        _code, ours, peak = python(EXPORT, args.url, str(out)).split()
        rows = sum(1 for _ in out.open(encoding="utf-8")) - 1
        print(
            f"CSV export: {rows:,} rows in {float(ours):.1f} s, peak memory {float(peak):.0f} MB"
            " (target < 200 MB)"
        )
        if url.get_backend_name() == "sqlite":
            start = time.perf_counter()
            with (Path(folder) / "plain.csv").open("w") as handle:
                subprocess.run(
                    ["sqlite3", "-csv", "-header", url.database, "SELECT * FROM shipment_revision"],
                    stdout=handle,
                    check=True,
                )
            plain = time.perf_counter() - start
            print(
                f"  sqlite3 -csv of shipment_revision: {plain:.1f} s; "
                f"export / sqlite3: {float(ours) / plain:.1f}x (target < 2x)"
            )

    single = [float(t) for t in python(APPENDS, args.url, "0", "200").split()]
    cuts = statistics.quantiles(single, n=20)
    print(
        f"append latency, one writer: p50 {statistics.median(single) * 1000:.1f} ms, "
        f"p95 {cuts[18] * 1000:.1f} ms"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDS, args.url, str(w), "100"],
            cwd=REPO,
            env=ENV,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(1, 5)
    ]
    outputs = [[float(t) for t in w.communicate()[0].split()] for w in writers]
    # Each writer times its own appends (its start-up is not counted); they overlap, so the
    # slowest writer's total is the wall time the 400 appends took.
    elapsed = max(sum(times) for times in outputs)
    done = sum(len(times) for times in outputs)
    every = sorted(t for times in outputs for t in times)
    print(
        f"4 concurrent writers: {done} appends in {elapsed:.2f} s = {done / elapsed:.0f}/s, "
        f"p95 {every[int(len(every) * 0.95)] * 1000:.1f} ms "
        f"(one writer alone: {1 / statistics.mean(single):.0f}/s)"
    )

    seed_claims, seed_time = python(RECONCILE, args.url).split()
    add_claims(args.url, 1000)
    claims, claims_time = python(RECONCILE, args.url).split()
    print(
        f"reconcile {claims} claims: {float(claims_time):.2f} s "
        f"({seed_claims} claims: {float(seed_time):.3f} s)"
    )


if __name__ == "__main__":
    main()
