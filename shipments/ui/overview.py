"""Overview page: how much the ledger holds and its current shipments."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.models import format_tonnes
from shipments.ui import data


def render() -> None:
    """Draw the Overview page."""
    st.title("Aid shipment ledger")
    try:
        url = data.configured_url()
        totals = data.totals(url)
        frame = data.shipments_frame(url)
    except SQLAlchemyError:
        st.error(
            "The ledger database cannot be opened. Check LEDGER_DATABASE_URL and that the "
            "database server is running."
        )
        return
    if totals.shipments == 0:
        st.info("The ledger holds no shipments yet.")
        return
    total, count, latest = st.columns(3)
    total.metric("Total delivered", f"{format_tonnes(totals.mass_kg)} t")
    count.metric("Shipments", f"{totals.shipments}")
    latest.metric("Latest event", str(frame["event_date"].max()))
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
                "source_urls",
                "note",
            ]
        ],
        hide_index=True,
        column_config={
            "event_date": st.column_config.TextColumn("Date"),
            "date_means": st.column_config.TextColumn("Date means"),
            "tonnes": st.column_config.TextColumn("Tonnes (t)"),
            "source_urls": st.column_config.TextColumn("Sources"),
        },
    )
