"""In Chromium: an editor records the 29 March cargo again as received on 5 April, links the two
records on the Edit page, and the Overview's total stays the report's 269 t while the Ledger
shows both records, each naming the other."""

from __future__ import annotations

from typing import Any

import pytest
from test_e2e import fill_add_form, heading, metric, open_tab, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_an_editor_links_a_received_record_and_the_total_stays_269(
    browser: Any, seeded_dashboard: str
):
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    sign_in_as(page, seeded_dashboard)
    fill_add_form(
        page,
        cargo="medicine",
        tonnes="65",
        url="https://example.org/port-log",
        title="Port log",
        day="20190405",
        donor="China",
    )
    page.get_by_role("combobox", name="The date is when the cargo was").click()
    page.get_by_role("option", name="received", exact=True).click()
    page.get_by_role("button", name="Add shipment").click()
    page.get_by_text("Added shipment 5").wait_for(timeout=30_000)

    first = page.get_by_role("spinbutton", name="One record: shipment ID")
    open_tab(page, "Link sent and received", first)
    first.fill("1")
    page.get_by_role("spinbutton", name="The other record: shipment ID").fill("5")
    page.get_by_role("textbox", name="Why they are one consignment (optional)").fill(
        "one ship: sent 29 March, unloaded 5 April"
    )
    page.get_by_role("button", name="Link as one consignment").click()
    page.get_by_text(
        "Linked shipment 1 (sent) and shipment 5 (received) as one consignment"
    ).wait_for(timeout=30_000)

    page.goto(f"{seeded_dashboard}/")
    heading(page, "Aid shipment ledger")
    page.locator('[data-testid="stMetric"]', has_text="Total delivered").wait_for(timeout=30_000)
    assert metric(page, "Total delivered") == "269.000 t"
    assert metric(page, "Deliveries") == "4"

    page.goto(f"{seeded_dashboard}/ledger")
    heading(page, "Ledger")
    page.get_by_text("Records 1 to 5 of 5: 4 shipments").wait_for(timeout=30_000)
    context.close()
