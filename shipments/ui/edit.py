"""Edit: add, correct and retract shipments; only a signed-in editor sees or uses it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from shipments.db import session_scope
from shipments.errors import (
    AlreadyRetracted,
    AlreadySubmitted,
    Conflict,
    DuplicateShipment,
    InvalidInput,
    NotFound,
)
from shipments.ledger import (
    append_shipment,
    correct_shipment,
    describe_shipment,
    get_shipment,
    link_consignment,
    retract_shipment,
    unlink_consignment,
)
from shipments.models import ConsignmentCreate, ShipmentCorrection, ShipmentCreate, SourcePublic
from shipments.rules import CONSIGNMENT_TOLERANCE_PCT, DATE_MEANINGS, SOURCE_KINDS, parse
from shipments.ui import data, session, view
from shipments.ui.common import page, plain
from shipments.ui.ledger import history_link
from shipments.units import format_tonnes

FACTS = ("event_date", "date_means", "donor", "recipient", "cargo", "cargo_description", "note")


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
    # Tracked, so that the tab an editor worked in stays open after the page reruns.
    add, fix, drop, pair = st.tabs(tabs, key="edit_tab", on_change="rerun")
    with add:
        _add_form(url, editor)
    with fix:
        _correct_form(url, editor)
    with drop:
        _retract_form(url, editor)
    with pair:
        _link_form(url, editor)
        _unlink_form(url, editor)


# How the summary by a form's button names each field.
_FIELD_NAMES = {
    "event_date": "Date",
    "date_means": "Date means",
    "donor": "Donor",
    "recipient": "Recipient",
    "cargo": "Cargo",
    "cargo_description": "Cargo description",
    "tonnes": "Tonnes",
    "note": "Note",
    "sources": "Source",
    "reason": "Reason",
}


def _summary(form: str) -> None:
    """Say by the button which fields need attention: their messages may be off-screen."""
    errors = st.session_state.get(f"{form}_errors", {})
    named = [_FIELD_NAMES[field] for field in _FIELD_NAMES if field in errors]
    if named:
        count = f"{len(named)} fields need" if len(named) > 1 else "1 field needs"
        st.error(plain(f"{count} attention: {', '.join(named)}."))


def _error(form: str, field: str) -> None:
    message = st.session_state.get(f"{form}_errors", {}).get(field)
    if message:
        st.error(plain(message))


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
    _error(form, "event_date")
    st.selectbox("The date is when the cargo was", DATE_MEANINGS, key=f"{form}_date_means")
    _error(form, "date_means")
    for field, label in (
        ("donor", "Donor"),
        ("recipient", "Recipient"),
        ("cargo", "Cargo category (e.g. medicine)"),
        ("cargo_description", "Cargo description (optional)"),
    ):
        st.text_input(label, key=f"{form}_{field}")
        _error(form, field)
    st.text_input("Tonnes (t)", key=f"{form}_tonnes", placeholder="e.g. 64.5, at most 3 decimals")
    _error(form, "tonnes")
    st.text_area("Note (optional)", key=f"{form}_note")
    _error(form, "note")


NO_SOURCE = 0  # no source id is 0: the choice "None: enter a new one below"


def _source_inputs(form: str, sources: list[SourcePublic], *, optional: bool) -> None:
    st.markdown("**Source**" + (" to add (optional)" if optional else ""))
    by_id = {s.id: s for s in sources}
    st.selectbox(
        "An existing source",
        [NO_SOURCE, *by_id],
        format_func=lambda i: (
            "None: enter a new one below"
            if i == NO_SOURCE
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
    _error(form, "sources")


def _source_given(form: str, sources: list[SourcePublic]) -> dict[str, Any] | None:
    state = st.session_state
    chosen = state.get(f"{form}_source_id")
    if chosen not in (None, NO_SOURCE):
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
    facts = {field: state.get(f"{form}_{field}") for field in FACTS}
    facts["tonnes"] = state.get(f"{form}_tonnes")
    return facts


def _problems_by_field(exc: InvalidInput) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in exc.problems:
        head, _, rest = problem.field.partition(".")
        if head in ("sources", "add_sources"):
            leaf = rest.partition(".")[2] or head
            found.setdefault("sources", f"{leaf}: {problem.rule}")
        elif head in (*FACTS, "tonnes", "reason", "shipment", "first_id", "second_id"):
            found.setdefault(head, problem.rule)
        else:
            found.setdefault("form", f"{problem.field}: {problem.rule}")
    return found


def _finish(form: str, message: str) -> None:
    """After a write: fresh caches on every page, a fresh form, and the news on top."""
    data.clear()
    session.new_form_key(form)
    for key in list(st.session_state):
        if str(key).startswith(f"{form}_") and not str(key).endswith("_form_key"):
            del st.session_state[key]
    st.session_state[f"{form}_cleared"] = True
    st.session_state["edit_flash"] = message
    st.rerun()


# What each input of a form shows when it starts afresh.
_EMPTY_FORM: dict[str, Any] = {
    "event_date": None,
    "date_means": DATE_MEANINGS[0],
    "donor": "",
    "recipient": "",
    "cargo": "",
    "cargo_description": "",
    "tonnes": "",
    "note": "",
    "source_id": NO_SOURCE,
    "source_url": "",
    "source_title": "",
    "source_publisher": "",
    "source_kind": SOURCE_KINDS[0],
    "reason": "",
    "id": None,
    "first_id": None,
    "second_id": None,
    "pair": None,
}


def _start_afresh(form: str) -> None:
    """Empty the form's inputs after a write, in the browser too.

    Forgetting a widget's value is not enough: the browser keeps showing (and sends back) what
    was typed. Values set before the widgets are drawn are sent to the browser, so the form
    shows, and submits, an empty form.
    """
    if st.session_state.pop(f"{form}_cleared", False):
        for field, empty in _EMPTY_FORM.items():
            st.session_state[f"{form}_{field}"] = empty


def _attempt(form: str, write: Callable[[], str]) -> None:
    state = st.session_state
    try:
        message = write()
    except DuplicateShipment as exc:
        state[f"{form}_errors"] = {}
        state[f"{form}_duplicate"] = exc.existing_ids
        st.rerun()
    except InvalidInput as exc:
        state[f"{form}_errors"] = _problems_by_field(exc)
        state.pop(f"{form}_duplicate", None)
        st.rerun()
    except AlreadySubmitted as exc:
        _finish(form, f"This form was already submitted ({exc.subject}); nothing new was added.")
    except (NotFound, AlreadyRetracted, Conflict) as exc:
        state[f"{form}_errors"] = {"form": str(exc)}
        st.rerun()
    else:
        _finish(form, message)


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
    _start_afresh("add")
    session.form_key("add")  # issued with the form, so every submit of it carries the same key
    sources = data.sources(url)
    with st.form("add_shipment"):
        _fact_inputs("add")
        _source_inputs("add", sources, optional=False)
        _duplicate_notice(url, "add")
        _error("add", "form")
        _summary("add")
        submitted = st.form_submit_button("Add shipment", type="primary")
    if not submitted:
        return

    def write() -> str:
        given = _facts_given("add")
        source = _source_given("add", sources)
        given["sources"] = [source] if source else []
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
        return (
            f"Added shipment {added.id}: {added.event_date.isoformat()} {added.donor} -> "
            f"{added.recipient}, {format_tonnes(added.mass_kg)} t."
        )

    _attempt("add", write)


def _load_for_correction(url: str, shipment_id: int) -> bool:
    state = st.session_state
    with session_scope(data.engine(url)) as db:
        try:
            current = get_shipment(session=db, shipment_id=shipment_id)
        except NotFound:
            return False
    if state.get("fix_loaded") != shipment_id:
        for field in FACTS:
            value = getattr(current, field)
            state[f"fix_{field}"] = value if value is not None else ""
        state["fix_tonnes"] = format_tonnes(current.mass_kg)
        state["fix_loaded"] = shipment_id
        state.pop("fix_errors", None)
        state.pop("fix_duplicate", None)
    return True


def _correct_form(url: str, editor: str) -> None:
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
        _error("fix", "reason")
        _duplicate_notice(url, "fix")
        _error("fix", "form")
        _summary("fix")
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

    _attempt("fix", write)


def _retract_form(url: str, editor: str) -> None:
    _start_afresh("drop")
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
        _error("drop", "reason")
        _error("drop", "form")
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

    _attempt("drop", write)


# The facts a link compares, as the link form names them when they differ.
_LINK_FACTS = {
    "date_means": "Date means",
    "donor": "Donor",
    "recipient": "Recipient",
    "event_date": "Date",
    "tonnes": "Tonnes",
}


def _link_form(url: str, editor: str) -> None:
    _start_afresh("link")
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
            _error("link", field)
        st.text_area("Why they are one consignment (optional)", key="link_reason")
        _error("link", "reason")
        errors = st.session_state.get("link_errors", {})
        for field, name in _LINK_FACTS.items():
            if field in errors:
                st.error(plain(f"{name}: {errors[field]}"))
        _error("link", "form")
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

    _attempt("link", write)


def _unlink_form(url: str, editor: str) -> None:
    standing = data.consignments(url)
    if not standing:
        st.caption("No consignments are linked yet.")
        return
    _start_afresh("unlink")
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
        st.text_area("Why they are not one consignment (required)", key="unlink_reason")
        _error("unlink", "reason")
        _error("unlink", "form")
        submitted = st.form_submit_button("Unlink: count both records again")
    if not submitted:
        return

    def write() -> str:
        chosen = choices.get(st.session_state.get("unlink_pair") or "")
        if chosen is None:
            raise InvalidInput.single("form", "choose the consignment to unlink")
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

    _attempt("unlink", write)
