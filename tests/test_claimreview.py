"""ClaimReview with numbers: one schema.org ClaimReview per claim, checked by a JSON-LD processor.

PyLD expands each document with schema.org's context served from tests/data (its terms for the
properties used here): a document that asked for anything else over the network fails the test.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shipments.claims import record_claim
from shipments.cli import main
from shipments.exchange.claimreview import SITE_SETTING, claim_reviews
from shipments.ledger import correct_shipment
from shipments.models import ClaimCreate, ShipmentCorrection
from shipments.reconcile import reconcile
from shipments.rules import parse
from shipments.web import data, routes

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


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    monkeypatch.delenv(SITE_SETTING, raising=False)
    data._engine.cache_clear()
    app = Starlette(routes=routes.routes(), middleware=routes.middleware())
    with TestClient(app) as test_client:
        yield test_client
    data._engine.cache_clear()


def test_the_data_url_serves_the_reviews_linked_to_the_site(
    seeded_session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    answer = client.get("/data/claimreview.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/ld+json"
    assert answer.headers["content-disposition"].startswith('inline; filename="claimreview_')
    found = reviews(expand(answer.json()))
    assert len(found) == 7
    assert one(found[0], "url").startswith("http://testserver/claims#claim-")  # its own address
    monkeypatch.setenv(SITE_SETTING, SITE)
    published = client.get("/data/claimreview.jsonld").json()
    assert {r["url"].split("#")[0] for r in published["@graph"]} == {f"{SITE}/claims"}
    # What the command line writes for the same site, byte for byte.
    out = io.StringIO()
    assert main(["export", "--claimreview", "--site", SITE], stdout=out) == 0
    assert json.loads(out.getvalue()) == published


@pytest.mark.parametrize(
    ("query", "parameter", "rule"),
    [
        ("as_of=yesterday", "as_of", "must be an ISO 8601 timestamp"),
        ("bom=1", "bom", "applies to the CSV files only"),
        ("as_of=2019-01-01T00:00:00Z&as_of=2019-01-02T00:00:00Z", "as_of", "once"),
    ],
)
def test_the_data_url_refuses_bad_parameters_by_name(
    seeded_session: Session, client: TestClient, query: str, parameter: str, rule: str
):
    answer = client.get(f"/data/claimreview.jsonld?{query}")
    assert answer.status_code == 400
    assert answer.json()["parameter"] == parameter
    assert rule in answer.json()["rule"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "error: site: say where the dashboard is published: --site URL or LEDGER_PUBLIC_URL"),
        (["--site", "ftp://example.org"], "error: site: must be the dashboard's http(s) address"),
        (["--site", SITE, "--hxl"], "error: claimreview: writes JSON-LD: leave out --hxl"),
        (["--site", SITE, "--format", "xlsx"], "error: claimreview: writes JSON-LD"),
    ],
)
def test_the_command_line_refuses_a_review_it_cannot_link(
    seeded_session: Session,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
):
    monkeypatch.delenv(SITE_SETTING, raising=False)
    out = io.StringIO()
    assert main(["--database-url", database_url, "export", "--claimreview", *args], stdout=out) == 2
    assert said in capsys.readouterr().err
    assert out.getvalue() == ""
