"""The dashboard, run headless with Streamlit's AppTest."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import numpy as np
import pytest
from dashboard_pages import switch_page
from factories import add_editors
from server import serve_dashboard
from streamlit.testing.v1 import AppTest

from shipments.db import REPO_ROOT, make_engine, migrate, session_scope
from shipments.ledger import correct_shipment, retract_shipment
from shipments.models import ClaimCreate, ShipmentCorrection
from shipments.rules import parse, utcnow
from shipments.seed import prepare_database
from shipments.ui.words import DATABASE_ERROR, EMPTY_LEDGER, NO_MATCH

DASHBOARD = str(REPO_ROOT / "dashboard.py")


pytestmark = pytest.mark.usefixtures("fresh_caches")


def run_dashboard(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    return app.run()


PAGES = {"overview": "/", "ledger": "/ledger", "claims": "/claims", "downloads": "/downloads"}


def open_page(app: AppTest, name: str) -> AppTest:
    if name != "overview":
        switch_page(app, PAGES[name])
    return app.run()


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_first_start_creates_seeds_and_shows_the_total(database_url: str, monkeypatch):
    app = run_dashboard(monkeypatch, database_url)
    assert not app.exception
    assert metrics(app) == {
        "Total delivered": "269.000 t",
        "Deliveries": "4",
        "Latest delivery": "2019-05-27",
        "Claims consistent / inconsistent": "7 / 0",
    }


def plotly_values(field: Any) -> list[Any]:
    """Decode a figure's array: a list, or a typed array plotly wrote as base64."""
    if isinstance(field, dict):
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"]).tolist()
    return list(field)


def test_overview_draws_the_two_charts_with_269_on_the_running_total(
    database_url: str, monkeypatch
):
    app = run_dashboard(monkeypatch, database_url)
    charts = app.get("plotly_chart")
    assert len(charts) >= 2
    cumulative = json.loads(charts[0].proto.spec)
    line = cumulative["data"][0]
    assert line["line"]["shape"] == "hv"
    assert plotly_values(line["y"]) == [65.0, 136.0, 200.0, 269.0]
    assert line["x"][0].startswith("2019-03-29")
    running_total_claims = [
        trace for trace in cumulative["data"][1:] if "running total" in trace["name"]
    ]
    points = [
        (x, y)
        for trace in running_total_claims
        for x, y in zip(trace["x"], plotly_values(trace["y"]), strict=True)
    ]
    assert ("2019-05-27", 269.0) in points
    assert "269" in metrics(app)["Total delivered"]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_runs(database_url: str, monkeypatch, page: str):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), page)
    assert not app.exception
    assert not app.error
    assert len(app.title) == 1


def test_ledger_page_lists_shipments_and_their_history(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    prepare_database(engine)
    add_editors(engine)
    with session_scope(engine) as session:
        correct_shipment(
            session=session,
            shipment_id=1,
            correction_in=parse(ShipmentCorrection, {"tonnes": "66", "reason": "recount"}),
            by="ana",
            via="cli",
        )
    engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), "ledger")
    table = app.dataframe[0].value
    assert list(table["id"]) == [1, 2, 3, 4]
    assert list(table["revision"]) == [2, 1, 1, 1]
    assert list(table["tonnes"]) == [66.0, 71.0, 64.0, 69.0]
    assert table["first_source"].str.startswith("https://").all()
    history = app.dataframe[1].value
    assert list(history["action"]) == ["append", "correct"]
    assert list(history["reason"]) == ["", "recount"]
    # Its columns in words, tonnes with three decimals, room for the reason.
    labels = json.loads(app.dataframe[1].proto.columns)
    assert {name: labels[name]["label"] for name in ("reason", "recorded_at", "tonnes")} == {
        "reason": "Reason",
        "recorded_at": "Recorded (UTC)",
        "tonnes": "Tonnes (t)",
    }
    assert labels["reason"]["width"] == "large"
    assert labels["tonnes"]["type_config"]["format"] == "%.3f"
    app.number_input(key="history_of").set_value(4).run()
    assert list(app.dataframe[1].value["tonnes"]) == [69.0]
    app.number_input(key="history_of").set_value(99).run()
    assert [i.value for i in app.info] == ["There is no shipment with ID 99."]


def test_ledger_page_lists_retractions_with_their_reasons(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    prepare_database(engine)
    add_editors(engine)
    with session_scope(engine) as session:
        retract_shipment(
            session=session, shipment_id=2, reason="counted twice", by="ana", via="cli"
        )
    engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), "ledger")
    assert list(app.dataframe[0].value["id"]) == [1, 3, 4]
    retracted = app.dataframe[2].value
    assert list(zip(retracted["id"], retracted["reason"], strict=True)) == [(2, "counted twice")]
    app.number_input(key="history_of").set_value(2).run()
    assert list(app.dataframe[1].value["action"]) == ["append", "retract"]


def test_claims_page_shows_every_reading_and_verdict(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), "claims")
    table = app.dataframe[0].value
    assert len(table) == 8
    first_two = table[table["claim"] == 1]
    assert list(first_two["ledger"]) == ["269.000 t", "69.000 t"]
    fourth = table[table["claim"] == 2]
    assert list(fourth["ledger"]) == ["4 deliveries"]
    assert list(first_two["reading_verdict"]) == ["consistent", "inconsistent"]
    assert set(table["claim_verdict"]) == {"consistent"}
    assert len(app.expander) == 7


def test_downloads_page_links_to_the_data_urls_of_the_view(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["donor"] = "China"
    app.query_params["from"] = "2019-05-01"
    app.run()
    app = open_page(app, "downloads")
    links = [(b.proto.label, b.proto.url) for b in app.get("link_button")]
    assert links[:6] == [
        ("Shipments (CSV)", "/data/shipments.csv?from=2019-05-01&donor=China"),
        ("Shipments (HXL CSV)", "/data/shipments.hxl.csv?from=2019-05-01&donor=China"),
        ("Shipments (JSON)", "/data/shipments.json?from=2019-05-01&donor=China"),
        ("Shipments (Excel)", "/data/shipments.xlsx?from=2019-05-01&donor=China"),
        ("Shipments (HXL Excel)", "/data/shipments.hxl.xlsx?from=2019-05-01&donor=China"),
        (
            "Shipments (CSV for Excel on Windows)",
            "/data/shipments.csv?from=2019-05-01&donor=China&bom=1",
        ),
    ]
    assert ("Sources (CSV for Excel on Windows)", "/data/sources.csv?bom=1") in links
    assert len(links) == 22
    assert [c.value for c in app.code] == [url for _, url in links]
    assert not app.get("download_button")


def test_running_total_counts_what_came_before_the_from_date(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "2019-05-01"
    app.run()
    assert metrics(app)["Total delivered"] == "204.000 t"
    cumulative = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert plotly_values(cumulative["data"][0]["y"]) == [136.0, 200.0, 269.0]


def test_a_filter_that_matches_nothing_says_so(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "2020-01-01"
    app.run()
    assert not app.exception
    assert [i.value for i in app.info] == [NO_MATCH]
    assert len(app.get("plotly_chart")) == 0
    app = open_page(app, "ledger")
    assert [i.value for i in app.info] == [NO_MATCH]


def test_filters_come_from_the_query_string(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "2019-05-10"
    app.query_params["to"] = "2019-05-20"
    app.query_params["donor"] = "China"
    app.run()
    assert metrics(app)["Total delivered"] == "135.000 t"
    assert metrics(app)["Deliveries"] == "2"
    assert app.date_input(key="from").value.isoformat() == "2019-05-10"
    assert app.multiselect(key="donor").value == ["China"]


def test_as_of_shows_the_ledger_before_a_correction(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    prepare_database(engine)
    add_editors(engine)
    time.sleep(0.01)
    before = utcnow().isoformat()
    time.sleep(0.01)
    with session_scope(engine) as session:
        correct_shipment(
            session=session,
            shipment_id=3,
            correction_in=parse(ShipmentCorrection, {"tonnes": "46", "reason": "test"}),
            by="ana",
            via="cli",
        )
    engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    now = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert metrics(now)["Total delivered"] == "251.000 t"
    assert metrics(now)["Claims consistent / inconsistent"] == "4 / 3"
    then = AppTest.from_file(DASHBOARD, default_timeout=60)
    then.query_params["as_of"] = before
    then.run()
    assert metrics(then)["Total delivered"] == "269.000 t"
    assert metrics(then)["Claims consistent / inconsistent"] == "7 / 0"
    assert "as it stood at" in then.caption[0].value


def test_as_of_leaves_out_claims_recorded_later(database_url: str, seeded_engine: Any, monkeypatch):
    from test_reconcile import make_claim

    from shipments.claims import parse_reading_spec, record_claim

    time.sleep(0.01)
    before = utcnow().isoformat()
    time.sleep(0.01)
    later = make_claim(value="1000", readings=[parse_reading_spec("cumulative:2019-05-27")])
    with session_scope(seeded_engine) as session:
        record_claim(session=session, claim_in=later, by="ana", via="cli")
    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    now = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert metrics(now)["Claims consistent / inconsistent"] == "7 / 1"
    then = AppTest.from_file(DASHBOARD, default_timeout=60)
    then.query_params["as_of"] = before
    then.run()
    assert metrics(then)["Claims consistent / inconsistent"] == "7 / 0"
    switch_page(then, "/claims")
    then.run()
    assert set(then.dataframe[0].value["claim"]) == set(range(1, 8))


def test_a_malformed_as_of_is_reported_not_raised(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["as_of"] = "last tuesday"
    app.run()
    assert not app.exception
    assert "must be an ISO 8601 timestamp" in app.warning[0].value
    assert metrics(app)["Total delivered"] == "269.000 t"


HOSTILE = "![x](https://evil.example/x.png) <img src=x onerror=alert(1)> www.evil.example"


def test_text_from_users_and_links_is_shown_inert(database_url: str, monkeypatch):
    from shipments.claims import parse_reading_spec, record_claim
    from shipments.ledger import append_shipment
    from shipments.models import ShipmentCreate

    engine = make_engine(database_url)
    prepare_database(engine)
    add_editors(engine)
    source = {"url": "https://example.org/s", "title": HOSTILE, "publisher": "P"}
    with session_scope(engine) as session:
        append_shipment(
            session=session,
            by="ana",
            via="cli",
            shipment_in=parse(
                ShipmentCreate,
                {
                    "event_date": "2019-06-01",
                    "date_means": "sent",
                    "donor": HOSTILE,
                    "recipient": "Venezuela",
                    "cargo": "medicine",
                    "tonnes": "5",
                    "note": "<script>alert(1)</script>",
                    "sources": [source],
                },
            ),
        )
        record_claim(
            session=session,
            by="ana",
            via="cli",
            claim_in=parse(
                ClaimCreate,
                {
                    "claimant": HOSTILE,
                    "quote": HOSTILE,
                    "metric": "tonnes",
                    "value": "5",
                    "qualifier": "exact",
                    "source": source,
                    "note": "**bold**",
                    "readings": [parse_reading_spec("single:2019-06-01")],
                },
            ),
        )
    engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["donor"] = HOSTILE
    app.query_params["as_of"] = "![x](https://evil.example/as-of.png)"
    app.run()
    assert not app.exception
    markdown_texts = [app.warning[0].value, app.caption[0].value]
    assert "evil" in app.caption[0].value
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), "claims")
    label = app.expander[-1].label
    markdown_texts.append(label)
    for text in markdown_texts:
        assert "![" not in text
        assert "](" not in text
        assert not re.search(r"(?<!\\)<img", text), "an unescaped HTML tag"
        assert "www." not in text
    assert "evil" in label
    assert HOSTILE in [t.value for t in app.text]
    assert "**bold**" in [t.value for t in app.text]


def test_empty_ledger_says_so(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    prepare_database(engine)
    add_editors(engine)
    with session_scope(engine) as session:
        for shipment_id in (1, 2, 3, 4):
            retract_shipment(
                session=session, shipment_id=shipment_id, reason="test", by="ana", via="cli"
            )
    engine.dispose()
    app = run_dashboard(monkeypatch, database_url)
    assert not app.exception
    assert [i.value for i in app.info] == [EMPTY_LEDGER]
    assert "records the first one on the Edit page" in app.info[0].value  # what to do next
    assert len(app.metric) == 0


@pytest.mark.parametrize("page", list(PAGES))
def test_unreachable_database_shows_a_message_not_a_traceback(monkeypatch, page: str):
    monkeypatch.setenv(
        "LEDGER_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    app = open_page(app, page)
    assert not app.exception
    if page == "downloads":
        assert len(app.get("link_button")) == 22
    else:
        assert app.error[0].value == DATABASE_ERROR


@pytest.mark.parametrize("url", ["not a url", "mysql://nobody@127.0.0.1:1/none"])
def test_a_malformed_or_unsupported_url_shows_the_message(monkeypatch, url: str):
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not app.exception
    assert app.error[0].value == DATABASE_ERROR


def test_migrated_but_unseeded_database_is_seeded_on_start(database_url: str, monkeypatch):
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    app = run_dashboard(monkeypatch, database_url)
    assert metrics(app)["Total delivered"] == "269.000 t"


def test_streamlit_run_starts_without_a_prompt(tmp_path):
    """`streamlit run dashboard.py` serves a healthy app with no terminal to answer prompts."""
    with serve_dashboard(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as served:
        assert served.base.startswith("http://127.0.0.1:")
    assert "You can now view your Streamlit app" in served.output
    assert "Email" not in served.output


def test_a_write_from_elsewhere_shows_at_the_next_rerun(database_url: str, monkeypatch):
    """Another server or the CLI writes: this server's caches notice without waiting for a TTL."""
    from factories import make_shipment

    from shipments.ledger import append_shipment

    engine = make_engine(database_url)
    prepare_database(engine)
    add_editors(engine)
    app = run_dashboard(monkeypatch, database_url)
    assert metrics(app)["Total delivered"] == "269.000 t"
    with session_scope(engine) as session:
        append_shipment(
            session=session, shipment_in=make_shipment(tonnes="31"), by="ana", via="cli"
        )
    engine.dispose()
    app.run()
    assert metrics(app)["Total delivered"] == "300.000 t"
