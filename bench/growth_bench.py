"""Benchmark: how the Overview, reconcile, export and import grow with the ledger, from 10,000
to 10,000,000 shipments (SQLite unless --url-template names another database).

Run: .venv/bin/python bench/growth_bench.py [--sizes 10000 100000 1000000 10000000]
     [--folder DIR] [--repeat 3]
Each size's ledger is DIR/g{size}.db, made by generate.py in its realistic shape (1,000 claims
with 1,500 readings whatever the size) unless it is there already (then its making is not
timed). Each command is a fresh `python -m shipments` process, timed from outside with its
start-up and its peak memory (max RSS); each figure is the median of --repeat runs, except the
first reconcile (which reads the history whole and keeps the copy) and runs over a minute,
timed once. The import is bench/import_bench.py at the same number of rows, its output shown
as it prints it.
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

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import overview_bench  # noqa: E402

ONCE = 60.0  # a run slower than this (seconds) is not repeated


def run(*args: str) -> tuple[float, float]:
    """Run `python ARGS` in a fresh process; return its seconds and its peak memory (MB)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    # reconcile exits 1 when a claim is inconsistent; anything else is a failure.
    if child.returncode not in (0, 1) or (child.returncode and "reconcile" not in args):
        raise RuntimeError(f"{' '.join(args)} exited {child.returncode}: {errors[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def median_of(repeat: int, *args: str) -> tuple[float, float]:
    """Return the median seconds and the highest peak memory of up to ``repeat`` runs."""
    runs = [run(*args)]
    while len(runs) < repeat and runs[0][0] < ONCE:
        runs.append(run(*args))
    return statistics.median(s for s, _ in runs), max(m for _, m in runs)


def measure(size: int, folder: Path, repeat: int, import_up_to: int) -> dict[str, object]:
    """Make (or reuse) the ledger of ``size`` shipments and time each command on it."""
    path = folder / f"g{size}.db"
    url = f"sqlite:///{path}"
    figures: dict[str, object] = {"size": size}
    if not path.exists():
        figures["generate"] = run(str(BENCH / "generate.py"), url, "--rows", str(size))[0]
    cli = ["-m", "shipments", "--database-url", url]
    figures["first"] = run(*cli, "reconcile", "--no-ids")
    figures["reconcile"] = median_of(repeat, *cli, "reconcile", "--no-ids")
    with tempfile.TemporaryDirectory() as out:
        target = str(Path(out) / "export.csv")
        figures["export"] = median_of(repeat, *cli, "export", "--output", target)
    colds = [float(overview_bench.measure(overview_bench.RENDER, url)[0]) for _ in range(repeat)]
    figures["overview"] = statistics.median(colds)
    if size > import_up_to:
        figures["import"] = f"not measured (above --import-up-to {import_up_to:,})"
        return figures
    done = subprocess.run(
        [sys.executable, str(BENCH / "import_bench.py"), "--rows", str(size)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    figures["import"] = done.stdout.strip()
    return figures


def report(rows: list[dict[str, object]]) -> str:
    """Return the growth table, and each size's import output under it."""

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return f"{value[0]:.2f} s, {value[1]:.0f} MB"
        return "reused" if value is None else f"{value:.2f} s"

    lines = [
        "| shipments | generate | reconcile, first (keeps the copy) | reconcile | export"
        " | Overview cold |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        cells = [cell(r.get(k)) for k in ("generate", "first", "reconcile", "export", "overview")]
        lines.append(f"| {r['size']:,} | " + " | ".join(cells) + " |")
    for r in rows:
        lines += ["", f"import of {r['size']:,} rows:", str(r["import"])]
    return "\n".join(lines)


def main() -> None:
    """Measure each size in turn, smallest first; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 10_000_000]
    )
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "growth")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--import-up-to",
        type=int,
        default=10_000_000,
        help="import only at sizes up to this (a 10M-row import takes most of an hour)",
    )
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as kept:
        os.environ["LEDGER_CACHE_DIR"] = kept  # the first reconcile of each size reads whole
        for size in sorted(args.sizes):
            print(f"  {size:,} shipments", file=sys.stderr, flush=True)
            rows.append(measure(size, args.folder, args.repeat, args.import_up_to))
            print(report(rows[-1:]), file=sys.stderr, flush=True)
    print(report(rows))


if __name__ == "__main__":
    main()
