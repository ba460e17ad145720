"""The Edit page's "Link sent and received" tab: link two records as one consignment, unlink."""

from __future__ import annotations

import streamlit as st

from shipments.db import session_scope
from shipments.errors import InvalidInput
from shipments.ledger import link_consignment, unlink_consignment
from shipments.models import ConsignmentCreate
from shipments.rules import CONSIGNMENT_TOLERANCE_PCT, parse
from shipments.ui import data, forms, session
from shipments.ui.common import plain

# The facts a link compares, as the link form names them when they differ.
_LINK_FACTS = {
    "date_means": "Date means",
    "donor": "Donor",
    "recipient": "Recipient",
    "event_date": "Date",
    "tonnes": "Tonnes",
}


def link_form(url: str, editor: str) -> None:
    """Draw the form that links a sent and a received record as one consignment."""
    forms.start_afresh("link")
    session.form_key("link")
    st.caption(
        "The same cargo is often recorded twice: when it is sent and when it is received. Link"
        " the two records and every total, chart and claim reading counts the consignment once"
        " (by its sent record, or by its received record where a claim speaks of arrival); both"
        f" records stay in the ledger with their sources. One donor and one recipient, the"
        f" received record dated on or after the sent one, masses at most"
        f" {CONSIGNMENT_TOLERANCE_PCT} % apart."
    )
    with st.form("link_shipments"):
        for field, label in (
            ("first_id", "One record: shipment ID"),
            ("second_id", "The other record: shipment ID"),
        ):
            st.number_input(
                label, min_value=1, max_value=2**31 - 1, value=None, step=1, key=f"link_{field}"
            )
            forms.error("link", field)
        st.text_area("Why they are one consignment (optional)", key="link_reason")
        forms.error("link", "reason")
        errors = st.session_state.get("link_errors", {})
        for field, name in _LINK_FACTS.items():
            if field in errors:
                st.error(plain(f"{name}: {errors[field]}"))
        forms.error("link", "form")
        submitted = st.form_submit_button("Link as one consignment", type="primary")
    if not submitted:
        return

    def write() -> str:
        state = st.session_state
        link_in = parse(
            ConsignmentCreate,
            {
                "first_id": state.get("link_first_id"),
                "second_id": state.get("link_second_id"),
                "reason": state.get("link_reason"),
            },
        )
        with session_scope(data.engine(url)) as db:
            done = link_consignment(
                session=db,
                link_in=link_in,
                by=editor,
                via="form",
                form_key=session.form_key("link"),
            )
        return (
            f"Linked shipment {done.sent_id} (sent) and shipment {done.received_id} (received)"
            " as one consignment: it now counts once."
        )

    forms.attempt("link", write)


def unlink_form(url: str, editor: str) -> None:
    """List the standing consignments and draw the form that unlinks one."""
    standing = data.consignments(url)
    if not standing:
        st.caption("No consignments are linked yet.")
        return
    forms.start_afresh("unlink")
    session.form_key("unlink")
    st.subheader("Linked consignments")
    st.dataframe(
        [
            {
                "Sent record": c.sent_id,
                "Received record": c.received_id,
                "Linked by": c.recorded_by,
                "Linked at (UTC)": c.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
                "Why": c.reason or "",
            }
            for c in standing
        ],
        hide_index=True,
    )
    with st.form("unlink_shipments"):
        choices = {f"{c.sent_id} (sent) and {c.received_id} (received)": c for c in standing}
        st.selectbox("Consignment to unlink", list(choices), index=None, key="unlink_pair")
        forms.error("unlink", "pair")
        st.text_area("Why they are not one consignment (required)", key="unlink_reason")
        forms.error("unlink", "reason")
        forms.error("unlink", "form")
        submitted = st.form_submit_button("Unlink: count both records again")
    if not submitted:
        return

    def write() -> str:
        chosen = choices.get(st.session_state.get("unlink_pair") or "")
        if chosen is None:
            raise InvalidInput.single("pair", "choose the consignment to unlink")
        link_in = parse(
            ConsignmentCreate,
            {
                "first_id": chosen.sent_id,
                "second_id": chosen.received_id,
                "reason": st.session_state.get("unlink_reason"),
            },
        )
        with session_scope(data.engine(url)) as db:
            done = unlink_consignment(
                session=db,
                link_in=link_in,
                by=editor,
                via="form",
                form_key=session.form_key("unlink"),
            )
        return f"Unlinked shipments {done.sent_id} and {done.received_id}: both count again."

    forms.attempt("unlink", write)
