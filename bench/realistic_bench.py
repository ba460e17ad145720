"""Benchmark: the commands issue 16 names, on a realistic ledger, against baselines of the same run.

Run: .venv/bin/python bench/realistic_bench.py --large sqlite:////tmp/large.db [--seed URL]
(make the large ledger first with bench/generate.py, whose default shape is the realistic one:
claims, readings, corrections, retractions, notes, a history over the years). Each command runs
as `python -m shipments ...` in a fresh process, its output thrown away, and is timed from the
outside (start-up included); every figure is the median of three turns, the commands taking
turns within each (a command over a minute is timed once). Measured:
  - reconcile --no-ids of every claim, now and as of the middle of the history;
  - list and export, now and as of the middle of the history and as of the present moment;
  - list and --help on the seed ledger (4 shipments, 7 claims);
  - the Overview's first render (overview_bench.py) on the large ledger and the seed.
bench/run.py runs this with the other comparisons.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import overview_bench  # noqa: E402
from generate import MIDDLE  # noqa: E402

from shipments.db import make_engine  # noqa: E402
from shipments.seed import prepare_database  # noqa: E402

REPO = BENCH.parent
# A command slower than this (seconds) in the first turn is timed once: minutes against a
# target of seconds, and the turns would take most of an hour.
ONCE = 60.0


def seconds(url: str, *args: str) -> float:
    """Run `python -m shipments --database-url URL ARGS` in a fresh process; return its time."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "shipments", "--database-url", url, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - start
    # reconcile exits 1 when a claim is inconsistent; anything else is a failure.
    if done.returncode not in (0, 1) or (done.returncode and args[0] != "reconcile"):
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def commands(present: str, out: Path) -> dict[str, list[str]]:
    """Return the commands to time on the large ledger, by name."""
    return {
        "reconcile": ["reconcile", "--no-ids"],
        "reconcile_middle": ["reconcile", "--no-ids", "--as-of", MIDDLE],
        "list": ["list"],
        "list_middle": ["list", "--as-of", MIDDLE],
        "list_present": ["list", "--as-of", present],
        "export": ["export", "--output", str(out)],
        "export_middle": ["export", "--as-of", MIDDLE, "--output", str(out)],
        "export_present": ["export", "--as-of", present, "--output", str(out)],
    }


def measure(large_url: str, seed_url: str, repeat: int = 3) -> dict[str, float]:
    """Time every command on both ledgers and the Overview's cold render; return medians."""
    present = datetime.now(UTC).isoformat(timespec="seconds")
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        large = commands(present, Path(folder) / "export.csv")
        for turn in range(repeat):
            print(f"  turn {turn + 1} of {repeat}", file=sys.stderr, flush=True)
            runs.setdefault("seed_help", []).append(seconds(seed_url, "--help"))
            runs.setdefault("seed_list", []).append(seconds(seed_url, "list"))
            runs.setdefault("seed_reconcile", []).append(seconds(seed_url, "reconcile", "--no-ids"))
            for name, args in large.items():
                if turn and min(runs[name]) > ONCE:
                    continue
                runs.setdefault(name, []).append(seconds(large_url, *args))
    figures = {name: statistics.median(values) for name, values in runs.items()}
    overview = overview_bench.overview(large_url, seed_url, repeat=repeat, naive=False)
    figures.update({f"overview_{k}": v for k, v in overview.items()})
    return figures


def report(results: dict[str, dict[str, float]]) -> str:
    """Return the table of figures and ratios, one column per backend."""
    names = list(results)
    lines = [f"{'':62}" + "".join(f"{n:>14}" for n in names)]

    def row(label: str, value: Callable[[dict[str, float]], float], fmt: str = "{:.2f}") -> None:
        cells = [fmt.format(value(results[n])) for n in names]
        lines.append(f"{label:62}" + "".join(f"{c:>14}" for c in cells))

    row("seed: --help (s, target < 0.5)", lambda r: r["seed_help"])
    row("seed: list (s, target < 0.5)", lambda r: r["seed_list"])
    row("seed: reconcile --no-ids, 7 claims (s)", lambda r: r["seed_reconcile"])
    row("reconcile --no-ids, 1,000 claims (s, target < 1)", lambda r: r["reconcile"])
    row("reconcile --no-ids --as-of middle (s, target < 2)", lambda r: r["reconcile_middle"])
    row(
        "   reconcile / seed's reconcile", lambda r: r["reconcile"] / r["seed_reconcile"], "{:.1f}x"
    )
    row("list, now (s)", lambda r: r["list"])
    row("list --as-of middle (s)", lambda r: r["list_middle"])
    row("list --as-of the present moment (s)", lambda r: r["list_present"])
    row(
        "   list as of middle / now (target < 3x)",
        lambda r: r["list_middle"] / r["list"],
        "{:.1f}x",
    )
    row("   list as of present / now", lambda r: r["list_present"] / r["list"], "{:.1f}x")
    row("export, now (s)", lambda r: r["export"])
    row("export --as-of middle (s)", lambda r: r["export_middle"])
    row("export --as-of the present moment (s)", lambda r: r["export_present"])
    row(
        "   export as of middle / now (target < 3x)",
        lambda r: r["export_middle"] / r["export"],
        "{:.1f}x",
    )
    row("   export as of present / now", lambda r: r["export_present"] / r["export"], "{:.1f}x")
    row("Overview cold, seed (s)", lambda r: r["overview_seed_cold"])
    row("Overview cold, large (s)", lambda r: r["overview_large_cold"])
    row(
        "   cold large / cold seed (target < 2x)",
        lambda r: r["overview_large_cold"] / r["overview_seed_cold"],
        "{:.1f}x",
    )
    row("Overview warm rerun, seed (s)", lambda r: r["overview_seed_warm"], "{:.3f}")
    row("Overview warm rerun, large (s)", lambda r: r["overview_large_warm"], "{:.3f}")
    return "\n".join(lines)


def main() -> None:
    """Measure on one ledger (and a fresh seed ledger) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", required=True, help="URL of a ledger made by generate.py")
    parser.add_argument("--seed", help="URL of a seed ledger (default: a fresh SQLite one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seed_url = args.seed or f"sqlite:///{Path(folder) / 'seed.db'}"
        engine = make_engine(seed_url)
        prepare_database(engine)
        engine.dispose()
        backend = make_engine(args.large).dialect.name
        figures = measure(args.large, seed_url, args.repeat)
    print(report({backend: figures}))


if __name__ == "__main__":
    main()
