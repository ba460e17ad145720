"""Browser tests of what the view says about itself: the as-of moment and the address's values.

A real `streamlit run` driven by headless Chromium (the session's one ``browser``, conftest.py):
the address a reader types reaches the page as the browser sends it, and what the page says is
read as the reader sees it.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import EDITOR_PASSWORD
from sqlalchemy import Engine

from shipments.db import session_scope
from shipments.ledger import first_recorded_at

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def alert(page: Any, kind: str, text: str) -> str:
    """Wait for the page's ``kind`` alert (info, warning) holding ``text``; return all of it."""
    box = page.locator(f'[data-testid="stAlertContent{kind.capitalize()}"]', has_text=text)
    box.first.wait_for(timeout=30_000)
    return str(box.first.inner_text())


def settled(page: Any) -> None:
    """Wait until the page's script run has finished (the sidebar and address are then final)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=30_000
    )


def test_an_as_of_before_every_recording_says_what_as_of_means(
    browser: Any, seeded_dashboard: str, seeded_engine: Engine
):
    with session_scope(seeded_engine) as session:
        first = first_recorded_at(session=session)
    assert first is not None
    context = browser.new_context()
    page = context.new_page()
    page.goto(seeded_dashboard + "/?as_of=2019-06-01")  # the date of a report, typed as the moment
    said = alert(page, "info", "Nothing had been recorded by")
    assert said.startswith("Nothing had been recorded by 2019-06-01 00:00:00 UTC")
    assert f"the first shipment was recorded at {first:%Y-%m-%d %H:%M:%S} UTC" in said
    assert "As of is a moment of recording, not a delivery date" in said
    assert "Widen the dates" not in said
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "not a delivery date" in sidebar.inner_text()  # beside the box, too
    context.close()


def test_a_bad_address_is_named_and_the_rest_shown(browser: Any, seeded_dashboard: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(seeded_dashboard + "/?from=notadate&donor=Nowhere&donor=China")
    said = alert(page, "warning", "Ignored")
    assert "from: must be a date as YYYY-MM-DD" in said
    assert "donor: must name a donor in the ledger (got 'Nowhere')" in said
    page.wait_for_function("() => document.body.innerText.includes('269.000 t')", timeout=15_000)
    page.wait_for_url(lambda url: "notadate" not in url and "Nowhere" not in url, timeout=15_000)
    assert "donor=China" in page.url
    context.close()


def test_the_filters_are_not_on_the_editors_pages(browser: Any, seeded_dashboard: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(seeded_dashboard + "/sign-in")
    page.get_by_role("textbox", name="Name").fill("ana")
    page.get_by_role("textbox", name="Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    for link, title in (
        ("Edit", "Edit the ledger"),
        ("Import", "Import shipments"),
        ("Audit", "Audit trail"),
    ):
        page.get_by_role("link", name=link, exact=True).click(timeout=30_000)
        page.locator("h1", has_text=title).wait_for(timeout=30_000)
        sidebar.get_by_role("button", name="Sign out everywhere").wait_for(timeout=30_000)
        assert sidebar.get_by_text("Filters", exact=True).count() == 0
        assert sidebar.locator('[data-testid="stDateInput"]').count() == 0
    # The editors' pages have no filters, so a view left for one is not brought back: the
    # page shown and its address then agree (Streamlit restores the values but not always the
    # address).
    page.goto(seeded_dashboard + "/?from=2019-05-01")
    page.wait_for_function("() => document.body.innerText.includes('204.000 t')", timeout=30_000)
    page.get_by_role("link", name="Edit", exact=True).click()
    page.locator("h1", has_text="Edit the ledger").wait_for(timeout=30_000)
    settled(page)
    page.get_by_role("link", name="Overview", exact=True).click()
    sidebar.get_by_text("Filters", exact=True).wait_for(timeout=30_000)
    page.wait_for_function("() => document.body.innerText.includes('269.000 t')", timeout=30_000)
    assert "from=" not in page.url
    context.close()
