"""Where each reported figure goes on the Overview's charts, and which claims a view keeps.

A claim keeps every reading of its scope; a chart has room for one marker per claim, so the
claim is drawn at the reading that best represents it (see ``claim_points``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from shipments.claims import reading_in_view
from shipments.ledger import ShipmentFilter
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
    start: dt.date | None = None  # a period's first day; the point's ``date`` is its last


def claim_points(result: Reconciliation, filters: ShipmentFilter | None = None) -> list[ClaimPoint]:
    """Place each tonnes claim at its supporting reading (else its closest, else its first).

    With ``filters``, keep the claims the view speaks of (``Reconciliation.within``, as the
    Claims page and the Overview's counts do) and choose among their readings inside the view.
    """
    kept = result if filters is None else result.within(filters)
    points = []
    for item in kept.claims:
        claim = item.claim
        if claim.metric != "tonnes" or not claim.readings:
            continue
        specs = {r.id: r for r in claim.readings}
        candidates = [
            r
            for r in item.readings
            if filters is None or reading_in_view(specs[r.reading_id], filters)
        ]
        with_data = [r for r in candidates if r.difference is not None]
        chosen = next((r for r in candidates if r.verdict == CONSISTENT), None)
        chosen = chosen or min(
            with_data, key=lambda r: abs(r.difference or Decimal(0)), default=None
        )
        chosen = chosen or candidates[0]
        reading = specs[chosen.reading_id]
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
                start=reading.start if reading.scope == "period" else None,
            )
        )
    return points
