"""Downloads: links to the data URLs of the view, each shown so an analyst can copy it.

The files are served, streamed, by ``shipments.web.data``; this page holds none of them. A link
carries the view's parameters that apply to its file, so it says what the page says.
"""

from __future__ import annotations

import streamlit as st

from shipments.exchange.view_params import ViewQuery, data_url
from shipments.ui import view
from shipments.ui.common import page, plain

FORMATS = {"csv": "CSV", "hxl.csv": "HXL CSV", "json": "JSON"}
FILES = (
    (
        "shipments",
        "Shipments",
        "the shipments in the current view (filters and as-of applied)",
        ("csv", "hxl.csv", "json"),
    ),
    (
        "reconciliation",
        "Reconciliation",
        "every claim reading against the ledger (as-of applied)",
        ("csv", "hxl.csv", "json"),
    ),
    ("claims", "Claims", "every recorded claim with its readings and quote", ("csv", "hxl.csv")),
    ("sources", "Sources", "every source the shipments and claims cite", ("csv", "hxl.csv")),
)
USE = (
    "Each link is a stable address: open it, or paste it into `curl -O`, pandas"
    ' `read_csv(url)` or a spreadsheet\'s "From web". It answers with the ledger as it stands'
    " when it is fetched."
)


@page
def downloads(url: str, current: view.View) -> None:
    """Draw the Downloads page."""
    st.title("Downloads")
    st.caption(plain(view.describe(current)))
    st.caption(USE)
    root = _root()
    for what, title, description, formats in FILES:
        st.subheader(title)
        st.caption(description)
        asked = _applies(what, current)
        for column, suffix in zip(st.columns(len(formats)), formats, strict=True):
            link = root + data_url(f"{what}.{suffix}", asked)
            label = f"{title} ({FORMATS[suffix]})"
            column.link_button(label, link, key=f"download_{what}_{suffix}")
            column.code(link, language=None)


def _applies(what: str, current: view.View) -> ViewQuery:
    """Return the part of the view that applies to a file: all of it, the moment, or nothing."""
    if what == "shipments":
        return current.query()
    if what in ("reconciliation", "claims"):
        return ViewQuery(as_of=current.as_of)
    return ViewQuery()


def _root() -> str:
    """Return the server's address as the browser sees it ("" when unknown: links from "/")."""
    address = st.context.url or ""
    return address.removesuffix("/").removesuffix("/downloads") if address else ""
