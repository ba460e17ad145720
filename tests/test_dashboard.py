"""The dashboard, run headless with Streamlit's AppTest."""

from __future__ import annotations

import base64
import json
import re
import runpy
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
from shipments.ui.downloads import NO_LINKS
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


def test_the_servers_import_makes_the_app_and_a_page_run_does_not(database_url: str, monkeypatch):
    """``app`` (the routes, the middleware) is the server's: a page run made it again each time,
    a twentieth of a new viewer's first page (bench/RESULTS.md)."""
    import streamlit as st
    from streamlit import config

    made: list[str] = []

    class Counted(st.App):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(str(args[0]))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(st, "App", Counted)
    monkeypatch.setattr(config, "_main_script_path", config._main_script_path)
    app = run_dashboard(monkeypatch, database_url)
    assert not app.exception
    assert "269" in metrics(app)["Total delivered"]
    assert made == []
    served = runpy.run_path(DASHBOARD, run_name="dashboard")  # as uvicorn imports it
    assert isinstance(served["app"], Counted)
    assert made == ["dashboard.py"]


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
        (x[:10], y)  # a day, as plotly writes it: "2019-05-27T00:00:00"
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


def test_claims_page_shows_quotes_a_page_at_a_time(
    database_url: str, seeded_engine: Any, monkeypatch
):
    from test_reconcile import make_claim

    from shipments.claims import parse_reading_spec, record_claim
    from shipments.ui.claims import QUOTES_PER_PAGE

    with session_scope(seeded_engine) as session:
        for n in range(30):
            claim = make_claim(
                value=str(100 + n), readings=[parse_reading_spec("cumulative:2019-05-27")]
            )
            record_claim(session=session, claim_in=claim, by="ana", via="cli")
    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), "claims")
    [table] = [d.value for d in app.dataframe if "claim_verdict" in d.value]
    assert set(table["claim"]) == set(range(1, 38))  # the table: every claim
    assert QUOTES_PER_PAGE == 10
    titles = [e.label.split(":")[0] for e in app.expander]
    assert titles == [f"Claim {n}" for n in range(1, 11)]
    assert "Claims 1 to 10 of 37, in the order of the table above." in [
        c.value for c in app.caption
    ]
    app.number_input(key="quotes_page").set_value(4).run()
    titles = [e.label.split(":")[0] for e in app.expander]
    assert titles == [f"Claim {n}" for n in range(31, 38)]


def test_downloads_page_links_to_the_data_urls_of_the_view(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["donor"] = "China"
    app.query_params["from"] = "2019-05-01"
    app.run()
    app = open_page(app, "downloads")
    links = [(b.proto.label, b.proto.url) for b in app.get("link_button")]
    assert links[:7] == [
        ("Shipments (CSV)", "/data/shipments.csv?from=2019-05-01&donor=China"),
        ("Shipments (HXL CSV)", "/data/shipments.hxl.csv?from=2019-05-01&donor=China"),
        ("Shipments (JSON)", "/data/shipments.json?from=2019-05-01&donor=China"),
        (
            "Shipments (Data Package)",
            "/data/shipments.datapackage.json?from=2019-05-01&donor=China",
        ),
        ("Shipments (Excel)", "/data/shipments.xlsx?from=2019-05-01&donor=China"),
        ("Shipments (HXL Excel)", "/data/shipments.hxl.xlsx?from=2019-05-01&donor=China"),
        (
            "Shipments (CSV for Excel on Windows)",
            "/data/shipments.csv?from=2019-05-01&donor=China&bom=1",
        ),
    ]
    assert ("Sources (CSV for Excel on Windows)", "/data/sources.csv?bom=1") in links
    assert ("Claim reviews (JSON-LD)", "/data/claimreview.jsonld") in links
    assert len(links) == 24
    assert [c.value for c in app.code] == [url for _, url in links]
    # Each address wraps in its column: cut at the edge, it could not be read before copying.
    assert all(c.proto.wrap_lines for c in app.code)
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


@pytest.mark.parametrize("name", ["overview", "ledger", "claims", "downloads"])
def test_a_pages_caption_says_the_as_of_moment_as_its_notes_do(
    seeded_engine: Any, database_url: str, monkeypatch, name: str
):
    """The caption over the figures writes the moment as the notes beside it do (to the second,
    in UTC), not as 2019-06-01T00:00:00+00:00 above a note saying 2019-06-01 00:00:00 UTC."""
    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["as_of"] = "2019-06-01T02:00:00.123456+02:00"
    open_page(app.run(), name)
    captions = [c.value.replace("\\", "") for c in app.caption]
    assert any("as it stood at 2019-06-01 00:00:00 UTC" in c for c in captions), captions
    assert not any("+00:00" in c or "T00:00" in c for c in captions), captions


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
        assert len(app.get("link_button")) == 24
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


def warnings(app: AppTest) -> list[str]:
    """Return the page's warnings as a reader sees them (markdown escapes taken out)."""
    return [re.sub(r"\\(.)", r"\1", w.value) for w in app.warning]


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ({"from": "notadate"}, "from: must be a date as YYYY-MM-DD, such as 2026-01-31"),
        ({"to": "2019-13-01"}, "to: must be a date as YYYY-MM-DD"),
        ({"from": "1850-01-01"}, "from: must be from 1900-01-01 to 2099-12-31 (got 1850-01-01)"),
        ({"as_of": "garbage"}, "as_of: must be an ISO 8601 timestamp"),
        ({"donor": "Nowhere"}, "donor: must name a donor in the ledger (got 'Nowhere')"),
        ({"donor": ["China", "Nowhere"]}, "donor: must name a donor in the ledger (got 'Nowhere')"),
        ({"cargo": "rocks"}, "cargo: must name a cargo in the ledger (got 'rocks')"),
    ],
)
def test_what_the_address_asks_for_and_the_view_cannot_take_is_named(
    database_url: str, monkeypatch, asked: dict[str, str | list[str]], said: str
):
    """A bad value is ignored, as the widgets must, but said: one warning, parameter and rule."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    for name, value in asked.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    [warning] = warnings(app)
    assert warning.startswith("Ignored (the view is shown without it):\n- ")
    assert said in warning
    assert metrics(app)["Total delivered"] == "269.000 t"  # the rest of the view is shown
    assert not app.info


def test_several_bad_values_share_one_warning(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "notadate"
    app.query_params["donor"] = "Nowhere"
    app.query_params["as_of"] = "garbage"
    app.run()
    [warning] = warnings(app)
    assert [line.split(":")[0] for line in warning.splitlines()[1:]] == [
        "- from",
        "- donor",
        "- as_of",
    ]


def test_from_after_to_is_said_plainly(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "2019-05-10"
    app.query_params["to"] = "2019-05-01"
    app.run()
    assert not app.exception
    assert warnings(app) == [
        "From (2019-05-10) is after To (2019-05-01), so no delivery date lies between them and"
        " nothing is shown. Swap the two dates, or clear one."
    ]
    assert NO_MATCH not in [i.value for i in app.info]
    app = open_page(app, "ledger")
    assert "From (2019-05-10) is after To (2019-05-01)" in warnings(app)[0]
    app = open_page(app, "downloads")  # no link that the data URLs would refuse
    assert [i.value for i in app.info] == [NO_LINKS]
    assert not app.get("link_button")


def test_an_as_of_in_the_future_says_what_is_shown(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["as_of"] = "2099-01-01T00:00:00Z"
    app.run()
    assert not app.exception
    assert not app.warning
    assert [i.value for i in app.info] == [
        "As of 2099-01-01 00:00:00 UTC is in the future, so this is the ledger as it stands now:"
        " whatever is recorded between now and then is not in it yet."
    ]
    assert metrics(app)["Total delivered"] == "269.000 t"
    assert app.caption[0].value.startswith("Ledger as it stands now")  # not "as it stood"


def test_an_as_of_before_every_recording_says_when_the_first_was(
    database_url: str, seeded_engine: Any, monkeypatch
):
    from shipments.ledger import first_recorded_at
    from shipments.ui.common import AS_OF_MEANS

    with session_scope(seeded_engine) as session:
        first = first_recorded_at(session=session)
    seeded_engine.dispose()
    assert first is not None
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["as_of"] = "2019-06-01"  # a report's date: before anything was recorded
    app.query_params["donor"] = "China"
    app.run()
    assert not app.exception
    [said] = [i.value for i in app.info]
    assert said.startswith("Nothing had been recorded by 2019-06-01 00:00:00 UTC: the first")
    assert f"recorded at {first.strftime('%Y-%m-%d %H:%M:%S')} UTC" in said
    assert AS_OF_MEANS in said
    assert NO_MATCH not in said
    assert app.sidebar.caption[0].value == AS_OF_MEANS  # said beside the box, too
    assert "not when cargo moved" in app.sidebar.text_input(key="as_of").help


@pytest.mark.parametrize("path", ["/edit", "/import", "/audit"])
def test_the_filters_show_only_where_they_act(
    seeded_engine: Any, database_url: str, monkeypatch, path: str
):
    from dashboard_pages import signed_in

    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "notadate"
    signed_in(app, "ana").run()
    assert [h.value for h in app.sidebar.header] == ["Filters"]
    assert len(app.sidebar.date_input) == 2
    switch_page(app, path).run()
    assert not app.exception
    assert not app.sidebar.header
    assert not app.sidebar.date_input
    assert not app.sidebar.multiselect
    assert not app.sidebar.text_input
    assert [b.key for b in app.sidebar.button] == ["sign_out", "sign_out_everywhere"]
    assert not app.warning  # nor what the filters would have said
    switch_page(app, "/").run()
    assert len(app.sidebar.multiselect) == 3


def test_the_sign_in_page_has_no_filters(database_url: str, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    switch_page(app, "/sign-in").run()
    assert not app.exception
    assert not app.sidebar.date_input
    assert not app.sidebar.multiselect


def test_audit_times_are_shown_to_the_second_in_utc():
    from shipments.ui.audit import shown_time

    assert shown_time("2026-11-30T22:27:38.123456+00:00") == "2026-11-30 22:27:38 UTC"
    assert shown_time("2026-11-30T23:27:38.999999+01:00") == "2026-11-30 22:27:38 UTC"
    assert shown_time("2026-11-30T22:27:38") == "2026-11-30 22:27:38 UTC"


def test_the_audit_page_shows_seconds_and_its_download_keeps_every_digit(
    seeded_engine: Any, database_url: str, monkeypatch
):
    from dashboard_pages import signed_in

    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = signed_in(AppTest.from_file(DASHBOARD, default_timeout=60), "ana").run()
    switch_page(app, "/audit").run()
    assert not app.exception
    shown = list(app.dataframe[0].value["at"])
    assert shown
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", at) for at in shown)
    from shipments.exchange.reports import AUDIT_COLUMNS
    from shipments.ui.audit import _csv

    stored = "2026-11-30T22:27:38.123456+00:00"
    raw = [{"at": stored} | dict.fromkeys(AUDIT_COLUMNS[1:], "")]
    assert stored in _csv(raw, AUDIT_COLUMNS)


def test_a_visit_to_an_editors_page_clears_the_filters(
    seeded_engine: Any, database_url: str, monkeypatch
):
    """The view and its address must agree; Streamlit restores one but not always the other."""
    from dashboard_pages import signed_in

    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "2019-05-01"
    signed_in(app, "ana").run()
    assert metrics(app)["Total delivered"] == "204.000 t"
    switch_page(app, "/edit").run()
    switch_page(app, "/").run()
    assert app.date_input(key="from").value is None
    assert metrics(app)["Total delivered"] == "269.000 t"


def test_first_recorded_at_is_the_earliest_revision(session: Any):
    from factories import make_shipment

    from shipments.ledger import append_shipment, first_recorded_at

    assert first_recorded_at(session=session) is None
    first = append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
    time.sleep(0.01)
    append_shipment(session=session, shipment_in=make_shipment(tonnes="7"), by="ana", via="cli")
    assert first_recorded_at(session=session) == first.recorded_at


def test_the_empty_view_says_why():
    from datetime import UTC, date, datetime

    from shipments.ledger import ShipmentFilter
    from shipments.ui.common import empty_message
    from shipments.ui.view import View

    first = datetime(2026, 11, 30, 9, 15, 42, 123456, tzinfo=UTC)
    before = datetime(2019, 6, 1, tzinfo=UTC)
    china = ShipmentFilter(donors=("China",))
    reversed_range = ShipmentFilter(date_from=date(2019, 5, 10), date_to=date(2019, 5, 1))
    assert empty_message(View(ShipmentFilter(), None), None) == EMPTY_LEDGER
    assert empty_message(View(china, None), None) == EMPTY_LEDGER
    assert empty_message(View(china, None), first) == NO_MATCH
    assert empty_message(View(china, before), first).startswith(
        "Nothing had been recorded by 2019-06-01 00:00:00 UTC: the first shipment was recorded"
        " at 2026-11-30 09:15:42 UTC."
    )
    assert "see above" in empty_message(View(reversed_range, None), first)
    later = datetime(2026, 12, 1, tzinfo=UTC)
    assert empty_message(View(ShipmentFilter(), later), first) == (
        "Every shipment recorded by 2026-12-01 00:00:00 UTC had been retracted by then."
    )


def test_a_date_the_picker_reads_is_used_not_reported(database_url: str, monkeypatch):
    """Streamlit reads 2019/05/01 too (and writes the address anew): nothing was ignored."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["from"] = "2019/05/01"
    app.run()
    assert not app.warning
    assert metrics(app)["Total delivered"] == "204.000 t"
