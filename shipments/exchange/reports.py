"""The ledger's reports as rows for CSV (and JSON): claims, sources, the reconciliation, the audit.

Each report has its columns, its HXL hashtags and a function that turns records into rows;
``shipments.exchange.csvfiles.write_csv`` writes them. The shipments export has its own table in
``shipments.exchange.export``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from shipments.audit import write_origin
from shipments.models import AuditEvent, ClaimPublic, SignInEvent, SourcePublic
from shipments.reconcile import CONSISTENT, INCONSISTENT, NO_DATA, Reconciliation

CLAIM_COLUMNS: tuple[str, ...] = (
    "id",
    "claimant",
    "stated_on",
    "metric",
    "value",
    "qualifier",
    "tolerance_pct",
    "readings",
    "quote",
    "source",
    "source_url",
    "note",
    "recorded_by",
    "recorded_at",
)


CLAIM_HXL: dict[str, str] = {
    "id": "#meta+id",
    "claimant": "#org+claimant+name",
    "stated_on": "#date+reported",
    "metric": "#indicator+type",
    "value": "#indicator+num+claimed",
    "qualifier": "#indicator+qualifier",
    "tolerance_pct": "#indicator+pct+tolerance",
    "readings": "#description+readings",
    "quote": "#description+quote",
    "source": "#meta+source",
    "source_url": "#meta+url",
    "note": "#description+notes",
    "recorded_by": "#meta+recorded_by",
    "recorded_at": "#date+recorded",
}


SOURCE_COLUMNS: tuple[str, ...] = ("id", "publisher", "title", "url", "published_date", "kind")


SOURCE_HXL: dict[str, str] = {
    "id": "#meta+id",
    "publisher": "#meta+source",
    "title": "#meta+title",
    "url": "#meta+url",
    "published_date": "#date+published",
    "kind": "#meta+kind",
}


RECONCILIATION_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "claimant",
    "stated_on",
    "metric",
    "value",
    "qualifier",
    "claim_verdict",
    "reading_id",
    "reading",
    "ledger_value",
    "low",
    "high",
    "difference",
    "difference_pct",
    "reading_verdict",
    "shipment_count",
    "shipment_ids",
    "quote",
    "source_url",
)


RECONCILIATION_HXL: dict[str, str] = {
    "claim_id": "#meta+claim+id",
    "claimant": "#org+claimant+name",
    "stated_on": "#date+reported",
    "metric": "#indicator+type",
    "value": "#indicator+num+claimed",
    "qualifier": "#indicator+qualifier",
    "claim_verdict": "#status+claim",
    "reading_id": "#meta+reading+id",
    "reading": "#description+reading",
    "ledger_value": "#indicator+num+ledger",
    "low": "#indicator+num+low",
    "high": "#indicator+num+high",
    "difference": "#indicator+num+difference",
    "difference_pct": "#indicator+pct+difference",
    "reading_verdict": "#status+reading",
    "shipment_count": "#indicator+num+shipments",
    "shipment_ids": "#meta+shipments",
    "quote": "#description+quote",
    "source_url": "#meta+url",
}


# "from" is where a command-line write ran: "cli: user@host" (see shipments.audit.write_origin).
AUDIT_COLUMNS: tuple[str, ...] = ("at", "actor", "via", "from", "action", "subject", "detail")


SIGN_IN_COLUMNS: tuple[str, ...] = ("at", "name", "outcome", "address")


def audit_rows(events: Iterable[AuditEvent]) -> Iterator[dict[str, Any]]:
    """Turn audit events into rows, each with where a command-line write ran."""
    for e in events:
        yield {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "via": e.via,
            "from": write_origin(e),
            "action": e.action,
            "subject": e.subject,
            "detail": e.detail or "",
        }


def sign_in_rows(events: Iterable[SignInEvent]) -> Iterator[dict[str, Any]]:
    """Turn sign-in attempts into rows."""
    for e in events:
        yield {"at": e.at.isoformat(), "name": e.name, "outcome": e.outcome, "address": e.address}


def claim_rows(claims: Iterable[ClaimPublic]) -> Iterator[dict[str, Any]]:
    """Turn claims into export rows, one per claim, its readings described in words."""
    for c in claims:
        yield {
            "id": c.id,
            "claimant": c.claimant,
            "stated_on": c.stated_on.isoformat() if c.stated_on else "",
            "metric": c.metric,
            "value": Decimal(c.value),
            "qualifier": c.qualifier,
            "tolerance_pct": c.tolerance_pct if c.tolerance_pct is not None else "",
            "readings": "; ".join(r.describe() for r in c.readings),
            "quote": c.quote,
            "source": f"{c.source.publisher}: {c.source.title}",
            "source_url": c.source.url,
            "note": c.note or "",
            "recorded_by": c.recorded_by,
            "recorded_at": c.recorded_at.isoformat(),
        }


def source_rows(sources: Iterable[SourcePublic]) -> Iterator[dict[str, Any]]:
    """Turn sources into export rows."""
    for s in sources:
        yield {
            "id": s.id,
            "publisher": s.publisher,
            "title": s.title,
            "url": s.url,
            "published_date": s.published_date.isoformat() if s.published_date else "",
            "kind": s.kind,
        }


def reconciliation_rows(result: Reconciliation) -> Iterator[dict[str, Any]]:
    """Yield one flat row per claim reading, for CSV."""
    for item in result.claims:
        c = item.claim
        for r in item.readings:
            yield {
                "claim_id": c.id,
                "claimant": c.claimant,
                "stated_on": c.stated_on.isoformat() if c.stated_on else "",
                "metric": c.metric,
                "value": c.amount,
                "qualifier": c.qualifier,
                "claim_verdict": item.verdict,
                "reading_id": r.reading_id,
                "reading": r.description,
                "ledger_value": _text(r.ledger_value),
                "low": _text(r.low),
                "high": _text(r.high),
                "difference": _text(r.difference),
                "difference_pct": _text(r.difference_pct),
                "reading_verdict": r.verdict,
                "shipment_count": r.shipment_count,
                "shipment_ids": " ".join(str(i) for i in r.shipment_ids),
                "quote": c.quote,
                "source_url": c.source.url,
            }


def reconciliation_json(result: Reconciliation) -> dict[str, Any]:
    """Return the reconciliation as plain JSON-ready data (numbers as numbers)."""
    return {
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "summary": {
            "claims": len(result.claims),
            CONSISTENT: result.count(CONSISTENT),
            INCONSISTENT: result.count(INCONSISTENT),
            NO_DATA: result.count(NO_DATA),
        },
        "claims": [
            {
                "id": item.claim.id,
                "claimant": item.claim.claimant,
                "stated_on": item.claim.stated_on.isoformat() if item.claim.stated_on else None,
                "quote": item.claim.quote,
                "source": {
                    "publisher": item.claim.source.publisher,
                    "title": item.claim.source.title,
                    "url": item.claim.source.url,
                },
                "metric": item.claim.metric,
                "value": _number(item.claim.amount),
                "qualifier": item.claim.qualifier,
                "tolerance_pct": _number(item.claim.tolerance_pct),
                "verdict": item.verdict,
                "supported_by": list(item.supported_by),
                "readings": [
                    {
                        "id": r.reading_id,
                        "reading": r.description,
                        "ledger_value": _number(r.ledger_value),
                        "low": _number(r.low),
                        "high": _number(r.high),
                        "difference": _number(r.difference),
                        "difference_pct": _number(r.difference_pct),
                        "verdict": r.verdict,
                        "shipment_count": r.shipment_count,
                        "shipment_ids": list(r.shipment_ids),
                        "basis": r.basis,
                        "consignments_counted_once": r.counted_once,
                    }
                    for r in item.readings
                ],
            }
            for item in result.claims
        ],
    }


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return (
        int(value)
        if value == value.to_integral_value() and value.as_tuple().exponent == 0
        else float(value)
    )


def _text(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value
