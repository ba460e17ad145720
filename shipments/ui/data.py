"""Cached access to the ledger for the pages: the engine once per process, results per query."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from shipments import csvio
from shipments.db import database_url, make_engine, session_scope
from shipments.ledger import LedgerTotals, current_shipments, ledger_totals
from shipments.seed import prepare_database


def configured_url() -> str:
    """Return the database URL from the environment, the key every cached query takes."""
    return database_url()


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    """Open the ledger database, upgrading and seeding it on first start."""
    created = make_engine(url)
    prepare_database(created)
    return created


@st.cache_data(show_spinner=False)
def totals(url: str) -> LedgerTotals:
    """Return the current shipment count and total mass."""
    with session_scope(engine(url)) as session:
        return ledger_totals(session=session)


@st.cache_data(show_spinner=False)
def shipments_frame(url: str) -> pd.DataFrame:
    """Return the current shipments as a table with one row per shipment."""
    with session_scope(engine(url)) as session:
        rows = list(csvio.shipment_rows(current_shipments(session=session)))
    return pd.DataFrame(rows, columns=list(csvio.SHIPMENT_COLUMNS))
