"""Time `python -m shipments publish DIR` on a ledger, beside the two exports a snapshot holds.

Each command is a fresh process timed from outside (wall clock and the child's user CPU): the
snapshot, then `export --package` and `export --hxl` of the same ledger (the shipments files
the snapshot writes, as a baseline). Then the snapshot's size (total, plotly.js, pages, data,
and each gzipped as a static host would send it) and, in this process, where its time goes.
Run by hand; the ledger is only read (give a copy: the start-up check may write to it).

    .venv/bin/python bench/publish_bench.py --database-url sqlite:////tmp/copy-of-large.db
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shipments.db import make_engine, session_scope  # noqa: E402
from shipments.ledger import ShipmentFilter, distinct_values  # noqa: E402
from shipments.publish import html, pages, snapshot  # noqa: E402
from shipments.reconcile import reconcile  # noqa: E402


def timed(args: list[str]) -> tuple[float, float]:
    """Run the command line in a fresh process; return its wall and user CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "shipments", *args], check=True, cwd=ROOT)
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def sizes(folder: Path) -> None:
    """Print the snapshot's size by part, as written and gzipped."""
    parts = {"plotly.js": [folder / html.PLOTLY_JS], "pages": [], "data": [], "other": []}
    for path in folder.rglob("*"):
        if not path.is_file() or path.name == html.PLOTLY_JS:
            continue
        kind = "pages" if path.suffix == ".html" else "data" if "data" in path.parts else "other"
        parts[kind].append(path)
    total = sum(p.stat().st_size for files in parts.values() for p in files)
    print(f"snapshot: {total:,} bytes")
    for kind, files in parts.items():
        size = sum(p.stat().st_size for p in files)
        packed = sum(len(gzip.compress(p.read_bytes(), 6)) for p in files)
        print(f"  {kind}: {len(files)} files, {size:,} bytes ({size / total:.1%}), gzip {packed:,}")


def phases(url: str) -> None:
    """Print, in this process, the time of each part of a snapshot."""
    engine = make_engine(url)
    clock = time.perf_counter
    with session_scope(engine) as session, tempfile.TemporaryDirectory() as tmp:
        start = clock()
        result = reconcile(session=session)
        print(f"  reconcile: {clock() - start:.1f} s")
        start = clock()
        snapshot.write_data(
            session=session, folder=Path(tmp) / "data", result=result, on=date.today()
        )
        print(f"  data files: {clock() - start:.1f} s")
        start = clock()
        view = pages.page_view(
            session=session, result=result, title="", path="", filters=ShipmentFilter()
        )
        html.overview(view, describe="")
        html.claims(view.claims.claims, total=len(result.claims))
        print(f"  index page: {clock() - start:.1f} s")
        named = [
            page
            for kind in snapshot.HEADINGS
            for page in pages.named_pages(kind, distinct_values(session=session, field=kind))
            if page.path
        ]
        start = clock()
        for page in named:
            view = pages.page_view(
                session=session,
                result=result,
                title="",
                path="",
                filters=pages.filter_for(page),
            )
            html.overview(view, describe="")
            html.claims(view.claims.claims, total=len(result.claims))
        spent = clock() - start
        print(f"  {len(named)} donor and recipient pages: {spent:.1f} s")
    engine.dispose()


def main() -> None:
    """Time a snapshot and the exports it holds; print its size and where its time goes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("LEDGER_DATABASE_URL"))
    url = parser.parse_args().database_url
    if not url:
        parser.error("--database-url (or LEDGER_DATABASE_URL) is required")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "snapshot"
        wall, user = timed(["--database-url", url, "publish", str(folder)])
        print(f"publish: {wall:.1f} s wall, {user:.1f} s user")
        package_wall, package_user = timed(
            ["--database-url", url, "export", "--package", str(Path(tmp) / "package")]
        )
        hxl_wall, hxl_user = timed(
            ["--database-url", url, "export", "--hxl", "--output", str(Path(tmp) / "h.csv")]
        )
        exports_wall, exports_user = package_wall + hxl_wall, package_user + hxl_user
        print(
            f"export --package + export --hxl: {exports_wall:.1f} s wall, {exports_user:.1f} s"
            f" user; publish / exports: {wall / exports_wall:.2f}x wall,"
            f" {user / exports_user:.2f}x user"
        )
        sizes(folder)
    print("where the time goes (in this process):")
    phases(url)


if __name__ == "__main__":
    main()
