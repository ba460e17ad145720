"""Claims: every reported figure, each reading of it, and what the ledger says."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import streamlit as st

from shipments.reconcile import CONSISTENT, INCONSISTENT, NO_DATA
from shipments.ui import data, discrepancies, session, view
from shipments.ui.claim_card import claim_title, show_claim
from shipments.ui.common import page

NO_CLAIMS = "No claims are recorded yet."
# Claims shown in full per page of quotes: a thousand expanders took seconds to draw on every
# rerun (bench/RESULTS.md), and the table above lists every reading already.
QUOTES_PER_PAGE = 10


@page
def claims(url: str, current: view.View) -> None:
    """Draw the Claims page."""
    st.title("Claims against the ledger")
    moment = current.as_of.isoformat() if current.as_of else None
    stood = f"as it stood at {view.utc_text(current.as_of)}" if current.as_of else None
    st.caption(
        "Each claim is checked against the whole ledger "
        + (stood or "as it stands now")
        + "; a claim is consistent when at least one reading of its scope is."
    )
    result = data.reconciliation(url, moment)
    if not result.claims:
        st.info(NO_CLAIMS)
        return
    inside = result.within(current.filters)
    shown = inside.claims
    if not current.filters.is_empty():
        st.caption(
            f"{len(shown)} of {len(result.claims)} claims have a reading inside the filters "
            "(dates, and each donor, recipient or cargo the filters name)."
        )
    if not shown:
        st.info("No claim has a reading inside these filters.")
        return
    c, i, n = st.columns(3)
    c.metric("Consistent", inside.count(CONSISTENT))
    i.metric("Inconsistent", inside.count(INCONSISTENT))
    n.metric("No data", inside.count(NO_DATA))
    if current.as_of is None:
        discrepancies.draw(url, session.editor())
    st.subheader("Every claim and its readings")
    st.dataframe(
        _table(url, current.key()),
        hide_index=True,
        width="stretch",
        column_config={
            "claim": st.column_config.NumberColumn("Claim", format="%d"),
            "claimant": st.column_config.TextColumn("Claimant"),
            "claimed": st.column_config.TextColumn("Claimed"),
            "reading": st.column_config.TextColumn("Reading of its scope", width="large"),
            "quote": st.column_config.TextColumn("Quote"),
            "ledger": st.column_config.TextColumn("Ledger figure"),
            "difference": st.column_config.TextColumn("Difference"),
            "difference_pct": st.column_config.NumberColumn("Difference (%)", format="%+.1f"),
            "reading_verdict": st.column_config.TextColumn("Reading verdict"),
            "claim_verdict": st.column_config.TextColumn("Claim verdict"),
            "source": st.column_config.LinkColumn(
                "Source", validate=r"^https?://", display_text=r"https?://([^/]+)"
            ),
        },
    )
    st.subheader("Quotes")
    first = _first_quote(len(shown))
    for item in shown[first : first + QUOTES_PER_PAGE]:
        with st.expander(claim_title(item)):
            show_claim(item)


@st.cache_data(show_spinner=False, ttl=data.TTL_SECONDS)
def _table(url: str, key: tuple[str | None, ...]) -> pa.Table:
    """Return, as an Arrow table (what st.dataframe sends; a frame is converted on every rerun),
    one row per reading of each claim inside the view, with the ledger's figures."""
    current = view.View.from_key(key)
    moment = current.as_of.isoformat() if current.as_of else None
    rows = []
    for item in data.reconciliation(url, moment).within(current.filters).claims:
        claim = item.claim
        unit = claim.unit
        for r in item.readings:
            rows.append(
                {
                    "claim": claim.id,
                    "claimant": claim.claimant,
                    "claimed": f"{claim.value} {unit} ({claim.qualifier.replace('_', ' ')})",
                    "reading_verdict": r.verdict,
                    "reading": r.description,
                    "ledger": "" if r.ledger_value is None else f"{r.ledger_value:,} {unit}",
                    "difference": "" if r.difference is None else f"{r.difference:+,} {unit}",
                    "difference_pct": None if r.difference_pct is None else float(r.difference_pct),
                    "claim_verdict": item.verdict,
                    "quote": claim.quote,
                    "source": claim.source.url,
                }
            )
    return pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)


def _first_quote(count: int) -> int:
    """Return the position of the first claim to show in full, asking which page of quotes
    when there are more claims than fit on one."""
    if count <= QUOTES_PER_PAGE:
        return 0
    pages = -(-count // QUOTES_PER_PAGE)
    number = st.number_input(
        f"Page of quotes (1 to {pages})", min_value=1, max_value=pages, value=1, key="quotes_page"
    )
    first = (int(number) - 1) * QUOTES_PER_PAGE
    last = min(first + QUOTES_PER_PAGE, count)
    st.caption(f"Claims {first + 1:,} to {last:,} of {count:,}, in the order of the table above.")
    return first
