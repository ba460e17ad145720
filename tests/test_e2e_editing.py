"""In Chromium, what an editor sees: a refused form says by its button which fields need
attention, and the Import page reads a Spanish file's headers by itself and previews tonnes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_e2e import correct_on_the_edit_page, fill_add_form, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SPANISH = (
    "Received Date;Peso (kg);Donante;Destinatario;Carga;Fuente\n"
    "2019-06-01;12000;Cuba;Venezuela;medicine;https://example.org/cuba\n"
    "2019-06-03;1500;Cuba;Venezuela;medicine;https://example.org/cuba\n"
)


def test_a_refused_form_names_its_fields_by_the_button(browser: Any, seeded_dashboard: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    sign_in_as(page, seeded_dashboard)
    page.get_by_role("textbox", name="Recipient", exact=True).fill("Venezuela")
    button = page.get_by_role("button", name="Add shipment")
    button.click()
    summary = page.get_by_text("fields need attention:")
    summary.wait_for(timeout=30_000)
    said = summary.inner_text()
    assert said == "5 fields need attention: Date, Donor, Cargo, Tonnes, Source."
    # By the button: on screen with it, however far up the first message is.
    summary_box, button_box = summary.bounding_box(), button.bounding_box()
    assert summary_box is not None
    assert button_box is not None
    assert abs(summary_box["y"] - button_box["y"]) < 150
    context.close()


def test_the_import_page_reads_spanish_headers_and_previews_the_tonnes(
    browser: Any, seeded_dashboard: str, tmp_path: Path
):
    from playwright.sync_api import expect  # here: without Playwright the fixture skips first

    path = tmp_path / "cuba.csv"
    path.write_text(SPANISH, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    sign_in_as(page, seeded_dashboard)
    page.get_by_role("link", name="Import").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    box = page.locator('[data-testid="stMetric"]', has_text="Tonnes it would add")
    box.wait_for(timeout=30_000)
    assert box.locator('[data-testid="stMetricValue"]').inner_text() == "13.500 t"
    for header, field in (
        ("Peso (kg)", "quantity"),
        ("Donante", "donor"),
        ("Destinatario", "recipient"),
        ("Fuente", "source_url"),
    ):  # each column's select says which field it was recognised as
        expect(page.get_by_role("combobox", name=header, exact=True)).to_have_value(
            f"{field} (recognised)"
        )
    preview = page.locator('[data-testid="stDataFrame"]', has_text="tonnes")
    preview.locator('[role="gridcell"]', has_text="12.000").first.wait_for(
        state="attached", timeout=30_000
    )
    assert preview.locator('[role="gridcell"]', has_text="1.500").count() == 1
    assert page.get_by_role("button", name="Import", exact=True).count() == 1
    context.close()


def test_the_success_links_to_the_new_shipments_history_and_a_correction_stays_on_its_tab(
    browser: Any, seeded_dashboard: str
):
    from playwright.sync_api import expect  # here: without Playwright the fixture skips first

    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    sign_in_as(page, seeded_dashboard)
    fill_add_form(page, cargo="rice", tonnes="4", url="https://example.org/rice", title="Rice")
    page.get_by_role("button", name="Add shipment").click()
    page.get_by_text("Added shipment 5").wait_for(timeout=30_000)
    correct_on_the_edit_page(page, 5, "4.5", "weighbill")
    page.get_by_text("Corrected shipment 5: revision 2.").wait_for(timeout=30_000)
    expect(page.get_by_role("tab", name="Correct a shipment")).to_have_attribute(
        "aria-selected", "true"
    )
    # The form starts afresh in the browser too: the box showed 5 beside "Enter the ID of a
    # current shipment", which read as if the correction had failed.
    expect(page.get_by_role("spinbutton", name="Shipment ID to correct")).to_have_value("")
    page.get_by_role("link", name="Shipment 5 and its history on the Ledger page").click()
    expect(page.get_by_role("spinbutton", name="Shipment ID (any")).to_have_value("5")
    assert "shipment=5" in page.url
    context.close()
