"""Audit: every write and every sign-in attempt, for editors only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

import pandas as pd
import streamlit as st

from shipments.audit import AuditFilter, audit_events, sign_in_events
from shipments.db import session_scope
from shipments.exchange.csvfiles import write_csv
from shipments.ui import data, session, view
from shipments.ui.common import page

ACTIONS = {
    "Every write": None,
    "Shipments": "shipment.",
    "Claims": "claim.",
    "Editor accounts": "editor.",
}
SHOWN = 1000
WRITE_COLUMNS = ("at", "actor", "via", "action", "subject", "detail")
SIGN_IN_COLUMNS = ("at", "name", "outcome")


@page
def audit(url: str, current: view.View) -> None:
    """Draw the audit trail with its filters and downloads."""
    st.title("Audit trail")
    if session.editor_or_warning() is None:
        return
    who, what, since = st.columns(3)
    actor = who.text_input("Who (exact name)", key="audit_actor").strip() or None
    action = ACTIONS[what.selectbox("What", list(ACTIONS), key="audit_action")]
    start = since.date_input("Since", value=None, key="audit_since", format="YYYY-MM-DD")
    filters = AuditFilter(
        actor=actor,
        action=action,
        since=datetime.combine(start, time.min, tzinfo=UTC) if start else None,
    )
    with session_scope(data.engine(url)) as db:
        writes = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "via": e.via,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail or "",
            }
            for e in audit_events(session=db, filters=filters)
        ]
        sign_ins = [
            {"at": e.at.isoformat(), "name": e.name, "outcome": e.outcome}
            for e in sign_in_events(session=db, filters=filters)
        ]
    _section("Writes", writes, WRITE_COLUMNS, "writes")
    _section("Sign-in attempts", sign_ins, SIGN_IN_COLUMNS, "sign-ins")


def _section(title: str, rows: list[dict[str, str]], columns: tuple[str, ...], kind: str) -> None:
    st.subheader(f"{title} ({len(rows):,})")
    if len(rows) > SHOWN:
        st.caption(f"The newest {SHOWN:,} are shown; the download holds all of them.")
    st.dataframe(
        pd.DataFrame(rows[:SHOWN], columns=list(columns)), hide_index=True, width="stretch"
    )
    st.download_button(
        f"{title} (CSV)",
        _csv(rows, columns),
        file_name=_name(kind),
        mime="text/csv",
        key=f"audit_{kind}_csv",
        on_click="ignore",
    )


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    write_csv(rows, out, columns)
    return out.getvalue()


def _name(kind: str) -> str:
    return f"audit-{kind}_{datetime.now(UTC).date().isoformat()}.csv"
