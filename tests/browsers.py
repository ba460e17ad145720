"""Headless Chromium for the browser tests: Debian's package, driven by Playwright.

One browser serves every test file (the ``browser`` fixture in conftest.py): two Playwright
instances in one process would each run an event loop in the main thread, which Playwright's
sync API refuses. Without Chromium or Playwright the tests skip, saying why, and fail instead when
LEDGER_REQUIRE_E2E=1, as in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("LEDGER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable(reason: str) -> None:
    if os.environ.get("LEDGER_REQUIRE_E2E") == "1":
        pytest.fail(f"LEDGER_REQUIRE_E2E=1 but {reason}")
    pytest.skip(reason)


def launch_browser() -> Iterator[Any]:
    """Start headless Chromium from the system package, driven by Playwright."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
