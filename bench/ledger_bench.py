"""Benchmark: CSV export, appends and reconciliation on a ledger filled by generate.py.

Run: .venv/bin/python bench/ledger_bench.py URL   (URL of a ledger holding N shipments)
Prints, each with its baseline from the same run:
  - CSV export of the ledger (python -m shipments export) against the database's own CSV dump
    of the revision table (`sqlite3 -csv`, or psql's \\copy), and the export's peak memory;
  - append latency p50 / p95 for 200 single appends, and throughput of 4 processes appending
    100 each at once;
  - reconciliation of 1,000 claims against the ledger (without ids, with ids, and with a query
    per reading), against reconciling the 7 seed claims.
bench/run.py runs this with the Overview comparisons, on SQLite and PostgreSQL.
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
from shipments.models import ShipmentCreate
from shipments.rules import parse
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
kwargs = {"list_ids": sys.argv[2] == "ids"}
if sys.argv[3] == "queries":
    kwargs["one_pass_from"] = 10**9
with session_scope(engine) as session:
    start = time.perf_counter()
    result = reconcile(session=session, **kwargs)
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
from shipments.models import ClaimCreate
from shipments.rules import parse
from shipments.claims import parse_reading_spec
from shipments.claims import add_claim
from shipments.transaction import run_write
url, count = sys.argv[1], int(sys.argv[2])

def write(tx):
    for n in range(count):
        year = 2014 + n % 11
        specs = [f"cumulative:{year}-06-30,donor=Donor {n % 10}",
                 f"period:{year}-01-01:{year}-12-31,recipient=Recipient {n % 8},cargo=food"]
        add_claim(tx=tx, claim_in=parse(ClaimCreate, {
            "claimant": f"Bench {n}", "quote": "a figure", "metric": "tonnes",
            "value": str(1000 + n), "qualifier": "approximately",
            "source": {"url": "https://bench.example/claims", "title": "Claims",
                       "publisher": "Bench"},
            "readings": [parse_reading_spec(s) for s in specs[: 1 + n % 2]]}))

with session_scope(make_engine(url)) as session:
    run_write(session=session, by="bench", via="cli", write=write)
"""
    python(code, url, str(count))


def add_bench_editor(url: str) -> None:
    """Make sure the editor the benchmarks write as exists."""
    python(
        "import sys; from shipments.db import make_engine, session_scope; "
        "from shipments.auth import add_editor, find_editor\n"
        "with session_scope(make_engine(sys.argv[1])) as s:\n"
        "    find_editor(session=s, name='bench') or add_editor(session=s, name='bench', "
        "password='bench password', by='bench')",
        url,
    )


def export(url: str, repeat: int = 3) -> dict[str, float]:
    """Time the CLI export of the ledger, its peak memory, and the database's own CSV dump.

    The two take turns ``repeat`` times and the medians are kept: on a shared machine the same
    command can take twice as long from one run to the next.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        command = ["sqlite3", "-csv", "-header", str(parsed.database)]
        command.append("SELECT * FROM shipment_revision")
    else:
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        copy = "\\copy (SELECT * FROM shipment_revision) TO STDOUT WITH CSV HEADER"
        command = ["psql", "--no-psqlrc", "-q", libpq, "-c", copy]
    ours, peaks, dumps = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        out, plain = Path(folder) / "export.csv", Path(folder) / "plain.csv"
        for _ in range(repeat):
            _code, seconds, peak = python(EXPORT, url, str(out)).split()
            ours.append(float(seconds))
            peaks.append(float(peak))
            start = time.perf_counter()
            with plain.open("w") as handle:
                subprocess.run(command, stdout=handle, check=True)
            dumps.append(time.perf_counter() - start)
        rows = sum(1 for _ in out.open(encoding="utf-8")) - 1
    return {
        "seconds": statistics.median(ours),
        "peak_mb": max(peaks),
        "rows": rows,
        "baseline": statistics.median(dumps),
        "ratio_min": min(o / d for o, d in zip(ours, dumps, strict=True)),
        "ratio_max": max(o / d for o, d in zip(ours, dumps, strict=True)),
    }


def appends(url: str) -> dict[str, float]:
    """Time 200 single appends, then 4 processes appending 100 each at once."""
    single = [float(t) for t in python(APPENDS, url, "0", "200").split()]
    cuts = statistics.quantiles(single, n=20)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDS, url, str(w), "100"],
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
    every = sorted(t for times in outputs for t in times)
    return {
        "p50_ms": statistics.median(single) * 1000,
        "p95_ms": cuts[18] * 1000,
        "one_per_s": 1 / statistics.mean(single),
        "four_per_s": len(every) / elapsed,
        "four_p95_ms": every[int(len(every) * 0.95)] * 1000,
    }


def reconciliation(url: str, claims: int = 1000, seed_url: str | None = None) -> dict[str, float]:
    """Time reconciling the seed's claims (on ``seed_url``, or on the ledger before adding
    any), then with ``claims`` more: without and with ids listed, and one query per reading as
    before the one-pass way."""
    _seed, seed_time = python(RECONCILE, seed_url or url, "ids", "auto").split()
    if claims:
        add_claims(url, claims)
    count, bare = python(RECONCILE, url, "no-ids", "auto").split()
    _count, listed = python(RECONCILE, url, "ids", "auto").split()
    _count, queries = python(RECONCILE, url, "no-ids", "queries").split()
    return {
        "claims": int(count),
        "seed": float(seed_time),
        "one_pass": float(bare),
        "one_pass_ids": float(listed),
        "queries": float(queries),
    }


def main() -> None:
    """Run every comparison and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="a ledger filled by bench/generate.py")
    args = parser.parse_args()
    add_bench_editor(args.url)
    e = export(args.url)
    print(
        f"CSV export: {e['rows']:,} rows in {e['seconds']:.1f} s, peak memory "
        f"{e['peak_mb']:.0f} MB (target < 200 MB); the database's own CSV: "
        f"{e['baseline']:.1f} s; export / database: {e['seconds'] / e['baseline']:.1f}x"
    )
    a = appends(args.url)
    print(
        f"append latency, one writer: p50 {a['p50_ms']:.1f} ms, p95 {a['p95_ms']:.1f} ms; "
        f"4 writers: {a['four_per_s']:.0f}/s, p95 {a['four_p95_ms']:.1f} ms "
        f"(one writer alone: {a['one_per_s']:.0f}/s)"
    )
    r = reconciliation(args.url)
    print(
        f"reconcile {r['claims']} claims: {r['one_pass']:.2f} s, with ids "
        f"{r['one_pass_ids']:.2f} s, a query per reading {r['queries']:.2f} s "
        f"(seed claims: {r['seed']:.3f} s)"
    )


if __name__ == "__main__":
    main()
