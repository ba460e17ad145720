"""Browser tests: a real `streamlit run` driven by headless Chromium through Playwright.

They skip, saying why, where Chromium (Debian's package, /usr/bin/chromium) or Playwright is
missing, and fail instead when LEDGER_REQUIRE_E2E=1, as in CI.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import EDITOR_PASSWORD, make_shipment
from server import serve_dashboard
from sqlalchemy import Engine

from shipments.db import REPO_ROOT, session_scope
from shipments.ledger import append_shipment

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

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


def _unavailable(reason: str) -> None:
    if os.environ.get("LEDGER_REQUIRE_E2E") == "1":
        pytest.fail(f"LEDGER_REQUIRE_E2E=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Start headless Chromium from the system package, driven by Playwright."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(
            "the playwright package is not installed (pip install -r requirements-dev.txt)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def dashboard(seeded_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Serve the dashboard on a free port over a seeded ledger plus one shipment from Russia."""
    with session_scope(seeded_engine) as session:
        append_shipment(
            session=session,
            shipment_in=make_shipment(donor="Russia", event_date="2019-06-01", tonnes="68"),
            by="ana",
            via="cli",
        )
    seeded_engine.dispose()
    with serve_dashboard(database_url, tmp_path) as served:
        yield served.base


def metric(page: Any, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label)
    return str(box.locator('[data-testid="stMetricValue"]').inner_text())


def choose(page: Any, label: str, option: str) -> None:
    widget = page.locator('[data-testid="stMultiSelect"]', has_text=label)
    widget.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def heading(page: Any, title: str) -> None:
    """Wait until the page's title (its one h1) reads exactly ``title``."""
    page.locator("h1").filter(has_text=re.compile(f"^{re.escape(title)}$")).wait_for(timeout=30_000)


def test_every_page_opens_at_its_address(browser: Any, dashboard: str):
    context = browser.new_context()
    page = context.new_page()
    for path, title in (
        ("/", "Aid shipment ledger"),
        ("/ledger", "Ledger"),
        ("/claims", "Claims against the ledger"),
        ("/downloads", "Downloads"),
        ("/sign-in", "Sign in"),
    ):
        page.goto(dashboard + path)
        heading(page, title)
        assert page.url == dashboard + path
    page.get_by_role("textbox", name="Name").fill("ana")
    page.get_by_role("textbox", name="Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for link, path, title in (
        ("Edit", "/edit", "Edit the ledger"),
        ("Import", "/import", "Import shipments"),
        ("Audit", "/audit", "Audit trail"),
        ("Overview", "/", "Aid shipment ledger"),
    ):
        page.get_by_role("link", name=link, exact=True).click(timeout=30_000)
        heading(page, title)
        assert page.url == dashboard + path
    context.close()


def test_filter_travels_in_the_url_and_the_download_matches_it(browser: Any, dashboard: str):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(dashboard)
    page.get_by_text("Total delivered").wait_for(timeout=30_000)
    assert metric(page, "Total delivered") == "337.000 t"

    choose(page, "Donor", "China")
    page.wait_for_url(re.compile(r"[?&]donor=China"), timeout=15_000)
    page.wait_for_function("() => document.body.innerText.includes('269.000 t')", timeout=15_000)
    assert metric(page, "Total delivered") == "269.000 t"
    shared = page.url

    reopened = context.new_page()
    reopened.goto(shared)
    reopened.get_by_text("Total delivered").wait_for(timeout=30_000)
    reopened.wait_for_function(
        "() => document.body.innerText.includes('269.000 t')", timeout=15_000
    )
    donor = reopened.locator('[data-testid="stMultiSelect"]', has_text="Donor")
    assert "China" in donor.inner_text()
    assert "donor=China" in reopened.url

    reopened.get_by_role("link", name="Downloads").click()
    reopened.get_by_text("Shipments (CSV)").wait_for(timeout=30_000)
    assert "donor=China" in reopened.url
    address = reopened.get_by_role("link", name="Shipments (CSV)").get_attribute("href")
    assert address is not None
    assert address.startswith(dashboard + "/data/shipments.csv?")
    fetched = context.request.get(address)
    assert "donor-China" in fetched.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(fetched.text())))
    assert [r["donor"] for r in rows] == ["China"] * 4
    assert [r["tonnes"] for r in rows] == ["65.000", "71.000", "64.000", "69.000"]
    context.close()


def test_an_editor_made_by_the_cli_adds_a_shipment_through_the_form(
    browser: Any, dashboard: str, database_url: str
):
    made = subprocess.run(
        [sys.executable, "-m", "shipments", "editors", "add", "dana", "--password-stdin"],
        input="a long e2e passphrase\n",
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "LEDGER_DATABASE_URL": database_url},
        timeout=120,
        check=False,
    )
    assert (made.returncode, made.stdout) == (0, "added editor dana\n"), made.stderr
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(dashboard)
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("textbox", name="Name").fill("dana")
    page.get_by_role("textbox", name="Password").fill("a long e2e passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Edit").click(timeout=30_000)
    page.get_by_role("button", name="Add shipment").wait_for(timeout=30_000)

    page.get_by_role("spinbutton", name="year, Date", exact=True).click()
    page.keyboard.type("20190612")
    page.keyboard.press("Tab")
    for label, value in (
        ("Donor", "Cuba"),
        ("Recipient", "Venezuela"),
        ("Cargo category (e.g. medicine)", "medicine"),
        ("Tonnes (t)", "12.345"),
        ("or a new source: its web address", "https://example.org/cuba-aid"),
        ("Title", "Cuban aid arrives"),
        ("Publisher", "Example News"),
    ):
        page.get_by_role("textbox", name=label, exact=True).fill(value)
    page.get_by_role("button", name="Add shipment").click()
    page.get_by_text("Added shipment 6").wait_for(timeout=30_000)

    page.get_by_role("link", name="Ledger").click()
    page.get_by_text("Shipments 1 to 6 of 6").wait_for(timeout=30_000)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.locator('[role="gridcell"]', has_text="Cuba").first.wait_for(
        state="attached", timeout=30_000
    )
    assert table.locator('[role="gridcell"]', has_text="12.345").count() == 1

    page.get_by_role("link", name="Downloads").click()
    with page.expect_download(timeout=30_000) as caught:
        page.get_by_role("button", name="Shipments (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(caught.value.path()).read_text(encoding="utf-8"))))
    [cuban] = [r for r in rows if r["donor"] == "Cuba"]
    assert (cuban["tonnes"], cuban["event_date"], cuban["source_urls"]) == (
        "12.345",
        "2019-06-12",
        "https://example.org/cuba-aid",
    )

    page.get_by_role("button", name="Sign out (dana)").click()
    page.get_by_role("link", name="Sign in").wait_for(timeout=30_000)
    assert page.get_by_role("link", name="Edit").count() == 0
    assert page.get_by_role("link", name="Audit").count() == 0
    page.goto(f"{dashboard}/edit")
    page.get_by_text("Total delivered").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Add shipment").count() == 0
    context.close()


FORMULA = '=HYPERLINK("http://x","y")'


def grid_toolbar(page: Any, grid: Any) -> list[str]:
    """Hover a grid until its toolbar shows; return the labels of the toolbar's buttons."""
    grid.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    toolbar.get_by_role("button", name="Search").wait_for(timeout=15_000)
    return [str(b.get_attribute("aria-label")) for b in toolbar.get_by_role("button").all()]


def test_the_grids_offer_no_download_of_raw_cells(
    browser: Any, dashboard: str, seeded_engine: Engine, tmp_path: Path
):
    """Streamlit's own "Download as CSV" would write a ledger text such as a =HYPERLINK(...)
    live, under internal column names; the dashboard turns it off (client.disableDataExport)."""
    with session_scope(seeded_engine) as session:
        append_shipment(
            session=session,
            shipment_in=make_shipment(donor="Cuba", event_date="2019-06-02", note=FORMULA),
            by="ana",
            via="cli",
        )
    seeded_engine.dispose()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{dashboard}/ledger")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.locator('[role="gridcell"]', has_text=FORMULA).first.wait_for(
        state="attached", timeout=30_000
    )
    labels = grid_toolbar(page, grid)
    page.screenshot(path=str(tmp_path / "ledger-toolbar.png"))
    assert "Search" in labels
    assert "Download as CSV" not in labels

    page.get_by_role("link", name="Claims").click()
    heading(page, "Claims against the ledger")
    assert "Download as CSV" not in grid_toolbar(
        page, page.locator('[data-testid="stDataFrame"]').first
    )

    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("textbox", name="Name").fill("ana")
    page.get_by_role("textbox", name="Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Audit", exact=True).click(timeout=30_000)
    heading(page, "Audit trail")
    assert "Download as CSV" not in grid_toolbar(
        page, page.locator('[data-testid="stDataFrame"]').first
    )
    context.close()
