"""Take the README's screenshots: every page, on a desktop and on a phone, over the seed.

Run from the repository root, with the test requirements installed (Playwright's Python package)
and Debian's Chromium (``apt-get install -y chromium``):

    .venv/bin/python docs/screenshots.py

It starts the dashboard as the README does, on a new SQLite ledger seeded with the 2019
deliveries in a temporary folder, makes an editor there, and writes
``docs/screenshots/<page>-desktop.png`` (1400x900) and ``<page>-phone.png`` (390x844): what a
viewer sees, then what a signed-in editor sees. Nothing outside that folder is changed.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("LEDGER_CHROMIUM", "/usr/bin/chromium"))
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
EDITOR, PASSWORD = "docs", "screenshots need a long passphrase"
# (file name, address, the page's title once it has drawn)
VIEWER_PAGES = [
    ("overview", "/", "Aid shipment ledger"),
    ("ledger", "/ledger", "Ledger"),
    ("claims", "/claims", "Claims against the ledger"),
    ("downloads", "/downloads", "Downloads"),
    ("sign-in", "/sign-in", "Sign in"),
]
EDITOR_PAGES = [
    ("edit", "/edit", "Edit the ledger"),
    ("import", "/import", "Import shipments"),
    ("audit", "/audit", "Audit trail"),
]


def shipments(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
    """Run ``python -m shipments ARGS`` against the temporary ledger; stop on failure."""
    subprocess.run(
        [sys.executable, "-m", "shipments", *args], input=stdin, text=True, env=env, check=True
    )


@contextmanager
def dashboard(env: dict[str, str]) -> Iterator[str]:
    """Run ``streamlit run dashboard.py`` on a free port until healthy; yield its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", "dashboard.py"),
            *("--server.port", str(port), "--server.address", "127.0.0.1"),
            *("--server.fileWatcherType", "none"),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the dashboard did not start (exit code {server.poll()})")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.25)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def settle(page: Any, title: str) -> None:
    """Wait until the page's title is drawn and Streamlit has finished running the page."""
    page.locator("h1", has_text=title).first.wait_for(timeout=60_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for index in range(charts.count()):  # plotly draws after the run ends
        charts.nth(index).locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(4_000)  # and fades the charts in


def shoot(context: Any, base: str, pages: list[tuple[str, str, str]], out: Path, size: str) -> None:
    """Screenshot each page in ``pages`` in one browser context."""
    page = context.new_page()
    for name, address, title in pages:
        page.goto(base + address)
        settle(page, title)
        page.screenshot(path=str(out / f"{name}-{size}.png"))
        print(out / f"{name}-{size}.png")
    page.close()


def main() -> None:
    """Start a seeded dashboard in a temporary folder and screenshot every page at both sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "HOME": home,
            "LEDGER_DATABASE_URL": f"sqlite:///{home}/ledger.db",
        }
        env.pop("LEDGER_SEED", None)
        shipments("init", env=env)
        shipments("editors", "add", EDITOR, "--password-stdin", env=env, stdin=PASSWORD + "\n")
        with dashboard(env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
            )
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                shoot(context, base, VIEWER_PAGES, out, size)
                page = context.new_page()
                page.goto(f"{base}/sign-in")
                page.get_by_role("textbox", name="Name").fill(EDITOR)
                page.get_by_role("textbox", name="Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                settle(page, "Edit the ledger")
                page.close()
                shoot(context, base, EDITOR_PAGES, out, size)
                context.close()
            browser.close()


if __name__ == "__main__":
    main()
