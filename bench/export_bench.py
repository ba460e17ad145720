"""Benchmark: the CSV export, now and as of a moment, against the database's own CSV of the same
columns of the same join (`psql \\copy (SELECT ...) TO STDOUT`, or `sqlite3 -csv`).

Run: .venv/bin/python bench/export_bench.py URL [--turns 3] [--as-of MOMENT] [--old DIR]

URL is a ledger filled by bench/generate.py. Each turn runs, in turn: the export now, the export
as of MOMENT (default: the present moment, which selects the same rows as now), the database's
CSV of the same columns, and with --old the export now and as of MOMENT by the code checked out
in DIR (another worktree), each a fresh process; the export's seconds are measured inside the
process, without the interpreter's start and imports (as bench/ledger_bench.py does). It prints
the median of each and the ratios; the files of now and as of the present moment must be the
same bytes, and it says whether they are.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
EXPORT = """
import resource, sys, time
from shipments.cli import main
start = time.perf_counter()
code = main(["--database-url", sys.argv[1], "export", "--output", sys.argv[2], *sys.argv[3:]])
print(code, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
# The export's columns, from the same join (current_shipment, its revision), as plain values.
COLUMNS = {
    "postgresql": (
        "r.shipment_id, r.revision, to_char(r.event_date, 'YYYY-MM-DD'), r.date_means, r.donor,"
        " r.recipient, r.cargo, r.cargo_description, round(r.mass_kg::numeric / 1000, 3),"
        " r.mass_kg, c.source_ids, r.note, r.recorded_by,"
        ' to_char(r.recorded_at, \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\')'
    ),
    "sqlite": (
        "r.shipment_id, r.revision, r.event_date, r.date_means, r.donor, r.recipient, r.cargo,"
        " r.cargo_description, printf('%d.%03d', r.mass_kg / 1000, r.mass_kg % 1000), r.mass_kg,"
        " c.source_ids, r.note, r.recorded_by, r.recorded_at"
    ),
}
JOIN = (
    "FROM current_shipment c JOIN shipment_revision r ON r.id = c.revision_id"
    " ORDER BY c.shipment_id"
)


def dump_command(url: str) -> list[str]:
    """Return the command that writes the same columns as CSV with the database's own tool."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    query = f"SELECT {COLUMNS[backend]} {JOIN}"
    if backend == "sqlite":
        return ["sqlite3", "-csv", "-header", str(parsed.database), query]
    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return ["psql", "--no-psqlrc", "-q", libpq, "-c", f"\\copy ({query}) TO STDOUT WITH CSV HEADER"]


def export(code_dir: Path, url: str, out: Path, *args: str) -> tuple[float, float]:
    """Run the export of the code in ``code_dir``; return its seconds and peak RSS (MB)."""
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, url, str(out), *args],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    _code, seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def sha256(path: Path) -> str:
    """Return the file's sha256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    """Run the turns and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--as-of", default=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    parser.add_argument("--old", type=Path, help="a worktree of the code to compare with")
    args = parser.parse_args()
    times: dict[str, list[float]] = {}
    peaks: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        now, then, plain = (Path(folder) / n for n in ("now.csv", "then.csv", "plain.csv"))
        codes = {"": REPO} if args.old is None else {"": REPO, "old ": args.old}
        for _ in range(args.turns):
            for label, code_dir in codes.items():
                for name, out, extra in (
                    ("export now", now, ()),
                    ("export --as-of", then, ("--as-of", args.as_of)),
                ):
                    seconds, peak = export(code_dir, args.url, out, *extra)
                    times.setdefault(label + name, []).append(seconds)
                    peaks.setdefault(label + name, []).append(peak)
            start = time.perf_counter()
            with plain.open("w") as handle:
                subprocess.run(dump_command(args.url), stdout=handle, check=True)
            times.setdefault("database's CSV, same columns", []).append(time.perf_counter() - start)
        same = sha256(now) == sha256(then)
        lines = sum(1 for _ in now.open(encoding="utf-8"))
    print(f"{args.url}: {lines - 1:,} lines; as of {args.as_of}; {args.turns} turns (median)")
    for name, values in times.items():
        peak = f", peak RSS {max(peaks[name]):.0f} MB" if name in peaks else ""
        print(f"  {name:<32} {statistics.median(values):8.2f} s{peak}")
    dump = statistics.median(times["database's CSV, same columns"])
    for label in codes:
        ours = statistics.median(times[f"{label}export now"])
        then_s = statistics.median(times[f"{label}export --as-of"])
        print(f"  {label}export now / database's CSV:  {ours / dump:.2f}x")
        print(f"  {label}export --as-of / export now:  {then_s / ours:.2f}x")
    print(f"  now and as of {args.as_of}: {'same bytes' if same else 'DIFFERENT bytes'}")


if __name__ == "__main__":
    main()
