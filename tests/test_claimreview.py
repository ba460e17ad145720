"""ClaimReview with numbers: one schema.org ClaimReview per claim, checked by a JSON-LD processor.

PyLD expands each document with schema.org's context served from tests/data (its terms for the
properties used here): a document that asked for anything else over the network fails the test.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from sqlmodel import Session

from shipments.claims import record_claim
from shipments.exchange.claimreview import claim_reviews
from shipments.ledger import correct_shipment
from shipments.models import ClaimCreate, ShipmentCorrection
from shipments.reconcile import reconcile
from shipments.rules import parse

SCHEMA = "http://schema.org/"
CONTEXT = json.loads((Path(__file__).parent / "data" / "schemaorg-context.jsonld").read_text())
SITE = "https://ledger.example.org"
# Google's fact-check markup: what it requires of a ClaimReview, and what it recommends.
REQUIRED = ("claimReviewed", "reviewRating", "url")
RECOMMENDED = ("author", "datePublished", "itemReviewed")


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Serve schema.org's context from disk; refuse every other address."""
    if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
        raise AssertionError(f"the document asked the network for {url}")
    return {"contextUrl": None, "documentUrl": url, "document": CONTEXT}


def expand(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Expand a JSON-LD document; return its nodes by @id (blank ones included)."""
    expanded = jsonld.expand(json.loads(json.dumps(document)), {"documentLoader": offline_loader})
    flat = jsonld.flatten(expanded, None, {"documentLoader": offline_loader})
    return {node["@id"]: node for node in flat}


def one(node: dict[str, Any], term: str) -> Any:
    """Return the single value of ``term`` on an expanded node: an @id, a @value or a node."""
    [value] = node[SCHEMA + term]
    return value.get("@value", value.get("@id"))


def reviews(nodes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in nodes.values() if SCHEMA + "ClaimReview" in n.get("@type", [])]


def figures(nodes: dict[str, dict[str, Any]], review: dict[str, Any]) -> dict[str, Any]:
    """Return a review's figures by propertyID: the value, or (min, max) for a range."""
    found = {}
    for ref in review[SCHEMA + "additionalProperty"]:
        node = nodes[ref["@id"]]
        if SCHEMA + "value" in node:
            found[one(node, "propertyID")] = one(node, "value")
        else:
            found[one(node, "propertyID")] = (one(node, "minValue"), one(node, "maxValue"))
    return found


def test_every_claim_gets_a_review_with_what_google_requires(seeded_session: Session):
    document = claim_reviews(reconcile(session=seeded_session), site=SITE, published=None)
    nodes = expand(document)
    found = reviews(nodes)
    assert len(found) == 7
    for review in found:
        for term in (*REQUIRED, *RECOMMENDED):
            assert SCHEMA + term in review, term
        rating = nodes[one(review, "reviewRating")]
        assert one(rating, "alternateName") == "consistent"
        claim = nodes[one(review, "itemReviewed")]
        assert claim["@type"] == [SCHEMA + "Claim"]
        assert one(nodes[one(claim, "author")], "name")
        assert one(nodes[one(claim, "appearance")], "url").startswith("http")
        assert one(review, "url").startswith(f"{SITE}/claims#claim-")
    quotes = {one(r, "claimReviewed") for r in found}
    assert any("269 Toneladas" in quote for quote in quotes)


def test_the_figures_behind_a_verdict_travel_with_it(seeded_session: Session):
    correct_shipment(
        session=seeded_session,
        shipment_id=3,
        correction_in=parse(ShipmentCorrection, {"tonnes": "46", "reason": "test"}),
        by="ana",
        via="cli",
    )
    nodes = expand(claim_reviews(reconcile(session=seeded_session), site=SITE, published=None))
    [ministry] = [r for r in reviews(nodes) if one(r, "url").endswith("#claim-1")]
    assert one(nodes[one(ministry, "reviewRating")], "alternateName") == "inconsistent"
    assert figures(nodes, ministry) == {
        "claimedValue": 269,
        "reading": "cumulative to 2019-05-27 (inclusive), donor China, recipient Venezuela",
        "tolerance": (268.5, 269.5),
        "ledgerValue": 251,
        "difference": -18,
        "differencePercent": -6.7,
    }
    claimed = next(
        nodes[ref["@id"]]
        for ref in ministry[SCHEMA + "additionalProperty"]
        if one(nodes[ref["@id"]], "propertyID") == "claimedValue"
    )
    assert one(claimed, "unitCode") == "TNE"
    assert one(nodes[one(claimed, "valueReference")], "name") == "exact"


def test_figures_keep_the_ledgers_digits(seeded_session: Session):
    correct_shipment(
        session=seeded_session,
        shipment_id=3,
        correction_in=parse(ShipmentCorrection, {"tonnes": "63.125", "reason": "test"}),
        by="ana",
        via="cli",
    )
    document = claim_reviews(reconcile(session=seeded_session), site=SITE, published=None)
    ministry = next(r for r in document["@graph"] if r["url"].endswith("#claim-1"))
    ledger = next(f for f in ministry["additionalProperty"] if f["propertyID"] == "ledgerValue")
    assert Decimal(json.dumps(ledger["value"])) == Decimal("268.125")


@pytest.mark.parametrize(
    "text",
    ['"}, {"@context": "https://evil.example"', "<script>alert(1)</script>", "269 t\n\u202e"],
)
def test_text_from_the_ledger_stays_a_string(seeded_session: Session, text: str):
    record_claim(
        session=seeded_session,
        claim_in=parse(
            ClaimCreate,
            {
                "claimant": "Someone",
                "quote": text,
                "metric": "tonnes",
                "value": "10",
                "qualifier": "exact",
                "source": {"publisher": "P", "title": "T", "url": "https://example.org/t"},
                "readings": [{"scope": "single", "end": "2019-05-27"}],
            },
        ),
        by="ana",
        via="cli",
    )
    nodes = expand(claim_reviews(reconcile(session=seeded_session), site=SITE, published=None))
    assert text in {one(r, "claimReviewed") for r in reviews(nodes)}
