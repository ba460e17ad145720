"""Audit: every write, and the sign-in attempts a page at a time, for editors only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from shipments.audit import (
    AuditFilter,
    audit_events,
    count_sign_in_events,
    sign_in_events,
    sign_in_throttles,
)
from shipments.db import session_scope
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.reports import AUDIT_COLUMNS, SIGN_IN_COLUMNS, audit_rows, sign_in_rows
from shipments.ui import data, session, view
from shipments.ui.common import page
from shipments.ui.view import utc_text

ACTIONS = {
    "Every write": None,
    "Shipments": "shipment.",
    "Claims": "claim.",
    "Editor accounts": "editor.",
}
SHOWN = 1000
SIGN_INS_PER_PAGE = 100
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
    "address": "From (client address)",
    "failures": "Failures counted",
    "throttled": "Refused unchecked (too soon)",
    "first_at": "Counting since (UTC)",
    "last_at": "Last failure (UTC)",
}
THROTTLE_COLUMNS = ("name", "address", "failures", "throttled", "first_at", "last_at")
TIME_COLUMNS = ("at", "first_at", "last_at")  # shown to the second; the CSVs keep every digit


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
        total = count_sign_in_events(session=db, filters=filters)
    st.caption(
        "Who: the editor named. The dashboard proves it by the sign-in; on the command line it is"
        " a claim, so each command-line write also records the operating-system user and host."
    )
    _section("Writes", writes, AUDIT_COLUMNS, "writes")
    _sign_ins(url, filters, total)


def _sign_ins(url: str, filters: AuditFilter, total: int) -> None:
    """Draw the checked sign-in attempts a page at a time, then the failure counts."""
    st.subheader(f"Sign-in attempts ({total:,})")
    pages = max(1, -(-total // SIGN_INS_PER_PAGE))
    number = int(
        st.number_input("Page", min_value=1, max_value=pages, value=1, key="audit_sign_in_page")
    )
    offset = (number - 1) * SIGN_INS_PER_PAGE
    with session_scope(data.engine(url)) as db:
        shown = list(
            sign_in_rows(
                sign_in_events(session=db, filters=filters, limit=SIGN_INS_PER_PAGE, offset=offset)
            )
        )
        counts = [
            {
                "name": t.name,
                "address": t.address,
                "failures": t.failures,
                "throttled": t.throttled,
                "first_at": t.first_at.isoformat(),
                "last_at": t.last_at.isoformat(),
            }
            for t in sign_in_throttles(session=db, filters=filters)[:SHOWN]
        ]
    if total:
        st.caption(
            f"Attempts {offset + 1:,} to {offset + len(shown):,} of {total:,}, newest first."
        )
    _table(shown, SIGN_IN_COLUMNS)
    with session_scope(data.engine(url)) as db:
        every = list(sign_in_rows(sign_in_events(session=db, filters=filters)))
    st.download_button(
        "Sign-in attempts (CSV)",
        _csv(every, SIGN_IN_COLUMNS),
        file_name=_name("sign-ins"),
        mime="text/csv",
        key="audit_sign-ins_csv",
        on_click="ignore",
    )
    st.subheader("Failures per name and address")
    st.caption(
        "Attempts refused for coming too soon after failures are counted here, not listed above."
    )
    _table(counts, THROTTLE_COLUMNS)


def shown_time(stored: str) -> str:
    """Return a stored ISO 8601 moment as the tables show it: to the second, in UTC, saying so."""
    return utc_text(datetime.fromisoformat(stored))


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: shown_time(v) if k in TIME_COLUMNS and v else v for k, v in row.items()} for row in rows
    ]


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    st.dataframe(
        pd.DataFrame(_shown(rows), columns=list(columns)),
        hide_index=True,
        width="stretch",
        column_config={column: LABELS[column] for column in columns},
    )


def _section(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...], kind: str) -> None:
    st.subheader(f"{title} ({len(rows):,})")
    if len(rows) > SHOWN:
        st.caption(f"The newest {SHOWN:,} are shown; the download holds all of them.")
    st.dataframe(
        pd.DataFrame(_shown(rows[:SHOWN]), columns=list(columns)),
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
