"""Overview: how much was delivered, when, and whether the published figures hold up."""

from __future__ import annotations

import streamlit as st

from shipments.reconcile import CONSISTENT, INCONSISTENT
from shipments.ui import data, view
from shipments.ui.common import heading, page
from shipments.units import kg_to_tonnes


@page
def overview(url: str, current: view.View) -> None:
    """Draw the Overview page."""
    totals = heading(url, current, "Aid shipment ledger")
    if totals is None:
        return
    key = current.key()
    result = data.reconciliation(url, current.as_of.isoformat() if current.as_of else None)
    total, count, latest, claims = st.columns(4)
    total.metric("Total delivered", f"{kg_to_tonnes(totals.mass_kg):,.3f} t")
    count.metric("Deliveries", f"{totals.shipments:,}")
    latest.metric("Latest delivery", totals.latest_event.isoformat() if totals.latest_event else "")
    claims.metric(
        "Claims consistent / inconsistent",
        f"{result.count(CONSISTENT)} / {result.count(INCONSISTENT)}",
        help="Every recorded claim checked against the whole ledger; see the Claims page.",
    )
    running, per_day = data.overview_figures(url, key)
    st.subheader("Running total and reported figures")
    st.plotly_chart(running, width="stretch", key="cumulative")
    st.caption(
        "Markers are reported figures, coloured by verdict, with their tolerance as error bars; "
        "circles are running totals, diamonds single days. Hover for the quote and its source."
    )
    st.subheader("Tonnes per delivery date")
    st.plotly_chart(per_day, width="stretch", key="per_day")
