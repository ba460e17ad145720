"""The write runner: a race is tried again from the start, then refused; a discard keeps nothing."""

from __future__ import annotations

import pytest
from factories import SOUTH_FRONT, make_shipment, row_counts
from sqlalchemy import Engine
from sqlmodel import Session

from shipments.audit import audit_events
from shipments.errors import Conflict
from shipments.ledger import add_shipment
from shipments.models import ShipmentPublic, Source
from shipments.rules import utcnow
from shipments.transaction import WRITE_ATTEMPTS, Transaction, run_write


def lose_a_race(tx: Transaction) -> None:
    """Insert the seed's source URL again, as if another writer had just recorded it."""
    tx.session.add(
        Source(
            url=SOUTH_FRONT,
            publisher="Another writer",
            title="Recorded first",
            recorded_by=tx.actor,
            recorded_at=utcnow(),
        )
    )
    tx.session.flush()


def test_a_write_that_keeps_losing_a_race_is_refused_as_a_conflict(
    seeded_session: Session, seeded_engine: Engine
):
    before = row_counts(seeded_engine)
    attempts: list[Transaction] = []

    def write(tx: Transaction) -> None:
        attempts.append(tx)
        add_shipment(tx=tx, shipment_in=make_shipment())
        lose_a_race(tx)

    with pytest.raises(Conflict) as refused:
        run_write(session=seeded_session, by="ana", via="cli", write=write)
    assert str(refused.value) == (
        "another write changed the same record at the same moment; nothing was written, try again"
    )
    assert len(attempts) == WRITE_ATTEMPTS
    assert row_counts(seeded_engine) == before


def test_a_write_that_loses_a_race_once_runs_again_from_the_start(
    seeded_session: Session, seeded_engine: Engine
):
    before = row_counts(seeded_engine)
    attempts: list[Transaction] = []

    def write(tx: Transaction) -> ShipmentPublic:
        attempts.append(tx)
        shipment = add_shipment(tx=tx, shipment_in=make_shipment())
        if len(attempts) == 1:
            lose_a_race(tx)
        return shipment

    shipment = run_write(session=seeded_session, by="ana", via="cli", write=write)
    assert len(attempts) == 2
    assert attempts[0].at < attempts[1].at
    assert row_counts(seeded_engine)["shipment"] == before["shipment"] + 1
    [event] = [e for e in audit_events(session=seeded_session) if e.actor == "ana"]
    assert (event.action, event.subject, event.at) == (
        "shipment.append",
        f"shipment {shipment.id}",
        attempts[1].at,
    )


def test_a_discarded_write_returns_its_result_and_writes_nothing(
    seeded_session: Session, seeded_engine: Engine
):
    before = row_counts(seeded_engine)

    def write(tx: Transaction) -> ShipmentPublic:
        shipment = add_shipment(tx=tx, shipment_in=make_shipment())
        tx.discard()
        return shipment

    shipment = run_write(session=seeded_session, by="ana", via="cli", write=write, form_key="k")
    assert (shipment.donor, shipment.mass_kg) == ("China", 68_000)
    assert row_counts(seeded_engine) == before
