"""Reported figures (claims) and how they compare with the ledger.

A claim states a figure (tonnes, or a number of deliveries) with a qualifier, and keeps every
reading of its scope that its words allow: "269 tonnes at the fourth delivery" may be the total
to that day or that day's delivery alone. Each reading is checked against the ledger (now, or as
it stood at a moment); a claim is consistent when at least one reading is.

Tolerance, on the claimed value v:
    exact           v +/- half a unit of the last stated digit (269 -> 268.5..269.5)
    approximately   v +/- tolerance_pct % (default 5 %)
    at_least        ledger >= v
    at_most         ledger <= v
Difference is ledger minus claimed; the percentage is relative to the claimed value. A reading
with no matching shipments has the verdict ``no data``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from shipments.claims import implied_basis, list_claims, reading_in_view
from shipments.ledger import (
    DEFAULT_BASIS,
    LinkedRecord,
    ShipmentFilter,
    counted_out,
    current_revisions_query,
    linked_records,
)
from shipments.models import (
    ClaimPublic,
    ClaimReadingBase,
    ClaimReadingPublic,
    CurrentShipment,
)
from shipments.rules import DEFAULT_TOLERANCE_PCT, NAME_FIELDS
from shipments.units import kg_to_tonnes

LISTED = 1000  # shipment ids listed per reading; the count and the sum cover them all
# From this many readings on, reading the current ledger once beats a query per reading on a
# large ledger (measured in bench/RESULTS.md, "reconciliation").
ONE_PASS_READINGS = 100
CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
NO_DATA = "no data"


@dataclass(frozen=True)
class ReadingResult:
    """One reading of a claim, checked against the ledger."""

    reading_id: int
    description: str
    ledger_value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    difference: Decimal | None
    difference_pct: Decimal | None
    verdict: str
    shipment_ids: tuple[int, ...]
    shipment_count: int = 0
    # Which record of a linked consignment the reading counted, and how many such consignments
    # it counted once (their other record left out).
    basis: str = DEFAULT_BASIS
    counted_once: int = 0


@dataclass(frozen=True)
class ClaimResult:
    """A claim, each of its readings' results, and its overall verdict."""

    claim: ClaimPublic
    verdict: str
    readings: tuple[ReadingResult, ...]

    @property
    def supported_by(self) -> tuple[int, ...]:
        """Return the ids of the readings under which the claim is consistent."""
        return tuple(r.reading_id for r in self.readings if r.verdict == CONSISTENT)

    @property
    def representative(self) -> ReadingResult | None:
        """Return the reading that best represents the claim: the first consistent one, else
        the nearest, else the first."""
        chosen = next((r for r in self.readings if r.verdict == CONSISTENT), None)
        return chosen or self.closest or (self.readings[0] if self.readings else None)

    @property
    def closest(self) -> ReadingResult | None:
        """Return the reading whose ledger figure is nearest the claim, if any has data."""
        with_data = [r for r in self.readings if r.difference is not None]
        return min(with_data, key=lambda r: abs(r.difference or Decimal(0)), default=None)


@dataclass(frozen=True)
class Reconciliation:
    """Every claim checked against the ledger, now or as it stood at ``as_of``."""

    as_of: datetime | None
    claims: tuple[ClaimResult, ...]

    def count(self, verdict: str) -> int:
        """Return how many claims have ``verdict``."""
        return sum(1 for c in self.claims if c.verdict == verdict)

    @property
    def any_inconsistent(self) -> bool:
        """Return True when the ledger contradicts at least one claim."""
        return self.count(INCONSISTENT) > 0

    def within(self, filters: ShipmentFilter) -> Reconciliation:
        """Keep the claims with a reading inside a view's filters: what the Overview counts and
        draws and the Claims page lists (``shipments.claims.reading_in_view``)."""
        if filters.is_empty():
            return self
        kept = tuple(
            item
            for item in self.claims
            if any(reading_in_view(r, filters) for r in item.claim.readings)
        )
        return Reconciliation(as_of=self.as_of, claims=kept)


def reconcile(
    *,
    session: Session,
    as_of: datetime | None = None,
    list_ids: bool = True,
    listed_scopes: Collection[str] | None = None,
    one_pass_from: int = ONE_PASS_READINGS,
    scopes: Collection[str] | None = None,
) -> Reconciliation:
    """Check every claim against the ledger (now, or both as they stood at ``as_of``).

    ``list_ids`` lists the first ``LISTED`` shipment ids of each reading (by date, then id), or
    with ``listed_scopes`` of each reading of those scopes only; without it each reading has its
    count, sum and verdict only, which is all a chart needs.
    From ``one_pass_from`` readings on, the current ledger is read once and every reading
    is answered from that (see ``shipments.revision_arrays``) instead of with queries of its own.
    With ``scopes``, only the readings of those scopes are checked, and each claim's verdict is
    that of those readings alone (a claim with none is left out).
    """
    # As of a moment, the claims too are those recorded by then: a past report stays as it was.
    claims = list_claims(session=session, as_of=as_of)
    if scopes is not None:
        claims = [
            claim.model_copy(update={"readings": kept})
            for claim in claims
            if (kept := [r for r in claim.readings if r.scope in scopes])
        ]
    linked = linked_records(session=session, as_of=as_of)
    readings_count = sum(len(claim.readings) for claim in claims)
    matcher: _Matcher
    if readings_count >= one_pass_from:
        # Imported here: numpy is a tenth of a second of every command's start otherwise.
        from shipments.revision_arrays import ledger_index

        index = ledger_index(session, as_of)
        index.answer(r for claim in claims for r in claim.readings)
        matcher = index.matching
    else:

        def matcher(reading: ClaimReadingBase, listed: int) -> tuple[tuple[int, ...], int, int]:
            return _matching_shipments(session, reading, as_of, listed)

    results = []
    for claim in claims:
        readings = tuple(
            _check_reading(
                claim,
                r,
                matcher,
                list_ids and (listed_scopes is None or r.scope in listed_scopes),
                linked,
            )
            for r in claim.readings
        )
        results.append(ClaimResult(claim=claim, verdict=_overall(readings), readings=readings))
    return Reconciliation(as_of=as_of, claims=tuple(results))


# A matcher returns the first ``listed`` matching ids (by date, then id), the count and the mass.
_Matcher = Callable[[ClaimReadingBase, int], tuple[tuple[int, ...], int, int]]


def tolerance(
    value: Decimal, qualifier: str, tolerance_pct: Decimal | None = None
) -> tuple[Decimal | None, Decimal | None]:
    """Return the (low, high) bounds a ledger figure must fall within; None is unbounded."""
    if qualifier == "exact":
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        half = Decimal(1).scaleb(exponent) / 2
        return value - half, value + half
    if qualifier == "approximately":
        delta = value * (tolerance_pct or DEFAULT_TOLERANCE_PCT) / 100
        return value - delta, value + delta
    if qualifier == "at_least":
        return value, None
    if qualifier == "at_most":
        return None, value
    raise ValueError(f"unknown qualifier {qualifier!r}")


def verdict_for(ledger_value: Decimal, low: Decimal | None, high: Decimal | None) -> str:
    """Return consistent when ``ledger_value`` lies within the bounds (inclusive)."""
    if low is not None and ledger_value < low:
        return INCONSISTENT
    if high is not None and ledger_value > high:
        return INCONSISTENT
    return CONSISTENT


def _check_reading(
    claim: ClaimPublic,
    reading: ClaimReadingPublic,
    matcher: _Matcher,
    list_ids: bool,
    linked: list[LinkedRecord],
) -> ReadingResult:
    basis = reading.basis or implied_basis(claim)
    left_out = [r for r in counted_out(linked, basis) if _record_matches(reading, r)]
    ids, count, mass_kg = matcher(reading, LISTED + len(left_out) if list_ids else 0)
    if left_out:
        dropped = {r.shipment_id for r in left_out}
        ids = tuple(i for i in ids if i not in dropped)[:LISTED]
        count -= len(left_out)
        mass_kg -= sum(r.mass_kg for r in left_out)
    description = reading.describe()
    if left_out:
        once = len(left_out)
        description += (
            f"; {once} consignment{'s' if once > 1 else ''} counted once, by"
            f" {'its' if once == 1 else 'their'} {basis} record"
        )
    if not count:
        return ReadingResult(
            reading.id,
            description,
            None,
            None,
            None,
            None,
            None,
            NO_DATA,
            (),
            0,
            basis,
            len(left_out),
        )
    ledger_value = kg_to_tonnes(mass_kg) if claim.metric == "tonnes" else Decimal(count)
    value = claim.amount
    low, high = tolerance(value, claim.qualifier, claim.tolerance_pct)
    difference = ledger_value - value
    pct = (difference / value * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return ReadingResult(
        reading_id=reading.id,
        description=description,
        ledger_value=ledger_value,
        low=low,
        high=high,
        difference=difference,
        difference_pct=pct,
        verdict=verdict_for(ledger_value, low, high),
        shipment_ids=ids,
        shipment_count=count,
        basis=basis,
        counted_once=len(left_out),
    )


def _matching_shipments(
    session: Session, reading: ClaimReadingBase, as_of: datetime | None, listed: int
) -> tuple[tuple[int, ...], int, int]:
    """Return the first ``listed`` matching shipment ids, how many match, and their mass."""
    if as_of is None:
        return _matching_now(session, reading, listed)
    current = current_revisions_query(as_of).subquery()
    conditions = _date_conditions(current.c.event_date, reading)
    # Names are compared case-insensitively in Python, so both backends agree on every script.
    wanted = {name: value.casefold() for name in NAME_FIELDS if (value := getattr(reading, name))}
    rows = session.execute(
        sa_select(
            current.c.shipment_id,
            current.c.mass_kg,
            current.c.donor,
            current.c.recipient,
            current.c.cargo,
        )
        .where(*conditions)
        .order_by(current.c.event_date, current.c.shipment_id)
    )
    ids: list[int] = []
    count = mass_kg = 0
    for shipment_id, mass, donor, recipient, cargo in rows:
        names = {"donor": donor, "recipient": recipient, "cargo": cargo}
        if all(names[name].casefold() == value for name, value in wanted.items()):
            count += 1
            mass_kg += int(mass)
            if len(ids) < listed:
                ids.append(int(shipment_id))
    return tuple(ids), count, mass_kg


def _matching_now(
    session: Session, reading: ClaimReadingBase, listed: int
) -> tuple[tuple[int, ...], int, int]:
    """The same from current_shipment, counted and summed in the database (keys casefolded)."""
    table = CurrentShipment
    conditions = _date_conditions(col(table.event_date), reading)
    for name, key in zip(
        NAME_FIELDS, (table.donor_key, table.recipient_key, table.cargo_key), strict=True
    ):
        if value := getattr(reading, name):
            conditions.append(col(key) == value.casefold())
    count, mass = session.execute(
        sa_select(func.count(), func.coalesce(func.sum(col(table.mass_kg)), 0)).where(*conditions)
    ).one()
    if not listed:
        return (), int(count), int(mass)
    ids = session.execute(
        sa_select(col(table.shipment_id))
        .where(*conditions)
        .order_by(col(table.event_date), col(table.shipment_id))
        .limit(listed)
    ).scalars()
    return tuple(int(i) for i in ids), int(count), int(mass)


def _record_matches(reading: ClaimReadingBase, record: LinkedRecord) -> bool:
    """Return True when a reading counts a record: ``_date_conditions`` and its names, in Python."""
    if reading.start is not None and record.event_date < reading.start:
        return False
    if record.event_date > reading.end or (
        not reading.inclusive and record.event_date == reading.end
    ):
        return False
    return all(
        getattr(record, name).casefold() == value.casefold()
        for name in NAME_FIELDS
        if (value := getattr(reading, name))
    )


def _date_conditions(event_date: Any, reading: ClaimReadingBase) -> list[Any]:
    conditions = []
    if reading.start is not None:
        conditions.append(event_date >= reading.start)
    conditions.append(event_date <= reading.end if reading.inclusive else event_date < reading.end)
    return conditions


def _overall(readings: tuple[ReadingResult, ...]) -> str:
    verdicts = {r.verdict for r in readings}
    if CONSISTENT in verdicts:
        return CONSISTENT
    if INCONSISTENT in verdicts:
        return INCONSISTENT
    return NO_DATA
