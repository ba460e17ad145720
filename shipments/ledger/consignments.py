"""Consignments: a sent record and a received record of the same cargo, counted once.

The same cargo is often reported twice: when it leaves and when it arrives. An editor links the
two records; both stay in the ledger with their sources, and every total, daily series and reading
counts the consignment once: by its sent record, or by its received record where a reading says
so (``basis``). A link joins a ``sent`` record and a ``received`` record of one donor and one
recipient (names compared without regard to case), the received one dated on or after the sent
one, whose masses differ by at most ``CONSIGNMENT_TOLERANCE_PCT`` % of the sent record's; a
correction that would break those rules is refused while the link stands. A consignment stands
while its latest link row says ``link`` and both records are current: retracting one leaves the
other counted alone.

Links are few beside shipments, so readers take the standing ones (``linked_records``) and
subtract the records a basis leaves out from what the database summed, instead of joining every
shipment to the links.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from sqlalchemy import func, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from shipments.errors import InvalidInput
from shipments.ledger.standing import current_revisions_query
from shipments.models import (
    ConsignmentCreate,
    ConsignmentLink,
    ConsignmentPublic,
    CurrentShipment,
    ShipmentRevision,
)
from shipments.models.consignments import LINK, UNLINK
from shipments.rules import CONSIGNMENT_TOLERANCE_PCT, clean_reason
from shipments.transaction import Transaction, run_write
from shipments.units import format_tonnes

SENT, RECEIVED = "sent", "received"
# What ``counts`` does without a reading's basis: totals and charts count a consignment on the
# day it was sent.
DEFAULT_BASIS = SENT


class LinkFacts(Protocol):
    """The facts of a record that a link is checked against."""

    @property
    def event_date(self) -> date: ...
    @property
    def date_means(self) -> str: ...
    @property
    def donor(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def mass_kg(self) -> int: ...


@dataclass(frozen=True)
class LinkedRecord:
    """One record of a standing consignment: its role, its partner and the facts totals use."""

    shipment_id: int
    other_id: int
    role: str
    event_date: date
    donor: str
    recipient: str
    cargo: str
    mass_kg: int


def counted_out(records: Iterable[LinkedRecord], basis: str = DEFAULT_BASIS) -> list[LinkedRecord]:
    """Return the records a basis leaves out: the other record of each consignment."""
    return [r for r in records if r.role != basis]


def linked_records(*, session: Session, as_of: datetime | None = None) -> list[LinkedRecord]:
    """Return both records of every consignment standing now (or at ``as_of``)."""
    pairs = _standing_pairs(session, as_of)
    if not pairs:
        return []
    ids = {i for pair in pairs for i in pair}
    facts = _current_facts(session, ids, as_of)
    records = []
    for sent_id, received_id in pairs:
        if sent_id in facts and received_id in facts:
            for shipment_id, other_id, role in (
                (sent_id, received_id, SENT),
                (received_id, sent_id, RECEIVED),
            ):
                row = facts[shipment_id]
                records.append(
                    LinkedRecord(
                        shipment_id=shipment_id,
                        other_id=other_id,
                        role=role,
                        event_date=row.event_date,
                        donor=row.donor,
                        recipient=row.recipient,
                        cargo=row.cargo,
                        mass_kg=row.mass_kg,
                    )
                )
    return records


def standing_partners(as_of: datetime | None = None) -> Any:
    """Return a subquery of (shipment_id, other_id): each record of a consignment standing now
    (or at ``as_of``) and its other record, for an export to join to the shipments it reads."""
    recorded = [] if as_of is None else [col(ConsignmentLink.recorded_at) <= as_of]
    latest = (
        select(func.max(ConsignmentLink.id))
        .where(*recorded)
        .group_by(col(ConsignmentLink.sent_id), col(ConsignmentLink.received_id))
        .scalar_subquery()
    )
    pairs: Any = sa_select(
        col(ConsignmentLink.sent_id).label("sent_id"),
        col(ConsignmentLink.received_id).label("received_id"),
    ).where(col(ConsignmentLink.id).in_(latest), col(ConsignmentLink.action) == LINK)
    for record in (col(ConsignmentLink.sent_id), col(ConsignmentLink.received_id)):
        # Both records stand then, not retracted: now by the projection, else by the history.
        if as_of is None:
            now = aliased(CurrentShipment)
            pairs = pairs.join(now, col(now.shipment_id) == record)
        else:
            then = current_revisions_query(as_of).subquery()
            pairs = pairs.join(then, then.c.shipment_id == record)
    standing = pairs.subquery("standing_pair")
    both_ways = union_all(
        sa_select(
            standing.c.sent_id.label("shipment_id"), standing.c.received_id.label("other_id")
        ),
        sa_select(standing.c.received_id, standing.c.sent_id),
    )
    return both_ways.subquery("consignment_partner")


def list_consignments(*, session: Session) -> list[ConsignmentPublic]:
    """Return every consignment standing now, as linked (the latest link row of each pair)."""
    standing = {(r.shipment_id, r.other_id) for r in linked_records(session=session)}
    latest: dict[tuple[int, int], ConsignmentLink] = {}
    for row in session.exec(select(ConsignmentLink).order_by(col(ConsignmentLink.id))):
        latest[(row.sent_id, row.received_id)] = row
    return [
        ConsignmentPublic(
            sent_id=row.sent_id,
            received_id=row.received_id,
            reason=row.reason,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )
        for pair, row in latest.items()
        if row.action == LINK and pair in standing
    ]


def link_consignment(
    *,
    session: Session,
    link_in: ConsignmentCreate,
    by: str,
    via: str,
    form_key: str | None = None,
) -> ConsignmentPublic:
    """Link a sent and a received record as one consignment, as editor ``by``; return the link."""
    return run_write(
        session=session,
        by=by,
        via=via,
        form_key=form_key,
        write=lambda tx: add_link(
            tx=tx, first_id=link_in.first_id, second_id=link_in.second_id, reason=link_in.reason
        ),
    )


def unlink_consignment(
    *,
    session: Session,
    link_in: ConsignmentCreate,
    by: str,
    via: str,
    form_key: str | None = None,
) -> ConsignmentPublic:
    """Undo a link (both records count again), with the reason, as editor ``by``."""

    def write(tx: Transaction) -> ConsignmentPublic:
        try:
            reason = clean_reason(link_in.reason)
        except ValueError as exc:
            raise InvalidInput.single("reason", str(exc)) from None
        pair = {link_in.first_id, link_in.second_id}
        standing = {
            (r.shipment_id, r.other_id)
            for r in linked_records(session=tx.session)
            if r.role == SENT and {r.shipment_id, r.other_id} == pair
        }
        if not standing:
            raise InvalidInput.single(
                "second_id",
                f"shipments {link_in.first_id} and {link_in.second_id} are not linked as one"
                " consignment",
            )
        [(sent_id, received_id)] = standing
        return insert_link(tx, sent_id, received_id, UNLINK, reason)

    return run_write(session=session, by=by, via=via, form_key=form_key, write=write)


def add_link(
    *, tx: Transaction, first_id: int, second_id: int, reason: str | None, field: str = "second_id"
) -> ConsignmentPublic:
    """Add a link of two current records to the write ``tx`` (the forms', the importer's).

    Refusals name ``first_id``/``second_id`` (``field`` for the second record, e.g. an import
    column) or the fact that differs.
    """
    if first_id == second_id:
        raise InvalidInput.single(field, f"links shipment {first_id} with itself: name another")
    facts = _current_facts(tx.session, {first_id, second_id}, None)
    for shipment_id, name in ((first_id, "first_id"), (second_id, field)):
        if shipment_id not in facts:
            raise InvalidInput.single(
                name, f"there is no current shipment with ID {shipment_id} (it may be retracted)"
            )
    first_sent = check_pair(
        facts[first_id], facts[second_id], f"shipment {first_id}", f"shipment {second_id}", field
    )
    sent_id, received_id = (first_id, second_id) if first_sent else (second_id, first_id)
    standing = {r.shipment_id: r.other_id for r in linked_records(session=tx.session)}
    for shipment_id in (sent_id, received_id):
        if shipment_id in standing:
            raise InvalidInput.single(
                field if shipment_id == second_id else "first_id",
                f"shipment {shipment_id} is already linked with shipment"
                f" {standing[shipment_id]} as one consignment: unlink them first",
            )
    return insert_link(tx, sent_id, received_id, LINK, reason)


def check_pair(
    first: LinkFacts, second: LinkFacts, first_name: str, second_name: str, field: str
) -> bool:
    """Refuse two records that cannot be one consignment; return True when the first was sent.

    ``first_name`` and ``second_name`` say the records in a refusal ("shipment 1", "line 7");
    one that names neither fact names ``field``.
    """
    if first.date_means == second.date_means:
        raise InvalidInput.single(
            field,
            f"one consignment joins a sent record and a received record: {first_name} and"
            f" {second_name} are both dated when {first.date_means}",
        )
    if first.date_means == SENT:
        refuse_broken_link(first, second, first_name, second_name)
        return True
    refuse_broken_link(second, first, second_name, first_name)
    return False


def refuse_broken_link(
    sent: LinkFacts, received: LinkFacts, sent_name: str, received_name: str
) -> None:
    """Refuse two records as one consignment when their facts cannot be one cargo."""
    for name in ("donor", "recipient"):
        one, other = getattr(sent, name), getattr(received, name)
        if one.casefold() != other.casefold():
            raise InvalidInput.single(
                name,
                f"{sent_name}'s {name} is {one!r} and {received_name}'s is {other!r}: one"
                f" consignment has one {name}",
            )
    if received.event_date < sent.event_date:
        raise InvalidInput.single(
            "event_date",
            f"the received record ({received_name}, {received.event_date.isoformat()}) is"
            f" dated before the sent record ({sent_name}, {sent.event_date.isoformat()})",
        )
    apart = Decimal(abs(received.mass_kg - sent.mass_kg)) * 100 / sent.mass_kg
    if apart > CONSIGNMENT_TOLERANCE_PCT:
        shown = apart.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        raise InvalidInput.single(
            "tonnes",
            f"{sent_name} was sent with {format_tonnes(sent.mass_kg)} t and {received_name}"
            f" received with {format_tonnes(received.mass_kg)} t: {shown} % apart, more than the"
            f" {CONSIGNMENT_TOLERANCE_PCT} % one consignment may differ by",
        )


def refuse_correction_breaking_link(
    session: Session, shipment_id: int, corrected: LinkFacts
) -> None:
    """Refuse a correction of a linked record that its consignment's rules would not allow."""
    for record in linked_records(session=session):
        if record.shipment_id != shipment_id:
            continue
        if corrected.date_means != record.role:
            raise InvalidInput.single(
                "date_means",
                f"shipment {shipment_id} is linked with shipment {record.other_id} as one"
                f" consignment, as its {record.role} record: unlink them before changing what"
                " its date means",
            )
        other = _current_facts(session, {record.other_id}, None)[record.other_id]
        try:
            names = (f"shipment {shipment_id}", f"shipment {record.other_id}")
            if record.role == SENT:
                refuse_broken_link(corrected, other, *names)
            else:
                refuse_broken_link(other, corrected, *reversed(names))
        except InvalidInput as exc:
            [problem] = exc.problems
            raise InvalidInput.single(
                problem.field,
                f"{problem.rule} (shipment {shipment_id} is linked with shipment"
                f" {record.other_id} as one consignment: correct both, or unlink them first)",
            ) from None


def insert_link(
    tx: Transaction, sent_id: int, received_id: int, action: str, reason: str | None
) -> ConsignmentPublic:
    """Write a link (or unlink) row already checked, with its audit event, to the write ``tx``."""
    row = ConsignmentLink(
        sent_id=sent_id,
        received_id=received_id,
        action=action,
        reason=reason,
        recorded_by=tx.actor,
        recorded_at=tx.at,
    )
    tx.session.add(row)
    tx.session.flush()
    said = "linked as one consignment" if action == LINK else "unlinked"
    tx.record(
        f"consignment.{action}",
        f"shipment {sent_id}",
        f"sent record {sent_id} and received record {received_id} {said}"
        + (f"; reason: {reason}" if reason else ""),
    )
    return ConsignmentPublic(
        sent_id=sent_id,
        received_id=received_id,
        reason=reason,
        recorded_by=tx.actor,
        recorded_at=tx.at,
    )


def _standing_pairs(session: Session, as_of: datetime | None) -> list[tuple[int, int]]:
    """Return the (sent, received) pairs whose latest link row (by ``as_of``) links them."""
    recorded = [] if as_of is None else [col(ConsignmentLink.recorded_at) <= as_of]
    latest: dict[tuple[int, int], str] = {}
    rows = session.exec(
        select(ConsignmentLink.sent_id, ConsignmentLink.received_id, ConsignmentLink.action)
        .where(*recorded)
        .order_by(col(ConsignmentLink.id))
    )
    for sent_id, received_id, action in rows:
        latest[(sent_id, received_id)] = action
    return [pair for pair, action in latest.items() if action == LINK]


def current_facts(*, session: Session, ids: set[int]) -> dict[int, ShipmentRevision]:
    """Return the current revision of each of ``ids`` that stands now (absent: none)."""
    return _current_facts(session, ids, None)


def _current_facts(session: Session, ids: set[int], as_of: datetime | None) -> dict[int, Any]:
    """Return the standing revision of each of ``ids`` that is current (now or at ``as_of``)."""
    found: dict[int, Any] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        statement = current_revisions_query(as_of).where(
            col(ShipmentRevision.shipment_id).in_(chunk)
        )
        for revision in session.exec(statement):
            found[revision.shipment_id] = revision
    return found
