"""Ledger: the current shipments, a page at a time, and the history of any one of them."""

from __future__ import annotations

import math

import streamlit as st

from shipments.ui import data, view
from shipments.ui.common import heading, page

PAGE_SIZE = 100
URL_PATH = "ledger"
SHIPMENT_PARAMETER = "shipment"  # /ledger?shipment=N opens that shipment's history


def history_link(shipment_id: int) -> None:
    """Draw a link, in this tab, to a shipment's history on the Ledger page."""
    st.page_link(
        st.Page(ledger, title="Ledger", url_path=URL_PATH),
        label=f"Shipment {shipment_id} and its history on the Ledger page",
        query_params={SHIPMENT_PARAMETER: str(shipment_id)},
    )


@page
def ledger(url: str, current: view.View) -> None:
    """Draw the Ledger page."""
    totals = heading(url, current, "Ledger")
    if totals is None:
        return
    key = current.key()
    pages = max(1, math.ceil(totals.records / PAGE_SIZE))
    number = 1
    if pages > 1:
        number = int(
            st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1)
        )
    frame = data.shipments_page(url, key, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    st.dataframe(
        frame[
            [
                "id",
                "event_date",
                "date_means",
                "donor",
                "recipient",
                "cargo",
                "tonnes",
                "corroborating_sources",
                "revision",
                "first_source",
                "same_consignment_as",
                "note",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            **_LABELS,
            "revision": st.column_config.NumberColumn("Revisions", format="%d"),
            "corroborating_sources": st.column_config.NumberColumn(
                "Independent sources",
                format="%d",
                help="Distinct publishers: of its sources, and of the claims whose"
                " single-delivery reading is consistent with it alone.",
            ),
            "first_source": st.column_config.LinkColumn(
                "Source", validate=r"^https?://", display_text=r"https?://([^/]+)"
            ),
            "same_consignment_as": st.column_config.TextColumn(
                "Counted once with",
                help="The other record (sent or received) of the same consignment: the two are"
                " linked, and every total counts them once.",
            ),
            "note": st.column_config.TextColumn("Note"),
        },
    )
    first = (number - 1) * PAGE_SIZE + 1
    last = first + len(frame) - 1
    if totals.records == totals.shipments:
        st.caption(f"Shipments {first:,} to {last:,} of {totals.shipments:,}.")
    else:
        folded = totals.records - totals.shipments
        st.caption(
            f"Records {first:,} to {last:,} of {totals.records:,}: {totals.shipments:,} shipments,"
            f" as {folded:,} consignment{'s' if folded != 1 else ''} recorded when sent and when"
            f" received {'count' if folded != 1 else 'counts'} once (see “Counted once with”)."
        )

    st.subheader("History of a shipment", anchor="history")
    asked = _asked_shipment()
    if asked is not None and st.session_state.get("history_asked") != asked:
        st.session_state["history_of"] = asked  # a link (?shipment=N) names the shipment
        st.session_state["history_asked"] = asked
    elif "history_of" not in st.session_state:
        st.session_state["history_of"] = int(frame["id"].iloc[0])
    chosen = st.number_input(
        "Shipment ID (any, retracted ones included)",
        min_value=1,
        max_value=2**31 - 1,
        step=1,
        key="history_of",
    )
    revisions = data.history(url, int(chosen))
    if revisions.empty:
        st.info(f"There is no shipment with ID {int(chosen)}.")
    else:
        st.dataframe(revisions, hide_index=True, width="stretch", column_config=_LABELS)
    retracted = data.retracted(url, current.as_of.isoformat() if current.as_of else None)
    if not retracted.empty:
        st.subheader("Retracted shipments")
        st.caption("Withdrawn from the ledger with a reason; their history stays above.")
        st.dataframe(retracted, hide_index=True, width="stretch", column_config=_LABELS)


def _asked_shipment() -> int | None:
    """Return the shipment a link asks for (``?shipment=N``), or None."""
    given = st.query_params.get(SHIPMENT_PARAMETER, "")
    if given.isascii() and given.isdigit() and 0 < int(given) < 2**31:
        return int(given)
    return None


# The history and retracted tables' columns, in words; tonnes always with their three decimals,
# and room for the reason (the whole of it shows on hover and in the full-screen view).
_LABELS = {
    "id": st.column_config.NumberColumn("ID", format="%d"),
    "revision": st.column_config.NumberColumn("Revision", format="%d"),
    "action": st.column_config.TextColumn("What"),
    "reason": st.column_config.TextColumn("Reason", width="large"),
    "recorded_at": st.column_config.TextColumn("Recorded (UTC)"),
    "recorded_by": st.column_config.TextColumn("By"),
    "retracted_at": st.column_config.TextColumn("Retracted (UTC)"),
    "retracted_by": st.column_config.TextColumn("By"),
    "event_date": st.column_config.TextColumn("Date"),
    "date_means": st.column_config.TextColumn("Date means"),
    "donor": st.column_config.TextColumn("Donor"),
    "recipient": st.column_config.TextColumn("Recipient"),
    "cargo": st.column_config.TextColumn("Cargo"),
    "tonnes": st.column_config.NumberColumn("Tonnes (t)", format="%.3f"),
    "sources": st.column_config.TextColumn("Sources"),
}
