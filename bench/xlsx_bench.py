"""Benchmark: the shipments workbook at its URL (/data/shipments.xlsx) on a large ledger.

Run: .venv/bin/python bench/xlsx_bench.py [--shipments N] [--database-url URL] [--turns 1]
     [--check]

Without --database-url it makes a fresh SQLite ledger of N generated shipments (default
1,000,000; generate.py). It serves the dashboard as web_bench.py does and, each turn, `curl -o`
the /data/shipments.xlsx URL and the /data/shipments.csv URL. It prints the workbook's size and
time next to the CSV's, and the server's peak RSS growth while it writes and sends the workbook
(/proc/PID/clear_refs resets the peak before the download, VmHWM after it is the peak, VmRSS
before it the baseline). With --check it also reads the workbook back with openpyxl (read-only)
and counts its rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import generate  # noqa: E402
from web_bench import serve, status_kb, timed  # noqa: E402

from shipments.db import make_engine  # noqa: E402
from shipments.seed import prepare_database  # noqa: E402


def measure(url: str, folder: Path, turns: int) -> dict[str, float]:
    """Serve the ledger at ``url``; time curl of the workbook and of the CSV, ``turns`` each."""
    server, base = serve(url, folder)
    book, text = folder / "web.xlsx", folder / "web.csv"
    try:
        timed(["curl", "-sSf", "-o", str(book), f"{base}/data/sources.xlsx"])  # warm up
        books, texts, growth = [], [], []
        for _ in range(turns):
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
            before = status_kb(server.pid, "VmRSS")
            books.append(timed(["curl", "-sSf", "-o", str(book), f"{base}/data/shipments.xlsx"]))
            growth.append((status_kb(server.pid, "VmHWM") - before) / 1024)
            texts.append(timed(["curl", "-sSf", "-o", str(text), f"{base}/data/shipments.csv"]))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "book_bytes": book.stat().st_size,
        "csv_bytes": text.stat().st_size,
        "book_s": statistics.median(books),
        "csv_s": statistics.median(texts),
        "rss_growth_mb": max(growth),
    }


def count_rows(path: Path) -> int:
    """Return the number of rows of the workbook's sheet, read as openpyxl streams it."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return sum(1 for _ in book.active.iter_rows(values_only=True))
    finally:
        book.close()


def main() -> None:
    """Make or take a ledger, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a ledger already filled (default: a fresh one)")
    parser.add_argument("--turns", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="count the workbook's rows")
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
        rows = count_rows(folder / "web.xlsx") if args.check else None
    print(f"{'shipments workbook URL next to the CSV URL':58}{'':>14}")
    print(f"{'  workbook size (bytes)':58}{figures['book_bytes']:>14,.0f}")
    print(f"{'  CSV size (bytes)':58}{figures['csv_bytes']:>14,.0f}")
    print(f"{'  curl of shipments.xlsx (s, median)':58}{figures['book_s']:>14.2f}")
    print(f"{'  curl of shipments.csv (s, median)':58}{figures['csv_s']:>14.2f}")
    print(f"{'  server peak RSS growth while writing the workbook (MB)':58}", end="")
    print(f"{figures['rss_growth_mb']:>14.1f}")
    if rows is not None:
        print(f"{'  rows in the workbook, header included':58}{rows:>14,}")


if __name__ == "__main__":
    main()
