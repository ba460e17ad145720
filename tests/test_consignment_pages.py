"""Consignments in the dashboard: an editor links a sent and a received record on the Edit page,
sees both counted once on the Overview and the Ledger, and unlinks them."""

from __future__ import annotations

from datetime import date

import pytest
from dashboard_pages import on_tab, switch_page
from factories import row_counts
from sqlalchemy import Engine
from test_editing import EDIT, app_as, fill_add_form, submit, total, unescaped

pytestmark = pytest.mark.usefixtures("fresh_caches")
LINK_TAB = "Link sent and received"


@pytest.fixture
def ledger(seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A seeded ledger with the editors ana, bo and carla, which the dashboard opens."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    return seeded_engine


def add_received_on_5_april(app):
    fill_add_form(app, event_date=date(2019, 4, 5), tonnes="65")
    app.selectbox(key="add_date_means").set_value("received")
    app = submit(app, "Add shipment")
    assert "Added shipment 5" in unescaped(app.success[0].value)
    return app


def test_an_editor_links_two_records_and_the_total_counts_the_consignment_once(ledger: Engine):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    app = add_received_on_5_april(app)
    switch_page(app, "/").run()
    assert total(app) == "334.000 t"
    switch_page(app, EDIT).run()
    on_tab(app, LINK_TAB)
    app.number_input(key="link_first_id").set_value(5)
    app.number_input(key="link_second_id").set_value(1)
    app.text_area(key="link_reason").input("one ship: sent 29 March, unloaded 5 April")
    app = submit(app, "Link as one consignment")
    assert "Linked shipment 1 (sent) and shipment 5 (received) as one consignment" in unescaped(
        app.success[0].value
    )
    linked = app.dataframe[0].value
    assert list(linked["Sent record"]) == [1]
    assert list(linked["Received record"]) == [5]
    switch_page(app, "/").run()
    assert total(app) == "269.000 t"
    # Unlinking needs a reason, then both count again.
    switch_page(app, EDIT).run()
    on_tab(app, LINK_TAB)
    app.selectbox(key="unlink_pair").set_value("1 (sent) and 5 (received)")
    app = submit(app, "Unlink: count both records again")
    assert "a reason is required" in unescaped(app.error[0].value)
    app.selectbox(key="unlink_pair").set_value("1 (sent) and 5 (received)")
    app.text_area(key="unlink_reason").input("two ships after all")
    app = submit(app, "Unlink: count both records again")
    assert "Unlinked shipments 1 and 5: both count again" in unescaped(app.success[0].value)
    switch_page(app, "/").run()
    assert total(app) == "334.000 t"


@pytest.mark.parametrize(
    ("first", "second", "said"),
    [
        (2, 3, "both dated when sent"),
        (1, 1, "links shipment 1 with itself"),
        (1, 99, "there is no current shipment with ID 99"),
        (1, None, "is required"),
    ],
)
def test_the_link_form_refuses_what_cannot_be_one_consignment_and_writes_nothing(
    ledger: Engine, first: int, second: int | None, said: str
):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    on_tab(app, LINK_TAB)
    before = row_counts(ledger)
    app.number_input(key="link_first_id").set_value(first)
    if second is not None:
        app.number_input(key="link_second_id").set_value(second)
    app = submit(app, "Link as one consignment")
    assert any(said in unescaped(e.value) for e in app.error), [e.value for e in app.error]
    assert row_counts(ledger) == before


def test_the_link_form_names_the_fact_that_differs(ledger: Engine):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    fill_add_form(app, event_date=date(2019, 4, 5), tonnes="80")
    app.selectbox(key="add_date_means").set_value("received")
    app = submit(app, "Add shipment")
    before = row_counts(ledger)
    on_tab(app, LINK_TAB)
    app.number_input(key="link_first_id").set_value(1)
    app.number_input(key="link_second_id").set_value(5)
    app = submit(app, "Link as one consignment")
    [shown] = [unescaped(e.value) for e in app.error]
    assert shown.startswith("Tonnes: shipment 1 was sent with 65.000 t and shipment 5 received")
    assert "more than the 5 % one consignment may differ by" in shown
    assert row_counts(ledger) == before


def test_the_ledger_page_shows_both_records_and_which_counts_once_with_which(ledger: Engine):
    from factories import make_shipment
    from sqlmodel import Session

    from shipments.ledger import append_shipment, link_consignment
    from shipments.models import ConsignmentCreate
    from shipments.rules import parse

    with Session(ledger) as session:
        received = append_shipment(
            session=session,
            shipment_in=make_shipment(event_date="2019-04-05", tonnes="65"),
            by="ana",
            via="cli",
        )
        link_consignment(
            session=session,
            link_in=parse(ConsignmentCreate, {"first_id": 1, "second_id": received.id}),
            by="ana",
            via="cli",
        )
    app = app_as()
    switch_page(app, "/ledger").run()
    table = app.dataframe[0].value
    once = dict(zip(table["id"], table["same_consignment_as"], strict=True))
    assert (once[1], once[received.id], once[2]) == (str(received.id), "1", "")
    assert any(
        "Records 1 to 5 of 5: 4 shipments, as 1 consignment recorded when sent and when received"
        in c.value
        for c in app.caption
    )
    switch_page(app, "/").run()
    assert total(app) == "269.000 t"
    assert any(
        "1 consignment recorded both when sent and when received counts once" in c.value
        for c in app.caption
    )


def test_the_add_form_links_a_new_record_to_its_other_record_or_refuses_both(ledger: Engine):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    before = row_counts(ledger)
    fill_add_form(app, event_date=date(2019, 5, 20), tonnes="65")
    app.selectbox(key="add_date_means").set_value("received")
    app.number_input(key="add_same_consignment_as").set_value(2)  # sent 13 May, 71 t
    app = submit(app, "Add shipment")
    errors = [unescaped(e.value) for e in app.error]
    assert any("8.5 % apart, more than the 5 %" in e for e in errors), errors
    assert row_counts(ledger) == before  # neither the shipment nor the link
    fill_add_form(app, event_date=date(2019, 4, 5), tonnes="65")
    app.selectbox(key="add_date_means").set_value("received")
    app.number_input(key="add_same_consignment_as").set_value(1)
    app = submit(app, "Add shipment")
    assert "Linked with shipment 1: the two count once." in unescaped(app.success[0].value)
    switch_page(app, "/").run()
    assert total(app) == "269.000 t"


def test_a_record_added_alone_is_told_how_to_link_it(ledger: Engine):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    app = add_received_on_5_april(app)
    assert "link the two in the tab “Link sent and received”" in unescaped(app.success[0].value)


def test_unlinking_without_choosing_says_so_under_the_choice(ledger: Engine):
    from sqlmodel import Session

    from shipments.ledger import link_consignment
    from shipments.models import ConsignmentCreate
    from shipments.rules import parse

    app = app_as("ana")
    switch_page(app, EDIT).run()
    app = add_received_on_5_april(app)
    with Session(ledger) as session:
        link_consignment(
            session=session,
            link_in=parse(ConsignmentCreate, {"first_id": 1, "second_id": 5}),
            by="ana",
            via="cli",
        )
    on_tab(app, LINK_TAB)
    app.text_area(key="unlink_reason").input("two ships")
    app = submit(app, "Unlink: count both records again")
    assert [unescaped(e.value) for e in app.error] == ["choose the consignment to unlink"]
