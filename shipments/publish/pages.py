"""What each page of a snapshot shows: the Overview's figures and claims for one view.

The figures are the dashboard's own (``shipments.ui.charts.overview_figures`` over the same
daily totals and claim markers as ``shipments.ui.data``); the claims are those the view speaks
of (``Reconciliation.within``), as on the Overview and the Claims page.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from shipments.ledger import DailyTotal, LedgerTotals, ShipmentFilter, daily_totals, totals_of
from shipments.reconcile import Reconciliation
from shipments.ui.charts import DAILY_COLUMNS, OverviewFigures, overview_figures
from shipments.ui.markers import claims_frame
from shipments.ui.placement import claim_points
from shipments.units import tonnes_float

# Pages of their own per donor and per recipient, at most: a ledger with more names gets pages
# for the first MAX_PAGES in alphabetical order (letter case aside; otherwise by code point), and
# the index lists the rest without one.
MAX_PAGES = 100
FOLDERS = {"donor": "donor", "recipient": "recipient"}
MAX_SLUG = 60


@dataclass(frozen=True)
class PageView:
    """One page: its title, where it is written, the view, and what it shows.

    ``figures`` is None when the view holds no shipments; ``claims`` are the claims with a
    reading inside the view, each checked against the whole ledger.
    """

    title: str
    path: str
    filters: ShipmentFilter
    totals: LedgerTotals
    figures: OverviewFigures | None
    claims: Reconciliation


@dataclass(frozen=True)
class NamedPage:
    """A donor or recipient, and the page written for it (None: over ``MAX_PAGES``)."""

    field: str
    name: str
    path: str | None


def page_view(
    *, session: Session, result: Reconciliation, title: str, path: str, filters: ShipmentFilter
) -> PageView:
    """Read what one page shows: the view's totals, its figures and the claims inside it."""
    rows = daily_totals(session=session, filters=filters)
    totals = totals_of(rows)
    figures = None
    if totals.records:
        markers = claims_frame(claim_points(result, filters))
        figures = overview_figures(daily_frame(rows), markers)
    return PageView(
        title=title,
        path=path,
        filters=filters,
        totals=totals,
        figures=figures,
        claims=result.within(filters),
    )


def daily_frame(rows: Iterable[DailyTotal]) -> pd.DataFrame:
    """Return the charts' ``daily`` frame: tonnes and shipments per event date (as the
    dashboard's ``shipments.ui.data.daily``: a day that counts no shipment is left out)."""
    return pd.DataFrame(
        [(r.event_date, tonnes_float(r.mass_kg), r.shipments) for r in rows if r.shipments],
        columns=list(DAILY_COLUMNS),
    )


def named_pages(field: str, names: Sequence[str]) -> list[NamedPage]:
    """Give the first ``MAX_PAGES`` names (alphabetically, letter case aside) each a page
    path, unique in the snapshot; the rest none."""
    taken: set[str] = set()
    pages = []
    for position, name in enumerate(sorted(names, key=lambda n: (n.casefold(), n))):
        if position >= MAX_PAGES:
            pages.append(NamedPage(field, name, None))
            continue
        slug = slugify(name)
        if not slug or slug in taken:
            slug = f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}".lstrip("-")
        taken.add(slug)
        pages.append(NamedPage(field, name, f"{FOLDERS[field]}/{slug}.html"))
    return pages


def filter_for(page: NamedPage) -> ShipmentFilter:
    """Return the view of a donor's or a recipient's page."""
    if page.field == "donor":
        return ShipmentFilter(donors=(page.name,))
    return ShipmentFilter(recipients=(page.name,))


def slugify(name: str) -> str:
    """Return a file name's stem for ``name``: ASCII letters, digits and ``-`` only ("" when
    none are left)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG].strip("-")
