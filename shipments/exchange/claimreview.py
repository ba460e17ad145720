"""The reconciliation as schema.org ClaimReview (JSON-LD): one review per claim, with numbers.

Each ``ClaimReview`` carries what Google's fact-check markup asks for (``claimReviewed``,
``reviewRating.alternateName``, ``url``, ``author``, ``datePublished``, and an ``itemReviewed``
``Claim`` with its author, date and appearance) and, as ``PropertyValue`` entries, the figures
behind the verdict: the claimed value with its qualifier, the tolerance as a range, the ledger's
value, the difference (also in percent) and the reading they come from. No ClaimReview property
carries numbers: ``additionalProperty`` is schema.org's property-value mechanism (it lists
products, places and values as its usual domain); JSON-LD processors keep it, and consumers
that do not know it pass it by.

The figures are those of the reading that best represents the claim
(``ClaimResult.representative``: the first consistent one, else the one nearest the claim, else
the first); every reading stays in the reconciliation's CSV and JSON.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO
from urllib.parse import urlsplit

from sqlmodel import Session

from shipments.audit import latest_write
from shipments.errors import InvalidInput
from shipments.reconcile import (
    CONSISTENT,
    INCONSISTENT,
    NO_DATA,
    ClaimResult,
    Reconciliation,
    reconcile,
)
from shipments.rules import utcnow

CONTEXT = "https://schema.org"
# The dashboard's public address, for the reviews' urls (the data URL uses its own otherwise).
SITE_SETTING = "LEDGER_PUBLIC_URL"
PUBLISHER = "Aid shipment ledger"
CLAIMS_PAGE = "claims"  # the dashboard's Claims page, relative to the site
# UN/CEFACT common codes, as schema.org's unitCode asks: tonne, percent.
TONNE, PERCENT = "TNE", "P1"
EXPLANATIONS = {
    CONSISTENT: "The ledger's figure lies within the claim's tolerance under at least one reading "
    "of its words.",
    INCONSISTENT: "Under no reading of its words does the ledger's figure lie within the claim's "
    "tolerance.",
    NO_DATA: "The ledger holds no shipments that any reading of the claim's words counts.",
}


def site_url(given: str | None = None, *, fallback: str | None = None) -> str:
    """Return the dashboard's public address: ``given``, else LEDGER_PUBLIC_URL, else
    ``fallback`` (a request's own address); checked."""
    given = (given or "").strip() or os.environ.get(SITE_SETTING, "").strip()
    given = given or (fallback or "").strip()
    if not given:
        rule = f"say where the dashboard is published: --site URL or {SITE_SETTING}"
        raise InvalidInput.single("site", rule)
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        example = "https://ledger.example.org"
        rule = f"must be the dashboard's http(s) address, e.g. {example} (got {given!r})"
        raise InvalidInput.single("site", rule)
    return given


def write_claimreview(
    *, session: Session, file: TextIO, site: str, as_of: datetime | None = None
) -> int:
    """Write the reconciliation (now, or ``as_of``) as ClaimReview JSON-LD; return the count."""
    result = reconcile(session=session, as_of=as_of, list_ids=False)
    _, written = latest_write(session=session)
    document = claim_reviews(result, site=site, published=as_of or written)
    json.dump(document, file, indent=2, ensure_ascii=False)
    file.write("\n")
    return len(result.claims)


def claim_reviews(
    result: Reconciliation,
    *,
    site: str,
    published: datetime | None,
    publisher: str = PUBLISHER,
) -> dict[str, Any]:
    """Return a JSON-LD document with one ClaimReview per claim of ``result``.

    ``site`` is the dashboard's address: each review's ``url`` is its Claims page with the
    claim's anchor. ``published`` is when the ledger last changed: each review's date.
    """
    site = site.rstrip("/") + "/"
    day = (published or utcnow()).date().isoformat()
    return {
        "@context": CONTEXT,
        "@graph": [
            _review(item, site=site, day=day, publisher=publisher) for item in result.claims
        ],
    }


def _review(item: ClaimResult, *, site: str, day: str, publisher: str) -> dict[str, Any]:
    claim = item.claim
    page_url = f"{site}{CLAIMS_PAGE}"
    review: dict[str, Any] = {
        "@type": "ClaimReview",
        "@id": f"{page_url}#claim-{claim.id}",
        "url": f"{page_url}#claim-{claim.id}",
        "claimReviewed": claim.quote,
        "datePublished": day,
        "author": {"@type": "Organization", "name": publisher, "url": site},
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Organization", "name": claim.claimant},
            "appearance": {
                "@type": "CreativeWork",
                "url": claim.source.url,
                "headline": claim.source.title,
                "publisher": {"@type": "Organization", "name": claim.source.publisher},
            },
        },
        "reviewRating": {
            "@type": "Rating",
            "alternateName": item.verdict,
            "ratingExplanation": EXPLANATIONS.get(item.verdict, item.verdict),
        },
        "additionalProperty": _figures(item),
    }
    if claim.stated_on is not None:
        review["itemReviewed"]["datePublished"] = claim.stated_on.isoformat()
    if claim.source.published_date is not None:
        appearance = review["itemReviewed"]["appearance"]
        appearance["datePublished"] = _day(claim.source.published_date)
    return review


def _figures(item: ClaimResult) -> list[dict[str, Any]]:
    claim = item.claim
    unit = {"unitCode": TONNE} if claim.metric == "tonnes" else {"unitText": "deliveries"}
    figures: list[dict[str, Any]] = [
        {
            "@type": "PropertyValue",
            "propertyID": "claimedValue",
            "name": "claimed",
            "value": _number(claim.amount),
            "valueReference": {"@type": "QualitativeValue", "name": claim.qualifier},
            **unit,
        }
    ]
    reading = item.representative
    if reading is None:
        return figures
    figures.append(
        {
            "@type": "PropertyValue",
            "propertyID": "reading",
            "name": "reading",
            "value": reading.description,
            "description": f"verdict under this reading: {reading.verdict}",
        }
    )
    if reading.low is not None or reading.high is not None:
        band: dict[str, Any] = {
            "@type": "PropertyValue",
            "propertyID": "tolerance",
            "name": "tolerance",
            **unit,
        }
        if reading.low is not None:
            band["minValue"] = _number(reading.low)
        if reading.high is not None:
            band["maxValue"] = _number(reading.high)
        figures.append(band)
    for key, name, value, its_unit in (
        ("ledgerValue", "ledger", reading.ledger_value, unit),
        ("difference", "ledger minus claimed", reading.difference, unit),
        ("differencePercent", "difference, percent of claimed", reading.difference_pct, None),
    ):
        if value is not None:
            figures.append(
                {
                    "@type": "PropertyValue",
                    "propertyID": key,
                    "name": name,
                    "value": _number(value),
                    **(its_unit or {"unitCode": PERCENT}),
                }
            )
    return figures


def _number(value: Decimal) -> int | float:
    # Tonnes keep at most three decimals and percentages two: a float holds them exactly enough
    # to print the same digits (json writes the shortest repr that reads back the same).
    return int(value) if value == value.to_integral_value() else float(value)


def _day(value: date | datetime) -> str:
    return (value.date() if isinstance(value, datetime) else value).isoformat()
