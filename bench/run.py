"""Run the five million-shipment comparisons on SQLite and (given a URL) PostgreSQL; print a table.

Run: .venv/bin/python bench/run.py [--rows N] [--postgresql postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For each backend it makes two fresh ledgers: one the dashboard seeds on its first start (4
shipments, 7 claims) and one filled by generate.py with N shipments (default 1,000,000) in the
shape of a real ledger (1,000 claims with 1,500 readings, corrections, retractions, notes, a
history over the years; ``--plain``: the shape measured before issue 16, 1,000 claims added
only before the reconciliation). The
PostgreSQL URL names a server database to connect to; the ledgers are the databases
ledger_bench_seed and ledger_bench_large on that server, dropped and made again. Then, with every
baseline measured in the same run:
  1. the Overview's first render (AppTest, cold caches) at N vs at the seed, and vs a naive page
     that reads the whole table with pandas.read_sql;
  2. the Overview's rerun with warm caches at N vs at the seed;
  3. the CSV export of N shipments vs the database's own CSV dump, and the export's peak memory;
  4. append latency p50 / p95 at N, and throughput with 4 concurrent writers;
  5. reconciliation of 1,000 claims at N;
  6. the commands of issue 16 (realistic_bench.py): reconcile now and as of a past moment,
     list and export as of a moment against now, list and --help on the seed, the Overview's
     cold render against the seed's.
Each measurement runs in a fresh process. A million rows take about 2 minutes to generate on
SQLite, longer on PostgreSQL; the whole run takes about 15 minutes with both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import generate  # noqa: E402
import ledger_bench  # noqa: E402
import overview_bench  # noqa: E402
import realistic_bench  # noqa: E402

from shipments.db import make_engine  # noqa: E402
from shipments.seed import prepare_database  # noqa: E402

SEED, LARGE = "ledger_bench_seed", "ledger_bench_large"


def fresh_postgresql(server_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server; return its URL."""
    admin = create_engine(make_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def fill(url: str, rows: int, shape: generate.Shape) -> float:
    """Make a ledger of ``rows`` generated shipments at ``url``; return the seconds it took."""
    start = time.perf_counter()
    engine = make_engine(url)
    prepare_database(engine)
    generate.fill(engine, rows, shape)
    engine.dispose()
    return time.perf_counter() - start


def measure(
    backend: str, seed_url: str, large_url: str, rows: int, shape: generate.Shape
) -> dict[str, float]:
    """Fill the large ledger and take every measurement on one backend."""
    print(f"[{backend}] generating {rows:,} shipments ...", file=sys.stderr, flush=True)
    figures: dict[str, float] = {"generate": fill(large_url, rows, shape)}
    prepare_database(make_engine(seed_url))
    print(f"[{backend}] overview ...", file=sys.stderr, flush=True)
    figures.update(overview_bench.overview(large_url, seed_url))
    if shape.claims:
        # Before anything writes to the ledger: the appends below are recorded now.
        print(f"[{backend}] commands on the realistic ledger ...", file=sys.stderr, flush=True)
        measured = realistic_bench.measure(large_url, seed_url)
        figures.update({f"realistic_{k}": v for k, v in measured.items()})
    ledger_bench.add_bench_editor(large_url)
    print(f"[{backend}] export ...", file=sys.stderr, flush=True)
    figures.update({f"export_{k}": v for k, v in ledger_bench.export(large_url).items()})
    print(f"[{backend}] appends ...", file=sys.stderr, flush=True)
    figures.update(ledger_bench.appends(large_url))
    print(f"[{backend}] reconciliation ...", file=sys.stderr, flush=True)
    added = 0 if shape.claims else 1000
    figures.update(
        {
            f"reconcile_{k}": v
            for k, v in ledger_bench.reconciliation(large_url, added, seed_url).items()
        }
    )
    return figures


def report(results: dict[str, dict[str, float]], rows: int) -> str:
    """Return the comparison table, one column per backend."""
    names = list(results)
    lines = [f"{'':58}" + "".join(f"{n:>14}" for n in names)]

    def row(label: str, value: Callable[[dict[str, float]], float], fmt: str = "{:.2f}") -> None:
        cells = [fmt.format(value(results[n])) for n in names]
        lines.append(f"{label:58}" + "".join(f"{c:>14}" for c in cells))

    row(f"generate {rows:,} shipments (s)", lambda r: r["generate"], "{:.0f}")
    row("1. Overview cold, seed (s, median of 3)", lambda r: r["seed_cold"])
    row("   Overview cold, large (s, median of 3)", lambda r: r["large_cold"])
    row("   naive read_sql page, large (s, median of 3)", lambda r: r["naive"])
    row(
        "   cold large / cold seed (target < 5x)",
        lambda r: r["large_cold"] / r["seed_cold"],
        "{:.1f}x",
    )
    row("   naive / cold large (target >= 10x)", lambda r: r["naive"] / r["large_cold"], "{:.1f}x")
    row("2. Overview warm rerun, seed (s, median of 3x5)", lambda r: r["seed_warm"], "{:.3f}")
    row("   Overview warm rerun, large (s, median of 3x5)", lambda r: r["large_warm"], "{:.3f}")
    row(
        "   warm large / warm seed (target < 2x)",
        lambda r: r["large_warm"] / r["seed_warm"],
        "{:.1f}x",
    )
    row("3. CSV export, rows", lambda r: r["export_rows"], "{:,.0f}")
    row("   CSV export (s, median of 3)", lambda r: r["export_seconds"])
    row("   database's own CSV dump (s, median of 3)", lambda r: r["export_baseline"])
    row(
        "   export / dump, medians (target < 2x)",
        lambda r: r["export_seconds"] / r["export_baseline"],
        "{:.1f}x",
    )
    row("   export / dump, lowest of 3 turns", lambda r: r["export_ratio_min"], "{:.1f}x")
    row("   export / dump, highest of 3 turns", lambda r: r["export_ratio_max"], "{:.1f}x")
    row("   export peak memory (MB, target < 200)", lambda r: r["export_peak_mb"], "{:.0f}")
    row("4. append p50 (ms)", lambda r: r["p50_ms"])
    row("   append p95 (ms)", lambda r: r["p95_ms"])
    row("   one writer (appends/s)", lambda r: r["one_per_s"], "{:.0f}")
    row("   4 concurrent writers (appends/s)", lambda r: r["four_per_s"], "{:.0f}")
    row("   4 concurrent writers p95 (ms)", lambda r: r["four_p95_ms"])
    row("5. reconcile, claims", lambda r: r["reconcile_claims"], "{:,.0f}")
    row("   reconcile seed's 7 claims (s)", lambda r: r["reconcile_seed"], "{:.3f}")
    row("   reconcile, one pass, no ids (dashboard) (s)", lambda r: r["reconcile_one_pass"])
    row(
        "   reconcile, one pass, first 1,000 ids each (CLI) (s)",
        lambda r: r["reconcile_one_pass_ids"],
    )
    row("   reconcile, a query per reading, no ids (s)", lambda r: r["reconcile_queries"])
    realistic = {
        n: {k.removeprefix("realistic_"): v for k, v in r.items() if k.startswith("realistic_")}
        for n, r in results.items()
    }
    if all(realistic.values()):
        lines += [
            "6. the commands of issue 16, realistic ledger",
            realistic_bench.report(realistic),
        ]
    return "\n".join(lines)


def main() -> None:
    """Measure on each backend, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgresql", help="URL of a PostgreSQL server database (optional)")
    parser.add_argument("--folder", help="where the SQLite ledgers go (default: a temporary one)")
    parser.add_argument("--plain", action="store_true", help="the ledger's shape before issue 16")
    args = parser.parse_args()
    shape = generate.PLAIN if args.plain else generate.Shape()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        results["sqlite"] = measure(
            "sqlite",
            f"sqlite:///{Path(folder) / 'seed.db'}",
            f"sqlite:///{Path(folder) / 'large.db'}",
            args.rows,
            shape,
        )
    if args.postgresql:
        results["postgresql"] = measure(
            "postgresql",
            fresh_postgresql(args.postgresql, SEED),
            fresh_postgresql(args.postgresql, LARGE),
            args.rows,
            shape,
        )
    print(report(results, args.rows))


if __name__ == "__main__":
    main()
