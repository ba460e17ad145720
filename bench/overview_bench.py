"""Benchmark: the Overview's first render and warm rerun at N shipments, against the 4-row seed
and against a naive page that reads the whole table with pandas.read_sql.

Run: .venv/bin/python bench/overview_bench.py --large sqlite:////tmp/b1m.db
(fill the large ledger first with bench/generate.py). Each measurement runs in a fresh process,
so caches start cold; the warm figure is the median of five reruns, and every figure the
median of three such measurements. bench/run.py runs this with
the other comparisons.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Every module dashboard.py imports (each page is a function it registers) is imported before
# the clock starts: the comparison is of the work a render does (queries, frames, figures), not
# of Python importing plotly, pandas or the pages once per process.
WARM_IMPORTS = """
import pandas, plotly.graph_objects, streamlit
import shipments.ui.overview, shipments.ui.claims, shipments.ui.ledger, shipments.ui.downloads
import shipments.ui.sign_in, shipments.ui.edit, shipments.ui.import_file, shipments.ui.audit
import shipments.ui.view, shipments.ui.sidebar, shipments.ui.session
"""

RENDER = (
    WARM_IMPORTS
    + """
import sys, time
from streamlit.testing.v1 import AppTest
start = time.perf_counter()
app = AppTest.from_file("dashboard.py", default_timeout=600).run()
cold = time.perf_counter() - start
assert not app.exception, app.exception
warm = []
for _ in range(5):
    start = time.perf_counter()
    app.run()
    warm.append(time.perf_counter() - start)
assert not app.exception, app.exception
total = {m.label: m.value for m in app.metric}["Total delivered"]
print(cold, sorted(warm)[2], total)
"""
)

NAIVE = (
    WARM_IMPORTS
    + """
import sys, time
import pandas as pd
from streamlit.testing.v1 import AppTest
script = '''
import pandas as pd, streamlit as st
from shipments.db import make_engine
frame = pd.read_sql("SELECT * FROM shipment_revision", make_engine())
st.metric("Total delivered", f"{frame['mass_kg'].sum() / 1000:,.3f} t")
st.bar_chart(frame.groupby("event_date")["mass_kg"].sum())
'''
start = time.perf_counter()
app = AppTest.from_string(script, default_timeout=600).run()
print(time.perf_counter() - start)
"""
)


def measure(code: str, url: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LEDGER_DATABASE_URL": url, "PYTHONPATH": str(REPO)},
    )
    return done.stdout.split()


def overview(
    large_url: str, seed_url: str, repeat: int = 3, naive: bool = True
) -> dict[str, float]:
    """Measure the Overview on both ledgers and (unless not ``naive``) the naive page on the
    large one (seconds).

    Each is measured ``repeat`` times, in turn, and the median kept: on a shared machine one
    run can take twice as long as the next.
    """
    runs: dict[str, list[float]] = {}
    for _ in range(repeat):
        seed = measure(RENDER, seed_url)
        large = measure(RENDER, large_url)
        figures = [
            ("seed_cold", seed[0]),
            ("seed_warm", seed[1]),
            ("large_cold", large[0]),
            ("large_warm", large[1]),
        ]
        if naive:
            figures.append(("naive", measure(NAIVE, large_url)[0]))
        for name, value in figures:
            runs.setdefault(name, []).append(float(value))
    return {name: statistics.median(values) for name, values in runs.items()}


def main() -> None:
    """Measure and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", required=True, help="URL of a ledger filled by generate.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        f = overview(args.large, f"sqlite:///{Path(folder) / 'seed.db'}")
    print(f"{'':34}{'seconds':>10}")
    print(f"{'Overview cold, seed (4 rows)':34}{f['seed_cold']:>10.2f}")
    print(f"{'Overview cold, large':34}{f['large_cold']:>10.2f}")
    print(f"{'naive read_sql page, large':34}{f['naive']:>10.2f}")
    print(f"{'Overview warm rerun, seed':34}{f['seed_warm']:>10.3f}")
    print(f"{'Overview warm rerun, large':34}{f['large_warm']:>10.3f}")
    print(f"cold large / seed: {f['large_cold'] / f['seed_cold']:.1f}x (target < 5x)")
    print(f"naive / cold large: {f['naive'] / f['large_cold']:.1f}x (target >= 10x)")
    print(f"warm large / seed: {f['large_warm'] / f['seed_warm']:.1f}x (target < 2x)")


if __name__ == "__main__":
    main()
