"""Discrepancies: opened by the ledger when a claim fails, explained or resolved by editors,
reopened by the ledger when the claim fails again or the explained figure moves."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from factories import row_counts
from sqlalchemy import Engine, text
from sqlmodel import Session

from shipments.cli import main
from shipments.discrepancies import explain, list_discrepancies, resolve, sync, sync_and_list
from shipments.errors import InvalidInput, NotFound
from shipments.ledger import correct_shipment
from shipments.models import DiscrepancyExplanation, ShipmentCorrection
from shipments.reconcile import reconcile
from shipments.rules import parse, utcnow

MAY_16 = 3  # the seed's 16 May delivery, 64 t
MINISTRY_269 = 1
BECAUSE = "the ministry counts received deliveries; the press counts sent ones"


def set_may_16(session: Session, tonnes: str) -> None:
    correct_shipment(
        session=session,
        shipment_id=MAY_16,
        correction_in=parse(ShipmentCorrection, {"tonnes": tonnes, "reason": "test"}),
        by="ana",
        via="cli",
    )


def synced(session: Session) -> int:
    return sync(session=session, result=reconcile(session=session, list_ids=False))


def states(session: Session) -> dict[int, list[str]]:
    result = reconcile(session=session, list_ids=False)
    return {
        d.claim_id: [e.state for e in d.events]
        for d in list_discrepancies(session=session, result=result)
    }


def explanation(**overrides: Any) -> DiscrepancyExplanation:
    return parse(DiscrepancyExplanation, {"reason": BECAUSE, **overrides})


def test_the_seed_opens_nothing(seeded_session: Session):
    assert synced(seeded_session) == 0
    assert list_discrepancies(session=seeded_session) == []


def test_a_correction_that_breaks_claims_opens_one_discrepancy_each_with_its_figures(
    seeded_session: Session,
):
    set_may_16(seeded_session, "46")
    assert synced(seeded_session) == 3
    assert synced(seeded_session) == 0  # once is enough
    found = list_discrepancies(
        session=seeded_session, result=reconcile(session=seeded_session, list_ids=False)
    )
    assert [d.claim_id for d in found] == [1, 4, 7]
    ministry = found[0]
    opened = ministry.opened
    assert (opened.state, opened.actor, opened.verdict) == ("open", "ledger", "inconsistent")
    assert (opened.ledger_value, opened.difference, opened.difference_pct) == (
        "251.000",
        "-18.000",
        "-6.7",
    )
    assert not ministry.holds_now


def test_sync_and_list_opens_what_is_due_and_lists_as_sync_then_list_do(
    seeded_session: Session,
):
    set_may_16(seeded_session, "46")
    result = reconcile(session=seeded_session, list_ids=False)
    told: list[str] = []
    first = sync_and_list(session=seeded_session, result=result, on_open=lambda: told.append("x"))
    assert [(d.claim_id, d.state) for d in first] == [(1, "open"), (4, "open"), (7, "open")]
    assert told == ["x"]  # the dashboard empties its data caches then: the version moved
    again = sync_and_list(session=seeded_session, result=result, on_open=lambda: told.append("y"))
    assert told == ["x"]  # nothing opened the second time
    assert again == first == list_discrepancies(session=seeded_session, result=result)
    assert row_counts(seeded_session.get_bind())["discrepancy_event"] == 3  # opened once
    past = reconcile(session=seeded_session, as_of=utcnow(), list_ids=False)
    assert sync_and_list(session=seeded_session, result=past, states=("resolved",)) == []


def test_an_as_of_reconciliation_opens_nothing(seeded_session: Session):
    before = utcnow()
    set_may_16(seeded_session, "46")
    past = reconcile(session=seeded_session, as_of=before)
    assert sync(session=seeded_session, result=past) == 0


def test_explained_stays_explained_until_the_ledger_moves_then_reopens(seeded_session: Session):
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    event = explain(
        session=seeded_session,
        claim_id=MINISTRY_269,
        explanation_in=explanation(link_kind="shipment", link_id=MAY_16),
        by="bo",
        via="form",
    )
    assert (event.state, event.actor, event.reason, event.link_kind, event.link_id) == (
        "explained",
        "bo",
        BECAUSE,
        "shipment",
        MAY_16,
    )
    assert synced(seeded_session) == 0
    assert states(seeded_session)[MINISTRY_269] == ["open", "explained"]
    set_may_16(seeded_session, "40")  # still wrong, but not the figure explained
    assert synced(seeded_session) == 3 - 2  # claims 4 and 7 are still open: only 1 reopens
    assert states(seeded_session)[MINISTRY_269] == ["open", "explained", "open"]


def test_resolved_once_the_claim_holds_and_reopened_when_it_fails_again(seeded_session: Session):
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    with pytest.raises(InvalidInput, match="still inconsistent against the ledger") as refused:
        resolve(session=seeded_session, claim_id=MINISTRY_269, by="bo", via="cli")
    assert refused.value.problems[0].field == "claim"
    set_may_16(seeded_session, "64")
    [ministry, *_] = list_discrepancies(
        session=seeded_session, result=reconcile(session=seeded_session, list_ids=False)
    )
    assert (ministry.state, ministry.holds_now) == ("open", True)
    resolved = resolve(
        session=seeded_session, claim_id=MINISTRY_269, by="bo", via="cli", note="corrected"
    )
    assert (resolved.state, resolved.ledger_value, resolved.reason) == (
        "resolved",
        "269.000",
        "corrected",
    )
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    assert states(seeded_session)[MINISTRY_269] == ["open", "resolved", "open"]
    # Open ones come first.
    listed = list_discrepancies(session=seeded_session)
    assert [d.state for d in listed] == sorted(
        (d.state for d in listed), key=["open", "explained", "resolved"].index
    )


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"reason": "  "}, "reason", "say why the claim and the ledger differ"),
        ({"link_kind": "website", "link_id": 1}, "link_kind", "shipment, claim or source"),
        ({"link_kind": "claim"}, "link_id", "a link to a claim needs its id"),
        ({"link_id": 3}, "link_id", "a link needs what it points at"),
        ({"link_kind": "claim", "link_id": 0}, "link_id", "positive whole number"),
    ],
)
def test_a_bad_explanation_is_refused_by_name(fields: dict[str, Any], field: str, rule: str):
    with pytest.raises(InvalidInput, match=rule) as refused:
        explanation(**fields)
    assert [p.field for p in refused.value.problems] == [field]


def test_explaining_what_is_not_there_is_refused_and_writes_nothing(
    seeded_session: Session, seeded_engine: Engine
):
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    before = row_counts(seeded_engine)
    for claim_id, link, field, rule in (
        (5, None, "claim", "claim 5 has no open discrepancy"),
        (MINISTRY_269, ("source", 999), "link", "there is no source 999"),
        (MINISTRY_269, ("shipment", 999), "link", "there is no shipment 999"),
    ):
        given = {"link_kind": link[0], "link_id": link[1]} if link else {}
        with pytest.raises(InvalidInput, match=rule) as refused:
            explain(
                session=seeded_session,
                claim_id=claim_id,
                explanation_in=explanation(**given),
                by="bo",
                via="cli",
            )
        assert refused.value.problems[0].field == field
    with pytest.raises(NotFound, match="no claim 99"):
        explain(
            session=seeded_session, claim_id=99, explanation_in=explanation(), by="bo", via="cli"
        )
    with pytest.raises(InvalidInput, match="active editor"):
        explain(
            session=seeded_session,
            claim_id=MINISTRY_269,
            explanation_in=explanation(),
            by="ledger",
            via="cli",
        )
    assert row_counts(seeded_engine) == before


def test_discrepancy_events_are_append_only(seeded_session: Session, seeded_engine: Engine):
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    for statement in (
        "UPDATE discrepancy_event SET state = 'resolved'",
        "DELETE FROM discrepancy_event",
    ):
        with pytest.raises(Exception, match="append-only"), seeded_engine.begin() as connection:
            connection.execute(text(statement))


def cli(url: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(["--database-url", url, *args], stdout=out)
    return code, out.getvalue(), capsys.readouterr().err


def test_the_command_line_works_a_discrepancy_and_reconcile_fails_only_on_open_ones(
    seeded_session: Session, database_url: str, capsys: pytest.CaptureFixture[str]
):
    assert cli(database_url, "reconcile", "--fail-on", "open", capsys=capsys)[0] == 0
    set_may_16(seeded_session, "46")
    code, out, _ = cli(database_url, "reconcile", "--fail-on", "open", capsys=capsys)
    assert code == 1
    assert "discrepancies: 3 open, 0 explained" in out
    code, out, _ = cli(database_url, "discrepancies", "list", "--format", "json", capsys=capsys)
    listed = json.loads(out)
    assert [(d["claim_id"], d["state"]) for d in listed] == [(1, "open"), (4, "open"), (7, "open")]
    assert listed[0]["events"][0]["by"] == "ledger"
    for claim in ("1", "4", "7"):
        code, out, err = cli(
            database_url,
            "discrepancies",
            "explain",
            claim,
            "--reason",
            BECAUSE,
            "--link",
            "shipment:3",
            "--by",
            "bo",
            capsys=capsys,
        )
        assert (code, out, err) == (0, f"claim {claim}: discrepancy explained by bo\n", "")
    assert cli(database_url, "reconcile", "--fail-on", "open", capsys=capsys)[0] == 0
    assert cli(database_url, "reconcile", capsys=capsys)[0] == 1  # still inconsistent
    code, out, _ = cli(database_url, "discrepancies", "list", "--state", "explained", capsys=capsys)
    assert out.count("explained") == 3
    assert BECAUSE in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--link", "ship:3"], "error: link_kind (--link): must be shipment, claim or source"),
        (["--link", "shipment:zz"], "error: link_id (--link): must be a positive whole number"),
        (["--link", "shipment:999"], "error: link: there is no shipment 999"),
        (["--link", "3"], "argument --link: must be KIND:ID, e.g. shipment:3"),
        (["--reason", " "], "error: reason: say why the claim and the ledger differ"),
    ],
)
def test_a_bad_explanation_on_the_command_line_exits_2_naming_the_flag(
    seeded_session: Session,
    seeded_engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
):
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    before = row_counts(seeded_engine)
    given = ["--reason", BECAUSE, *args] if "--reason" not in args else args
    try:
        code, _, err = cli(
            database_url, "discrepancies", "explain", "1", *given, "--by", "bo", capsys=capsys
        )
    except SystemExit as stopped:  # argparse's own refusal of a value its type cannot read
        code, err = int(str(stopped.code)), capsys.readouterr().err
    assert code == 2
    assert said in err
    assert row_counts(seeded_engine) == before


def test_resolving_a_claim_that_still_fails_is_refused_on_the_command_line(
    seeded_session: Session, database_url: str, capsys: pytest.CaptureFixture[str]
):
    set_may_16(seeded_session, "46")
    synced(seeded_session)
    code, _, err = cli(database_url, "discrepancies", "resolve", "1", "--by", "bo", capsys=capsys)
    assert (code, err.splitlines()[0]) == (
        2,
        "error: claim (CLAIM): claim 1 is still inconsistent against the ledger: correct the "
        "ledger first, or explain the discrepancy",
    )
    set_may_16(seeded_session, "64")
    code, out, _ = cli(
        database_url,
        "discrepancies",
        "resolve",
        "1",
        "--reason",
        "fixed",
        "--by",
        "bo",
        capsys=capsys,
    )
    assert (code, out) == (0, "claim 1: discrepancy resolved by bo\n")
