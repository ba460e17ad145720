"""The ledger library: append, correct, retract, history and reading as of a moment."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from factories import (
    SOUTH_FRONT,
    make_shipment,
    projection_and_history,
    row_counts,
)
from sqlalchemy import Engine
from sqlmodel import Session

from shipments.errors import AlreadyRetracted, DuplicateShipment, InvalidInput, NotFound
from shipments.ledger import (
    ShipmentFilter,
    append_shipment,
    correct_shipment,
    current_shipments,
    daily_totals,
    distinct_values,
    get_shipment,
    ledger_totals,
    retract_shipment,
    shipment_history,
    totals_of,
)
from shipments.models import ShipmentCorrection
from shipments.rules import parse, utcnow
from shipments.units import kg_to_tonnes


def correction(**fields: Any) -> ShipmentCorrection:
    return parse(ShipmentCorrection, {"reason": "test", **fields})


def pause() -> None:
    """Let the clock move on, so 'a moment before' a write is a distinct timestamp."""
    time.sleep(0.01)


def by_date(session: Session, **kwargs: Any) -> dict[str, Decimal]:
    return {
        s.event_date.isoformat(): kg_to_tonnes(s.mass_kg)
        for s in current_shipments(session=session, **kwargs)
    }


def test_seed_holds_the_four_deliveries_of_the_report(seeded_session: Session):
    shipments = current_shipments(session=seeded_session)
    assert [
        (s.event_date.isoformat(), s.date_means, s.donor, s.recipient, s.cargo, s.mass_kg)
        for s in shipments
    ] == [
        ("2019-03-29", "sent", "China", "Venezuela", "medicine", 65_000),
        ("2019-05-13", "sent", "China", "Venezuela", "medicine", 71_000),
        ("2019-05-16", "sent", "China", "Venezuela", "medicine", 64_000),
        ("2019-05-27", "received", "China", "Venezuela", "medicine", 69_000),
    ]
    assert ledger_totals(session=seeded_session).mass_kg == 269_000
    assert all(SOUTH_FRONT in [src.url for src in s.sources] for s in shipments)
    assert "mislabelled as 'military' support" in (shipments[0].note or "")
    assert [src.publisher for src in shipments[3].sources] == [
        "South Front",
        "Cancillería Venezuela (@CancilleriaVE)",
    ]


def test_append_returns_the_shipment_with_its_sources(session: Session):
    shipment = append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
    assert (shipment.id, shipment.revision, shipment.mass_kg) == (1, 1, 68_000)
    assert shipment.recorded_by == "ana"
    assert shipment.recorded_at.tzinfo is not None
    assert [s.url for s in shipment.sources] == ["https://example.org/report"]
    assert get_shipment(session=session, shipment_id=1) == shipment


def test_a_known_source_is_reused_not_copied(session: Session, engine: Engine):
    append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
    append_shipment(
        session=session, shipment_in=make_shipment(event_date="2019-06-11"), by="ana", via="cli"
    )
    assert row_counts(engine)["source"] == 1


@pytest.mark.parametrize("write", ["append", "correct", "retract"])
def test_a_failure_after_the_first_insert_leaves_nothing_behind(
    seeded_session: Session, seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch, write: str
):
    """Rows already flushed (shipment, revision, a new source) are rolled back with the rest."""
    before = row_counts(seeded_engine)

    def broken(*_: Any) -> None:
        raise RuntimeError("disk full")

    # The links are the last rows each write adds, after the others were flushed.
    monkeypatch.setattr(seeded_session, "add_all", broken)
    new_source = [{"url": "https://example.org/new", "title": "New", "publisher": "P"}]
    writes = {
        "append": lambda: append_shipment(
            session=seeded_session,
            shipment_in=make_shipment(sources=new_source),
            by="ana",
            via="cli",
        ),
        "correct": lambda: correct_shipment(
            session=seeded_session,
            shipment_id=3,
            by="ana",
            via="cli",
            correction_in=correction(tonnes="46", add_sources=new_source),
        ),
        "retract": lambda: retract_shipment(
            session=seeded_session, shipment_id=3, reason="r", by="ana", via="cli"
        ),
    }
    with pytest.raises(RuntimeError, match="disk full"):
        writes[write]()
    assert row_counts(seeded_engine) == before
    assert ledger_totals(session=seeded_session).mass_kg == 269_000


@pytest.mark.parametrize(
    ("by", "via", "field", "rule"),
    [
        ("", "cli", "by", "who records the change is required"),
        ("   ", "form", "by", "who records the change is required"),
        (None, "cli", "by", "who records the change is required"),
        ("a\x00b", "cli", "by", "control characters"),
        ("x" * 201, "cli", "by", "at most 200 characters"),
        ("nobody", "cli", "by", "'nobody' is not an editor account"),
        ("dora", "form", "by", "'dora' is disabled"),
        ("seed", "cli", "by", "only the seed loader writes as 'seed'"),
        ("ana", "seed", "by", "only the seed loader writes as 'seed'"),
        ("ana", "web", "via", "must be one of form, cli, import"),
    ],
)
def test_every_write_needs_an_active_editor(
    seeded_session: Session, seeded_engine: Engine, by: Any, via: str, field: str, rule: str
):
    from test_reconcile import make_claim

    from shipments.auth import add_editor, disable_editor
    from shipments.claims import record_claim

    add_editor(session=seeded_session, name="dora", password="a long passphrase", by="tests")
    disable_editor(session=seeded_session, name="dora", by="tests")
    before = row_counts(seeded_engine)
    writes = [
        lambda: append_shipment(
            session=seeded_session, shipment_in=make_shipment(), by=by, via=via
        ),
        lambda: correct_shipment(
            session=seeded_session,
            shipment_id=1,
            correction_in=correction(tonnes="1"),
            by=by,
            via=via,
        ),
        lambda: retract_shipment(session=seeded_session, shipment_id=1, reason="r", by=by, via=via),
        lambda: record_claim(session=seeded_session, claim_in=make_claim(), by=by, via=via),
    ]
    for write in writes:
        with pytest.raises(InvalidInput) as refused:
            write()
        assert refused.value.fields() == {field}
        assert rule in str(refused.value)
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize("via", ["form", "cli", "import"])
def test_the_audit_trail_records_every_write_with_editor_and_path(
    seeded_session: Session, via: str
):
    from test_reconcile import make_claim

    from shipments.audit import audit_events
    from shipments.claims import record_claim

    seeded = [(e.actor, e.via, e.action) for e in audit_events(session=seeded_session)]
    assert seeded.count(("seed", "seed", "shipment.append")) == 4
    assert seeded.count(("seed", "seed", "claim.add")) == 7
    added = append_shipment(session=seeded_session, shipment_in=make_shipment(), by="ana", via=via)
    correct_shipment(
        session=seeded_session,
        shipment_id=added.id,
        correction_in=correction(tonnes="70"),
        by="bo",
        via=via,
    )
    retract_shipment(
        session=seeded_session, shipment_id=added.id, reason="dup", by="carla", via=via
    )
    claim = record_claim(session=seeded_session, claim_in=make_claim(), by="ana", via=via)
    newest = audit_events(session=seeded_session)[:4]
    assert sorted((e.actor, e.via, e.action, e.subject) for e in newest) == sorted(
        [
            ("ana", via, "shipment.append", f"shipment {added.id}"),
            ("bo", via, "shipment.correct", f"shipment {added.id}"),
            ("carla", via, "shipment.retract", f"shipment {added.id}"),
            ("ana", via, "claim.add", f"claim {claim.id}"),
        ]
    )
    correct_event = next(e for e in newest if e.action == "shipment.correct")
    assert "70.000 t" in (correct_event.detail or "")
    assert "reason: test" in (correct_event.detail or "")


def test_a_form_key_records_once(seeded_session: Session, seeded_engine: Engine):
    from shipments.errors import AlreadySubmitted

    first = append_shipment(
        session=seeded_session, shipment_in=make_shipment(), by="ana", via="form", form_key="k1"
    )
    before = row_counts(seeded_engine)
    with pytest.raises(AlreadySubmitted) as again:
        append_shipment(
            session=seeded_session,
            shipment_in=make_shipment(),
            by="ana",
            via="form",
            form_key="k1",
        )
    assert again.value.subject == f"shipment {first.id}"
    assert row_counts(seeded_engine) == before


def test_probable_duplicate_is_refused_unless_confirmed(seeded_session: Session, seeded_engine):
    same_as_16_may = make_shipment(
        event_date="2019-05-16",
        date_means="sent",
        donor="china ",
        recipient="VENEZUELA",
        tonnes="64.000",
    )
    before = row_counts(seeded_engine)
    with pytest.raises(DuplicateShipment) as refused:
        append_shipment(session=seeded_session, shipment_in=same_as_16_may, by="ana", via="cli")
    assert refused.value.existing_ids == (3,)
    assert "probable duplicate of shipment 3" in str(refused.value)
    assert row_counts(seeded_engine) == before

    confirmed = append_shipment(
        session=seeded_session,
        shipment_in=same_as_16_may,
        by="ana",
        via="cli",
        confirm_duplicate=True,
    )
    assert confirmed.id == 5
    assert ledger_totals(session=seeded_session).shipments == 5


def test_a_retracted_shipment_is_no_duplicate(seeded_session: Session):
    retract_shipment(
        session=seeded_session, shipment_id=3, reason="double entry", by="ana", via="cli"
    )
    again = make_shipment(event_date="2019-05-16", date_means="sent", tonnes="64")
    assert append_shipment(session=seeded_session, shipment_in=again, by="ana", via="cli").id == 5


def test_correction_is_a_new_revision_and_history_keeps_the_old(seeded_session: Session):
    corrected = correct_shipment(
        session=seeded_session,
        shipment_id=3,
        correction_in=correction(tonnes="46", reason="weighbill says 46 t"),
        by="ana",
        via="cli",
    )
    assert (corrected.id, corrected.revision, corrected.mass_kg) == (3, 2, 46_000)
    history = shipment_history(session=seeded_session, shipment_id=3)
    assert [(r.revision, r.action, r.mass_kg, r.reason, r.recorded_by) for r in history] == [
        (1, "append", 64_000, None, "seed"),
        (2, "correct", 46_000, "weighbill says 46 t", "ana"),
    ]
    assert history[1].sources == history[0].sources
    assert ledger_totals(session=seeded_session).mass_kg == 251_000


def test_correction_can_add_a_source_and_change_several_fields(seeded_session: Session):
    corrected = correct_shipment(
        session=seeded_session,
        shipment_id=4,
        correction_in=correction(
            event_date="2019-05-26",
            date_means="sent",
            note="",
            add_sources=[{"url": "https://example.org/b", "title": "B", "publisher": "P"}],
        ),
        by="ana",
        via="cli",
    )
    assert (corrected.event_date, corrected.date_means, corrected.note) == (
        date(2019, 5, 26),
        "sent",
        None,
    )
    assert [s.url for s in corrected.sources][-1] == "https://example.org/b"
    assert len(corrected.sources) == 3


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"tonnes": "0"}, "tonnes", "greater than 0"),
        ({"tonnes": "1.2345"}, "tonnes", "at most 3 decimals"),
        ({"event_date": "2019-02-29"}, "event_date", "real calendar date"),
        ({"donor": "  "}, "donor", "must not be empty"),
        ({"date_means": "shipped"}, "date_means", "'sent' or 'received'"),
        ({"tonnes": "64"}, "correction", "changes nothing"),
    ],
)
def test_correction_obeys_the_same_rules(
    seeded_session: Session, seeded_engine: Engine, fields: dict[str, Any], field: str, rule: str
):
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput) as refused:
        correct_shipment(
            session=seeded_session,
            shipment_id=3,
            correction_in=correction(**fields),
            by="ana",
            via="cli",
        )
    assert (refused.value.problems[0].field, rule in refused.value.problems[0].rule) == (
        field,
        True,
    )
    assert row_counts(seeded_engine) == before


def test_correction_into_a_duplicate_is_refused(seeded_session: Session):
    with pytest.raises(DuplicateShipment):
        correct_shipment(
            session=seeded_session,
            shipment_id=3,
            correction_in=correction(event_date="2019-05-13", tonnes="71"),
            by="ana",
            via="cli",
        )


def test_retraction_removes_the_shipment_and_keeps_its_history(seeded_session: Session):
    retracted = retract_shipment(
        session=seeded_session, shipment_id=2, reason="counted twice", by="ana", via="cli"
    )
    assert (retracted.action, retracted.revision, retracted.reason) == (
        "retract",
        2,
        "counted twice",
    )
    assert ledger_totals(session=seeded_session).mass_kg == 198_000
    assert [r.action for r in shipment_history(session=seeded_session, shipment_id=2)] == [
        "append",
        "retract",
    ]
    with pytest.raises(NotFound):
        get_shipment(session=seeded_session, shipment_id=2)
    with pytest.raises(AlreadyRetracted):
        retract_shipment(session=seeded_session, shipment_id=2, reason="again", by="ana", via="cli")
    with pytest.raises(AlreadyRetracted):
        correct_shipment(
            session=seeded_session,
            shipment_id=2,
            correction_in=correction(tonnes="1"),
            by="ana",
            via="cli",
        )


def test_retraction_needs_a_reason(seeded_session: Session, seeded_engine: Engine):
    before = row_counts(seeded_engine)
    with pytest.raises(InvalidInput) as refused:
        retract_shipment(session=seeded_session, shipment_id=2, reason="  ", by="ana", via="cli")
    assert refused.value.fields() == {"reason"}
    assert row_counts(seeded_engine) == before


@pytest.mark.parametrize("shipment_id", [0, 99])
def test_unknown_shipment_is_not_found(seeded_session: Session, shipment_id: int):
    with pytest.raises(NotFound):
        shipment_history(session=seeded_session, shipment_id=shipment_id)
    with pytest.raises(NotFound):
        retract_shipment(
            session=seeded_session, shipment_id=shipment_id, reason="r", by="ana", via="cli"
        )
    with pytest.raises(NotFound):
        correct_shipment(
            session=seeded_session,
            shipment_id=shipment_id,
            correction_in=correction(tonnes="1"),
            by="ana",
            via="cli",
        )


def test_ledger_as_it_stood_before_later_changes(seeded_session: Session):
    pause()
    seeded_moment = utcnow()
    pause()
    correct_shipment(
        session=seeded_session,
        shipment_id=3,
        correction_in=correction(tonnes="46"),
        by="ana",
        via="cli",
    )
    pause()
    after_correction = utcnow()
    pause()
    retract_shipment(
        session=seeded_session, shipment_id=1, reason="not medicine", by="ana", via="cli"
    )
    append_shipment(session=seeded_session, shipment_in=make_shipment(), by="ana", via="cli")

    assert by_date(seeded_session, as_of=seeded_moment) == {
        "2019-03-29": 65,
        "2019-05-13": 71,
        "2019-05-16": 64,
        "2019-05-27": 69,
    }
    assert by_date(seeded_session, as_of=after_correction) == {
        "2019-03-29": 65,
        "2019-05-13": 71,
        "2019-05-16": 46,
        "2019-05-27": 69,
    }
    assert by_date(seeded_session) == {
        "2019-05-13": 71,
        "2019-05-16": 46,
        "2019-05-27": 69,
        "2019-06-10": 68,
    }
    assert ledger_totals(session=seeded_session, as_of=seeded_moment).mass_kg == 269_000
    assert ledger_totals(session=seeded_session, as_of=after_correction).mass_kg == 251_000
    before_anything = shipment_history(session=seeded_session, shipment_id=1)[0].recorded_at
    assert (
        ledger_totals(session=seeded_session, as_of=before_anything.replace(year=2000)).shipments
        == 0
    )


def test_empty_ledger_totals_are_zero(session: Session):
    totals = ledger_totals(session=session)
    assert (totals.shipments, totals.mass_kg, totals.latest_event) == (0, 0, None)
    assert current_shipments(session=session) == []


def test_current_shipment_agrees_with_the_history_after_every_kind_of_write(
    seeded_session: Session, tmp_path
):
    """current_shipment is derived state: after appends, corrections, retractions and an
    import it must hold exactly the latest non-retracted revision of every shipment."""

    from shipments.exchange.import_rows import ImportOptions
    from shipments.exchange.imports import import_file

    added = append_shipment(
        session=seeded_session, shipment_in=make_shipment(), by="ana", via="cli"
    )
    correct_shipment(
        session=seeded_session,
        shipment_id=added.id,
        by="bo",
        via="cli",
        correction_in=correction(
            donor="CHINA",
            tonnes="70",
            add_sources=[
                {"url": "https://example.org/second", "title": "Second", "publisher": "P"}
            ],
        ),
    )
    correct_shipment(
        session=seeded_session,
        shipment_id=2,
        by="bo",
        via="cli",
        correction_in=correction(event_date="2019-05-12"),
    )
    retract_shipment(session=seeded_session, shipment_id=3, reason="dup", by="ana", via="cli")
    path = tmp_path / "more.csv"
    path.write_text(
        "date,date_means,donor,recipient,cargo,tonnes,source_url\n"
        "2019-07-01,sent,Cuba,Venezuela,food,9,https://example.org/c\n",
        encoding="utf-8",
    )
    assert import_file(
        session=seeded_session, path=path, options=ImportOptions(), by="ana"
    ).committed

    projected, from_history = projection_and_history(seeded_session)
    assert projected == from_history
    assert [row[0] for row in projected] == [1, 2, 4, 5, 6]
    assert len(projected[3][-1].split()) == 2  # the corrected shipment cites two sources


def test_current_shipment_is_right_even_when_a_session_holds_an_old_copy(seeded_engine: Engine):
    """Session one keeps its copy of a row while session two corrects it; session one's own
    correction must still leave current_shipment equal to the history."""
    from sqlmodel import select

    from shipments.models import CurrentShipment

    with (
        Session(seeded_engine, expire_on_commit=False) as one,
        Session(seeded_engine, expire_on_commit=False) as two,
    ):
        added = append_shipment(
            session=one, shipment_in=make_shipment(donor="Alpha"), by="ana", via="cli"
        )
        held = one.get(CurrentShipment, added.id)
        assert held is not None
        correct_shipment(
            session=two,
            shipment_id=added.id,
            by="bo",
            via="cli",
            correction_in=correction(donor="Beta"),
        )
        correct_shipment(
            session=one,
            shipment_id=added.id,
            by="ana",
            via="cli",
            correction_in=correction(donor="Alpha"),
        )
    with Session(seeded_engine) as fresh:
        row = fresh.exec(
            select(CurrentShipment).where(CurrentShipment.shipment_id == added.id)
        ).one()
        assert (row.donor, row.donor_key) == ("Alpha", "alpha")


def test_a_name_that_casefolds_longer_fits(session: Session):
    from sqlmodel import select

    from shipments.models import CurrentShipment

    donor = "Gesellschaft für Straßenbau " + "ß" * 150
    append_shipment(session=session, shipment_in=make_shipment(donor=donor), by="ana", via="cli")
    [row] = session.exec(select(CurrentShipment)).all()
    assert row.donor_key == donor.casefold()
    assert len(row.donor_key) > 200


def test_totals_added_up_from_days_match_the_ledger_totals(seeded_session: Session):
    """The dashboard adds its headline figures up from the daily series; they must agree."""
    session = seeded_session
    append_shipment(
        session=session,
        shipment_in=make_shipment(donor="Russia", event_date="2019-05-27", tonnes="12.345"),
        by="ana",
        via="cli",
    )
    before_retraction = utcnow()
    time.sleep(0.01)
    retract_shipment(session=session, shipment_id=2, reason="test", by="ana", via="cli")
    views = [
        {},
        {"filters": ShipmentFilter(donors=("China",))},
        {"filters": ShipmentFilter(date_from=date(2019, 5, 16), date_to=date(2019, 5, 27))},
        {"filters": ShipmentFilter(donors=("Nobody",))},
        {"as_of": before_retraction},
    ]
    seen = set()
    for view in views:
        expected = ledger_totals(session=session, **view)
        assert totals_of(daily_totals(session=session, **view)) == expected
        seen.add((expected.shipments, expected.mass_kg))
    assert len(seen) == len(views)  # each view really is different


def test_distinct_values_now_and_as_of(seeded_session: Session):
    session = seeded_session
    for donor in ("Russia", "Ärzte", "china", "Zeta"):
        append_shipment(
            session=session, shipment_in=make_shipment(donor=donor), by="ana", via="cli"
        )
    retract_shipment(session=session, shipment_id=8, reason="test", by="ana", via="cli")
    now = distinct_values(session=session, field="donor")
    assert sorted(now) == sorted(["China", "Russia", "Ärzte", "china"])
    # The same values, in the same (database) order, as a DISTINCT over the history gives.
    assert now == distinct_values(session=session, field="donor", as_of=utcnow())
    assert distinct_values(session=session, field="cargo") == ["medicine"]
