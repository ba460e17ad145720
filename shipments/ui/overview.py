"""Overview: how much was delivered, when, and whether the published figures hold up.

Clicking a chart's point (plotly selection events, rerunning the page) shows what it stands
for under the chart: a bar's or a running-total point's shipments, or a claim in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from shipments.reconcile import CONSISTENT, INCONSISTENT, Reconciliation
from shipments.ui import data, view
from shipments.ui.bars import bar_caption
from shipments.ui.charts import (
    BARS,
    CHART_CONFIG,
    CHART_TITLES,
    CLAIM,
    PERIODS,
    RUNNING,
    SHIPMENTS,
    marker_caption,
)
from shipments.ui.claim_card import claim_title, show_claim
from shipments.ui.common import heading, page, plain
from shipments.ui.points import NO_VALUE
from shipments.units import kg_to_tonnes

CORROBORATED = 2  # the Overview's toggle: a shipment at least two publishers support
LISTED_SHIPMENTS = 100  # a clicked bar lists this many of its shipments; the Ledger page has all
SHIPMENT_COLUMNS = ["id", "event_date", "donor", "recipient", "cargo", "tonnes", "first_source"]


@page
def overview(url: str, current: view.View) -> None:
    """Draw the Overview page."""
    totals = heading(url, current, "Aid shipment ledger")
    if totals is None:
        return
    key = current.key()
    result = data.reconciliation(url, current.as_of.isoformat() if current.as_of else None)
    inside = result.within(current.filters)
    corroborated = st.toggle(
        f"Count only shipments with at least {CORROBORATED} independent sources",
        key="corroborated_only",
        help="Independent sources are distinct publishers: of a shipment's sources, and of the"
        " claims whose single-delivery reading is consistent with it alone. Changes the"
        " headline figures; the charts show every shipment in the view.",
    )
    suffix = ""
    if corroborated:
        wanted = max(CORROBORATED, current.filters.sources_at_least or 0)
        narrowed = replace(current, filters=replace(current.filters, sources_at_least=wanted))
        totals = data.totals(url, narrowed.key())
        suffix = f" ({wanted}+ sources)"
        st.caption(
            plain(
                f"The headline counts only the shipments with at least {wanted} independent"
                f" sources: {totals.shipments:,} of them."
            )
        )
    total, count, latest, claims = st.columns(4)
    total.metric(f"Total delivered{suffix}", f"{kg_to_tonnes(totals.mass_kg):,.3f} t")
    count.metric(f"Deliveries{suffix}", f"{totals.shipments:,}")
    latest.metric(
        f"Latest delivery{suffix}",
        totals.latest_event.isoformat() if totals.latest_event else "",
    )
    claims.metric(
        "Claims consistent / inconsistent",
        f"{inside.count(CONSISTENT)} / {inside.count(INCONSISTENT)}",
        help="The claims with a reading inside the filters, each checked against the whole "
        "ledger: the same claims, and the same counts, as the Claims page shows.",
    )
    if (folded := totals.records - totals.shipments) > 0:
        st.caption(
            f"{folded:,} consignment{'s' if folded != 1 else ''} recorded both when sent and"
            f" when received {'count' if folded != 1 else 'counts'} once, by the sent record"
            " (the Ledger page lists both records)."
        )
    figures = data.figures(url, key)
    st.caption(marker_caption())
    _chart(url, current, result, RUNNING, figures.running)
    _chart(
        url,
        current,
        result,
        BARS,
        figures.bars,
        caption=bar_caption(figures.bar_period, figures.span_days),
    )
    if figures.periods is not None:
        _chart(url, current, result, PERIODS, figures.periods)


def _chart(
    url: str,
    current: view.View,
    result: Reconciliation,
    name: str,
    figure: go.Figure,
    *,
    caption: str | None = None,
) -> None:
    st.subheader(CHART_TITLES[name])
    if caption:
        st.caption(caption)
    event: Any = st.plotly_chart(
        figure,
        width="stretch",
        key=f"chart_{name}",
        on_select="rerun",
        selection_mode="points",
        config=CHART_CONFIG,
    )
    for picked in _picked(event.selection.points if event else []):
        if picked[0] == CLAIM:
            _show_claim(result, int(picked[1]))
        elif picked[0] == SHIPMENTS:
            _show_shipments(
                url, current, date.fromisoformat(picked[1]), date.fromisoformat(picked[2])
            )
            for claim_id in picked[4:]:  # the claims drawn on a running-total point
                _show_claim(result, int(claim_id))


def _picked(points: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Return the tagged customdata of the clicked points, each once, in click order."""
    found: list[tuple[Any, ...]] = []
    for point in points:
        custom = point.get("customdata")
        if not isinstance(custom, list):
            continue
        tagged = tuple(value for value in custom if value is not NO_VALUE)
        if tagged and tagged not in found:
            found.append(tagged)
    return found


def _show_claim(result: Reconciliation, claim_id: int) -> None:
    item = next((c for c in result.claims if c.claim.id == claim_id), None)
    if item is None:
        return
    with st.container(border=True):
        st.markdown(f"**{claim_title(item)}**")
        show_claim(item)


def _show_shipments(url: str, current: view.View, first: date, last: date) -> None:
    f = current.filters
    narrowed = replace(
        current,
        filters=replace(
            f,
            date_from=max(first, f.date_from) if f.date_from else first,
            date_to=min(last, f.date_to) if f.date_to else last,
        ),
    )
    key = narrowed.key()
    count = data.totals(url, key).shipments
    when = f"on {first.isoformat()}" if first == last else f"from {first} to {last}"
    with st.container(border=True):
        st.markdown(plain(f"Shipments {when}: {count:,}"))
        frame = data.shipments_page(url, key, LISTED_SHIPMENTS, 0)
        st.dataframe(
            frame[SHIPMENT_COLUMNS],
            hide_index=True,
            width="stretch",
            column_config={
                "id": st.column_config.NumberColumn("ID", format="%d"),
                "event_date": st.column_config.TextColumn("Date"),
                "donor": st.column_config.TextColumn("Donor"),
                "recipient": st.column_config.TextColumn("Recipient"),
                "cargo": st.column_config.TextColumn("Cargo"),
                "tonnes": st.column_config.NumberColumn("Tonnes (t)", format="%.3f"),
                "first_source": st.column_config.LinkColumn(
                    "Source", validate=r"^https?://", display_text=r"https?://([^/]+)"
                ),
            },
        )
        if count > LISTED_SHIPMENTS:
            st.caption(
                f"The first {LISTED_SHIPMENTS} of {count:,}; the Ledger page lists them all."
            )
