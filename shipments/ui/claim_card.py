"""One claim shown in full: its readings with the ledger's figures, its quote and its source.

The Claims page shows it in each claim's expander, the Overview when a claim's marker is clicked.
Text from the ledger goes through ``st.text`` or ``plain``, never as markdown or HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from shipments.reconcile import ClaimResult
from shipments.ui.common import plain


def claim_title(item: ClaimResult) -> str:
    """Name a claim in one line of markdown: its number, claimant, date and verdict."""
    claim = item.claim
    stated = claim.stated_on.isoformat() if claim.stated_on else "date not stated"
    return f"Claim {claim.id}: {plain(claim.claimant)}, {stated}: {item.verdict}"


def readings_frame(item: ClaimResult) -> pd.DataFrame:
    """Return one row per reading of a claim: what it counts, the ledger's figure, the verdict."""
    unit = item.claim.unit
    return pd.DataFrame(
        [
            {
                "reading": r.description,
                "ledger": "" if r.ledger_value is None else f"{r.ledger_value:,} {unit}",
                "difference": "" if r.difference is None else f"{r.difference:+,} {unit}",
                "verdict": r.verdict,
            }
            for r in item.readings
        ],
        columns=["reading", "ledger", "difference", "verdict"],
    )


def show_claim(item: ClaimResult) -> None:
    """Draw a claim's figure, readings, quote, source and note."""
    claim = item.claim
    st.markdown(plain(f"Claimed: {claim.value} {claim.unit} ({claim.qualifier.replace('_', ' ')})"))
    st.dataframe(
        readings_frame(item),
        hide_index=True,
        width="stretch",
        column_config={
            "reading": st.column_config.TextColumn("Reading of its scope", width="large"),
            "ledger": st.column_config.TextColumn("Ledger figure"),
            "difference": st.column_config.TextColumn("Difference"),
            "verdict": st.column_config.TextColumn("Reading verdict"),
        },
    )
    st.text(claim.quote)
    st.caption(plain(f"{claim.source.publisher}: {claim.source.title}"))
    st.text(claim.source.url)
    st.link_button("Open the source", claim.source.url)
    if claim.note:
        st.text(claim.note)
