"""Claims and their reconciliation against the ledger."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from factories import make_shipment, row_counts
from sqlalchemy import Engine, text
from sqlmodel import Session

from shipments.claims import list_claims, parse_reading_spec, record_claim
from shipments.errors import InvalidInput
from shipments.ledger import append_shipment, correct_shipment, retract_shipment
from shipments.models import ClaimCreate, ShipmentCorrection
from shipments.reconcile import (
    CONSISTENT,
    INCONSISTENT,
    NO_DATA,
    reconcile,
    tolerance,
    verdict_for,
)
from shipments.rules import parse, utcnow


def claim_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "claimant": "Ministry",
        "stated_on": "2019-06-10",
        "quote": "Almost 70 tonnes arrived",
        "metric": "tonnes",
        "value": "68",
        "qualifier": "exact",
        "source": {"url": "https://example.org/claim", "title": "T", "publisher": "P"},
        "readings": [parse_reading_spec("single:2019-06-10")],
    }
    data.update(overrides)
    return data


def make_claim(**overrides: Any) -> ClaimCreate:
    return parse(ClaimCreate, claim_data(**overrides))


def only_claim(session: Session, **kwargs: Any) -> Any:
    [result] = [c for c in reconcile(session=session, **kwargs).claims]
    return result


def test_seeded_claims_are_all_consistent(seeded_session: Session):
    result = reconcile(session=seeded_session)
    assert [c.verdict for c in result.claims] == [CONSISTENT] * 7
    assert not result.any_inconsistent
    ministry = result.claims[0]
    assert ministry.claim.value == "269"
    assert [
        (r.description, r.ledger_value, r.verdict, r.shipment_ids) for r in ministry.readings
    ] == [
        (
            "cumulative to 2019-05-27 (inclusive), donor China, recipient Venezuela",
            Decimal("269.000"),
            CONSISTENT,
            (1, 2, 3, 4),
        ),
        (
            "delivery on 2019-05-27, donor China, recipient Venezuela",
            Decimal("69.000"),
            INCONSISTENT,
            (4,),
        ),
    ]
    assert ministry.supported_by == (ministry.readings[0].reading_id,)
    approximately = result.claims[3]
    assert (approximately.claim.qualifier, approximately.readings[0].ledger_value) == (
        "approximately",
        Decimal("200.000"),
    )
    fourth = result.claims[1]
    assert (fourth.claim.metric, fourth.readings[0].ledger_value) == ("deliveries", Decimal(4))


def test_scopes_check_only_those_readings_and_leave_out_claims_without_one(
    seeded_session: Session,
):
    whole = reconcile(session=seeded_session)
    singles = reconcile(session=seeded_session, scopes={"single"})
    expected = {
        item.claim.id: [
            r.reading_id
            for r, spec in zip(item.readings, item.claim.readings, strict=True)
            if spec.scope == "single"
        ]
        for item in whole.claims
    }
    expected = {claim: ids for claim, ids in expected.items() if ids}
    assert {i.claim.id: [r.reading_id for r in i.readings] for i in singles.claims} == expected
    assert 0 < len(expected) < len(whole.claims)  # the seed has claims with no single reading
    by_id = {r.reading_id: r for item in whole.claims for r in item.readings}
    for item in singles.claims:
        for result in item.readings:
            assert result == by_id[result.reading_id]


def test_correction_makes_the_269_claim_inconsistent_but_not_as_of_before(
    seeded_session: Session,
):
    time.sleep(0.01)
    before = utcnow()
    time.sleep(0.01)
    correct_shipment(
        session=seeded_session,
        shipment_id=3,
        correction_in=parse(ShipmentCorrection, {"tonnes": "46", "reason": "test"}),
        by="ana",
        via="cli",
    )
    ministry = reconcile(session=seeded_session).claims[0]
    cumulative = ministry.readings[0]
    assert ministry.verdict == INCONSISTENT
    assert (cumulative.ledger_value, cumulative.difference, cumulative.difference_pct) == (
        Decimal("251.000"),
        Decimal("-18.000"),
        Decimal("-6.7"),
    )
    assert ministry.closest == cumulative
    then = reconcile(session=seeded_session, as_of=before)
    assert [c.verdict for c in then.claims] == [CONSISTENT] * 7


@pytest.mark.parametrize(
    ("value", "qualifier", "pct", "ledger", "verdict"),
    [
        ("269", "exact", None, "268.5", CONSISTENT),
        ("269", "exact", None, "269.5", CONSISTENT),
        ("269", "exact", None, "268.499", INCONSISTENT),
        ("269", "exact", None, "269.501", INCONSISTENT),
        ("64.5", "exact", None, "64.45", CONSISTENT),
        ("64.5", "exact", None, "64.55", CONSISTENT),
        ("64.5", "exact", None, "64.449", INCONSISTENT),
        ("64.5", "exact", None, "64.551", INCONSISTENT),
        ("200", "approximately", None, "190", CONSISTENT),
        ("200", "approximately", None, "210", CONSISTENT),
        ("200", "approximately", None, "189.999", INCONSISTENT),
        ("200", "approximately", None, "210.001", INCONSISTENT),
        ("200", "approximately", "10", "180", CONSISTENT),
        ("200", "approximately", "10", "179.999", INCONSISTENT),
        ("200", "at_least", None, "200", CONSISTENT),
        ("200", "at_least", None, "90000", CONSISTENT),
        ("200", "at_least", None, "199.999", INCONSISTENT),
        ("200", "at_most", None, "200", CONSISTENT),
        ("200", "at_most", None, "0.001", CONSISTENT),
        ("200", "at_most", None, "200.001", INCONSISTENT),
    ],
)
def test_tolerance_at_its_boundary(value, qualifier, pct, ledger, verdict):
    low, high = tolerance(Decimal(value), qualifier, Decimal(pct) if pct else None)
    assert verdict_for(Decimal(ledger), low, high) == verdict


@pytest.mark.parametrize(
    ("qualifier", "value", "ledger", "verdict"),
    [
        ("exact", "269", "269.5", CONSISTENT),
        ("exact", "269", "269.501", INCONSISTENT),
        ("approximately", "200", "190", CONSISTENT),
        ("approximately", "200", "189.999", INCONSISTENT),
        ("at_least", "200", "199.999", INCONSISTENT),
        ("at_most", "200", "200", CONSISTENT),
    ],
)
def test_tolerance_boundary_through_the_ledger(session: Session, qualifier, value, ledger, verdict):
    append_shipment(session=session, shipment_in=make_shipment(tonnes=ledger), by="ana", via="cli")
    record_claim(
        session=session, claim_in=make_claim(value=value, qualifier=qualifier), by="ana", via="cli"
    )
    result = only_claim(session)
    assert (result.verdict, result.readings[0].ledger_value) == (verdict, Decimal(ledger))


def test_claim_with_no_matching_shipments_has_no_data(session: Session):
    append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
    record_claim(
        session=session,
        claim_in=make_claim(readings=[parse_reading_spec("single:2019-06-11")]),
        by="ana",
        via="cli",
    )
    result = only_claim(session)
    assert result.verdict == NO_DATA
    assert result.readings[0].ledger_value is None
    assert result.readings[0].shipment_ids == ()
    assert result.closest is None


def test_consistent_if_any_reading_is(session: Session):
    append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
    readings = [parse_reading_spec(s) for s in ("single:2019-06-11", "cumulative:2019-06-10")]
    record_claim(session=session, claim_in=make_claim(readings=readings), by="ana", via="cli")
    result = only_claim(session)
    assert [r.verdict for r in result.readings] == [NO_DATA, CONSISTENT]
    assert result.verdict == CONSISTENT


@pytest.fixture
def two_donors(session: Session) -> Session:
    for donor, recipient, cargo, tonnes in [
        ("China", "Venezuela", "medicine", "69"),
        ("Russia", "Venezuela", "medicine", "300"),
        ("China", "Cuba", "medicine", "10"),
        ("China", "Venezuela", "food", "5"),
    ]:
        append_shipment(
            session=session,
            shipment_in=make_shipment(
                event_date="2019-05-27",
                donor=donor,
                recipient=recipient,
                cargo=cargo,
                tonnes=tonnes,
            ),
            by="ana",
            via="cli",
        )
    return session


@pytest.mark.parametrize(
    ("spec", "ledger", "ids"),
    [
        ("single:2019-05-27", "384", (1, 2, 3, 4)),
        ("single:2019-05-27,donor=China", "84", (1, 3, 4)),
        ("single:2019-05-27,donor=china,recipient=VENEZUELA", "74", (1, 4)),
        ("single:2019-05-27,donor=China,recipient=Venezuela,cargo=medicine", "69", (1,)),
        ("single:2019-05-27,donor=Russia", "300", (2,)),
        ("single:2019-05-27,recipient=Cuba", "10", (3,)),
        ("period:2019-05-01:2019-05-31,donor=China,recipient=Venezuela", "74", (1, 4)),
        ("cumulative-before:2019-05-27", None, ()),
    ],
)
@pytest.mark.parametrize("one_pass_from", [0, 1000], ids=["one-pass", "queries"])
def test_filters_and_scopes(
    two_donors: Session, spec: str, ledger: str | None, ids: tuple, one_pass_from: int
):
    claim_in = make_claim(readings=[parse_reading_spec(spec)], qualifier="at_least", value="1")
    record_claim(session=two_donors, claim_in=claim_in, by="ana", via="cli")
    [reading] = only_claim(two_donors, one_pass_from=one_pass_from).readings
    assert reading.ledger_value == (Decimal(ledger) if ledger else None)
    assert reading.shipment_ids == ids


def test_claim_keeps_its_source_and_readings_in_order(session: Session):
    readings = [parse_reading_spec(s) for s in ("cumulative:2019-05-27", "single:2019-05-27")]
    claim = record_claim(
        session=session, claim_in=make_claim(readings=readings), by="ana", via="cli"
    )
    [listed] = list_claims(session=session)
    assert listed == claim
    assert [r.scope for r in listed.readings] == ["cumulative", "single"]
    assert listed.source.url == "https://example.org/claim"
    assert listed.recorded_by == "ana"


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"claimant": " "}, "claimant", "must not be empty"),
        ({"quote": ""}, "quote", "verbatim quote is required"),
        ({"metric": "pallets"}, "metric", "tonnes or deliveries"),
        ({"value": "0"}, "value", "greater than 0"),
        ({"value": "-3"}, "value", "greater than 0"),
        ({"value": "nan"}, "value", "finite number"),
        ({"value": "2.69e2"}, "value", "written like 64 or 64.5"),
        ({"value": "١٢"}, "value", "written like 64 or 64.5"),
        ({"value": "1_000"}, "value", "written like 64 or 64.5"),
        ({"value": "1.0005"}, "value", "at most 3 decimals"),
        ({"metric": "deliveries", "value": "4.5"}, "value", "whole number"),
        ({"qualifier": "roughly"}, "qualifier", "must be one of exact"),
        ({"tolerance_pct": "5"}, "tolerance_pct", "applies only to the qualifier 'approximately'"),
        ({"qualifier": "approximately", "tolerance_pct": "0"}, "tolerance_pct", "more than 0"),
        ({"qualifier": "approximately", "tolerance_pct": "2.555"}, "tolerance_pct", "2 decimals"),
        ({"qualifier": "approximately", "tolerance_pct": "1e1"}, "tolerance_pct", "written like"),
        ({"stated_on": "2019-02-30"}, "stated_on", "real calendar date"),
        ({"readings": []}, "readings", "at least one reading"),
        ({"readings": [{"scope": "someday", "end": "2019-05-27"}]}, "readings.0.scope", "one of"),
        ({"readings": [{"scope": "single", "end": "2099-01-01"}]}, "readings.0.end", "future"),
        (
            {"readings": [{"scope": "period", "start": "2019-06-01", "end": "2019-05-01"}]},
            "readings.0",
            "is after its end",
        ),
        (
            {"readings": [{"scope": "single", "end": "2019-05-27", "donor": "a\x07"}]},
            "readings.0.donor",
            "control characters",
        ),
        ({"source": {"url": "ftp://x", "title": "T", "publisher": "P"}}, "source.url", "http"),
    ],
)
def test_bad_claims_are_refused_and_nothing_is_written(
    seeded_session: Session, seeded_engine: Engine, overrides, field, rule
):
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput) as refused:
        parse(ClaimCreate, claim_data(**overrides))
    assert refused.value.problems[0].field == field
    assert rule in refused.value.problems[0].rule
    assert row_counts(seeded_engine) == before


def test_a_failure_after_the_first_insert_leaves_nothing_behind(
    seeded_session: Session, seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
):
    """A claim whose source and claim rows are flushed, then fails, is rolled back whole."""
    import shipments.claims

    before = row_counts(seeded_engine)

    def broken(**_: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(shipments.claims, "ClaimReading", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        record_claim(session=seeded_session, claim_in=make_claim(), by="ana", via="cli")
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("single:2019-05-27,country=Venezuela", "must be donor=, recipient=, cargo= or basis="),
        ("cumulative:2019-05-27,donor=", "filter donor= needs a value"),
        ("single:2019-05-27,donor=China,donor=Russia", "filter donor= is given twice"),
    ],
)
def test_bad_reading_specs_are_refused(spec: str, rule: str):
    with pytest.raises(InvalidInput, match=rule):
        parse_reading_spec(spec)


def test_claim_needs_who_records_it(seeded_session: Session, seeded_engine: Engine):
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput) as refused:
        record_claim(session=seeded_session, claim_in=make_claim(), by=" ", via="cli")
    assert refused.value.fields() == {"by"}
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("cumulative:2019-05-27", {"scope": "cumulative", "end": "2019-05-27"}),
        (
            "cumulative-before:2019-05-27",
            {"scope": "cumulative", "inclusive": False, "end": "2019-05-27"},
        ),
        (
            "single:2019-05-27,donor=China",
            {"scope": "single", "end": "2019-05-27", "donor": "China"},
        ),
        (
            "period:2019-05-01:2019-05-31",
            {"scope": "period", "start": "2019-05-01", "end": "2019-05-31"},
        ),
    ],
)
def test_reading_specs(spec: str, fields: dict[str, Any]):
    assert parse_reading_spec(spec) == fields


@pytest.mark.parametrize("one_pass_from", [0, 1000], ids=["one-pass", "queries"])
def test_names_match_without_regard_to_case_in_any_script(session: Session, one_pass_from: int):
    append_shipment(
        session=session,
        shipment_in=make_shipment(donor="Türkiye", recipient="Straße"),
        by="ana",
        via="cli",
    )
    spec = "single:2019-06-10,donor=TÜRKIYE,recipient=STRASSE"
    record_claim(
        session=session,
        claim_in=make_claim(readings=[parse_reading_spec(spec)]),
        by="ana",
        via="cli",
    )
    [reading] = only_claim(session, one_pass_from=one_pass_from).readings
    assert (reading.ledger_value, reading.shipment_ids) == (Decimal("68.000"), (1,))


def _many_claims_ledger(session: Session) -> None:
    """Shipments over a century of dates and many names, corrected and retracted, and claims
    with every kind of reading, so that both ways of reconciling meet every case."""
    names = [("China", "Venezuela"), ("Russia", "Cuba"), ("china", "VENEZUELA"), ("Straße", "Cuba")]
    days = ["1905-03-01", "1969-12-31", "1970-01-01", "2019-05-27", "2019-05-27", "2019-06-10"]
    added = []
    for n in range(24):
        donor, recipient = names[n % len(names)]
        shipment_in = make_shipment(
            event_date=days[n % len(days)],
            donor=donor,
            recipient=recipient,
            cargo=("medicine", "food")[n % 2],
            tonnes=f"{n + 1}.{n:03d}",
        )
        added.append(append_shipment(session=session, shipment_in=shipment_in, by="ana", via="cli"))
    correct_shipment(
        session=session,
        shipment_id=added[3].id,
        correction_in=parse(ShipmentCorrection, {"event_date": "2019-06-11", "reason": "date"}),
        by="ana",
        via="cli",
    )
    retract_shipment(session=session, shipment_id=added[5].id, reason="twice", by="ana", via="cli")
    specs = [
        "cumulative:2019-06-10",
        "cumulative-before:2019-05-27",
        "cumulative:1969-12-31,donor=CHINA",
        "single:2019-05-27",
        "single:2019-05-27,donor=china,recipient=venezuela,cargo=food",
        "period:1905-01-01:1970-01-01,recipient=Cuba",
        "period:1970-01-01:2019-06-11,donor=STRASSE",
        "period:2019-05-28:2019-06-09",
        "single:2019-06-10,donor=Nobody",
        "cumulative:2026-01-01,cargo=medicine",
    ]
    for n, spec in enumerate(specs):
        claim_in = make_claim(
            readings=[parse_reading_spec(spec), parse_reading_spec("cumulative:2019-06-10")],
            metric=("tonnes", "deliveries")[n % 2],
            value="1" if n % 3 == 0 else str(10 + n),
            qualifier="at_least" if n % 3 == 0 else "approximately",
        )
        record_claim(session=session, claim_in=claim_in, by="ana", via="cli")


@pytest.mark.parametrize("listed", [1000, 3])
def test_one_pass_and_queries_give_the_same_reconciliation(
    session: Session, monkeypatch: pytest.MonkeyPatch, listed: int
):
    monkeypatch.setattr("shipments.reconcile.LISTED", listed)
    _many_claims_ledger(session)
    by_queries = reconcile(session=session, one_pass_from=10_000)
    one_pass = reconcile(session=session, one_pass_from=0)
    assert one_pass == by_queries
    readings = [r for c in by_queries.claims for r in c.readings]
    assert {r.verdict for r in readings} == {CONSISTENT, INCONSISTENT, NO_DATA}
    widest = max(r.shipment_count for r in readings)
    assert widest == 22  # 24 shipments, one retracted, one moved after the last day claimed
    assert max(len(r.shipment_ids) for r in readings) == min(listed, widest)
    assert any(r.shipment_count > len(r.shipment_ids) for r in readings) == (listed == 3)
    # Without ids: the same counts, sums and verdicts, and no ids.
    for strategy in (0, 10_000):
        bare = reconcile(session=session, list_ids=False, one_pass_from=strategy)
        assert bare == replace_ids(by_queries)


def replace_ids(result: Any) -> Any:
    from dataclasses import replace

    return replace(
        result,
        claims=tuple(
            replace(c, readings=tuple(replace(r, shipment_ids=()) for r in c.readings))
            for c in result.claims
        ),
    )


def test_one_pass_on_an_empty_ledger(session: Session):
    record_claim(session=session, claim_in=make_claim(), by="ana", via="cli")
    [reading] = only_claim(session, one_pass_from=0).readings
    assert (reading.verdict, reading.shipment_count) == (NO_DATA, 0)


def test_one_pass_whatever_the_servers_date_style(engine: Engine, database_url: str):
    """PostgreSQL prints dates as its DateStyle says (10/06/2019 with SQL, DMY); the one pass
    must read them as days all the same. On SQLite the same test runs without the setting."""
    from sqlalchemy.engine import make_url

    from shipments.db import make_engine

    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        options = f"{url.query.get('options', '')} -cdatestyle=SQL,DMY".strip()
        url = url.update_query_dict({"options": options})
    styled = make_engine(url.render_as_string(hide_password=False))
    try:
        with Session(styled) as session:
            if url.get_backend_name() == "postgresql":
                assert session.execute(text("SELECT DATE '2019-06-10'::text")).scalar_one() == (
                    "10/06/2019"
                )
            _many_claims_ledger(session)
            assert reconcile(session=session, one_pass_from=0) == reconcile(
                session=session, one_pass_from=10_000
            )
    finally:
        styled.dispose()


def test_as_of_a_moment_the_claims_are_those_recorded_by_then(seeded_session: Session):
    """A past report stays as it was: a claim recorded later is not in it."""
    time.sleep(0.01)
    before = utcnow()
    time.sleep(0.01)
    then = reconcile(session=seeded_session, as_of=before)
    record_claim(
        session=seeded_session,
        claim_in=make_claim(
            value="1000", qualifier="exact", readings=[parse_reading_spec("cumulative:2019-05-27")]
        ),
        by="ana",
        via="cli",
    )
    assert reconcile(session=seeded_session).any_inconsistent
    again = reconcile(session=seeded_session, as_of=before)
    assert again == then
    assert not again.any_inconsistent
    assert len(again.claims) == 7
    assert reconcile(session=seeded_session, as_of=datetime(1, 1, 1, tzinfo=UTC)).claims == ()


def test_one_pass_as_of_any_moment_gives_what_the_queries_give(session: Session):
    """As of each moment a revision was recorded (and now), the ledger read once as it stood
    then answers every reading as the per-reading queries over the history do."""
    from sqlmodel import col, select

    from shipments.models import ShipmentRevision
    from shipments.rules import utcnow

    _many_claims_ledger(session)
    # After the claims: more history, so that the moments after them see different ledgers.
    for shipment_id, tonnes in ((1, "7.5"), (2, "300"), (7, "0.25")):
        correct_shipment(
            session=session,
            shipment_id=shipment_id,
            correction_in=parse(ShipmentCorrection, {"tonnes": tonnes, "reason": "weighed"}),
            by="ana",
            via="cli",
        )
    retract_shipment(session=session, shipment_id=8, reason="twice", by="ana", via="cli")
    moments = sorted(set(session.exec(select(col(ShipmentRevision.recorded_at))).all()))
    assert len(moments) > 3
    assert reconcile(session=session, as_of=moments[-5]) != reconcile(session=session)
    for moment in [*moments, utcnow()]:
        by_queries = reconcile(session=session, as_of=moment, one_pass_from=10_000)
        one_pass = reconcile(session=session, as_of=moment, one_pass_from=0)
        assert one_pass == by_queries, moment


def test_listed_claims_are_what_validating_each_again_gives(seeded_session: Session):
    """list_claims builds its models without validating what the database holds: the same
    models, field for field and type for type, as validating them would give."""
    from shipments.claims import list_claims, parse_reading_spec, record_claim
    from shipments.models import ClaimPublic

    claim = make_claim(
        value="12.5",
        qualifier="approximately",
        tolerance_pct="2.5",
        stated_on="2019-06-01",
        note="a note",
        readings=[parse_reading_spec("period:2019-05-01:2019-05-31,cargo=Medicine,basis=sent")],
    )
    record_claim(session=seeded_session, claim_in=claim, by="ana", via="cli")
    listed = list_claims(session=seeded_session)
    assert len(listed) == 8
    for item in listed:
        validated = ClaimPublic.model_validate(item.model_dump())
        assert item == validated
        assert [type(v) for v in item.__dict__.values()] == [
            type(v) for v in validated.__dict__.values()
        ]
        for ours, theirs in zip(item.readings, validated.readings, strict=True):
            assert ours.__dict__ == theirs.__dict__
            assert [type(v) for v in ours.__dict__.values()] == [
                type(v) for v in theirs.__dict__.values()
            ]
    assert listed[-1].tolerance_pct == Decimal("2.5")
    assert listed[-1].readings[0].basis == "sent"


@pytest.mark.parametrize("one_pass_from", [0, 1000], ids=["one-pass", "queries"])
def test_listed_scopes_lists_the_ids_of_those_readings_only(
    seeded_session: Session, one_pass_from: int
):
    every = reconcile(session=seeded_session, one_pass_from=one_pass_from)
    singles = reconcile(
        session=seeded_session, listed_scopes={"single"}, one_pass_from=one_pass_from
    )
    scopes = {r.id: r.scope for c in every.claims for r in c.claim.readings}
    pairs = [
        (ours, theirs)
        for a, b in zip(singles.claims, every.claims, strict=True)
        for ours, theirs in zip(a.readings, b.readings, strict=True)
    ]
    assert {scopes[ours.reading_id] for ours, _ in pairs} >= {"single", "cumulative"}
    for ours, theirs in pairs:
        assert (ours.verdict, ours.shipment_count, ours.ledger_value) == (
            theirs.verdict,
            theirs.shipment_count,
            theirs.ledger_value,
        )
        wanted = theirs.shipment_ids if scopes[ours.reading_id] == "single" else ()
        assert ours.shipment_ids == wanted
    assert any(ours.shipment_ids for ours, _ in pairs)
