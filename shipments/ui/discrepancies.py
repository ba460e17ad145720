"""The Claims page's discrepancies: open ones first, and for an editor, explain or resolve.

What a discrepancy is and how it moves is ``shipments.discrepancies``; this draws it.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import streamlit as st

from shipments.db import session_scope
from shipments.discrepancies import Discrepancy, explain, resolve
from shipments.errors import InvalidInput, NotFound
from shipments.models import DiscrepancyExplanation
from shipments.models.discrepancies import EXPLAINED, LINK_KINDS, OPEN, RESOLVED
from shipments.rules import parse
from shipments.ui import data
from shipments.ui.common import plain

EXPLAIN, RESOLVE = "Explain it", "Resolve it (the claim holds again)"
NO_LINK = "nothing"
FLASH = "discrepancy_flash"
ERRORS = "discrepancy_errors"
CLEARED = "discrepancy_cleared"


def draw(url: str, editor: str | None) -> None:
    """Draw the discrepancies: a count, a table with open ones first, and the editor's form."""
    found = data.discrepancies(url)
    st.subheader("Discrepancies")
    flash = st.session_state.pop(FLASH, None)
    if not found:
        st.caption("None: the ledger bears out every claim, and always has since it was checked.")
        return
    needing = sum(1 for d in found if d.needs_work)
    waiting = sum(1 for d in found if d.state == OPEN and d.holds_now)
    explained = sum(1 for d in found if d.state == EXPLAINED)
    resolved = sum(1 for d in found if d.state == RESOLVED)
    st.caption(
        f"{needing} open, {explained} explained, {waiting} holding again (to resolve), "
        f"{resolved} resolved. The ledger opens a discrepancy when a claim has no consistent "
        "reading, and reopens it when a correction moves an explained figure or breaks a "
        "resolved claim again; editors explain or resolve them."
    )
    st.dataframe(
        _table(url),
        hide_index=True,
        width="stretch",
        column_config={
            "claim": st.column_config.NumberColumn("Claim", format="%d"),
            "claimant": st.column_config.TextColumn("Claimant"),
            "claimed": st.column_config.TextColumn("Claimed"),
            "state": st.column_config.TextColumn("State"),
            "since": st.column_config.TextColumn("Since (UTC)"),
            "by": st.column_config.TextColumn("By"),
            "ledger": st.column_config.TextColumn("Ledger now"),
            "difference": st.column_config.TextColumn("Difference now"),
            "why": st.column_config.TextColumn("Why", width="large"),
        },
    )
    if flash:
        st.success(flash)  # by the form that was just used
    if editor is not None:
        _form(url, editor, [d for d in found if d.state != RESOLVED])


@st.cache_data(show_spinner=False, ttl=data.TTL_SECONDS)
def _table(url: str) -> pa.Table:
    """Return, as an Arrow table (what st.dataframe sends; a frame is converted on every rerun),
    one row per discrepancy, as ``data.discrepancies`` lists them."""
    return pa.Table.from_pandas(
        pd.DataFrame([_row(d) for d in data.discrepancies(url)]), preserve_index=False
    )


def _row(d: Discrepancy) -> dict[str, object]:
    latest = d.latest
    now = d.now.representative if d.now else None
    unit = d.now.claim.unit if d.now else ""
    why = latest.reason or ""
    if latest.link_kind:
        why = f"{why} (see {latest.link_kind} {latest.link_id})".strip()
    state = "holds again: to resolve" if d.state == OPEN and d.holds_now else d.state
    return {
        "claim": d.claim_id,
        "claimant": d.now.claim.claimant if d.now else "",
        "claimed": f"{d.now.claim.value} {unit} ({d.now.claim.qualifier})" if d.now else "",
        "state": state,
        "since": latest.at.strftime("%Y-%m-%d %H:%M:%S"),
        "by": latest.actor,
        "ledger": "" if now is None or now.ledger_value is None else f"{now.ledger_value:,} {unit}",
        "difference": ""
        if now is None or now.difference is None
        else f"{now.difference:+,} {unit}",
        "why": why,
    }


def _form(url: str, editor: str, workable: list[Discrepancy]) -> None:
    if not workable:
        return
    errors: dict[str, str] = st.session_state.get(ERRORS, {})
    if st.session_state.pop(CLEARED, False):  # recorded: the form starts afresh, in the browser too
        st.session_state["discrepancy_reason"] = ""
        st.session_state["discrepancy_link_kind"] = NO_LINK
        st.session_state["discrepancy_link_id"] = None
    with st.form("discrepancy"):
        st.markdown("**Work a discrepancy**")
        claim = st.selectbox(
            "Claim",
            [d.claim_id for d in workable],
            format_func=lambda c: f"Claim {c}",
            key="discrepancy_claim",
        )
        action = st.radio("What to do", (EXPLAIN, RESOLVE), horizontal=True)
        reason = st.text_area(
            "Why the claim and the ledger differ (or, to resolve, what was corrected)",
            key="discrepancy_reason",
        )
        _error(errors, "reason")
        kind_column, id_column = st.columns(2)
        kind = kind_column.selectbox(
            "It is explained by", (NO_LINK, *LINK_KINDS), key="discrepancy_link_kind"
        )
        link_id = id_column.number_input(
            "Its id", min_value=1, step=1, value=None, key="discrepancy_link_id"
        )
        _error(errors, "link")
        submitted = st.form_submit_button("Record", type="primary")
        _error(errors, "form")
    if not submitted or claim is None:
        return
    try:
        with session_scope(data.engine(url)) as session:
            if action == EXPLAIN:
                explanation = parse(
                    DiscrepancyExplanation,
                    {
                        "reason": reason,
                        "link_kind": None if kind == NO_LINK else kind,
                        "link_id": None if kind == NO_LINK else link_id,
                    },
                )
                explain(
                    session=session,
                    claim_id=claim,
                    explanation_in=explanation,
                    by=editor,
                    via="form",
                )
                said = f"Claim {claim}: discrepancy explained."
            else:
                resolve(
                    session=session,
                    claim_id=claim,
                    by=editor,
                    via="form",
                    note=reason if reason.strip() else None,
                )
                said = f"Claim {claim}: discrepancy resolved."
    except InvalidInput as exc:
        st.session_state[ERRORS] = {_where(p.field): p.rule for p in exc.problems}
        st.rerun()
    except NotFound as exc:
        st.session_state[ERRORS] = {"form": str(exc)}
        st.rerun()
    st.session_state.pop(ERRORS, None)
    st.session_state[CLEARED] = True
    st.session_state[FLASH] = said
    data.clear()
    st.rerun()


def _where(field: str) -> str:
    if field == "reason":
        return "reason"
    if field.startswith("link"):
        return "link"
    return "form"


def _error(errors: dict[str, str], field: str) -> None:
    if field in errors:
        st.error(plain(errors[field]))
