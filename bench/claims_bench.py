"""Benchmark: reconciling a thousand claims, and the two pages that show them, on a realistic
ledger, against the seed ledger in the same run.

Run: .venv/bin/python bench/claims_bench.py --large URL [--seed URL] [--repeat 3]
(make the large ledger first with bench/generate.py). The history's kept copy
(shipments/revision_arrays.py) goes to a fresh folder for the run (LEDGER_CACHE_DIR), so the
first `reconcile` reads the history whole and keeps it; every later process starts from it.
Each command runs as `python -m shipments ...` in a fresh process, timed from outside, start-up
included. Measured, the median of ``--repeat`` turns unless said:
  - a bare interpreter importing sqlalchemy and sqlmodel (the floor of any command);
  - reconcile --no-ids on the seed (7 claims) and the large ledger (the first run, which
    keeps the copy, timed once), now and as of the middle of the history;
  - reconcile --no-ids right after one shipment is added (the copy brought up to date);
  - the Overview's, the Claims page's and the Ledger page's first render in a fresh process
    (modules imported first, as overview_bench.py does) and their warm reruns (median of
    five), on both ledgers; the Overview and the Ledger page also as of the middle of the
    history, on the large one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import growth_bench  # noqa: E402
import overview_bench  # noqa: E402
from generate import MIDDLE  # noqa: E402

from shipments.auth import add_editor, list_editors  # noqa: E402
from shipments.db import make_engine, session_scope  # noqa: E402
from shipments.seed import prepare_database  # noqa: E402

EDITOR = "bench"  # the editor each turn adds a shipment as (made on the large ledger if missing)

# A page's first render in a fresh process, then its warm reruns. For a page other than the
# Overview, the Overview runs first (it registers the pages), its caches then emptied. The page
# and the view come from the environment: BENCH_PAGE ("/", "/claims", "/ledger"), BENCH_AS_OF.
PAGE = (
    overview_bench.WARM_IMPORTS
    + """
import os, sys, time
sys.path.insert(0, "tests")
from dashboard_pages import switch_page
from streamlit.testing.v1 import AppTest
import streamlit as st
from shipments import revision_arrays
page, as_of = os.environ["BENCH_PAGE"], os.environ.get("BENCH_AS_OF")
app = AppTest.from_file("dashboard.py", default_timeout=600)
if as_of:
    app.query_params["as_of"] = as_of
if page != "/":
    app.run()
    st.cache_data.clear(); st.cache_resource.clear(); revision_arrays.forget()
    switch_page(app, page)
start = time.perf_counter()
app.run()
cold = time.perf_counter() - start
assert not app.exception, app.exception
warm = []
for _ in range(5):
    start = time.perf_counter()
    app.run()
    warm.append(time.perf_counter() - start)
print(cold, sorted(warm)[2])
"""
)
PAGES = {"overview": "/", "claims": "/claims", "ledger": "/ledger"}


def seconds(url: str | None, *args: str) -> float:
    """Run `python -m shipments --database-url URL ARGS` (or, without a URL, `python -c ARGS`)
    in a fresh process; return its time (growth_bench.run, which also fails on a failure)."""
    command = ["-c", *args] if url is None else ["-m", "shipments", "--database-url", url, *args]
    return growth_bench.run(*command)[0]


def page(path: str, url: str, as_of: str | None = None) -> tuple[float, float]:
    """Return a page's cold render and warm rerun (seconds), measured in a fresh process."""
    os.environ["BENCH_PAGE"] = path
    os.environ.pop("BENCH_AS_OF", None)
    if as_of:
        os.environ["BENCH_AS_OF"] = as_of
    cold, warm = overview_bench.measure(PAGE, url)[:2]
    return float(cold), float(warm)


def measure(large: str, seed: str, repeat: int) -> dict[str, float]:
    """Time everything in turns on both ledgers; return the medians (first runs once)."""
    runs: dict[str, list[float]] = {}
    now = ["reconcile", "--no-ids"]
    middle = [*now, "--as-of", MIDDLE]
    runs["first"] = [seconds(large, *now)]
    for turn in range(repeat):
        print(f"  turn {turn + 1} of {repeat}", file=sys.stderr, flush=True)
        timed = {
            "bare": seconds(None, "import sqlalchemy, sqlmodel"),
            "seed": seconds(seed, *now),
            "now": seconds(large, *now),
            "middle": seconds(large, *middle),
        }
        add = ["add", "--date", "2019-06-01", "--donor", "Bench", "--recipient", "Turn"]
        add += ["--cargo", "medicine", "--tonnes", str(turn + 1), "--date-means", "sent"]
        add += ["--source-url", f"https://example.org/bench/{time.time_ns()}"]
        add += ["--source-title", "A bench report", "--publisher", "Bench", "--by", EDITOR]
        add += ["--confirm-duplicate"]  # a turn of an earlier run may have added the same
        seconds(large, *add)
        timed["after_write"] = seconds(large, *now)
        for name, path in PAGES.items():
            for ledger, url in (("seed", seed), ("large", large)):
                cold, warm = page(path, url)
                timed[f"{name}_{ledger}_cold"] = cold
                timed[f"{name}_{ledger}_warm"] = warm
            if name != "claims":
                timed[f"{name}_middle_cold"], timed[f"{name}_middle_warm"] = page(
                    path, large, MIDDLE
                )
        for name, value in timed.items():
            runs.setdefault(name, []).append(value)
    return {name: statistics.median(values) for name, values in runs.items()}


def report(results: dict[str, dict[str, float]]) -> str:
    """Return the table of figures and ratios, one column per backend."""
    names = list(results)
    lines = [f"{'':60}" + "".join(f"{n:>12}" for n in names)]

    def row(label: str, value: str | tuple[str, str], target: str = "") -> None:
        cells = []
        for n in names:
            r = results[n]
            if isinstance(value, tuple):
                cells.append(f"{r[value[0]] / r[value[1]]:.1f}x")
            else:
                cells.append(f"{r[value]:.3f}")
        lines.append(f"{label + target:60}" + "".join(f"{c:>12}" for c in cells))

    row("bare python importing sqlalchemy, sqlmodel (s)", "bare")
    row("seed: reconcile --no-ids, 7 claims (s)", "seed")
    row("reconcile --no-ids, first run, keeps the copy (s)", "first")
    row("reconcile --no-ids, 1,000 claims (s)", "now", ", target < 1")
    row("reconcile --no-ids --as-of middle (s)", "middle", ", target < 2")
    row("reconcile --no-ids after one shipment added (s)", "after_write")
    row("   reconcile / bare python", ("now", "bare"))
    titles = (
        ("overview", "Overview", "2x"),
        ("claims", "Claims page", "3x"),
        ("ledger", "Ledger page", ""),
    )
    for name, title, target in titles:
        row(f"{title} cold, seed (s)", f"{name}_seed_cold")
        row(f"{title} cold, large (s)", f"{name}_large_cold")
        row(
            "   cold large / seed",
            (f"{name}_large_cold", f"{name}_seed_cold"),
            target and f", < {target}",
        )
        row(f"{title} warm rerun, seed (s)", f"{name}_seed_warm")
        row(f"{title} warm rerun, large (s)", f"{name}_large_warm")
        row(
            "   warm large / seed",
            (f"{name}_large_warm", f"{name}_seed_warm"),
            target and ", < 1.5x",
        )
        if name != "claims":
            row(f"{title} as of the middle, cold, large (s)", f"{name}_middle_cold")
            row("   as of / now, cold", (f"{name}_middle_cold", f"{name}_large_cold"), ", < 3x")
            row(f"{title} as of the middle, warm rerun (s)", f"{name}_middle_warm")
    return "\n".join(lines)


def main() -> None:
    """Measure on one large ledger and a seed ledger; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", required=True, help="URL of a ledger made by generate.py")
    parser.add_argument("--seed", help="URL of a seed ledger (default: a fresh SQLite one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["LEDGER_CACHE_DIR"] = str(Path(folder) / "kept")
        seed = args.seed or f"sqlite:///{Path(folder) / 'seed.db'}"
        engine = make_engine(seed)
        prepare_database(engine)
        engine.dispose()
        engine = make_engine(args.large)
        backend = engine.dialect.name
        with session_scope(engine) as session:
            if EDITOR not in {e.name for e in list_editors(session=session)}:
                add_editor(session=session, name=EDITOR, password="bench password", by="bench")
        engine.dispose()
        figures = measure(args.large, seed, args.repeat)
    print(report({backend: figures}))


if __name__ == "__main__":
    main()
