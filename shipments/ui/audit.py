"""Audit: every write and every sign-in attempt, for editors only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from shipments.audit import AuditFilter, audit_events, sign_in_events
from shipments.db import session_scope
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.reports import AUDIT_COLUMNS, SIGN_IN_COLUMNS, audit_rows, sign_in_rows
from shipments.ui import data, session, view
from shipments.ui.common import page

ACTIONS = {
    "Every write": None,
    "Shipments": "shipment.",
    "Claims": "claim.",
    "Editor accounts": "editor.",
}
SHOWN = 1000
LABELS = {
    "at": "At (UTC)",
    "actor": "Who",
    "via": "Via",
    "from": "From (command line: OS user@host)",
    "action": "Action",
    "subject": "Subject",
    "detail": "Detail",
    "name": "Name",
    "outcome": "Outcome",
}


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
        writes = list(audit_rows(audit_events(session=db, filters=filters)))
        sign_ins = list(sign_in_rows(sign_in_events(session=db, filters=filters)))
    st.caption(
        "Who: the editor named. The dashboard proves it by the sign-in; on the command line it is"
        " a claim, so each command-line write also records the operating-system user and host."
    )
    _section("Writes", writes, AUDIT_COLUMNS, "writes")
    _section("Sign-in attempts", sign_ins, SIGN_IN_COLUMNS, "sign-ins")


def _section(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...], kind: str) -> None:
    st.subheader(f"{title} ({len(rows):,})")
    if len(rows) > SHOWN:
        st.caption(f"The newest {SHOWN:,} are shown; the download holds all of them.")
    st.dataframe(
        pd.DataFrame(rows[:SHOWN], columns=list(columns)),
        hide_index=True,
        width="stretch",
        column_config={column: LABELS[column] for column in columns},
    )
    st.download_button(
        f"{title} (CSV)",
        _csv(rows, columns),
        file_name=_name(kind),
        mime="text/csv",
        key=f"audit_{kind}_csv",
        on_click="ignore",
    )


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    write_csv(rows, out, columns)
    return out.getvalue()


def _name(kind: str) -> str:
    return f"audit-{kind}_{datetime.now(UTC).date().isoformat()}.csv"
