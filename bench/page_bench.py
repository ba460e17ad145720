"""Time the Ledger page's query for its first, middle and last page (100 rows), against the
listing it replaced (an ORDER BY over the revisions with OFFSET), on one generated ledger.

Run: .venv/bin/python bench/page_bench.py [--rows N] [--url URL]
Without --url it makes a SQLite ledger of N generated shipments (default 1,000,000) in a
temporary folder. Prints the best of 3 per page; target: any page < 0.2 s, the last as fast as
the first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import generate  # noqa: E402

from shipments.db import make_engine, session_scope  # noqa: E402
from shipments.ledger import current_page, iter_current_shipments, ledger_totals  # noqa: E402
from shipments.seed import prepare_database  # noqa: E402

PAGE = 100


def best_of_3(run: Callable[[], object]) -> float:
    """Return the fastest of three runs, in seconds."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Generate (or open) the ledger, time the pages, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="page-bench-")
    url = args.url or f"sqlite:///{folder}/ledger.db"
    engine = make_engine(url)
    if args.url is None:
        prepare_database(engine, seed_dir=None)
        start = time.perf_counter()
        generate.fill(engine, args.rows)
        print(f"generated {args.rows:,} shipments in {time.perf_counter() - start:.1f} s")
    with session_scope(engine) as session:
        total = ledger_totals(session=session).records
        print(f"{'page':>10} {'offset':>10} {'now (s)':>9} {'before (s)':>11} {'ratio':>7}")
        for name, offset in (("first", 0), ("middle", total // 2), ("last", total - PAGE)):
            now = best_of_3(
                lambda offset=offset: current_page(session=session, limit=PAGE, offset=offset)
            )
            before = best_of_3(
                lambda offset=offset: list(
                    iter_current_shipments(session=session, limit=PAGE, offset=offset)
                )
            )
            verdict = "met" if now < 0.2 else "not met"
            print(
                f"{name:>10} {offset:>10,} {now:>9.3f} {before:>11.3f} {before / now:>6.1f}x"
                f"  (< 0.2 s: {verdict})"
            )


if __name__ == "__main__":
    main()
