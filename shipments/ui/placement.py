"""Where each reported figure goes on the Overview's charts, and which claims a view keeps.

A claim keeps every reading of its scope; a chart has room for one marker per claim, so the
claim is drawn at the reading that best represents it (see ``claim_points``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from shipments.ledger import ShipmentFilter
from shipments.models import ClaimReadingBase
from shipments.reconcile import CONSISTENT, Reconciliation, tolerance


@dataclass(frozen=True)
class ClaimPoint:
    """A tonnes claim placed on a chart: at the date of the reading that best represents it."""

    claim_id: int
    claimant: str
    stated_on: date | None
    quote: str
    source_publisher: str
    source_url: str
    value: Decimal
    qualifier: str
    low: Decimal | None
    high: Decimal | None
    verdict: str
    reading: str
    scope: str
    date: date
    ledger_value: Decimal | None
    difference_pct: Decimal | None


def claim_points(result: Reconciliation, filters: ShipmentFilter | None = None) -> list[ClaimPoint]:
    """Place each tonnes claim at its supporting reading (else its closest, else its first).

    With ``filters``, keep the claims whose reading lies in the date range and, for each of
    donor, recipient and cargo the filter names, is itself limited to one of those names.
    """
    points = []
    for item in result.claims:
        claim = item.claim
        if claim.metric != "tonnes" or not claim.readings:
            continue
        chosen = next((r for r in item.readings if r.verdict == CONSISTENT), None)
        chosen = chosen or item.closest or item.readings[0]
        reading = next(r for r in claim.readings if r.id == chosen.reading_id)
        if filters is not None and not reading_matches(reading, filters):
            continue
        day = reading.end if reading.inclusive else reading.end - timedelta(days=1)
        low, high = tolerance(claim.amount, claim.qualifier, claim.tolerance_pct)
        points.append(
            ClaimPoint(
                claim_id=claim.id,
                claimant=claim.claimant,
                stated_on=claim.stated_on,
                quote=claim.quote,
                source_publisher=claim.source.publisher,
                source_url=claim.source.url,
                value=claim.amount,
                qualifier=claim.qualifier,
                low=low,
                high=high,
                verdict=item.verdict,
                reading=chosen.description,
                scope=reading.scope,
                date=day,
                ledger_value=chosen.ledger_value,
                difference_pct=chosen.difference_pct,
            )
        )
    return points


def reading_matches(reading: ClaimReadingBase, filters: ShipmentFilter) -> bool:
    """Return True when a reading falls inside a view's filters (see ``claim_points``)."""
    if filters.date_from is not None and reading.end < filters.date_from:
        return False
    if filters.date_to is not None and reading.end > filters.date_to:
        return False
    for field, wanted in filters.by_name():
        value = getattr(reading, field)
        if wanted and (value is None or value.casefold() not in {w.casefold() for w in wanted}):
            return False
    return True
