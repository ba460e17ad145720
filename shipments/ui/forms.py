"""The editors' forms: errors under their fields, a summary by the button, a fresh form after a
write, and the one way a form's write is attempted and its outcome shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from shipments.errors import (
    AlreadyRetracted,
    AlreadySubmitted,
    Conflict,
    DuplicateShipment,
    InvalidInput,
    NotFound,
)
from shipments.rules import DATE_MEANINGS, SOURCE_KINDS
from shipments.ui import data, session
from shipments.ui.common import plain

FACTS = ("event_date", "date_means", "donor", "recipient", "cargo", "cargo_description", "note")
NO_SOURCE = 0  # no source id is 0: the choice "None: enter a new one below"


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


def summary(form: str) -> None:
    """Say by the button which fields need attention: their messages may be off-screen."""
    errors = st.session_state.get(f"{form}_errors", {})
    named = [_FIELD_NAMES[field] for field in _FIELD_NAMES if field in errors]
    if named:
        count = f"{len(named)} fields need" if len(named) > 1 else "1 field needs"
        st.error(plain(f"{count} attention: {', '.join(named)}."))


def error(form: str, field: str) -> None:
    """Show the message of a form's field, if it has one."""
    message = st.session_state.get(f"{form}_errors", {}).get(field)
    if message:
        st.error(plain(message))


# A source's fields as the form's inputs name them: a refusal starts with the label the editor
# sees (it said "url:" above an address box labelled "its web address").
_SOURCE_LABELS = {
    "url": "Web address",
    "title": "Title",
    "publisher": "Publisher",
    "kind": "Kind",
}


def problems_by_field(exc: InvalidInput) -> dict[str, str]:
    """Return a refusal's messages by the form field that shows them."""
    found: dict[str, str] = {}
    for problem in exc.problems:
        head, _, rest = problem.field.partition(".")
        if head in ("sources", "add_sources"):
            leaf = rest.partition(".")[2] or head
            found.setdefault("sources", f"{_SOURCE_LABELS.get(leaf, leaf)}: {problem.rule}")
        elif head in (
            *FACTS,
            "tonnes",
            "reason",
            "shipment",
            "first_id",
            "second_id",
            "pair",
            "same_consignment_as",
        ):
            found.setdefault(head, problem.rule)
        else:
            found.setdefault("form", f"{problem.field}: {problem.rule}")
    return found


def finish(form: str, message: str) -> None:
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
    "same_consignment_as": None,
}


def start_afresh(form: str) -> None:
    """Empty the form's inputs after a write, in the browser too.

    Forgetting a widget's value is not enough: the browser keeps showing (and sends back) what
    was typed. Values set before the widgets are drawn are sent to the browser, so the form
    shows, and submits, an empty form.
    """
    if st.session_state.pop(f"{form}_cleared", False):
        for field, empty in _EMPTY_FORM.items():
            st.session_state[f"{form}_{field}"] = empty


def attempt(form: str, write: Callable[[], str]) -> None:
    """Run a form's write; show its refusal by field, or start the form afresh with its news."""
    state = st.session_state
    try:
        message = write()
    except DuplicateShipment as exc:
        state[f"{form}_errors"] = {}
        state[f"{form}_duplicate"] = exc.existing_ids
        st.rerun()
    except InvalidInput as exc:
        state[f"{form}_errors"] = problems_by_field(exc)
        state.pop(f"{form}_duplicate", None)
        st.rerun()
    except AlreadySubmitted as exc:
        finish(form, f"This form was already submitted ({exc.subject}); nothing new was added.")
    except (NotFound, AlreadyRetracted, Conflict) as exc:
        state[f"{form}_errors"] = {"form": str(exc)}
        st.rerun()
    else:
        finish(form, message)
