"""Downloads: the rows the viewer is looking at, as CSV and as HXL-tagged CSV."""

from __future__ import annotations

import streamlit as st

from shipments.exchange.csvfiles import download_name
from shipments.rules import utcnow
from shipments.ui import data, view
from shipments.ui.common import page, plain

FILES = (
    ("shipments", "Shipments", "the shipments in the current view (filters and as-of applied)"),
    ("reconciliation", "Reconciliation", "every claim reading against the ledger (as-of applied)"),
    ("claims", "Claims", "every recorded claim with its readings and quote"),
    ("sources", "Sources", "every source the shipments and claims cite"),
)


@page
def downloads(url: str, current: view.View) -> None:
    """Draw the Downloads page."""
    st.title("Downloads")
    st.caption(plain(view.describe(current)))
    key = current.key()
    today = utcnow().date()
    for what, title, description in FILES:
        st.subheader(title)
        st.caption(description)
        plain_column, hxl_column = st.columns(2)
        applies = what in ("shipments", "reconciliation")
        for column, hxl in ((plain_column, False), (hxl_column, True)):
            name = download_name(
                what,
                filters=current.filters if what == "shipments" else None,
                as_of=current.as_of if applies else None,
                on=today,
                hxl=hxl,
            )
            column.download_button(
                f"{title} (HXL CSV)" if hxl else f"{title} (CSV)",
                data=data.csv_maker(url, key, what, hxl=hxl),
                file_name=name,
                mime="text/csv",
                key=f"download_{what}_{'hxl' if hxl else 'csv'}",
                on_click="ignore",
            )
