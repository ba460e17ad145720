"""Corroboration: how many independent sources (publishers) support each shipment."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import BAD_SOURCES_AT_LEAST, make_shipment
from sqlalchemy import Engine, text
from sqlalchemy import select as sa_select
from sqlmodel import Session
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest
from test_cli import run
from test_dashboard import DASHBOARD, metrics, open_page
from test_data_urls import make_app
from test_reconcile import make_claim

from shipments.claims import parse_reading_spec, record_claim
from shipments.cli import main
from shipments.corroboration import (
    claim_publishers,
    count_sources,
    publisher_key,
    publisher_spellings,
    resolve,
)
from shipments.exchange.export import write_shipments
from shipments.ledger import (
    ShipmentFilter,
    append_shipment,
    correct_shipment,
    current_shipments,
    ledger_totals,
)
from shipments.models import ShipmentCorrection, ShipmentRevision
from shipments.reconcile import ONE_PASS_READINGS, reconcile
from shipments.rules import parse, utcnow
from shipments.web import data

SEED = {1: 1, 2: 1, 3: 1, 4: 2}  # 27 May: the press and the ministry; the others the press alone
NEWS = {"url": "https://example.org/report", "title": "Report", "publisher": "Example News"}


def corroboration(session: Session, **kwargs: Any) -> dict[int, int]:
    """Return each shipment's corroborating_sources cell, from the CSV export."""
    out = io.StringIO()
    write_shipments(session=session, file=out, **kwargs)
    return {
        int(row["id"]): int(row["corroborating_sources"])
        for row in csv.DictReader(io.StringIO(out.getvalue()))
    }


def shown(session: Session, at_least: int, **kwargs: Any) -> list[int]:
    """Return the ids of the shipments a filter with sources_at_least keeps."""
    asked = ShipmentFilter(sources_at_least=at_least)
    filters = resolve(session=session, filters=asked, as_of=kwargs.get("as_of"))
    return [s.id for s in current_shipments(session=session, filters=filters, **kwargs)]


def add(session: Session, day: str, *sources: dict[str, str], tonnes: str = "68") -> int:
    shipment_in = make_shipment(event_date=day, tonnes=tonnes, sources=list(sources or [NEWS]))
    return append_shipment(
        session=session, shipment_in=shipment_in, by="ana", via="cli", confirm_duplicate=True
    ).id


def claim(session: Session, publisher: str, day: str, value: str = "68") -> None:
    slug = "-".join(publisher.split()).lower()
    source = {
        "url": f"https://claims.example/{slug}/{day}",
        "title": "C",
        "publisher": publisher,
    }
    claim_in = make_claim(
        source=source, value=value, readings=[parse_reading_spec(f"single:{day}")]
    )
    record_claim(session=session, claim_in=claim_in, by="ana", via="cli")


def test_the_seed_27_may_has_the_ministry_and_the_press(seeded_session: Session):
    assert corroboration(seeded_session) == SEED
    assert corroboration(seeded_session, as_of=utcnow()) == SEED
    assert shown(seeded_session, 1) == [1, 2, 3, 4]
    assert shown(seeded_session, 2) == [4]
    assert shown(seeded_session, 3) == []
    totals = ledger_totals(
        session=seeded_session,
        filters=resolve(session=seeded_session, filters=ShipmentFilter(sources_at_least=2)),
    )
    assert (totals.shipments, totals.mass_kg) == (1, 69_000)


def test_a_claim_adds_its_publisher_and_stops_when_a_correction_contradicts_it(session: Session):
    lone = add(session, "2019-06-10")
    other = add(session, "2019-06-11")
    claim(session, "Ministry", "2019-06-10")
    assert corroboration(session) == {lone: 2, other: 1}
    assert shown(session, 2) == [lone]
    time.sleep(0.01)
    before = utcnow()
    time.sleep(0.01)
    correction = parse(ShipmentCorrection, {"tonnes": "30", "reason": "recount"})
    correct_shipment(
        session=session, shipment_id=lone, correction_in=correction, by="ana", via="cli"
    )
    assert corroboration(session) == {lone: 1, other: 1}
    assert corroboration(session, as_of=utcnow()) == {lone: 1, other: 1}
    assert shown(session, 2) == []
    # As of before the correction, the claim still held.
    assert corroboration(session, as_of=before) == {lone: 2, other: 1}
    assert shown(session, 2, as_of=before) == [lone]


def test_a_claim_counts_only_when_its_single_reading_matches_that_shipment_alone(
    session: Session,
):
    first = add(session, "2019-06-10", tonnes="34")
    second = add(session, "2019-06-10", tonnes="34")
    claim(session, "Ministry", "2019-06-10")  # 68 t on a day with two shipments: not one alone
    assert corroboration(session) == {first: 1, second: 1}
    assert claim_publishers(session=session) == {}


def test_a_publisher_among_the_sources_and_behind_a_claim_counts_once(session: Session):
    shipment = add(session, "2019-06-10")
    claim(session, "Example News", "2019-06-10")
    assert claim_publishers(session=session) == {shipment: frozenset({"example news"})}
    assert corroboration(session) == {shipment: 1}
    assert shown(session, 2) == []


def test_publishers_compare_casefolded_and_trimmed(session: Session):
    loud = {"url": "https://example.org/loud", "title": "Loud", "publisher": "EXAMPLE NEWS"}
    strasse = {"url": "https://example.org/s1", "title": "S", "publisher": "Straße Zeitung"}
    strasse_caps = {"url": "https://example.org/s2", "title": "S", "publisher": "STRASSE ZEITUNG"}
    both = add(session, "2019-06-10", NEWS, loud)
    german = add(session, "2019-06-11", strasse, strasse_caps)
    mixed = add(session, "2019-06-12", NEWS, strasse)
    claim(session, " example news ", "2019-06-11")  # trimmed on the way in, casefolded here
    assert corroboration(session) == {both: 1, german: 2, mixed: 2}
    assert corroboration(session, as_of=utcnow()) == {both: 1, german: 2, mixed: 2}
    # The database counts the same: each other spelling stands for one.
    assert dict(publisher_spellings(session=session)) == {
        "Example News": "EXAMPLE NEWS",
        "example news": "EXAMPLE NEWS",  # the claim's source, a source like any other
        "Straße Zeitung": "STRASSE ZEITUNG",
    }
    assert shown(session, 2) == [german, mixed]
    assert shown(session, 2, as_of=utcnow()) == [german, mixed]
    assert count_sources(["A", " a "], ["A"]) == 1


def test_as_of_counts_the_claims_recorded_by_then(session: Session):
    shipment = add(session, "2019-06-10")
    time.sleep(0.01)
    before = utcnow()
    time.sleep(0.01)
    claim(session, "Ministry", "2019-06-10")
    assert corroboration(session) == {shipment: 2}
    assert corroboration(session, as_of=before) == {shipment: 1}
    assert shown(session, 2, as_of=before) == []
    assert shown(session, 2) == [shipment]


def test_a_query_per_single_reading_finds_what_the_whole_reconciliation_finds(
    seeded_engine: Engine,
):
    """claim_publishers checks single readings a query each; the whole reconciliation of a
    ledger with this many readings reads it into arrays. Both must find the same support."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import generate

    generate.fill(seeded_engine, 3_000, generate.Shape(claims=300, readings=450))
    with Session(seeded_engine) as session:
        # Generated figures rarely match one shipment: add claims that do, on days of one.
        lone_days = session.execute(
            text(
                "SELECT event_date, MIN(mass_kg) FROM current_shipment GROUP BY event_date"
                " HAVING COUNT(*) = 1 ORDER BY event_date LIMIT 30"
            )
        ).all()
        for number, (day, mass_kg) in enumerate(lone_days):
            claim(session, f"Outlet {number % 4}", str(day)[:10], value=f"{mass_kg / 1000:.3f}")
        middle = session.execute(
            sa_select(ShipmentRevision.recorded_at)
            .order_by(ShipmentRevision.id)
            .offset(1_500)
            .limit(1)
        ).scalar_one()
        for as_of in (None, middle):
            whole = reconcile(session=session, as_of=as_of)
            assert sum(len(c.readings) for c in whole.claims) >= ONE_PASS_READINGS
            expected: dict[int, set[str]] = {}
            for item in whole.claims:
                scopes = {r.id: r.scope for r in item.claim.readings}
                for result in item.readings:
                    if (
                        scopes[result.reading_id] == "single"
                        and result.verdict == "consistent"
                        and result.shipment_count == 1
                    ):
                        key = publisher_key(item.claim.source.publisher)
                        expected.setdefault(result.shipment_ids[0], set()).add(key)
            assert len(expected) > (20 if as_of is None else 0)  # our claims came later
            found = claim_publishers(session=session, as_of=as_of)
            assert {k: set(v) for k, v in found.items()} == expected


@pytest.mark.parametrize("batch_size", [1, 3, 5000])
@pytest.mark.parametrize("hxl", [False, True])
def test_both_export_paths_agree_when_claims_add_a_publisher(
    session: Session, batch_size: int, hxl: bool
):
    ids = [add(session, f"2019-06-{day:02d}") for day in range(1, 13)]
    claim(session, "Ministry", "2019-06-05")
    claim(session, "Agency", "2019-06-05")
    claim(session, "Agency", "2019-06-12")
    now, then = io.StringIO(), io.StringIO()
    write_shipments(session=session, file=now, hxl=hxl, batch_size=batch_size)
    write_shipments(session=session, file=then, hxl=hxl, as_of=utcnow())
    assert now.getvalue() == then.getvalue()
    rows = list(csv.DictReader(io.StringIO(now.getvalue())))[1 if hxl else 0 :]
    expected = {i: 1 for i in ids} | {ids[4]: 3, ids[11]: 2}
    assert {int(r["id"]): int(r["corroborating_sources"]) for r in rows} == expected
    if hxl:
        header = now.getvalue().splitlines()[:2]
        columns = dict(zip(header[0].split(","), header[1].split(","), strict=True))
        assert columns["corroborating_sources"] == "#meta+sources+num"


@pytest.fixture
def client(seeded_engine: Engine, database_url: str, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    data._engine.cache_clear()
    with TestClient(make_app()) as test_client:
        yield test_client
    data._engine.cache_clear()


def test_the_data_urls_carry_the_column_and_take_the_filter(client: TestClient):
    plain = list(csv.DictReader(io.StringIO(client.get("/data/shipments.csv").text)))
    assert {int(r["id"]): int(r["corroborating_sources"]) for r in plain} == SEED
    hxl = client.get("/data/shipments.hxl.csv").text.splitlines()
    assert hxl[0].split(",").index("corroborating_sources") == hxl[1].split(",").index(
        "#meta+sources+num"
    )
    listed = json.loads(client.get("/data/shipments.json").text)
    assert {r["id"]: r["corroborating_sources"] for r in listed} == SEED
    two = client.get("/data/shipments.csv?sources_at_least=2")
    assert [r["id"] for r in csv.DictReader(io.StringIO(two.text))] == ["4"]
    assert "_sources-2-plus_" in two.headers["content-disposition"]
    listed = json.loads(client.get("/data/shipments.json?sources_at_least=2").text)
    assert [(r["id"], r["corroborating_sources"]) for r in listed] == [(4, 2)]
    three = client.get(f"/data/shipments.csv?sources_at_least=3&as_of={utcnow().isoformat()}")
    assert three.text.splitlines()[1:] == []
    package = client.get("/data/shipments.datapackage.json?sources_at_least=2").json()
    assert package["ledger"]["view"]["sources_at_least"] == 2
    assert package["ledger"]["rows"] == 1


@pytest.mark.parametrize(("value", "rule"), BAD_SOURCES_AT_LEAST)
@pytest.mark.parametrize("path", ["shipments.csv", "shipments.json", "shipments.xlsx"])
def test_a_data_url_refuses_a_bad_number_of_sources(path: str, value: str, rule: str):
    with TestClient(make_app()) as offline:
        answer = offline.get(f"/data/{path}", params={"sources_at_least": value})
    assert answer.status_code == 400
    assert answer.json() == {"parameter": "sources_at_least", "rule": answer.json()["rule"]}
    assert rule in answer.json()["rule"]


def test_a_data_url_takes_sources_at_least_once(client: TestClient):
    answer = client.get("/data/shipments.csv?sources_at_least=1&sources_at_least=2")
    assert answer.status_code == 400
    assert answer.json() == {"parameter": "sources_at_least", "rule": "must be given once (got 2)"}


def test_the_cli_export_takes_the_filter(database_url: str, capsys):
    run(database_url, "init", capsys=capsys)
    code, out, _ = run(database_url, "export", capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {int(r["id"]): int(r["corroborating_sources"]) for r in rows} == SEED
    code, out, _ = run(database_url, "export", "--sources-at-least", "2", capsys=capsys)
    assert code == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == ["4"]
    code, out, _ = run(database_url, "list", "--format", "csv", capsys=capsys)
    assert {
        int(r["id"]): int(r["corroborating_sources"]) for r in csv.DictReader(io.StringIO(out))
    } == SEED


@pytest.mark.parametrize(("value", "rule"), BAD_SOURCES_AT_LEAST)
def test_the_cli_export_refuses_a_bad_number_of_sources(database_url: str, capsys, value, rule):
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", database_url, "export", f"--sources-at-least={value}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --sources-at-least" in err
    assert rule in err


def test_the_ledger_page_shows_independent_sources_and_filters_by_them(
    seeded_engine: Engine, database_url: str, monkeypatch
):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = open_page(AppTest.from_file(DASHBOARD, default_timeout=60).run(), "ledger")
    table = app.dataframe[0].value
    assert dict(zip(table["id"], table["corroborating_sources"], strict=True)) == SEED
    labels = json.loads(app.dataframe[0].proto.columns)
    assert labels["corroborating_sources"]["label"] == "Independent sources"
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["sources_at_least"] = "2"
    app = open_page(app.run(), "ledger")
    assert not app.exception
    assert list(app.dataframe[0].value["id"]) == [4]
    assert app.text_input(key="sources_at_least").value == "2"
    assert "at least 2 independent sources" in app.caption[0].value
    app.text_input(key="sources_at_least").set_value("").run()
    assert list(app.dataframe[0].value["id"]) == [1, 2, 3, 4]


@pytest.mark.usefixtures("fresh_caches")
@pytest.mark.parametrize(("value", "rule"), BAD_SOURCES_AT_LEAST)
def test_the_page_refuses_a_bad_number_of_sources_by_name(
    seeded_engine: Engine, database_url: str, monkeypatch, value: str, rule: str
):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.query_params["sources_at_least"] = value
    app.run()
    for _ in range(2):  # said on every run, the box keeping what it was given
        assert not app.exception
        [warning] = [w.value.replace("\\", "") for w in app.warning]
        assert f"sources_at_least: {rule}" in warning
        assert metrics(app)["Deliveries"] == "4"  # refused, not clamped
        assert app.text_input(key="sources_at_least").value == value
        app = app.run()
    # The box on the Ledger page says so in the same words.
    app.text_input(key="sources_at_least").set_value(value).run()
    app = open_page(app, "ledger")
    assert any(rule in w.value.replace("\\", "") for w in app.warning)
    assert list(app.dataframe[0].value["id"]) == [1, 2, 3, 4]


@pytest.mark.usefixtures("fresh_caches")
def test_the_overview_headline_can_count_corroborated_shipments_only(
    seeded_engine: Engine, database_url: str, monkeypatch
):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert metrics(app)["Total delivered"] == "269.000 t"
    app.toggle(key="corroborated_only").set_value(True).run()
    assert not app.exception
    headline = metrics(app)
    assert headline["Total delivered (2+ sources)"] == "69.000 t"
    assert headline["Deliveries (2+ sources)"] == "1"
    assert headline["Latest delivery (2+ sources)"] == "2019-05-27"
    captions = [c.value.replace("\\", "") for c in app.caption]
    assert any("at least 2 independent sources: 1 of them" in c for c in captions)
    app.toggle(key="corroborated_only").set_value(False).run()
    assert metrics(app)["Deliveries"] == "4"


def test_as_of_counts_the_sources_of_the_revision_standing_then(session: Session):
    shipment = add(session, "2019-06-10")
    claim(session, "Ministry", "2019-06-10")
    time.sleep(0.01)
    before = utcnow()
    time.sleep(0.01)
    agency = {"url": "https://agency.example/a", "title": "A", "publisher": "Agency"}
    correction = parse(ShipmentCorrection, {"add_sources": [agency], "reason": "second report"})
    correct_shipment(
        session=session, shipment_id=shipment, correction_in=correction, by="ana", via="cli"
    )
    assert corroboration(session) == {shipment: 3}
    assert shown(session, 3) == [shipment]
    assert corroboration(session, as_of=before) == {shipment: 2}
    assert shown(session, 3, as_of=before) == []
    assert shown(session, 2, as_of=before) == [shipment]


def test_a_linked_record_the_sources_filter_leaves_out_is_not_taken_off_the_totals(
    seeded_session: Session,
):
    from test_consignments import MARCH_29, add_received, link

    received = add_received(seeded_session)  # Example News alone, as South Front sent it alone
    link(seeded_session, MARCH_29, received)
    assert ledger_totals(session=seeded_session).shipments == 4  # the pair counts once
    two = resolve(session=seeded_session, filters=ShipmentFilter(sources_at_least=2))
    totals = ledger_totals(session=seeded_session, filters=two)
    assert (totals.shipments, totals.mass_kg) == (1, 69_000)  # 27 May alone, nothing taken off
