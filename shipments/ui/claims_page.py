"""Claims: every reported figure, each reading of it, and what the ledger says."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from shipments.reconcile import CONSISTENT, INCONSISTENT, NO_DATA
from shipments.ui import data, view
from shipments.ui.common import page, plain

NO_CLAIMS = "No claims are recorded yet."


@page
def render(url: str, current: view.View) -> None:
    """Draw the Claims page."""
    st.title("Claims against the ledger")
    moment = current.as_of.isoformat() if current.as_of else None
    st.caption(
        "Each claim is checked against the whole ledger "
        + (f"as it stood at {moment}" if moment else "as it stands now")
        + "; a claim is consistent when at least one reading of its scope is."
    )
    result = data.reconciliation(url, moment)
    if not result.claims:
        st.info(NO_CLAIMS)
        return
    c, i, n = st.columns(3)
    c.metric("Consistent", result.count(CONSISTENT))
    i.metric("Inconsistent", result.count(INCONSISTENT))
    n.metric("No data", result.count(NO_DATA))
    rows = []
    for item in result.claims:
        claim = item.claim
        unit = "t" if claim.metric == "tonnes" else "deliveries"
        for r in item.readings:
            rows.append(
                {
                    "claim": claim.id,
                    "claimant": claim.claimant,
                    "claimed": f"{claim.value} {unit} ({claim.qualifier.replace('_', ' ')})",
                    "reading_verdict": r.verdict,
                    "reading": r.description,
                    "ledger": None if r.ledger_value is None else float(r.ledger_value),
                    "difference": None if r.difference is None else float(r.difference),
                    "difference_pct": None if r.difference_pct is None else float(r.difference_pct),
                    "claim_verdict": item.verdict,
                    "quote": claim.quote,
                    "source": claim.source.url,
                }
            )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "claim": st.column_config.NumberColumn("Claim", format="%d"),
            "claimant": st.column_config.TextColumn("Claimant"),
            "claimed": st.column_config.TextColumn("Claimed"),
            "reading": st.column_config.TextColumn("Reading of its scope"),
            "quote": st.column_config.TextColumn("Quote"),
            "ledger": st.column_config.NumberColumn("Ledger figure", format="%.3f"),
            "difference": st.column_config.NumberColumn("Difference", format="%+.3f"),
            "difference_pct": st.column_config.NumberColumn("Difference (%)", format="%+.1f"),
            "reading_verdict": st.column_config.TextColumn("Reading verdict"),
            "claim_verdict": st.column_config.TextColumn("Claim verdict"),
            "source": st.column_config.LinkColumn(
                "Source", validate=r"^https?://", display_text=r"https?://([^/]+)"
            ),
        },
    )
    st.subheader("Quotes")
    for item in result.claims:
        claim = item.claim
        stated = claim.stated_on.isoformat() if claim.stated_on else "date not stated"
        with st.expander(f"Claim {claim.id}: {claim.claimant}, {stated}: {item.verdict}"):
            st.markdown(plain(claim.quote))
            st.caption(plain(f"{claim.source.publisher}: {claim.source.title}"))
            st.caption(plain(claim.source.url))
            if claim.note:
                st.caption(plain(claim.note))
