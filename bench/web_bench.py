"""Benchmark: the shipments CSV at its URL against `python -m shipments export`, same ledger.

Run: .venv/bin/python bench/web_bench.py [--shipments N] [--database-url URL] [--turns 3]

Without --database-url it makes a fresh SQLite ledger of N generated shipments (default
1,000,000; generate.py); with one, it uses that ledger as it is (fill it with generate.py first).
Then it serves the dashboard (`streamlit run dashboard.py`, as tests/server.py does) and, each
turn, `curl -o` the /data/shipments.csv URL and runs `python -m shipments export --output` on
the same ledger. It prints:
  - whether the two files are the same bytes (sha256);
  - the median wall time of each, and of the export without the interpreter's start-up and
    imports (as bench/ledger_bench.py times it), and the URL's time over the latter (target
    <= 1.5x: the stricter comparison);
  - the server's peak RSS growth while it streams (target < 50 MB): /proc/PID/clear_refs resets
    the peak before each download, VmHWM after it is the peak, VmRSS before it the baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import generate  # noqa: E402

from shipments.db import make_engine  # noqa: E402
from shipments.seed import prepare_database  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
# The export's own time, without the interpreter's start and imports (seconds on stdout).
EXPORT = """
import sys, time
from shipments.cli import main
start = time.perf_counter()
main(["--database-url", sys.argv[1], "export", "--output", sys.argv[2]])
print(time.perf_counter() - start)
"""


def sha256(path: Path) -> str:
    """Return the file's sha256, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def status_kb(pid: int, field: str) -> int:
    """Return a field of /proc/PID/status in kB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def timed(command: list[str]) -> float:
    """Run ``command``; return its wall time in seconds."""
    start = time.perf_counter()
    run(command)
    return time.perf_counter() - start


def run(command: list[str]) -> str:
    """Run ``command``; return what it printed."""
    done = subprocess.run(command, check=True, cwd=REPO, env=ENV, capture_output=True, text=True)
    return done.stdout


def serve(url: str, home: Path) -> tuple[subprocess.Popen[str], str]:
    """Start the dashboard on a free port; return the process and its address once healthy."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", "dashboard.py"),
            *("--server.port", str(port), "--server.address", "127.0.0.1"),
            *("--server.headless", "true"),
        ],
        cwd=REPO,
        env={**ENV, "LEDGER_DATABASE_URL": url, "HOME": str(home)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=5) as answer:
                if answer.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.25)
    server.terminate()
    raise SystemExit(f"the dashboard did not become ready (exit code {server.poll()})")


def measure(url: str, folder: Path, turns: int) -> dict[str, Any]:
    """Serve the ledger at ``url``; time curl of the CSV URL and the export, ``turns`` each."""
    server, base = serve(url, folder)
    web_file, cli_file = folder / "web.csv", folder / "cli.csv"
    try:
        # Warm the server (imports, the engine, the first query) on a small file first.
        timed(["curl", "-sSf", "-o", os.devnull, f"{base}/data/sources.csv"])
        web, cli, inside, growth = [], [], [], []
        for _ in range(turns):
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
            before = status_kb(server.pid, "VmRSS")
            web.append(timed(["curl", "-sSf", "-o", str(web_file), f"{base}/data/shipments.csv"]))
            growth.append((status_kb(server.pid, "VmHWM") - before) / 1024)
            command = [sys.executable, "-m", "shipments", "--database-url", url, "export"]
            cli.append(timed([*command, "--output", str(cli_file)]))
            inside.append(float(run([sys.executable, "-c", EXPORT, url, str(cli_file)])))
        same = sha256(web_file) == sha256(cli_file)
        size = web_file.stat().st_size
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "same_bytes": "yes" if same else "NO",
        "bytes": size,
        "web_s": statistics.median(web),
        "cli_s": statistics.median(cli),
        "inside_s": statistics.median(inside),
        "ratio": statistics.median(web) / statistics.median(inside),
        "ratio_max": max(w / c for w, c in zip(web, inside, strict=True)),
        "rss_growth_mb": max(growth),
        "rss_growths": growth,
    }


def main() -> None:
    """Make or take a ledger, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a ledger already filled (default: a fresh one)")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--folder", help="where the files go (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as name:
        folder = Path(name)
        url = args.database_url
        if url is None:
            url = f"sqlite:///{folder / 'ledger.db'}"
            print(f"generating {args.shipments:,} shipments ...", file=sys.stderr, flush=True)
            engine = make_engine(url)
            prepare_database(engine)
            generate.fill(engine, args.shipments)
            engine.dispose()
        figures = measure(url, folder, args.turns)
    print(f"{'shipments CSV URL vs python -m shipments export':58}{'':>14}")
    print(f"{'  same bytes (sha256)':58}{figures['same_bytes']:>14}")
    print(f"{'  file size (bytes)':58}{figures['bytes']:>14,}")
    print(f"{'  curl of the URL (s, median)':58}{figures['web_s']:>14.2f}")
    print(f"{'  python -m shipments export, the command (s, median)':58}{figures['cli_s']:>14.2f}")
    print(f"{'  the export alone, no start-up (s, median)':58}{figures['inside_s']:>14.2f}")
    print(f"{'  URL / export alone, medians (target <= 1.5x)':58}{figures['ratio']:>13.2f}x")
    print(f"{'  URL / export, highest turn':58}{figures['ratio_max']:>13.2f}x")
    print(f"{'  server peak RSS growth while streaming (MB, target < 50)':58}", end="")
    print(f"{figures['rss_growth_mb']:>14.1f}")
    turns = ", ".join(f"{g:.1f}" for g in figures["rss_growths"])
    print(f"{'  the same, turn by turn (the first loads what a check needs)':58}  {turns}")


if __name__ == "__main__":
    main()
