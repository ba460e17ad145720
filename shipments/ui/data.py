"""Cached access to the ledger for the pages: the engine once per process, results per view.

Every cached query takes plain arguments (the database URL and the view's key) and expires after
``TTL_SECONDS``, so a server also sees what another server wrote. A write clears the caches.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from shipments import audit
from shipments.corroboration import claim_publishers, resolve
from shipments.db import database_url, make_engine, session_scope
from shipments.discrepancies import Discrepancy, sync_and_list
from shipments.errors import NotFound
from shipments.exchange.export import SHIPMENT_COLUMNS, shipment_rows
from shipments.ledger import (
    DailyTotal,
    LedgerTotals,
    distinct_values,
    list_consignments,
    list_sources,
    retracted_shipments,
    shipment_history,
    totals_of,
)
from shipments.models import ConsignmentPublic, SourcePublic
from shipments.reconcile import Reconciliation, reconcile
from shipments.revision_arrays import view_daily_totals, view_page
from shipments.rules import parse_moment
from shipments.seed import prepare_database
from shipments.ui.charts import DAILY_COLUMNS, OverviewFigures, overview_figures
from shipments.ui.markers import claims_frame
from shipments.ui.placement import claim_points
from shipments.ui.view import View
from shipments.units import tonnes_float

TTL_SECONDS = 60
ViewKey = tuple[str | None, ...]


def configured_url() -> str:
    """Return the database URL from the environment."""
    return database_url()


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    """Open the ledger database, upgrading and seeding it on first start."""
    created = make_engine(url)
    prepare_database(created)
    return created


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def daily_rows(url: str, key: ViewKey) -> list[DailyTotal]:
    """Return the shipment count and mass per event date for the view, from the database."""
    view = View.from_key(key)
    with session_scope(engine(url)) as session:
        filters = resolve(session=session, filters=view.filters, as_of=view.as_of)
        return view_daily_totals(session=session, as_of=view.as_of, filters=filters)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def totals(url: str, key: ViewKey) -> LedgerTotals:
    """Return the count, mass and latest date of the shipments in the view.

    Added up from the view's daily totals, so that one read of the ledger serves a page's
    headline figures and its charts (see bench/RESULTS.md, "Overview cold render").
    """
    return totals_of(daily_rows(url, key))


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def daily(url: str, key: ViewKey) -> pd.DataFrame:
    """Return tonnes and shipments per event date for the view."""
    return pd.DataFrame(
        [
            (r.event_date, tonnes_float(r.mass_kg), r.shipments)
            for r in daily_rows(url, key)
            if r.shipments  # a day holding only the other record of a consignment counts nothing
        ],
        columns=list(DAILY_COLUMNS),
    )


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def opening_tonnes(url: str, key: ViewKey) -> float:
    """Return what the view's shipments added up to before its start date (0 without one)."""
    view = View.from_key(key)
    start = view.filters.date_from
    if start is None:
        return 0.0
    before = replace(view.filters, date_from=None, date_to=start - timedelta(days=1))
    with session_scope(engine(url)) as session:
        resolved = resolve(session=session, filters=before, as_of=view.as_of)
        days = view_daily_totals(session=session, as_of=view.as_of, filters=resolved)
    return tonnes_float(totals_of(days).mass_kg)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def options(url: str, field: str) -> list[str]:
    """Return the values a filter can take: the donors, recipients or cargo of the ledger."""
    with session_scope(engine(url)) as session:
        return distinct_values(session=session, field=field)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def shipments_page(url: str, key: ViewKey, limit: int, offset: int) -> pd.DataFrame:
    """Return one page of the view's shipments as a table."""
    view = View.from_key(key)
    with session_scope(engine(url)) as session:
        claims = claim_publishers(session=session, as_of=view.as_of)
        filters = resolve(session=session, filters=view.filters, as_of=view.as_of, claims=claims)
        rows = list(
            shipment_rows(
                view_page(
                    session=session,
                    as_of=view.as_of,
                    filters=filters,
                    limit=limit,
                    offset=offset,
                ),
                claims=claims,
            )
        )
    frame = pd.DataFrame(rows, columns=[*SHIPMENT_COLUMNS])
    frame["tonnes"] = frame["tonnes"].astype(float)
    # An id, or "" where a record stands alone: text, so that the table shows a blank there.
    frame["same_consignment_as"] = frame["same_consignment_as"].astype(str)
    frame["first_source"] = frame["source_urls"].str.split(" ").str[0]
    return frame


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def history(url: str, shipment_id: int) -> pd.DataFrame:
    """Return every revision of one shipment as a table."""
    with session_scope(engine(url)) as session:
        try:
            revisions = shipment_history(session=session, shipment_id=shipment_id)
        except NotFound:
            return pd.DataFrame()
    return pd.DataFrame(
        [
            {
                "revision": r.revision,
                "action": r.action,
                "reason": r.reason or "",
                "recorded_at": r.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                "recorded_by": r.recorded_by,
                "event_date": r.event_date.isoformat(),
                "date_means": r.date_means,
                "donor": r.donor,
                "recipient": r.recipient,
                "cargo": r.cargo,
                "tonnes": tonnes_float(r.mass_kg),
                "sources": " ".join(s.url for s in r.sources),
            }
            for r in revisions
        ]
    )


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def retracted(url: str, as_of: str | None) -> pd.DataFrame:
    """Return the shipments withdrawn from the ledger (by ``as_of``), with who and why."""
    moment = parse_moment(as_of) if as_of else None
    with session_scope(engine(url)) as session:
        rows = retracted_shipments(session=session, as_of=moment)
    return pd.DataFrame(
        [
            {
                "id": r.id,
                "event_date": r.event_date.isoformat(),
                "donor": r.donor,
                "recipient": r.recipient,
                "tonnes": tonnes_float(r.mass_kg),
                "reason": r.reason or "",
                "retracted_by": r.recorded_by,
                "retracted_at": r.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            }
            for r in rows
        ]
    )


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def sources(url: str) -> list[SourcePublic]:
    """Return every recorded source, for the editors' source pickers."""
    with session_scope(engine(url)) as session:
        return list_sources(session=session)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def consignments(url: str) -> list[ConsignmentPublic]:
    """Return the consignments standing now (a sent and a received record counted once)."""
    with session_scope(engine(url)) as session:
        return list_consignments(session=session)


# A resource, not data: st.cache_data hands each caller an unpickled copy, and a thousand claims
# took longer to copy than the rest of the Claims page to draw (bench/RESULTS.md). Nothing
# changes a Reconciliation once made.
@st.cache_resource(show_spinner=False, ttl=TTL_SECONDS)
def reconciliation(url: str, as_of: str | None) -> Reconciliation:
    """Return every claim checked against the ledger (as it stood at ``as_of``, if given)."""
    moment = parse_moment(as_of) if as_of else None
    with session_scope(engine(url)) as session:
        return reconcile(session=session, as_of=moment, list_ids=False)


@st.cache_resource(show_spinner=False, ttl=TTL_SECONDS)
def discrepancies(url: str) -> list[Discrepancy]:
    """Return every claim's discrepancy, open ones first, opening those the ledger shows now.

    Kept until the ledger's version moves (``refresh_if_changed``), as the reconciliation it
    follows is: opening a discrepancy is a write, and so moves it.
    """
    result = reconciliation(url, None)
    with session_scope(engine(url)) as session:
        # Opening one moves the ledger's version: the pages' data goes with it. The events are
        # read once when nothing is to open (a thousand claims' events as objects: 0.15 s).
        return sync_and_list(session=session, result=result, on_open=st.cache_data.clear)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS)
def claim_markers(url: str, key: ViewKey) -> pd.DataFrame:
    """Return the tonnes claims inside the view, placed for the charts."""
    view = View.from_key(key)
    result = reconciliation(url, view.as_of.isoformat() if view.as_of else None)
    return claims_frame(claim_points(result, view.filters))


# A resource: unpickling plotly figures validates every point again, most of a warm rerun's
# time at a million shipments (bench/RESULTS.md); st.plotly_chart only reads a figure.
@st.cache_resource(show_spinner=False, ttl=TTL_SECONDS)
def figures(url: str, key: ViewKey) -> OverviewFigures:
    """Return the Overview's figures, built once per view."""
    return overview_figures(
        daily(url, key), claim_markers(url, key), opening=opening_tonnes(url, key)
    )


def clear() -> None:
    """Forget every cached result, after a write."""
    st.cache_data.clear()
    reconciliation.clear()
    discrepancies.clear()
    figures.clear()


_seen_versions: dict[str, int] = {}


def ledger_version(url: str) -> int:
    """Return a number that grows with every write: the newest audit event's id."""
    with engine(url).connect() as connection:
        return audit.ledger_version_of(connection)


def refresh_if_changed(url: str) -> None:
    """Clear this server's caches when any server (or the CLI) has written since it last looked.

    One indexed query per rerun keeps several dashboard servers on one database in step; the
    cache TTL remains as a second line.
    """
    version = ledger_version(url)
    if _seen_versions.get(url) != version:
        if url in _seen_versions:
            clear()
        _seen_versions[url] = version
