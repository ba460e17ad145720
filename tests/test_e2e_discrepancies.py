"""In Chromium: a correction opens discrepancies, an editor explains them on the Claims page, and
the page and `reconcile --fail-on open` agree at every step."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from server import serve_dashboard
from sqlalchemy import Engine
from test_e2e import correct_on_the_edit_page, heading, sign_in_as

from shipments.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BECAUSE = "the ministry counts received deliveries; the press counts sent ones"


def fail_on_open(url: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--database-url", url, "reconcile", "--fail-on", "open"], stdout=out)
    [summary] = [line for line in out.getvalue().splitlines() if line.startswith("discrepancies:")]
    return code, summary


def explain_on_the_page(page: Any, claim: int, reason: str, link: tuple[str, int] | None) -> None:
    form = page.locator('[data-testid="stForm"]', has_text="Work a discrepancy")
    form.get_by_role("combobox", name="Claim").click()
    page.get_by_role("option", name=f"Claim {claim}", exact=True).click()
    form.get_by_role("textbox", name="Why the claim and the ledger differ").fill(reason)
    if link is not None:
        form.get_by_role("combobox", name="It is explained by").click()
        page.get_by_role("option", name=link[0], exact=True).click()
        form.get_by_role("spinbutton", name="Its id").fill(str(link[1]))
    form.get_by_role("button", name="Record").click()
    page.get_by_text(f"Claim {claim}: discrepancy explained.").wait_for(timeout=30_000)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_correcting_16_may_opens_discrepancies_that_an_editor_explains(
    browser: Any, seeded_engine: Engine, database_url: str, tmp_path: Path
):
    from playwright.sync_api import expect  # here: without Playwright the fixture skips first

    seeded_engine.dispose()
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    with serve_dashboard(database_url, tmp_path) as served:
        page.goto(f"{served.base}/claims")
        heading(page, "Claims against the ledger")
        page.get_by_text("None: the ledger bears out every claim").wait_for(timeout=30_000)

        sign_in_as(page, served.base)  # lands on Edit: correct 16 May to 46 t
        correct_on_the_edit_page(page, 3, "46", "weighbill")
        page.get_by_text("Corrected shipment 3: revision 2.").wait_for(timeout=30_000)

        viewer = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
        viewer.goto(f"{served.base}/claims")
        viewer.get_by_text("3 open, 0 explained").wait_for(timeout=30_000)
        viewer.get_by_role("heading", name="Quotes").wait_for(timeout=30_000)  # drawn after
        assert viewer.get_by_text("Work a discrepancy").count() == 0  # a viewer reads only
        viewer.context.close()
        assert fail_on_open(database_url) == (
            1,
            "discrepancies: 3 open, 0 explained, 0 holding again (to resolve); "
            "see `discrepancies list`",
        )

        page.get_by_role("link", name="Claims").click()
        explain_on_the_page(page, 1, BECAUSE, ("shipment", 3))
        page.get_by_text("2 open, 1 explained").wait_for(timeout=30_000)
        reason = page.get_by_role("textbox", name="Why the claim and the ledger differ")
        expect(reason).to_have_value("")  # recorded once: a second click records nothing
        assert fail_on_open(database_url)[0] == 1
        assert "2 open, 1 explained" in fail_on_open(database_url)[1]

        page.get_by_role("button", name="Record").wait_for(timeout=30_000)
        explain_on_the_page(page, 4, "approximately, and counted when sent", None)
        explain_on_the_page(page, 7, "the press rounded the weighbill", None)
        page.get_by_text("0 open, 3 explained").wait_for(timeout=30_000)
        assert fail_on_open(database_url) == (
            0,
            "discrepancies: 0 open, 3 explained, 0 holding again (to resolve); "
            "see `discrepancies list`",
        )
        grid = page.locator('[data-testid="stDataFrame"]', has_text="Since (UTC)")
        grid.locator('[role="gridcell"]', has_text="see shipment 3").first.wait_for(
            state="attached", timeout=30_000
        )
        context.close()
