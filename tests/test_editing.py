"""Editors in the dashboard: the signed-in pages, sign-out, the add / correct / retract forms,
audit. (Sign-in itself is a route: tests/test_sessions.py.)"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from dashboard_pages import on_tab, signed_in, switch_page
from factories import SOUTH_FRONT, row_counts
from sqlalchemy import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from shipments.audit import audit_events
from shipments.auth import disable_editor
from shipments.db import REPO_ROOT, session_scope
from shipments.ledger import correct_shipment
from shipments.models import EditorSession, ShipmentCorrection, SignInEvent
from shipments.rules import parse
from shipments.ui.import_file import AUTO, UPLOADS
from shipments.ui.words import SIGN_IN_FIRST

DASHBOARD = str(REPO_ROOT / "dashboard.py")
EDIT = "/edit"
AUDIT = "/audit"
SIGN_IN = "/sign-in"


pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def ledger(seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A seeded ledger with the editors ana, bo and carla, which the dashboard opens."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    return seeded_engine


def app_as(editor: str | None = None) -> AppTest:
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    if editor:
        signed_in(app, editor)
    return app.run()


def page_titles(app: AppTest) -> list[str]:
    return [t.value for t in app.title]


def fill_add_form(app: AppTest, **overrides: object) -> AppTest:
    values: dict[str, object] = {
        "event_date": date(2019, 6, 10),
        "donor": "China",
        "recipient": "Venezuela",
        "cargo": "medicine",
        "tonnes": "68.5",
        "source_url": "https://example.org/almost-70",
        "source_title": "Almost 70 tonnes",
        "source_publisher": "Example News",
    }
    values.update(overrides)
    for field, value in values.items():
        if field == "event_date":
            app.date_input(key="add_event_date").set_value(value)
        elif field == "note":
            app.text_area(key="add_note").input(str(value))
        else:
            app.text_input(key=f"add_{field}").input(str(value))
    return app


def submit(app: AppTest, label: str) -> AppTest:
    button = next(b for b in app.get("form_submit_button") if b.proto.label == label)
    return button.click().run()


def unescaped(markdown: str) -> str:
    """Return markdown source as the reader sees it: without the backslash escapes."""
    return re.sub(r"\\(.)", r"\1", markdown)


def total(app: AppTest) -> str:
    return {m.label: m.value for m in app.metric}["Total delivered"]


def asks_to_sign_in(app: AppTest) -> bool:
    """Return True when the page says to sign in and offers nothing to submit."""
    return [w.value for w in app.warning] == [SIGN_IN_FIRST] and not app.get("form_submit_button")


def test_the_menu_offers_the_editors_pages_to_editors_only():
    def shown(editor: str | None) -> list[str]:
        script = (  # a page run: st.Page keeps a title only inside one
            "import streamlit as st\nfrom shipments.ui import menu\n"
            f"st.text('|'.join(p.title for p in menu.pages({editor!r})[0]"
            " if p.visibility == 'visible'))\n"
        )
        return AppTest.from_string(script, default_timeout=60).run().text[0].value.split("|")

    assert shown(None) == ["Overview", "Ledger", "Claims", "Downloads", "Sign in"]
    assert shown("ana") == ["Overview", "Ledger", "Claims", "Downloads", "Edit", "Import", "Audit"]


def test_anonymous_viewers_opening_an_edit_page_are_asked_to_sign_in(ledger):
    app = app_as(None)
    assert not app.exception
    for address in (EDIT, AUDIT, "/import"):
        assert asks_to_sign_in(switch_page(app, address).run()), address
    switch_page(app, SIGN_IN).run()
    assert page_titles(app) == ["Sign in"]


@pytest.mark.parametrize("page", ["edit", "audit"])
def test_edit_pages_refuse_a_session_without_an_editor(ledger, page: str):
    """The pages check for themselves, should one ever be reachable without the navigation."""
    script = f"from shipments.ui.{page} import {page}\n\n{page}()\n"
    app = AppTest.from_string(script, default_timeout=60).run()
    assert not app.exception
    assert [w.value for w in app.warning] == [SIGN_IN_FIRST]
    assert len(app.get("form_submit_button")) == 0


def test_the_sign_in_page_is_a_form_posting_to_the_sign_in_route(ledger):
    app = app_as(None)
    switch_page(app, SIGN_IN).run()
    [form] = [element.proto.body for element in app.get("html")]
    assert '<form method="post" action="/auth/sign-in"' in form
    assert 'name="username"' in form
    assert 'name="password" type="password"' in form


def test_a_signed_in_session_opens_the_edit_pages_and_sign_out_ends_it(ledger):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    assert page_titles(app) == ["Edit the ledger"]
    app.button(key="sign_out").click().run()
    assert asks_to_sign_in(switch_page(app, EDIT).run())
    with session_scope(ledger) as session:
        [held] = session.exec(select(EditorSession)).all()
    assert held.revoked_at is not None


def test_sign_out_everywhere_ends_the_editors_other_sessions(ledger):
    here, there, other = app_as("ana"), app_as("ana"), app_as("bo")
    here.button(key="sign_out_everywhere").click().run()
    for app in (there.run(), other.run()):
        assert not app.exception
    assert asks_to_sign_in(switch_page(there, EDIT).run())
    switch_page(other, EDIT).run()
    assert page_titles(other) == ["Edit the ledger"]


def test_the_summary_by_the_button_names_every_field_that_needs_attention(ledger):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    app = submit(fill_add_form(app, tonnes="0", donor=" "), "Add shipment")
    assert unescaped(app.error[-1].value) == "2 fields need attention: Donor, Tonnes."


def test_an_editor_adds_a_shipment_and_the_overview_total_grows_by_its_tonnage(ledger):
    app = app_as("ana")
    assert total(app) == "269.000 t"
    switch_page(app, EDIT).run()
    app = submit(fill_add_form(app), "Add shipment")
    assert not app.exception
    assert "Added shipment 5" in unescaped(app.success[0].value)
    switch_page(app, "/").run()
    assert total(app) == "337.500 t"
    with session_scope(ledger) as session:
        [event] = [e for e in audit_events(session=session) if e.subject == "shipment 5"]
    assert (event.actor, event.via, event.action) == ("ana", "form", "shipment.append")


@pytest.mark.parametrize(
    ("overrides", "field_error", "field"),
    [
        ({"tonnes": "0"}, "must be greater than 0", "Tonnes"),
        ({"tonnes": "1.2345"}, "at most 3 decimals", "Tonnes"),
        ({"donor": "   "}, "must not be empty", "Donor"),
        ({"source_url": "ftp://example.org/x"}, "Web address: must be an http", "Source"),
        ({"source_title": "Report\u202e"}, "Title: must not contain invisible", "Source"),
        ({"donor": "China\u202e"}, "invisible formatting characters", "Donor"),
        ({"cargo": "medicine\u2028line two"}, "must be one line", "Cargo"),
        # A source the ledger holds, given another title and publisher: refused, not dropped.
        ({"source_url": SOUTH_FRONT}, "is already recorded (source", "Source"),
        # A date the widget would once have refused as out of its range, said by the ledger once.
        ({"event_date": date(2999, 1, 1)}, "must not be in the future", "Date"),
    ],
)
def test_a_refused_input_shows_the_fields_error_and_writes_nothing(
    ledger, overrides: dict[str, object], field_error: str, field: str
):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    before = row_counts(ledger)
    app = submit(fill_add_form(app, **overrides), "Add shipment")
    assert not app.exception
    # The field's message under it, and by the button the summary of what needs attention.
    assert [unescaped(e.value) for e in app.error][1:] == [f"1 field needs attention: {field}."]
    assert field_error in unescaped(app.error[0].value)
    assert len(app.success) == 0
    assert row_counts(ledger) == before


def test_a_probable_duplicate_needs_an_explicit_confirmation(ledger):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    same_as_16_may = {"event_date": date(2019, 5, 16), "tonnes": "64"}
    before = row_counts(ledger)
    app = submit(fill_add_form(app, **same_as_16_may), "Add shipment")
    assert "This looks like shipment 3" in unescaped(app.warning[0].value)
    assert row_counts(ledger) == before
    app.checkbox(key="add_confirm").check()
    app = submit(app, "Add shipment")
    assert "Added shipment 5" in unescaped(app.success[0].value)


def test_the_idempotency_key_prevents_a_second_row_on_resubmit(ledger):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    key = app.session_state["add_form_key"]
    app = submit(fill_add_form(app), "Add shipment")
    assert "Added shipment 5" in unescaped(app.success[0].value)
    after_first = row_counts(ledger)
    app.session_state["add_form_key"] = key
    app.run()
    app = submit(fill_add_form(app), "Add shipment")
    assert "already submitted (shipment 5)" in unescaped(app.success[0].value)
    assert row_counts(ledger) == after_first


def test_an_editor_corrects_and_retracts_with_a_required_reason(ledger):
    app = app_as("bo")
    switch_page(app, EDIT).run()
    on_tab(app, "Correct a shipment")
    app.number_input(key="fix_id").set_value(3).run()
    assert app.text_input(key="fix_tonnes").value == "64.000"
    app.text_input(key="fix_tonnes").input("46")
    app = submit(app, "Record correction")
    assert "a reason is required" in unescaped(app.error[0].value)
    app.text_area(key="fix_reason").input("weighbill shows 46 t")
    app = submit(app, "Record correction")
    assert "Corrected shipment 3: revision 2" in unescaped(app.success[0].value)
    on_tab(app, "Retract a shipment")
    app.number_input(key="drop_id").set_value(1)
    app = submit(app, "Retract shipment")
    assert "a reason is required" in unescaped(app.error[0].value)
    app.number_input(key="drop_id").set_value(1)
    app.text_area(key="drop_reason").input("not medicine")
    app = submit(app, "Retract shipment")
    assert "Retracted shipment 1" in unescaped(app.success[0].value)
    switch_page(app, "/").run()
    assert total(app) == "186.000 t"
    switch_page(app, AUDIT).run()
    writes = app.dataframe[0].value
    assert list(writes["action"][:2]) == ["shipment.retract", "shipment.correct"]
    assert set(writes["actor"][:2]) == {"bo"}
    assert set(writes["via"][:2]) == {"form"}


def test_a_disabled_editors_open_page_can_no_longer_write(ledger):
    app = app_as("carla")
    switch_page(app, EDIT).run()
    fill_add_form(app)
    with session_scope(ledger) as session:
        disable_editor(session=session, name="carla", by="tests")
    before = row_counts(ledger)
    app = submit(app, "Add shipment")
    assert not app.exception
    assert not [s for s in app.success if "Added shipment" in s.value]
    assert row_counts(ledger) == before
    assert asks_to_sign_in(switch_page(app, EDIT).run())


NOTE = "<script>alert(1)</script> <img src=x onerror=alert(2)> ![x](https://evil.example/x.png)"


def test_a_hostile_note_is_shown_as_inert_text(ledger):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    app = submit(fill_add_form(app, note=NOTE), "Add shipment")
    assert "Added shipment 5" in unescaped(app.success[0].value)
    switch_page(app, "/ledger").run()
    table = app.dataframe[0].value
    assert list(table["note"])[-1] == NOTE
    markdown = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("<script>" in text or "<img" in text or "![" in text for text in markdown)


IMPORT = "/import"
UPLOAD = (
    "Fecha;Donante;Receptor;Carga;Peso (kg);Fuente\n"
    "2019-06-01;Cuba;Venezuela;medicine;12000;https://example.org/cuba\n"
    "2019-06-02;Cuba;Venezuela;medicine;3 pallets;https://example.org/cuba\n"
    "2019-06-03;Cuba;Venezuela;medicine;500;https://example.org/cuba\n"
)


def upload(app: AppTest, content: str = UPLOAD) -> AppTest:
    switch_page(app, IMPORT).run()
    app.file_uploader(key="import_file").upload("cuba.csv", content.encode("utf-8")).run()
    for index, target in enumerate(["event_date", "donor", "recipient", "cargo", "quantity"]):
        app.selectbox(key=f"import_map_{index}").set_value(target)
    app.selectbox(key="import_map_5").set_value("source_url")
    app.selectbox(key="import_means").set_value("received")
    return app.run()


def test_import_page_previews_then_imports_only_when_told(ledger):
    app = upload(app_as("ana"))
    assert not app.exception
    shown = {m.label: m.value for m in app.metric}
    assert shown["Rows read"] == "3"
    assert shown["Rows refused"] == "1"
    assert shown["Tonnes it would add"] == "12.500 t"
    refused = next(d.value for d in app.dataframe if "rule" in d.value.columns)
    assert list(refused["line"]) == [3]
    preview = next(d.value for d in app.dataframe if "tonnes" in d.value.columns)
    assert list(preview["line"]) == [2, 4]  # the valid rows, with the tonnes each will be
    assert [b for b in app.button if b.key == "import_commit"] == []  # nothing to press yet
    before = row_counts(ledger)
    app.checkbox(key="import_only_valid").check().run()
    app.button(key="import_commit").click().run()
    assert "Imported 2 shipments (12.500 t) from cuba.csv" in unescaped(app.success[0].value)
    assert row_counts(ledger)["shipment"] == before["shipment"] + 2
    with session_scope(ledger) as session:
        [event] = [e for e in audit_events(session=session) if e.action == "import.commit"]
    assert (event.actor, event.via) == ("ana", "import")
    assert "refused lines 3" in (event.detail or "")
    assert not app.error  # the imported file is not previewed again as "already imported"
    assert [u.key for u in app.get("file_uploader")] == ["import_file_1"]


NO_SOURCE = (
    "Received Date;Peso (kg);Donante;Destinatario;Carga\n"
    "2019-06-01;12000;Cuba;Venezuela;medicine\n"
    "2019-06-03;1500;Cuba;Venezuela;medicine\n"
)


def test_a_file_without_sources_takes_one_for_all_its_rows_on_the_page(ledger):
    app = app_as("ana")
    switch_page(app, IMPORT).run()
    app.file_uploader(key="import_file").upload("cuba.csv", NO_SOURCE.encode("utf-8")).run()
    assert not app.exception
    shown = {s.label: s.value for s in app.selectbox if s.key and s.key.startswith("import_map")}
    assert [app.selectbox(key=f"import_map_{i}").format_func(AUTO) for i in range(2)] == [
        "event_date (recognised)",
        "quantity (recognised)",
    ]
    assert len(shown) == 5
    assert any("Rows without a source are refused" in i.value for i in app.info)
    app.text_input(key="import_source_url").input("https://example.org/cuba")
    app.text_input(key="import_source_title").input("Cuban aid")
    app.text_input(key="import_source_publisher").input("Example News").run()
    assert {m.label: m.value for m in app.metric}["Tonnes it would add"] == "13.500 t"
    before = row_counts(ledger)
    app.button(key="import_commit").click().run()
    assert "Imported 2 shipments (13.500 t)" in unescaped(app.success[0].value)
    assert row_counts(ledger)["shipment"] == before["shipment"] + 2


def test_import_page_offers_nothing_that_would_do_nothing(ledger):
    app = upload(app_as("ana"), UPLOAD.replace("2019-", "TOMORROW-"))  # every row refused
    assert not app.exception
    assert [c for c in app.checkbox if c.key == "import_only_valid"] == []
    assert [b for b in app.button if b.key == "import_commit"] == []
    assert "No row of this file can be recorded" in app.warning[0].value
    assert "None" not in [o for s in app.selectbox for o in s.options]


def test_import_page_refuses_a_file_of_too_many_columns_before_drawing_them(ledger):
    wide = ",".join(f"c{n}" for n in range(500)) + "\n" + ",".join("1" * 500) + "\n"
    app = app_as("ana")
    switch_page(app, IMPORT).run()
    app.file_uploader(key="import_file").upload("wide.csv", wide.encode("utf-8")).run()
    assert not app.exception
    assert "has 500 columns" in unescaped(app.error[0].value)
    assert len(app.selectbox) < 10  # the sidebar's, not one per column


def test_import_page_removes_uploads_left_for_a_day(ledger):
    UPLOADS.mkdir(exist_ok=True)
    stale, fresh = UPLOADS / "stale-test.csv", UPLOADS / "fresh-test.csv"
    for path in (stale, fresh):
        path.write_text("date\n", encoding="utf-8")
    day_and_more = time.time() - 25 * 3600
    os.utime(stale, (day_and_more, day_and_more))
    app = upload(app_as("ana"))
    assert not app.exception
    assert not stale.exists()
    assert fresh.exists()
    fresh.unlink()


def test_import_page_refuses_a_file_imported_before(ledger):
    clean = UPLOAD.replace("3 pallets", "3000")
    app = upload(app_as("ana"), clean)
    app.button(key="import_commit").click().run()
    assert "Imported 3 shipments" in unescaped(app.success[0].value)
    again = app_as("ana")  # its sign-in is a row too: opened before the count
    before = row_counts(ledger)
    app = upload(again, clean)
    assert "was already imported as batch" in unescaped(app.error[0].value)
    assert row_counts(ledger) == before


def test_the_audit_page_lists_sign_in_attempts_a_page_at_a_time(ledger):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(ledger) as session:
        session.add_all(
            SignInEvent(at=start + timedelta(minutes=n), name=f"n{n}", outcome="unknown_name")
            for n in range(250)
        )
        session.commit()
    app = app_as("ana")
    switch_page(app, AUDIT).run()
    assert "Sign-in attempts (250)" in [h.value for h in app.subheader]
    attempts = app.dataframe[1].value
    assert (len(attempts), attempts["name"].iloc[0]) == (100, "n249")
    app.number_input(key="audit_sign_in_page").set_value(3).run()
    attempts = app.dataframe[1].value
    assert list(attempts["name"]) == [f"n{n}" for n in range(49, -1, -1)]
    assert "Attempts 201 to 250 of 250, newest first." in [c.value for c in app.caption]


def test_after_an_add_a_link_opens_the_new_shipments_history(ledger):
    app = app_as("ana")
    switch_page(app, EDIT).run()
    app = submit(fill_add_form(app), "Add shipment")
    assert "Added shipment 5" in unescaped(app.success[0].value)
    [link] = [b.proto for b in app.get("page_link")]
    assert (link.label, link.page, link.query_string) == (
        "Shipment 5 and its history on the Ledger page",
        "ledger",
        "shipment=5",
    )
    app.query_params["shipment"] = "5"
    switch_page(app, "/ledger").run()
    assert app.number_input(key="history_of").value == 5
    history = next(d.value for d in app.dataframe if "reason" in d.value.columns)
    assert list(zip(history["event_date"], history["tonnes"], strict=True)) == [
        ("2019-06-10", 68.5)
    ]


def test_the_discrepancy_form_refuses_an_explanation_without_a_reason_and_writes_nothing(ledger):
    with session_scope(ledger) as session:
        correct_shipment(
            session=session,
            shipment_id=3,
            correction_in=parse(ShipmentCorrection, {"tonnes": "46", "reason": "weighbill"}),
            by="ana",
            via="cli",
        )
    app = app_as("bo")
    switch_page(app, "/claims").run()
    assert not app.exception
    before = row_counts(ledger)
    app.text_area(key="discrepancy_reason").input("   ")
    app = app.button(key="FormSubmitter:discrepancy-Record").click().run()
    assert "say why the claim and the ledger differ" in unescaped(app.error[0].value)
    assert row_counts(ledger) == before
    app.text_area(key="discrepancy_reason").input("the ministry counts received deliveries")
    app.selectbox(key="discrepancy_link_kind").set_value("shipment")
    app.number_input(key="discrepancy_link_id").set_value(999)
    app = app.button(key="FormSubmitter:discrepancy-Record").click().run()
    assert "there is no shipment 999" in unescaped(app.error[0].value)
    assert row_counts(ledger) == before


def test_a_page_source_that_breaks_a_rule_refuses_the_rows_and_writes_nothing(ledger):
    app = app_as("ana")
    switch_page(app, IMPORT).run()
    app.file_uploader(key="import_file").upload("cuba.csv", NO_SOURCE.encode("utf-8")).run()
    app.text_input(key="import_source_url").input("ftp://example.org/cuba")
    app.text_input(key="import_source_title").input("Cuban aid")
    app.text_input(key="import_source_publisher").input("Example News").run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Rows refused"] == "2"
    refused = next(d.value for d in app.dataframe if "rule" in d.value.columns)
    assert all("http" in rule for rule in refused["rule"])
    assert [b for b in app.button if b.key == "import_commit"] == []
