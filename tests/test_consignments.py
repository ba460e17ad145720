"""Consignments: a sent and a received record of one cargo, linked, counted once everywhere."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from factories import make_shipment, row_counts
from sqlalchemy import Engine, text
from sqlmodel import Session

from shipments.errors import InvalidInput
from shipments.ledger import (
    ShipmentFilter,
    append_shipment,
    correct_shipment,
    current_shipments,
    daily_totals,
    ledger_totals,
    link_consignment,
    list_consignments,
    retract_shipment,
    unlink_consignment,
)
from shipments.models import ConsignmentCreate, ShipmentCorrection
from shipments.reconcile import reconcile
from shipments.rules import parse, utcnow

MARCH_29 = 1  # the seed's first delivery: sent 2019-03-29, 65 t
MAY_27 = 4  # received 2019-05-27, 69 t
MINISTRY_269 = 1  # "269 Toneladas" at the fourth delivery: "Arriba a Venezuela" (received)
SEED_KG = 269_000


def add_received(session: Session, **overrides: str) -> int:
    """Record the 29 March consignment again, as received on 5 April (65 t): shipment 5."""
    facts = {
        "event_date": "2019-04-05",
        "date_means": "received",
        "donor": "China",
        "recipient": "Venezuela",
        "cargo": "medicine",
        "tonnes": "65",
        **overrides,
    }
    added = append_shipment(
        session=session, shipment_in=make_shipment(**facts), by="ana", via="cli"
    )
    return added.id


def link(session: Session, first: int, second: int, reason: str | None = None) -> None:
    link_consignment(
        session=session,
        link_in=parse(
            ConsignmentCreate, {"first_id": first, "second_id": second, "reason": reason}
        ),
        by="ana",
        via="cli",
    )


def ministry(session: Session, as_of: object = None) -> tuple[str, Decimal | None]:
    result = reconcile(session=session, as_of=as_of)  # type: ignore[arg-type]
    [claim] = [c for c in result.claims if c.claim.id == MINISTRY_269]
    cumulative = claim.readings[0]
    return claim.verdict, cumulative.ledger_value


def test_a_received_record_linked_to_its_sent_record_leaves_the_total_at_269(
    seeded_session: Session,
):
    received = add_received(seeded_session)
    # Unlinked, the same cargo counts twice: the ledger says 334 t and the ministry is contradicted.
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG + 65_000
    assert ministry(seeded_session) == ("inconsistent", Decimal("334"))

    link(seeded_session, MARCH_29, received, "one ship: sent 29 March, unloaded 5 April")

    totals = ledger_totals(session=seeded_session)
    assert (totals.shipments, totals.mass_kg) == (4, SEED_KG)
    assert ministry(seeded_session) == ("consistent", Decimal("269"))
    # Both records remain, each with its sources.
    shown = {s.id: s for s in current_shipments(session=seeded_session)}
    assert {MARCH_29, received} <= set(shown)
    assert shown[received].sources
    assert shown[MARCH_29].sources
    [standing] = list_consignments(session=seeded_session)
    assert (standing.sent_id, standing.received_id, standing.recorded_by) == (
        MARCH_29,
        received,
        "ana",
    )


def test_the_daily_series_counts_a_consignment_on_its_sent_day(seeded_session: Session):
    received = add_received(seeded_session)
    link(seeded_session, received, MARCH_29)  # either order: the records say which is which
    days = {d.event_date: (d.shipments, d.mass_kg) for d in daily_totals(session=seeded_session)}
    assert days[date(2019, 3, 29)] == (1, 65_000)
    assert days[date(2019, 4, 5)] == (0, 0)  # the received record's day counts nothing
    assert sum(kg for _, kg in days.values()) == SEED_KG
    # A view that holds only the received record counts nothing for it.
    april = ShipmentFilter(date_from=date(2019, 4, 1), date_to=date(2019, 4, 30))
    assert ledger_totals(session=seeded_session, filters=april).mass_kg == 0
    [day] = daily_totals(session=seeded_session, filters=april)
    assert (day.event_date, day.shipments, day.mass_kg, day.records) == (date(2019, 4, 5), 0, 0, 1)
    assert ledger_totals(session=seeded_session, filters=april).records == 1


def test_each_reading_counts_the_record_its_basis_names(seeded_session: Session):
    received = add_received(seeded_session, tonnes="64")  # 1 t lost in transit
    link(seeded_session, MARCH_29, received)
    result = reconcile(session=seeded_session)
    by_claim = {c.claim.id: c for c in result.claims}
    # The ministry's wording ("Arriba", arrives) counts received records: 64 + 71 + 64 + 69.
    cumulative = by_claim[MINISTRY_269].readings[0]
    assert (cumulative.basis, cumulative.ledger_value, cumulative.counted_once) == (
        "received",
        Decimal("268"),
        1,
    )
    assert received in cumulative.shipment_ids
    assert MARCH_29 not in cumulative.shipment_ids
    assert "1 consignment counted once, by its received record" in cumulative.description
    # The press's "sent on March 29 ... 65 tons" counts the sent record.
    [march] = [c for c in result.claims if "March 29" in c.claim.quote]
    assert march.readings[0].basis == "sent"
    assert march.verdict == "consistent"


def test_a_reading_may_name_its_basis(seeded_session: Session):
    from shipments.claims import record_claim
    from shipments.models import ClaimCreate

    received = add_received(seeded_session, tonnes="64")
    link(seeded_session, MARCH_29, received)
    claim_in = parse(
        ClaimCreate,
        {
            "claimant": "A port authority",
            "quote": "65 tonnes of medicine came through in the first consignment",
            "metric": "tonnes",
            "value": "64",
            "qualifier": "exact",
            "source": {"url": "https://example.org/port", "title": "Port", "publisher": "Port"},
            "readings": [
                {"scope": "cumulative", "end": "2019-04-30", "donor": "China", "basis": "received"}
            ],
        },
    )
    claim = record_claim(session=seeded_session, claim_in=claim_in, by="ana", via="cli")
    [checked] = [c for c in reconcile(session=seeded_session).claims if c.claim.id == claim.id]
    assert checked.readings[0].ledger_value == Decimal("64")
    assert checked.verdict == "consistent"
    wrong = {"scope": "cumulative", "end": "2019-04-30", "basis": "arrived"}
    with pytest.raises(InvalidInput) as refused:
        parse(ClaimCreate, {**claim_in.model_dump(), "readings": [wrong]})
    assert refused.value.fields() == {"readings.0.basis"}
    assert "must be one of sent, received (got 'arrived')" in str(refused.value)


def test_a_retracted_record_ends_its_consignment_and_the_other_counts_alone(
    seeded_session: Session,
):
    received = add_received(seeded_session)
    link(seeded_session, MARCH_29, received)
    retract_shipment(
        session=seeded_session, shipment_id=MARCH_29, reason="test", by="ana", via="cli"
    )
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG
    days = {d.event_date for d in daily_totals(session=seeded_session)}
    assert date(2019, 4, 5) in days
    assert date(2019, 3, 29) not in days
    assert list_consignments(session=seeded_session) == []


def test_unlinking_counts_both_again_and_needs_a_reason(seeded_session: Session):
    received = add_received(seeded_session)
    link(seeded_session, MARCH_29, received)
    before = row_counts(seeded_session.get_bind())  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        unlink_consignment(
            session=seeded_session,
            link_in=parse(ConsignmentCreate, {"first_id": MARCH_29, "second_id": received}),
            by="ana",
            via="cli",
        )
    assert refused.value.fields() == {"reason"}
    assert row_counts(seeded_session.get_bind()) == before  # type: ignore[arg-type]
    unlink_consignment(
        session=seeded_session,
        link_in=parse(
            ConsignmentCreate,
            {"first_id": received, "second_id": MARCH_29, "reason": "two ships after all"},
        ),
        by="bo",
        via="cli",
    )
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG + 65_000


def test_as_of_a_moment_before_the_link_both_records_count(seeded_session: Session):
    received = add_received(seeded_session)
    between = utcnow() + timedelta(microseconds=1)
    seeded_session.commit()
    link(seeded_session, MARCH_29, received)
    assert ledger_totals(session=seeded_session, as_of=between).mass_kg == SEED_KG + 65_000
    assert ledger_totals(session=seeded_session, as_of=utcnow()).mass_kg == SEED_KG
    assert ministry(seeded_session, as_of=between)[0] == "inconsistent"
    assert ministry(seeded_session, as_of=utcnow()) == ("consistent", Decimal("269"))


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"donor": "Russia"}, "donor", "one consignment has one donor"),
        ({"recipient": "Cuba"}, "recipient", "one consignment has one recipient"),
        ({"tonnes": "70"}, "tonnes", "7.7 % apart, more than the 5 %"),
        ({"event_date": "2019-03-28"}, "event_date", "dated before the sent record"),
        ({"date_means": "sent"}, "second_id", "are both dated when sent"),
    ],
)
def test_a_link_that_cannot_be_one_cargo_is_refused_naming_what_differs(
    seeded_session: Session, overrides: dict[str, str], field: str, rule: str
):
    other = add_received(seeded_session, **overrides)
    before = row_counts(seeded_session.get_bind())  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        link(seeded_session, MARCH_29, other)
    assert refused.value.fields() == {field}
    assert rule in str(refused.value)
    assert row_counts(seeded_session.get_bind()) == before  # type: ignore[arg-type]
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG + other_kg(overrides)


def other_kg(overrides: dict[str, str]) -> int:
    return int(Decimal(overrides.get("tonnes", "65")) * 1000)


def test_names_are_compared_without_regard_to_case(seeded_session: Session):
    received = add_received(seeded_session, donor="CHINA", recipient="venezuela")
    link(seeded_session, MARCH_29, received)
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG


@pytest.mark.parametrize(
    ("first", "second", "field", "rule"),
    [
        (MARCH_29, MARCH_29, "second_id", "with itself"),
        (MARCH_29, 99, "second_id", "no current shipment with ID 99"),
        (99, MARCH_29, "first_id", "no current shipment with ID 99"),
    ],
)
def test_a_link_to_no_record_or_itself_is_refused(
    seeded_session: Session, first: int, second: int, field: str, rule: str
):
    with pytest.raises(InvalidInput) as refused:
        link(seeded_session, first, second)
    assert refused.value.fields() == {field}
    assert rule in str(refused.value)


def test_a_record_links_to_one_other_only(seeded_session: Session):
    received = add_received(seeded_session)
    again = add_received(seeded_session, event_date="2019-04-06")
    link(seeded_session, MARCH_29, received)
    with pytest.raises(InvalidInput, match="already linked with shipment 5"):
        link(seeded_session, MARCH_29, again)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tonnes": "80"}, "tonnes"),
        ({"donor": "Russia"}, "donor"),
        ({"date_means": "sent"}, "date_means"),
        ({"event_date": "2019-03-01"}, "event_date"),
    ],
)
def test_a_correction_that_would_break_a_standing_link_is_refused(
    seeded_session: Session, change: dict[str, str], field: str
):
    received = add_received(seeded_session)
    link(seeded_session, MARCH_29, received)
    with pytest.raises(InvalidInput) as refused:
        correct_shipment(
            session=seeded_session,
            shipment_id=received,
            correction_in=parse(ShipmentCorrection, {**change, "reason": "test"}),
            by="ana",
            via="cli",
        )
    assert refused.value.fields() == {field}
    assert "linked with shipment 1 as one consignment" in str(refused.value)
    # Within the rules a correction goes through, and the consignment follows it.
    correct_shipment(
        session=seeded_session,
        shipment_id=received,
        correction_in=parse(ShipmentCorrection, {"tonnes": "64", "reason": "weighed again"}),
        by="ana",
        via="cli",
    )
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG


def test_links_are_never_updated_or_deleted(seeded_engine: Engine):
    with Session(seeded_engine) as session:
        received = add_received(session)
        link(session, MARCH_29, received)
    for statement in (
        "UPDATE consignment_link SET action = 'unlink'",
        "DELETE FROM consignment_link",
    ):
        with seeded_engine.connect() as connection, pytest.raises(Exception, match="append-only"):
            connection.execute(text(statement))
    with Session(seeded_engine) as session:
        assert ledger_totals(session=session).mass_kg == SEED_KG


def test_may_27_record_is_received_and_links_to_nothing_by_itself(seeded_session: Session):
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG
    assert list_consignments(session=seeded_session) == []
    assert MAY_27 in {s.id for s in current_shipments(session=seeded_session)}


def cli(url: str, *args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from shipments.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(["--database-url", url, *args], stdout=out)
        except SystemExit as exc:  # argparse's own refusals (a required option missing)
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_the_cli_links_lists_counts_once_and_unlinks(seeded_engine: Engine, database_url: str):
    with Session(seeded_engine) as session:
        received = add_received(session)
    code, out, _ = cli(database_url, "consignments", "link", str(received), "1", "--by", "ana")
    assert code == 0
    assert "shipments 1 (sent) and 5 (received) are one consignment" in out
    code, out, _ = cli(database_url, "list")
    assert "5 records, 4 shipments (1 consignment of a sent and a received record counted" in out
    assert out.rstrip().endswith("269.000 t")
    code, out, _ = cli(database_url, "reconcile")
    assert code == 0  # every claim holds with the consignment counted once
    code, out, _ = cli(database_url, "consignments", "list", "--format", "json")
    [shown] = __import__("json").loads(out)
    assert (shown["sent_id"], shown["received_id"], shown["recorded_by"]) == (1, 5, "ana")
    code, _, err = cli(database_url, "consignments", "unlink", "1", "5", "--by", "ana")
    assert code == 2
    assert "--reason" in err
    code, out, _ = cli(
        database_url, "consignments", "unlink", "1", "5", "--reason", "two ships", "--by", "bo"
    )
    assert code == 0
    code, out, _ = cli(database_url, "list")
    assert out.rstrip().endswith("5 shipments, 334.000 t")
    assert cli(database_url, "reconcile")[0] == 1  # 334 t contradicts the ministry's 269


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("x", "1"), "first_id (FIRST): must be a shipment ID, a whole number (got 'x')"),
        (
            ("1", "0"),
            "second_id (SECOND): must be a shipment ID, a whole number from 1 to 2147483647",
        ),
        (("2", "3"), "are both dated when sent"),
        (("1", "77"), "there is no current shipment with ID 77"),
    ],
)
def test_the_cli_refuses_a_bad_link_naming_the_argument(
    seeded_engine: Engine, database_url: str, args: tuple[str, str], said: str
):
    before = row_counts(seeded_engine)
    code, _, err = cli(database_url, "consignments", "link", *args, "--by", "ana")
    assert code == 2
    assert said in err
    assert row_counts(seeded_engine) == before


IMPORT_HEADER = "date,date_means,donor,recipient,cargo,tonnes,source_url,same_consignment_as\n"
RECEIVED_ROW = (
    "2019-04-05,received,China,Venezuela,medicine,{tonnes},https://example.org/port,{ref}\n"
)


def import_text(session: Session, tmp_path, text: str, *, preview: bool = False):
    from shipments.exchange.import_rows import ImportOptions
    from shipments.exchange.imports import import_file, preview_file

    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    if preview:
        return preview_file(session=session, path=path, options=ImportOptions())
    return import_file(session=session, path=path, options=ImportOptions(), by="ana")


def test_an_import_column_links_each_row_to_the_shipment_it_names(
    seeded_session: Session, tmp_path
):
    text = IMPORT_HEADER + RECEIVED_ROW.format(tonnes="65", ref="1")
    preview = import_text(seeded_session, tmp_path, text, preview=True)
    assert (preview.rows_valid, preview.problems) == (1, [])
    assert preview.preview[0]["same_consignment_as"] == 1
    report = import_text(seeded_session, tmp_path, text)
    assert report.committed
    assert ledger_totals(session=seeded_session).mass_kg == SEED_KG
    [standing] = list_consignments(session=seeded_session)
    assert (standing.sent_id, standing.received_id) == (MARCH_29, 5)


@pytest.mark.parametrize(
    ("rows", "line", "rule"),
    [
        (RECEIVED_ROW.format(tonnes="65", ref="77"), 2, "there is no current shipment with ID 77"),
        (RECEIVED_ROW.format(tonnes="65", ref="4"), 2, "are both dated when received"),
        (RECEIVED_ROW.format(tonnes="80", ref="1"), 2, "23.1 % apart, more than the 5 %"),
        (RECEIVED_ROW.format(tonnes="65", ref="x"), 2, "must be a shipment ID, a whole number"),
        (
            RECEIVED_ROW.format(tonnes="65", ref="1")
            + RECEIVED_ROW.format(tonnes="65", ref="1").replace("04-05", "04-06"),
            3,
            "shipment 1 is linked by line 2 of this file",
        ),
    ],
)
def test_an_import_refuses_a_row_that_cannot_be_one_consignment_by_line_and_field(
    seeded_session: Session, tmp_path, rows: str, line: int, rule: str
):
    before = row_counts(seeded_session.get_bind())  # type: ignore[arg-type]
    report = import_text(seeded_session, tmp_path, IMPORT_HEADER + rows)
    assert not report.committed
    [problem] = report.problems
    assert (problem.line, problem.field) == (line, "same_consignment_as")
    assert rule in problem.rule
    assert row_counts(seeded_session.get_bind()) == before  # type: ignore[arg-type]


def test_an_import_refuses_to_link_a_shipment_already_linked(seeded_session: Session, tmp_path):
    received = add_received(seeded_session)
    link(seeded_session, MARCH_29, received)
    text = IMPORT_HEADER + RECEIVED_ROW.format(tonnes="65", ref="1").replace("04-05", "04-07")
    report = import_text(seeded_session, tmp_path, text)
    [problem] = report.problems
    assert "shipment 1 is already linked with shipment 5 as one consignment" in problem.rule


def test_our_own_exports_column_is_not_read_back_and_the_import_says_so(
    seeded_session: Session, tmp_path
):
    import io

    from shipments.exchange.export import write_shipments

    received = add_received(seeded_session)
    link(seeded_session, MARCH_29, received)
    exported = io.StringIO()
    write_shipments(session=seeded_session, file=exported)
    lines = exported.getvalue().splitlines()
    assert lines[0].split(",").count("same_consignment_as") == 1
    column = lines[0].split(",").index("same_consignment_as")
    assert [line.split(",")[column] for line in lines[1:3]] == ["5", ""]  # ids 1 and 2
    report = import_text(seeded_session, tmp_path, exported.getvalue(), preview=True)
    assert any("same_consignment_as was not read" in note for note in report.notes)


def test_the_cli_adds_a_record_linked_to_its_other_record(seeded_engine: Engine, database_url: str):
    code, out, err = cli(
        database_url,
        *("add", "--date", "2019-04-05", "--date-means", "received", "--donor", "China"),
        *("--recipient", "Venezuela", "--cargo", "medicine", "--tonnes", "65"),
        *("--source-url", "https://example.org/port", "--source-title", "Port", "--publisher", "P"),
        *("--same-consignment-as", "1", "--by", "ana"),
    )
    assert code == 0, err
    assert "linked with shipment 1 as one consignment" in out
    with Session(seeded_engine) as session:
        assert ledger_totals(session=session).mass_kg == SEED_KG
    before = row_counts(seeded_engine)
    code, _, err = cli(
        database_url,
        *("add", "--date", "2019-05-14", "--date-means", "received", "--donor", "China"),
        *("--recipient", "Venezuela", "--cargo", "medicine", "--tonnes", "60"),
        *("--source-url", "https://example.org/port", "--source-title", "Port", "--publisher", "P"),
        *("--same-consignment-as", "2", "--by", "ana"),
    )
    assert code == 2
    assert "shipment 2 was sent with 71.000 t" in err
    assert row_counts(seeded_engine) == before  # the shipment is not added without its link


def test_the_data_urls_name_each_records_other_record_and_reconcile_it_once(
    seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    import csv
    import io

    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from shipments.web import data, routes

    with Session(seeded_engine) as session:
        received = add_received(session)
        link(session, MARCH_29, received)
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    data._engine.cache_clear()
    app = Starlette(routes=routes.routes(), middleware=routes.middleware())
    try:
        with TestClient(app) as client:
            for path in ("/data/shipments.csv", "/data/shipments.csv?as_of=2999-01-01T00:00:00Z"):
                rows = list(csv.DictReader(io.StringIO(client.get(path).text)))
                once = {row["id"]: row["same_consignment_as"] for row in rows}
                assert once == {"1": "5", "2": "", "3": "", "4": "", "5": "1"}, path
            hxl = client.get("/data/shipments.hxl.csv").text.splitlines()
            assert "#meta+consignment" in hxl[1].split(",")
            shipments = client.get("/data/shipments.json").json()
            assert {s["id"]: s["same_consignment_as"] for s in shipments}[5] == 1
            verdicts = client.get("/data/reconciliation.json").json()
            ministry = next(c for c in verdicts["claims"] if c["id"] == MINISTRY_269)
            assert ministry["verdict"] == "consistent"
            cumulative = ministry["readings"][0]
            assert (cumulative["ledger_value"], cumulative["basis"]) == (269, "received")
            assert cumulative["consignments_counted_once"] == 1
    finally:
        data._engine.cache_clear()


def test_a_package_counts_a_consignment_once_beside_its_rows_and_verify_checks_both(
    seeded_engine: Engine, database_url: str, tmp_path
):
    import json

    with Session(seeded_engine) as session:
        received = add_received(session)
        link(session, MARCH_29, received)
    folder = tmp_path / "package"
    assert cli(database_url, "export", "--package", str(folder))[0] == 0
    ledger = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["ledger"]
    assert (ledger["rows"], ledger["total_kg"]) == (5, SEED_KG + 65_000)
    assert (ledger["shipments"], ledger["total_kg_counted_once"]) == (4, SEED_KG)
    assert cli(database_url, "verify", str(folder))[0] == 0
    descriptor = folder / "datapackage.json"
    changed = json.loads(descriptor.read_text(encoding="utf-8"))
    changed["ledger"]["total_kg_counted_once"] = SEED_KG + 65_000
    descriptor.write_text(json.dumps(changed), encoding="utf-8")
    code, out, _ = cli(database_url, "verify", str(folder))
    assert code == 1
    assert "kilograms counted once 269000 where the descriptor says 334000" in out


def test_the_cli_refuses_a_reading_basis_it_does_not_know_and_records_nothing(
    seeded_engine: Engine, database_url: str
):
    before = row_counts(seeded_engine)
    code, _, err = cli(
        database_url,
        *("claims", "add", "--claimant", "A port", "--quote", "65 t came in", "--metric", "tonnes"),
        *("--value", "65", "--reading", "single:2019-04-05,donor=China,basis=arrived"),
        *("--source-url", "https://example.org/port", "--source-title", "Port", "--publisher", "P"),
        *("--by", "ana"),
    )
    assert code == 2
    assert "basis" in err
    assert "must be one of sent, received (got 'arrived')" in err
    assert row_counts(seeded_engine) == before
    code, _, err = cli(
        database_url,
        *("claims", "add", "--claimant", "A port", "--quote", "65 t came in", "--metric", "tonnes"),
        *("--value", "65", "--reading", "single:2019-04-05,donor=China,basis=received"),
        *("--source-url", "https://example.org/port", "--source-title", "Port", "--publisher", "P"),
        *("--by", "ana"),
    )
    assert code == 0, err
