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
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import EDITOR_PASSWORD, make_shipment, row_counts
from server import serve_dashboard
from sqlalchemy import Engine, update

from shipments.auth import disable_editor
from shipments.db import REPO_ROOT, make_engine, session_scope
from shipments.ledger import append_shipment
from shipments.models import EditorSession
from shipments.rules import utcnow
from shipments.web.headers import SECURITY_HEADERS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


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


def fill_add_form(
    page: Any,
    *,
    cargo: str,
    tonnes: str,
    url: str,
    title: str,
    day: str = "20190612",
    donor: str = "Cuba",
) -> None:
    """Fill the Add form: 12 June 2019 (or ``day``, typed YYYYMMDD), Cuba (or ``donor``) to
    Venezuela, and the given cargo, mass, source."""
    page.get_by_role("spinbutton", name="year, Date", exact=True).click()
    page.keyboard.type(day)
    page.keyboard.press("Tab")
    for label, value in (
        ("Donor", donor),
        ("Recipient", "Venezuela"),
        ("Cargo category (e.g. medicine)", cargo),
        ("Tonnes (t)", tonnes),
        ("or a new source: its web address", url),
        ("Title", title),
        ("Publisher", "Example News"),
    ):
        page.get_by_role("textbox", name=label, exact=True).fill(value)


def open_tab(page: Any, tab_name: str, ready: Any) -> None:
    """Choose a tab of the Edit page and wait until ``ready`` (a locator in it) is there.

    Choosing a tab reruns the page (the tab is remembered). A click while the previous run is
    still redrawing can be lost, and what is typed during the tab's own rerun can be redrawn
    away: so wait for each run to end, and click again until the tab's form is there.
    """
    running = page.locator('[data-testid="stStatusWidget"]')
    tab = page.get_by_role("tab", name=tab_name)
    for _ in range(3):
        running.wait_for(state="detached", timeout=30_000)
        tab.click()
        running.wait_for(state="detached", timeout=30_000)
        try:
            ready.wait_for(timeout=10_000)
            return
        except Exception:  # the click was lost: the tab is not open
            continue
    ready.wait_for(timeout=10_000)


def correct_on_the_edit_page(page: Any, shipment_id: int, tonnes: str, reason: str) -> None:
    """On the Edit page, correct a shipment's tonnes through the Correct tab's form."""
    box = page.get_by_role("spinbutton", name="Shipment ID to correct")
    open_tab(page, "Correct a shipment", box)
    box.fill(str(shipment_id))
    box.press("Enter")  # the id is taken on Enter; the form then loads that shipment
    fix = page.locator('[data-testid="stForm"]', has_text="Record correction")
    fix.get_by_role("textbox", name="Tonnes (t)", exact=True).fill(tonnes)
    fix.get_by_role("textbox", name="Reason for the correction (required)").fill(reason)
    fix.get_by_role("button", name="Record correction").click()


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
        answer = page.goto(dashboard + path)
        heading(page, title)
        assert page.url == dashboard + path
        assert {name: answer.headers.get(name.lower()) for name in SECURITY_HEADERS} == (
            SECURITY_HEADERS
        )
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

    fill_add_form(
        page,
        cargo="medicine",
        tonnes="12.345",
        url="https://example.org/cuba-aid",
        title="Cuban aid arrives",
    )
    page.get_by_role("button", name="Add shipment").click()
    page.get_by_text("Added shipment 6").wait_for(timeout=30_000)

    page.get_by_role("link", name="Ledger", exact=True).click()
    page.get_by_text("Shipments 1 to 6 of 6").wait_for(timeout=30_000)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.locator('[role="gridcell"]', has_text="Cuba").first.wait_for(
        state="attached", timeout=30_000
    )
    assert table.locator('[role="gridcell"]', has_text="12.345").count() == 1

    page.get_by_role("link", name="Downloads").click()
    link = page.get_by_role("link", name="Shipments (CSV)")
    link.wait_for(timeout=30_000)
    address = link.get_attribute("href")
    assert address is not None
    rows = list(csv.DictReader(io.StringIO(page.context.request.get(address).text())))
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
    page.goto(f"{dashboard}/edit")  # the bookmark opens the page, which asks to sign in
    page.get_by_text("Sign in as an editor to open this page").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Add shipment").count() == 0
    assert page.get_by_text("Page not found").count() == 0
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
    # The row holding the formula has loaded (its note is off to the right, past the columns
    # the grid draws at this width: its donor is on screen).
    grid.locator('[role="gridcell"]', has_text="Cuba").first.wait_for(
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


def sign_in_as(page: Any, base: str, name: str = "ana", password: str = EDITOR_PASSWORD) -> None:
    """Sign in through the Sign in page's form, which posts to the route and lands on Edit."""
    page.goto(f"{base}/sign-in")
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    heading(page, "Edit the ledger")


def signed_out(page: Any) -> bool:
    """Wait for the viewer's menu; return True when it offers no editor page."""
    page.get_by_role("link", name="Sign in").wait_for(timeout=30_000)
    return all(
        page.get_by_role("link", name=link, exact=True).count() == 0
        for link in ("Edit", "Import", "Audit")
    )


def session_cookie(context: Any) -> dict[str, Any]:
    [cookie] = [c for c in context.cookies() if c["name"] == "ledger_session"]
    return dict(cookie)


def test_a_session_survives_a_reload_a_bookmark_and_a_server_restart(
    browser: Any, seeded_engine: Engine, database_url: str, tmp_path: Path
):
    seeded_engine.dispose()
    context = browser.new_context()
    page = context.new_page()
    with serve_dashboard(database_url, tmp_path) as first:
        sign_in_as(page, first.base)
        cookie = session_cookie(context)
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/")
        page.reload()
        heading(page, "Edit the ledger")
        page.get_by_role("button", name="Sign out (ana)").wait_for(timeout=30_000)
        bookmark = context.new_page()
        bookmark.goto(f"{first.base}/edit")
        heading(bookmark, "Edit the ledger")
        bookmark.goto(f"{first.base}/audit")
        heading(bookmark, "Audit trail")
        context.close()  # the browser's open connections would hold the server up
    restarted = browser.new_context()  # the browser restarted too, keeping its cookie
    restarted.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": first.base}])
    with serve_dashboard(database_url, tmp_path) as second:
        again = restarted.new_page()
        again.goto(f"{second.base}/edit")
        heading(again, "Edit the ledger")
        again.get_by_role("button", name="Add shipment").wait_for(timeout=30_000)
        restarted.close()


def test_a_signed_out_cookie_replayed_opens_only_the_viewer_pages(browser: Any, dashboard: str):
    context = browser.new_context()
    page = context.new_page()
    sign_in_as(page, dashboard)
    cookie = session_cookie(context)
    page.get_by_role("button", name="Sign out (ana)").click()
    assert signed_out(page)
    replay = browser.new_context()
    replay.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": dashboard}])
    stolen = replay.new_page()
    stolen.goto(f"{dashboard}/edit")
    assert signed_out(stolen)
    assert stolen.get_by_role("button", name="Add shipment").count() == 0
    replay.close()
    context.close()


def test_an_idle_session_expires(browser: Any, dashboard: str, database_url: str):
    context = browser.new_context()
    page = context.new_page()
    sign_in_as(page, dashboard)
    engine = make_engine(database_url)
    with engine.begin() as connection:  # the clock driven back: seen 31 minutes ago
        connection.execute(
            update(EditorSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
    engine.dispose()
    page.reload()
    assert signed_out(page)
    context.close()


def test_a_disabled_editors_open_session_can_no_longer_write(
    browser: Any, dashboard: str, database_url: str
):
    context = browser.new_context()
    page = context.new_page()
    sign_in_as(page, dashboard, "carla")
    fill_add_form(
        page,
        cargo="medicine",
        tonnes="12.345",
        url="https://example.org/cuba-aid",
        title="Cuban aid arrives",
    )
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        disable_editor(session=session, name="carla", by="root")
    before = row_counts(engine)["shipment"]
    page.get_by_role("button", name="Add shipment").click()
    assert signed_out(page)
    assert page.get_by_text("Added shipment").count() == 0
    assert row_counts(engine)["shipment"] == before
    engine.dispose()
    context.close()


def test_after_an_add_the_form_starts_afresh_and_keeps_its_success(browser: Any, dashboard: str):
    """The browser keeps what was typed unless the page sets the inputs again: a second click
    would otherwise offer to record the same shipment twice."""
    from playwright.sync_api import expect  # here: without Playwright the fixture skips first

    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    sign_in_as(page, dashboard)
    page.get_by_role("button", name="Add shipment").wait_for(timeout=30_000)
    fill_add_form(
        page, cargo="rice", tonnes="4", url="https://example.org/rice", title="Rice arrives"
    )
    page.get_by_role("button", name="Add shipment").click()
    page.get_by_text("Added shipment 6").wait_for(timeout=30_000)
    # The success is drawn first, the emptied inputs a moment later in the same page run.
    expect(page.get_by_role("textbox", name="Donor", exact=True)).to_have_value("")
    expect(page.get_by_role("textbox", name="Tonnes (t)", exact=True)).to_have_value("")
    source = page.get_by_role("combobox", name="An existing source").first
    expect(source).to_have_value("None: enter a new one below")
    assert page.get_by_text("Added shipment 6").count() == 1  # and the success stays
    page.get_by_role("button", name="Add shipment").click()
    page.get_by_text("must not be empty").first.wait_for(timeout=30_000)
    assert page.get_by_text("This looks like shipment 6").count() == 0
    context.close()
