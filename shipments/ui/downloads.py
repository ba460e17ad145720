"""Downloads: links to the data URLs of the view, each shown so an analyst can copy it.

The files are served, streamed, by ``shipments.web.data``; this page holds none of them. A link
carries the view's parameters that apply to its file, so it says what the page says.
"""

from __future__ import annotations

import streamlit as st

from shipments.errors import InvalidInput
from shipments.exchange.view_params import ViewQuery, data_url
from shipments.publish.address import SNAPSHOT_SETTING, snapshot_url
from shipments.ui import view
from shipments.ui.common import page, plain

# Each link: its file's suffix, its label, and a parameter of its own. Links for scripts come
# first, then those for spreadsheets; a file offers the formats its data URLs serve.
FOR_SCRIPTS = (
    ("csv", "CSV", ""),
    ("hxl.csv", "HXL CSV", ""),
    ("json", "JSON", ""),
    ("jsonld", "JSON-LD", ""),
    ("datapackage.json", "Data Package", ""),
)
FOR_SPREADSHEETS = (
    ("xlsx", "Excel", ""),
    ("hxl.xlsx", "HXL Excel", ""),
    ("csv", "CSV for Excel on Windows", "bom=1"),
)
FILES = (
    (
        "shipments",
        "Shipments",
        "the shipments in the current view (filters and as-of applied); the Data Package"
        " descriptor states the CSV's columns, rows, total kilograms and SHA-256",
        ("csv", "hxl.csv", "json", "datapackage.json", "xlsx", "hxl.xlsx"),
    ),
    (
        "reconciliation",
        "Reconciliation",
        "every claim reading against the ledger (as-of applied)",
        ("csv", "hxl.csv", "json", "xlsx", "hxl.xlsx"),
    ),
    (
        "claimreview",
        "Claim reviews",
        "each claim's verdict with the figures behind it, as schema.org ClaimReview (JSON-LD) for"
        " fact-checking tools and search engines (as-of applied)",
        ("jsonld",),
    ),
    (
        "claims",
        "Claims",
        "every recorded claim with its readings and quote",
        ("csv", "hxl.csv", "xlsx", "hxl.xlsx"),
    ),
    (
        "sources",
        "Sources",
        "every source the shipments and claims cite",
        ("csv", "hxl.csv", "xlsx", "hxl.xlsx"),
    ),
)
SNAPSHOT = (
    "The same figures, charts, claims and files, cut at one moment and served as plain files"
    " (it says when): quick however many read it at once, and links to share on a busy day."
)
NO_LINKS = "No links: with From after To the view holds nothing, and the data URLs refuse it."
USE = (
    "Each link is a stable address: open it, or paste it into `curl -O`, pandas"
    ' `read_csv(url)` or a spreadsheet\'s "From web". It answers with the ledger as it stands'
    " when it is fetched."
)
SPREADSHEETS = (
    "Excel files keep text as text (nothing in a cell runs as a formula), numbers as numbers and"
    " dates as dates. The CSV for Excel on Windows is the same CSV starting with a byte order"
    " mark, so that Excel reads accents and non-Latin names as they are."
)


@page
def downloads(url: str, current: view.View) -> None:
    """Draw the Downloads page."""
    st.title("Downloads")
    _snapshot_link()
    st.caption(plain(view.describe(current)))
    st.caption(USE)
    st.caption(SPREADSHEETS)
    f = current.filters
    if f.date_from is not None and f.date_to is not None and f.date_from > f.date_to:
        st.info(NO_LINKS)
        return
    root = _root()
    for what, title, description, formats in FILES:
        st.subheader(title)
        st.caption(description)
        asked = _applies(what, current)
        for links in (FOR_SCRIPTS, FOR_SPREADSHEETS):
            offered = [link for link in links if link[0] in formats]
            row = st.columns(max(3, len(offered)))
            for column, (suffix, kind, extra) in zip(row, offered, strict=False):
                link = root + _with(data_url(f"{what}.{suffix}", asked), extra)
                key = f"download_{what}_{suffix}" + ("_" + extra.split("=")[0] if extra else "")
                column.link_button(f"{title} ({kind})", link, key=key)
                # Wrapped: cut at the column's edge, an address could not be read before copying.
                column.code(link, language=None, wrap_lines=True)


def _snapshot_link() -> None:
    """Link the latest static snapshot, when LEDGER_SNAPSHOT_URL says where it is served."""
    try:
        address = snapshot_url()
    except InvalidInput as exc:
        st.warning(plain(f"{SNAPSHOT_SETTING} is ignored: it {exc.problems[0].rule}"))
        return
    if address:
        st.link_button("Static snapshot", address, key="snapshot")
        st.caption(SNAPSHOT)


def _with(address: str, extra: str) -> str:
    """Return ``address`` with the parameter ``extra`` ("name=value") added, if any."""
    if not extra:
        return address
    return address + ("&" if "?" in address else "?") + extra


def _applies(what: str, current: view.View) -> ViewQuery:
    """Return the part of the view that applies to a file: all of it, the moment, or nothing."""
    if what == "shipments":
        return current.query()
    if what in ("reconciliation", "claimreview", "claims"):
        return ViewQuery(as_of=current.as_of)
    return ViewQuery()


def _root() -> str:
    """Return the server's address as the browser sees it ("" when unknown: links from "/")."""
    address = st.context.url or ""
    return address.removesuffix("/").removesuffix("/downloads") if address else ""
