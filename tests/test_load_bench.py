"""bench/load_bench.py's simulated viewer gets the page a browser gets, over Streamlit's protocol.

The load benchmark's figures mean something only if each simulated viewer is served the whole
Overview (its metrics and charts), not an error or a half-run page; these tests hold that.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine

from tests.server import serve_dashboard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load_bench

T = TypeVar("T")

pytestmark = pytest.mark.slow


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` in a thread of its own: the browser tests' Playwright keeps an event
    loop running in the main thread, where ``asyncio.run`` refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_simulated_viewer_is_served_the_whole_overview(
    seeded_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with serve_dashboard(database_url, tmp_path) as served:
        seconds, seen = run(load_bench.one_viewer(served.base))
    assert seconds > 0
    assert seen["new_session"] == 1
    assert seen["script_finished"] == 1
    assert seen["element:metric"] == 4  # total, deliveries, latest, claims
    assert seen["element:plotly_chart"] >= 2  # running total and deliveries
    assert "element:exception" not in seen


def test_a_crowd_counts_every_viewer_once(
    seeded_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    with serve_dashboard(database_url, tmp_path) as served:
        wall, each = run(load_bench.crowd(served.base, 3))
    assert len(each) == 3
    assert max(each) <= wall


def test_a_page_that_fails_is_not_counted_as_served(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text('raise RuntimeError("no page")\n', encoding="utf-8")
    process, base = load_bench.start_streamlit(script, {**load_bench.ENV, "HOME": str(tmp_path)})
    try:
        with pytest.raises(RuntimeError, match="exception"):
            run(load_bench.one_viewer(base))
    finally:
        process.terminate()
        process.wait(timeout=30)
