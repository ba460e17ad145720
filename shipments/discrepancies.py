"""Discrepancies: claims the ledger does not bear out, opened by the ledger, worked by editors.

A claim with no consistent reading (inconsistent, or no data) has a discrepancy. Its life:

    (none) --ledger--> open --editor: explain--> explained
                        ^  \\--editor: resolve (only once the claim holds)--> resolved
                        |                                                      |
                        +---- ledger: reopen, when the claim fails again <-----+
    explained --ledger: reopen, when the ledger's figure is no longer the one explained--> open

The ledger opens and reopens discrepancies when it reconciles the current ledger: ``sync``, run
by ``python -m shipments reconcile``, ``discrepancies list`` and the Claims page. Each event
keeps the figures of the claim's representative reading at that moment (the ledger's value, the
difference) and the ledger version (the newest audit event's id) they reflect. Every change is
a new row, with who and when, like shipments; the ledger writes as ``LEDGER_ACTOR``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from shipments.audit import ledger_version
from shipments.errors import InvalidInput, NotFound
from shipments.models import Claim, ShipmentRevision, Source
from shipments.models.discrepancies import (
    EXPLAINED,
    OPEN,
    RESOLVED,
    STATES,
    DiscrepancyEvent,
    DiscrepancyExplanation,
)
from shipments.reconcile import CONSISTENT, ClaimResult, Reconciliation, reconcile
from shipments.transaction import LEDGER_ACTOR, Transaction, run_write

LEDGER_VIA = "reconcile"
# Shown first: what needs work, then what is explained, then what is done.
ORDER = {OPEN: 0, EXPLAINED: 1, RESOLVED: 2}


@dataclass(frozen=True)
class Discrepancy:
    """A claim's discrepancy: its events, oldest first, and how the claim stands now."""

    claim_id: int
    events: tuple[DiscrepancyEvent, ...]
    now: ClaimResult | None

    @property
    def state(self) -> str:
        """Return the state its latest event set."""
        return self.events[-1].state

    @property
    def latest(self) -> DiscrepancyEvent:
        """Return its latest event."""
        return self.events[-1]

    @property
    def opened(self) -> DiscrepancyEvent:
        """Return the event that opened it this time (the latest open)."""
        return next(e for e in reversed(self.events) if e.state == OPEN)

    @property
    def needs_work(self) -> bool:
        """Return True when it is open and its claim still fails: nobody has explained it."""
        return self.state == OPEN and not self.holds_now

    @property
    def holds_now(self) -> bool:
        """Return True when the claim is consistent with the ledger now."""
        return self.now is not None and self.now.verdict == CONSISTENT


def sync(*, session: Session, result: Reconciliation) -> int:
    """Open (or reopen) the discrepancies that the current reconciliation shows; return how many.

    Only a reconciliation of the ledger as it stands now opens anything: the past is not worked.
    """
    if result.as_of is not None:
        return 0
    version = ledger_version(session=session)
    due = _due(_events_by_claim(session), result)
    if not due:
        return 0

    def write(tx: Transaction) -> int:
        events = _events_by_claim(tx.session)  # again, inside the write: another may have won
        opened = 0
        for item in _due(events, result):
            history = events.get(item.claim.id, [])
            event = _event(item, OPEN, history, tx, version)
            tx.session.add(event)
            again = "reopened" if history else "opened"
            tx.record("discrepancy.open", f"claim {item.claim.id}", f"{again}: {_gap(event)}")
            opened += 1
        return opened

    return run_write(
        session=session, by=LEDGER_ACTOR, via=LEDGER_VIA, write=write, check_editor=False
    )


def _due(events: dict[int, list[DiscrepancyEvent]], result: Reconciliation) -> list[ClaimResult]:
    """Return the claims whose discrepancy must be opened now."""
    due = []
    for item in result.claims:
        if item.verdict == CONSISTENT:
            continue
        history = events.get(item.claim.id)
        if not history or history[-1].state == RESOLVED:
            due.append(item)
        elif history[-1].state == EXPLAINED and _figures(item) != _figures_of(history[-1]):
            due.append(item)  # the ledger moved since the explanation was given
    return due


def list_discrepancies(
    *,
    session: Session,
    result: Reconciliation | None = None,
    states: tuple[str, ...] = STATES,
    as_of: datetime | None = None,
) -> list[Discrepancy]:
    """Return the claims' discrepancies in ``states``: open first, then explained, then resolved.

    With ``result`` (a reconciliation), each says how its claim stands in it; with ``as_of``,
    each is as it stood then (its events recorded by then).
    """
    return _listed(_events_by_claim(session, as_of=as_of), result, states)


def sync_and_list(
    *,
    session: Session,
    result: Reconciliation,
    states: tuple[str, ...] = STATES,
    as_of: datetime | None = None,
    on_open: Callable[[], object] | None = None,
) -> list[Discrepancy]:
    """Open what the reconciliation shows now (``sync``), then return ``list_discrepancies``:
    the events read once, not twice, when nothing was to open (most checks). ``on_open`` is
    called when this opened any (a write: the ledger's version moved)."""
    events = _events_by_claim(session, as_of=as_of)
    if result.as_of is None and _due(events, result):
        # Or another process opened them first.
        if sync(session=session, result=result) and on_open is not None:
            on_open()
        events = _events_by_claim(session, as_of=as_of)
    return _listed(events, result, states)


def _listed(
    events: dict[int, list[DiscrepancyEvent]],
    result: Reconciliation | None,
    states: tuple[str, ...],
) -> list[Discrepancy]:
    by_claim = {item.claim.id: item for item in result.claims} if result else {}
    found = [
        Discrepancy(claim_id=claim_id, events=tuple(history), now=by_claim.get(claim_id))
        for claim_id, history in events.items()
        if history[-1].state in states
    ]
    return sorted(found, key=lambda d: (ORDER[d.state], d.opened.at, d.claim_id))


def explain(
    *,
    session: Session,
    claim_id: int,
    explanation_in: DiscrepancyExplanation,
    by: str,
    via: str,
) -> DiscrepancyEvent:
    """Mark a claim's discrepancy explained, with a reason and perhaps a link; return the event.

    The explanation is of the ledger's figure now: if that figure changes, the ledger reopens it.
    """
    result = reconcile(session=session, list_ids=False)
    sync(session=session, result=result)
    version = ledger_version(session=session)

    def write(tx: Transaction) -> DiscrepancyEvent:
        item = _claim_result(result, claim_id)
        history = _events_by_claim(tx.session, claim_id).get(claim_id, [])
        if not history or history[-1].state == RESOLVED:
            raise InvalidInput.single(
                "claim", f"claim {claim_id} has no open discrepancy to explain ({_state(history)})"
            )
        if item.verdict == CONSISTENT:
            raise InvalidInput.single(
                "claim", f"claim {claim_id} now holds against the ledger: resolve it instead"
            )
        _check_link(tx.session, explanation_in)
        event = _event(item, EXPLAINED, history, tx, version)
        event.reason = explanation_in.reason
        event.link_kind = explanation_in.link_kind
        event.link_id = explanation_in.link_id
        tx.session.add(event)
        tx.record("discrepancy.explain", f"claim {claim_id}", explanation_in.reason)
        return event

    return run_write(session=session, by=by, via=via, write=write)


def resolve(
    *, session: Session, claim_id: int, by: str, via: str, note: str | None = None
) -> DiscrepancyEvent:
    """Mark a claim's discrepancy resolved: the ledger was corrected and the claim now holds."""
    result = reconcile(session=session, list_ids=False)
    sync(session=session, result=result)
    version = ledger_version(session=session)
    reason = DiscrepancyExplanation(reason=note).reason if note is not None else None

    def write(tx: Transaction) -> DiscrepancyEvent:
        item = _claim_result(result, claim_id)
        history = _events_by_claim(tx.session, claim_id).get(claim_id, [])
        if not history or history[-1].state == RESOLVED:
            raise InvalidInput.single(
                "claim", f"claim {claim_id} has no discrepancy to resolve ({_state(history)})"
            )
        if item.verdict != CONSISTENT:
            raise InvalidInput.single(
                "claim",
                f"claim {claim_id} is still {item.verdict} against the ledger: correct the "
                "ledger first, or explain the discrepancy",
            )
        event = _event(item, RESOLVED, history, tx, version)
        event.reason = reason
        tx.session.add(event)
        tx.record("discrepancy.resolve", f"claim {claim_id}", reason)
        return event

    return run_write(session=session, by=by, via=via, write=write)


def _event(
    item: ClaimResult, state: str, history: list[DiscrepancyEvent], tx: Transaction, version: int
) -> DiscrepancyEvent:
    ledger_value, difference, difference_pct, reading_id = _figures(item)
    assert item.claim.id is not None
    return DiscrepancyEvent(
        claim_id=item.claim.id,
        seq=len(history) + 1,
        state=state,
        at=tx.at,
        actor=tx.actor,
        verdict=item.verdict,
        reading_id=reading_id,
        ledger_value=ledger_value,
        difference=difference,
        difference_pct=difference_pct,
        ledger_version=version,
    )


def _figures(item: ClaimResult) -> tuple[str | None, str | None, str | None, int | None]:
    reading = item.representative
    if reading is None:
        return None, None, None, None
    return (
        _text(reading.ledger_value),
        _text(reading.difference),
        _text(reading.difference_pct),
        reading.reading_id,
    )


def _figures_of(event: DiscrepancyEvent) -> tuple[str | None, str | None, str | None, int | None]:
    return event.ledger_value, event.difference, event.difference_pct, event.reading_id


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _gap(event: DiscrepancyEvent) -> str:
    if event.ledger_value is None:
        return f"{event.verdict}: the ledger holds no shipments the claim counts"
    return f"{event.verdict}: ledger {event.ledger_value}, difference {event.difference}"


def _state(history: list[DiscrepancyEvent]) -> str:
    return f"it is {history[-1].state}" if history else "the ledger bears it out"


def _claim_result(result: Reconciliation, claim_id: int) -> ClaimResult:
    for item in result.claims:
        if item.claim.id == claim_id:
            return item
    raise NotFound(f"no claim {claim_id}")


def _check_link(session: Session, explanation: DiscrepancyExplanation) -> None:
    if explanation.link_kind is None:
        return
    key = {
        "shipment": col(ShipmentRevision.shipment_id),
        "claim": col(Claim.id),
        "source": col(Source.id),
    }[explanation.link_kind]
    if session.exec(select(key).where(key == explanation.link_id).limit(1)).first() is None:
        raise InvalidInput.single(
            "link", f"there is no {explanation.link_kind} {explanation.link_id}"
        )


def _events_by_claim(
    session: Session, claim_id: int | None = None, as_of: datetime | None = None
) -> dict[int, list[DiscrepancyEvent]]:
    query = select(DiscrepancyEvent).order_by(
        col(DiscrepancyEvent.claim_id), col(DiscrepancyEvent.seq)
    )
    if claim_id is not None:
        query = query.where(col(DiscrepancyEvent.claim_id) == claim_id)
    if as_of is not None:
        query = query.where(col(DiscrepancyEvent.at) <= as_of)
    events: dict[int, list[DiscrepancyEvent]] = defaultdict(list)
    for event in session.exec(query):
        events[event.claim_id].append(event)
    return dict(events)
