"""Benchmark: the command line's start-up, `--help` and `list` on the seed, against a bare
`python -c 'import sqlalchemy'`, in interleaved turns (optionally beside another worktree's code).

Run: .venv/bin/python bench/cli_bench.py [--turns 15] [--old DIR]

Each turn runs every command once, a fresh process each, on a seeded SQLite ledger made in a
temporary folder; it prints the lowest and the median wall time and the median CPU time (user
and system) of each. On a shared machine the CPU time moves less than the wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    """Run the turns and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--old", type=Path, help="a worktree of the code to compare with")
    args = parser.parse_args()
    codes = {"": REPO} if args.old is None else {"before: ": args.old, "now: ": REPO}
    commands = {"python -c 'import sqlalchemy'": (["-c", "import sqlalchemy"], REPO)}
    for label, code in codes.items():
        commands[f"{label}--help"] = (["-m", "shipments", "--help"], code)
    for label, code in codes.items():
        commands[f"{label}list"] = (["-m", "shipments", "list"], code)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{folder}/seed.db"}
        subprocess.run(
            [sys.executable, "-m", "shipments", "init"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        for _ in range(args.turns):
            for name, (argv, cwd) in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = os.times().elapsed
                subprocess.run(
                    [sys.executable, *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True
                )
                wall[name].append(os.times().elapsed - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                cpu[name].append(used)
    print(f"{'command':34} {'wall min':>9} {'wall median':>12} {'cpu median':>11}")
    for name in commands:
        print(
            f"{name:34} {min(wall[name]):9.3f} {statistics.median(wall[name]):12.3f}"
            f" {statistics.median(cpu[name]):11.3f}"
        )


if __name__ == "__main__":
    main()
