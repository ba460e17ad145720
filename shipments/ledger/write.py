"""Append, correct and retract shipments, each write a new revision inside ``run_write``.

Nothing here updates or deletes a revision: each write inserts one, and ``projection`` keeps
``current_shipment`` in step. Every write validates everything before it writes, inside one
transaction, so a refusal leaves the database exactly as it was.

``append_shipment``, ``correct_shipment`` and ``retract_shipment`` run their own transaction;
``add_shipment`` adds to the ``Transaction`` it is given (the seed's); many new shipments at once
(an import's) go through ``bulk.add_shipments``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from shipments.errors import (
    AlreadyRetracted,
    InvalidInput,
    NotFound,
)
from shipments.ledger.consignments import add_link, refuse_correction_breaking_link
from shipments.ledger.duplicates import refuse_duplicates
from shipments.ledger.projection import hide_shipment, show_revision
from shipments.ledger.read import (
    describe_shipment,
    public_revision,
    row_id,
    source_public,
    sources_by_revision,
)
from shipments.ledger.sources import get_or_add_source
from shipments.models import (
    RevisionPublic,
    RevisionSourceLink,
    Shipment,
    ShipmentCorrection,
    ShipmentCreate,
    ShipmentFields,
    ShipmentPublic,
    ShipmentRevision,
)
from shipments.rules import clean_reason, parse
from shipments.transaction import Transaction, run_write

FIELD_NAMES: tuple[str, ...] = tuple(ShipmentFields.model_fields)


def append_shipment(
    *,
    session: Session,
    shipment_in: ShipmentCreate,
    by: str,
    via: str,
    confirm_duplicate: bool = False,
    form_key: str | None = None,
) -> ShipmentPublic:
    """Record a new shipment as the active editor ``by``, from path ``via``; return it."""
    return run_write(
        session=session,
        by=by,
        via=via,
        form_key=form_key,
        write=lambda tx: add_shipment(
            tx=tx, shipment_in=shipment_in, confirm_duplicate=confirm_duplicate
        ),
    )


def add_shipment(
    *, tx: Transaction, shipment_in: ShipmentCreate, confirm_duplicate: bool = False
) -> ShipmentPublic:
    """Add a new shipment to the write ``tx``, refusing a probable duplicate unless confirmed."""
    session = tx.session
    if not confirm_duplicate:
        refuse_duplicates(session, shipment_in, exclude_id=None)
    shipment = Shipment(created_by=tx.actor, created_at=tx.at)
    session.add(shipment)
    session.flush()
    assert shipment.id is not None
    sources = [
        get_or_add_source(tx=tx, source_in=source_in, field=f"sources.{i}")
        for i, source_in in enumerate(shipment_in.sources)
    ]
    revision = _insert_revision(
        tx,
        shipment_id=shipment.id,
        number=1,
        action="append",
        reason=None,
        facts=shipment_in,
        source_ids=[row_id(s) for s in sources],
    )
    tx.record("shipment.append", f"shipment {shipment.id}", describe_shipment(revision))
    added = public_revision(ShipmentPublic, revision, [source_public(s) for s in sources])
    if shipment_in.same_consignment_as is not None:
        add_link(
            tx=tx,
            first_id=shipment.id,
            second_id=shipment_in.same_consignment_as,
            reason=None,
            field="same_consignment_as",
        )
        added.once_with = shipment_in.same_consignment_as
    return added


def correct_shipment(
    *,
    session: Session,
    shipment_id: int,
    correction_in: ShipmentCorrection,
    by: str,
    via: str,
    confirm_duplicate: bool = False,
    form_key: str | None = None,
) -> ShipmentPublic:
    """Record a correction as a new revision that supersedes the latest one."""

    def write(tx: Transaction) -> ShipmentPublic:
        latest = _latest_or_refuse(tx.session, shipment_id)
        old_sources = sources_by_revision(tx.session, [row_id(latest)]).get(row_id(latest), [])
        merged: dict[str, Any] = {name: getattr(latest, name) for name in FIELD_NAMES}
        changes = correction_in.changes()
        if "tonnes" not in changes:
            merged["mass_kg"] = latest.mass_kg
        merged.update(changes)
        merged["sources"] = [s.model_dump(exclude={"id"}) for s in old_sources] + [
            s.model_dump() for s in correction_in.add_sources
        ]
        shipment_in = parse(ShipmentCreate, merged)
        unchanged = (
            all(getattr(shipment_in, name) == getattr(latest, name) for name in FIELD_NAMES)
            and shipment_in.mass_kg == latest.mass_kg
        )
        if unchanged and {s.url for s in shipment_in.sources} <= {s.url for s in old_sources}:
            raise InvalidInput.single(
                "correction", "changes nothing: every value equals the current revision"
            )
        refuse_correction_breaking_link(tx.session, shipment_id, shipment_in)
        if not confirm_duplicate:
            refuse_duplicates(tx.session, shipment_in, exclude_id=shipment_id)
        kept = len(old_sources)  # then the sources the correction adds, named as it gave them
        sources = [
            get_or_add_source(
                tx=tx, source_in=s, field=f"add_sources.{i - kept}" if i >= kept else "sources"
            )
            for i, s in enumerate(shipment_in.sources)
        ]
        revision = _insert_revision(
            tx,
            shipment_id=shipment_id,
            number=latest.revision + 1,
            action="correct",
            reason=correction_in.reason,
            facts=shipment_in,
            source_ids=[row_id(s) for s in sources],
        )
        _supersede(tx, latest)
        tx.record(
            "shipment.correct",
            f"shipment {shipment_id}",
            f"revision {revision.revision}: {describe_shipment(revision)};"
            f" reason: {revision.reason}",
        )
        return public_revision(ShipmentPublic, revision, [source_public(s) for s in sources])

    return run_write(session=session, by=by, via=via, form_key=form_key, write=write)


def retract_shipment(
    *,
    session: Session,
    shipment_id: int,
    reason: str,
    by: str,
    via: str,
    form_key: str | None = None,
) -> RevisionPublic:
    """Record that a shipment is withdrawn from the ledger, with the reason; its history stays."""

    def write(tx: Transaction) -> RevisionPublic:
        session = tx.session
        try:
            text = clean_reason(reason)
        except ValueError as exc:
            raise InvalidInput.single("reason", str(exc)) from None
        latest = _latest_or_refuse(session, shipment_id)
        old_sources = sources_by_revision(session, [row_id(latest)]).get(row_id(latest), [])
        revision = ShipmentRevision(
            **{name: getattr(latest, name) for name in FIELD_NAMES},
            mass_kg=latest.mass_kg,
            shipment_id=shipment_id,
            revision=latest.revision + 1,
            action="retract",
            reason=text,
            recorded_by=tx.actor,
            recorded_at=tx.at,
        )
        session.add(revision)
        session.flush()
        _supersede(tx, latest)
        hide_shipment(session, shipment_id)
        session.add_all(
            RevisionSourceLink(revision_id=row_id(revision), source_id=s.id) for s in old_sources
        )
        tx.record("shipment.retract", f"shipment {shipment_id}", f"reason: {text}")
        session.flush()
        return public_revision(RevisionPublic, revision, old_sources)

    return run_write(session=session, by=by, via=via, form_key=form_key, write=write)


def _latest_or_refuse(session: Session, shipment_id: int) -> ShipmentRevision:
    latest = session.exec(
        select(ShipmentRevision)
        .where(col(ShipmentRevision.shipment_id) == shipment_id)
        .order_by(col(ShipmentRevision.revision).desc())
    ).first()
    if latest is None:
        raise NotFound(f"no shipment with id {shipment_id}")
    if latest.action == "retract":
        raise AlreadyRetracted(f"shipment {shipment_id} was retracted: {latest.reason}")
    return latest


def _supersede(tx: Transaction, latest: ShipmentRevision) -> None:
    """Say, on the revision that stood, when the next one was recorded: now."""
    tx.session.execute(
        update(ShipmentRevision)
        .where(col(ShipmentRevision.id) == row_id(latest))
        .where(col(ShipmentRevision.superseded_at).is_(None))
        .values(superseded_at=tx.at)
    )


def _insert_revision(
    tx: Transaction,
    *,
    shipment_id: int,
    number: int,
    action: str,
    reason: str | None,
    facts: ShipmentCreate,
    source_ids: Iterable[int],
) -> ShipmentRevision:
    session = tx.session
    revision = ShipmentRevision(
        **facts.model_dump(include=set(FIELD_NAMES)),
        mass_kg=facts.mass_kg,
        shipment_id=shipment_id,
        revision=number,
        action=action,
        reason=reason,
        recorded_by=tx.actor,
        recorded_at=tx.at,
    )
    session.add(revision)
    session.flush()
    linked = list(dict.fromkeys(source_ids))
    show_revision(session, revision, linked)
    session.add_all(
        RevisionSourceLink(revision_id=row_id(revision), source_id=source_id)
        for source_id in linked
    )
    session.flush()
    return revision
