"""Claims as chart markers: the ``claims`` frame the figures take, with inert hover labels."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from html import escape

import pandas as pd

from shipments.ui.placement import ClaimPoint

CLAIM_COLUMNS = (
    "claim_id",
    "date",
    "start",
    "value",
    "low",
    "high",
    "ledger",
    "verdict",
    "scope",
    "hover",
)


def claims_frame(points: Iterable[ClaimPoint]) -> pd.DataFrame:
    """Turn claim points into the ``claims`` frame the charts take, with escaped hover text."""
    rows = [
        {
            "claim_id": p.claim_id,
            "date": p.date,
            "start": p.start,
            "value": float(p.value),
            "low": None if p.low is None else float(p.low),
            "high": None if p.high is None else float(p.high),
            "ledger": None if p.ledger_value is None else float(p.ledger_value),
            "verdict": p.verdict,
            "scope": p.scope,
            "hover": claim_hover(p),
        }
        for p in points
    ]
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def claim_hover(point: ClaimPoint) -> str:
    """Describe a claim for its hover label; every user-entered text is made inert.

    Plotly reads a hover label as a small subset of HTML and decodes only a few entities
    (``&amp;``, ``&lt;``, ``&gt;``, not ``&quot;``): ``<``, ``>`` and ``&`` are escaped, quotes are
    left as they are (no attribute is ever built from the text), so none shows as an entity.
    """
    stated = point.stated_on.isoformat() if point.stated_on else "date not stated"
    bounds = _bounds(point)
    ledger = (
        "no shipments match"
        if point.ledger_value is None
        else f"{point.ledger_value:,.3f} t ({point.difference_pct:+} %)"
    )
    quote = "<br>".join(_inert(line) for line in textwrap.wrap(f'"{point.quote}"', 70)[:6])
    lines = [
        f"<b>{_inert(point.claimant)}</b>, {stated} (claim {point.claim_id})",
        f"claimed {point.value} t ({point.qualifier.replace('_', ' ')}{bounds})",
        f"reading: {_inert(point.reading)}",
        f"ledger: {ledger}: <b>{point.verdict}</b>",
        quote,
        f"source: {_inert(point.source_publisher)}, {_inert(point.source_url)}",
        "click for every reading",
    ]
    return "<br>".join(lines)


def _inert(text: str) -> str:
    return escape(text, quote=False)


def _bounds(point: ClaimPoint) -> str:
    if point.low is not None and point.high is not None:
        return f", {point.low:g} to {point.high:g} t"
    if point.low is not None:
        return f", at least {point.low:g} t"
    if point.high is not None:
        return f", at most {point.high:g} t"
    return ""
