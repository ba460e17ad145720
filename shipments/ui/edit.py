"""Edit: add, correct and retract shipments; only a signed-in editor sees or uses it."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from shipments.db import session_scope
from shipments.errors import (
    InvalidInput,
    NotFound,
)
from shipments.ledger import (
    append_shipment,
    correct_shipment,
    describe_shipment,
    get_shipment,
    retract_shipment,
)
from shipments.models import ShipmentCorrection, ShipmentCreate, SourcePublic
from shipments.rules import DATE_MEANINGS, SOURCE_KINDS, parse
from shipments.ui import consignments, data, forms, session, view
from shipments.ui.common import page, plain
from shipments.ui.ledger import history_link
from shipments.units import format_tonnes


@page
def edit(url: str, current: view.View) -> None:
    """Draw the three edit forms for the signed-in editor."""
    st.title("Edit the ledger")
    editor = session.editor_or_warning()
    if editor is None:
        return
    st.caption(plain(f"Signed in as {editor}. Every change is recorded with your name."))
    flash = st.session_state.pop("edit_flash", None)
    if flash:
        st.success(plain(flash))
    if (shown := st.session_state.pop("edit_flash_shipment", None)) is not None:
        history_link(int(shown))
    tabs = ["Add a shipment", "Correct a shipment", "Retract a shipment", "Link sent and received"]
    # Tracked, so that the tab an editor worked in stays open after the page reruns; and only
    # the open tab's form is drawn, after the rerun that choosing it starts, so that nothing
    # typed into a tab just opened is redrawn away by that rerun.
    add, fix, drop, pair = st.tabs(tabs, key="edit_tab", on_change="rerun")
    with add:
        if add.open:
            _add_form(url, editor)
    with fix:
        if fix.open:
            _correct_form(url, editor)
    with drop:
        if drop.open:
            _retract_form(url, editor)
    with pair:
        if pair.open:
            consignments.link_form(url, editor)
            consignments.unlink_form(url, editor)


def _fact_inputs(form: str) -> None:
    # No range on the widget: a date it refused would reach the ledger as no date at all ("is
    # required") after its own "outside allowed range"; the ledger's rule says what is wrong.
    st.date_input(
        "Date",
        value=None,
        key=f"{form}_event_date",
        format="YYYY-MM-DD",
        min_value=date(1, 1, 1),
        max_value=date(9999, 12, 31),
    )
    forms.error(form, "event_date")
    st.selectbox("The date is when the cargo was", DATE_MEANINGS, key=f"{form}_date_means")
    forms.error(form, "date_means")
    for field, label in (
        ("donor", "Donor"),
        ("recipient", "Recipient"),
        ("cargo", "Cargo category (e.g. medicine)"),
        ("cargo_description", "Cargo description (optional)"),
    ):
        st.text_input(label, key=f"{form}_{field}")
        forms.error(form, field)
    st.text_input("Tonnes (t)", key=f"{form}_tonnes", placeholder="e.g. 64.5, at most 3 decimals")
    forms.error(form, "tonnes")
    st.text_area("Note (optional)", key=f"{form}_note")
    forms.error(form, "note")


def _source_inputs(form: str, sources: list[SourcePublic], *, optional: bool) -> None:
    st.markdown("**Source**" + (" to add (optional)" if optional else ""))
    by_id = {s.id: s for s in sources}
    st.selectbox(
        "An existing source",
        [forms.NO_SOURCE, *by_id],
        format_func=lambda i: (
            "None: enter a new one below"
            if i == forms.NO_SOURCE
            else f"{by_id[i].publisher}: {by_id[i].title}"[:120]
        ),
        key=f"{form}_source_id",
    )
    st.text_input(
        "or a new source: its web address", key=f"{form}_source_url", placeholder="https://..."
    )
    st.text_input("Title", key=f"{form}_source_title")
    st.text_input("Publisher", key=f"{form}_source_publisher")
    st.selectbox("Kind", SOURCE_KINDS, key=f"{form}_source_kind")
    forms.error(form, "sources")


def _source_given(form: str, sources: list[SourcePublic]) -> dict[str, Any] | None:
    state = st.session_state
    chosen = state.get(f"{form}_source_id")
    if chosen not in (None, forms.NO_SOURCE):
        picked = next(s for s in sources if s.id == chosen)
        return picked.model_dump(exclude={"id"})
    fields = [state.get(f"{form}_source_{k}") for k in ("url", "title", "publisher")]
    if not any((value or "").strip() for value in fields):
        return None
    return {
        "url": state.get(f"{form}_source_url"),
        "title": state.get(f"{form}_source_title"),
        "publisher": state.get(f"{form}_source_publisher"),
        "kind": state.get(f"{form}_source_kind"),
    }


def _facts_given(form: str) -> dict[str, Any]:
    state = st.session_state
    facts = {field: state.get(f"{form}_{field}") for field in forms.FACTS}
    facts["tonnes"] = state.get(f"{form}_tonnes")
    return facts


def _duplicate_notice(url: str, form: str) -> None:
    ids = st.session_state.get(f"{form}_duplicate")
    if not ids:
        return
    with session_scope(data.engine(url)) as db:
        for shipment_id in ids:
            try:
                existing = get_shipment(session=db, shipment_id=shipment_id)
            except NotFound:
                continue
            st.warning(
                plain(f"This looks like shipment {existing.id}: {describe_shipment(existing)}.")
            )
    st.checkbox("It is a different delivery: record it anyway", key=f"{form}_confirm")


def _add_form(url: str, editor: str) -> None:
    forms.start_afresh("add")
    session.form_key("add")  # issued with the form, so every submit of it carries the same key
    sources = data.sources(url)
    with st.form("add_shipment"):
        _fact_inputs("add")
        _source_inputs("add", sources, optional=False)
        st.number_input(
            "Same consignment as shipment (optional)",
            min_value=1,
            max_value=2**31 - 1,
            value=None,
            step=1,
            key="add_same_consignment_as",
            help="The ID of this cargo's other record, when it is already recorded as sent (or"
            " received): the two are linked and count once.",
        )
        forms.error("add", "same_consignment_as")
        _duplicate_notice(url, "add")
        forms.error("add", "form")
        forms.summary("add")
        submitted = st.form_submit_button("Add shipment", type="primary")
    if not submitted:
        return

    def write() -> str:
        given = _facts_given("add")
        source = _source_given("add", sources)
        given["sources"] = [source] if source else []
        given["same_consignment_as"] = st.session_state.get("add_same_consignment_as")
        shipment_in = parse(ShipmentCreate, given)
        with session_scope(data.engine(url)) as db:
            added = append_shipment(
                session=db,
                shipment_in=shipment_in,
                by=editor,
                via="form",
                confirm_duplicate=bool(st.session_state.get("add_confirm")),
                form_key=session.form_key("add"),
            )
        st.session_state["edit_flash_shipment"] = added.id
        said = (
            f"Added shipment {added.id}: {added.event_date.isoformat()} {added.donor} -> "
            f"{added.recipient}, {format_tonnes(added.mass_kg)} t."
        )
        if added.once_with is not None:
            return f"{said} Linked with shipment {added.once_with}: the two count once."
        return (
            f"{said} If it is the other record (sent or received) of a cargo already recorded,"
            " link the two in the tab “Link sent and received”, so that it counts once."
        )

    forms.attempt("add", write)


def _load_for_correction(url: str, shipment_id: int) -> bool:
    state = st.session_state
    with session_scope(data.engine(url)) as db:
        try:
            current = get_shipment(session=db, shipment_id=shipment_id)
        except NotFound:
            return False
    if state.get("fix_loaded") != shipment_id:
        for field in forms.FACTS:
            value = getattr(current, field)
            state[f"fix_{field}"] = value if value is not None else ""
        state["fix_tonnes"] = format_tonnes(current.mass_kg)
        state["fix_loaded"] = shipment_id
        state.pop("fix_errors", None)
        state.pop("fix_duplicate", None)
    return True


def _correct_form(url: str, editor: str) -> None:
    forms.start_afresh("fix")  # after a correction the ID box empties in the browser too
    shipment_id = st.number_input(
        "Shipment ID to correct", min_value=1, max_value=2**31 - 1, value=None, step=1, key="fix_id"
    )
    if shipment_id is None:
        st.caption("Enter the ID of a current shipment (see the Ledger page).")
        return
    if not _load_for_correction(url, int(shipment_id)):
        st.info(f"There is no current shipment with ID {int(shipment_id)} (it may be retracted).")
        return
    session.form_key("fix")
    sources = data.sources(url)
    with st.form("fix_shipment"):
        _fact_inputs("fix")
        _source_inputs("fix", sources, optional=True)
        st.text_area("Reason for the correction (required)", key="fix_reason")
        forms.error("fix", "reason")
        _duplicate_notice(url, "fix")
        forms.error("fix", "form")
        forms.summary("fix")
        submitted = st.form_submit_button("Record correction", type="primary")
    if not submitted:
        return

    def write() -> str:
        given = _facts_given("fix")
        source = _source_given("fix", sources)
        given["add_sources"] = [source] if source else []
        given["reason"] = st.session_state.get("fix_reason")
        correction_in = parse(ShipmentCorrection, given)
        with session_scope(data.engine(url)) as db:
            fixed = correct_shipment(
                session=db,
                shipment_id=int(shipment_id),
                correction_in=correction_in,
                by=editor,
                via="form",
                confirm_duplicate=bool(st.session_state.get("fix_confirm")),
                form_key=session.form_key("fix"),
            )
        st.session_state["edit_flash_shipment"] = fixed.id
        return f"Corrected shipment {fixed.id}: revision {fixed.revision}."

    forms.attempt("fix", write)


def _retract_form(url: str, editor: str) -> None:
    forms.start_afresh("drop")
    session.form_key("drop")
    with st.form("drop_shipment"):
        st.number_input(
            "Shipment ID to retract",
            min_value=1,
            max_value=2**31 - 1,
            value=None,
            step=1,
            key="drop_id",
        )
        st.text_area("Reason for the retraction (required)", key="drop_reason")
        forms.error("drop", "reason")
        forms.error("drop", "form")
        submitted = st.form_submit_button("Retract shipment", type="primary")
    if not submitted:
        return

    def write() -> str:
        shipment_id = st.session_state.get("drop_id")
        if shipment_id is None:
            raise InvalidInput.single("form", "enter the ID of the shipment to retract")
        with session_scope(data.engine(url)) as db:
            dropped = retract_shipment(
                session=db,
                shipment_id=int(shipment_id),
                reason=st.session_state.get("drop_reason") or "",
                by=editor,
                via="form",
                form_key=session.form_key("drop"),
            )
        return f"Retracted shipment {dropped.id}."

    forms.attempt("drop", write)
