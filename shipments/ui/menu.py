"""The dashboard's pages, and which of them the menu shows to whom."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from shipments.ui.audit import audit
from shipments.ui.claims import claims
from shipments.ui.downloads import downloads
from shipments.ui.edit import edit
from shipments.ui.import_file import import_file
from shipments.ui.ledger import ledger
from shipments.ui.overview import overview
from shipments.ui.sign_in import sign_in


def pages(editor: str | None) -> tuple[list[st.Page], list[st.Page]]:
    """Return every page, and those of them that read the sidebar's filters.

    Viewers see the four read-only pages and Sign in; a signed-in editor sees Edit, Import and
    Audit instead of Sign in. A page left out of the menu still opens at its address (a bookmark,
    a session that has ended): the editors' pages then say to sign in, and change nothing.
    """
    # A page made from a function takes its URL from the function's name unless given one.
    viewing = [
        st.Page(overview, title="Overview", default=True),
        st.Page(ledger, title="Ledger", url_path="ledger"),
        st.Page(claims, title="Claims", url_path="claims"),
        st.Page(downloads, title="Downloads", url_path="downloads"),
    ]
    editing: Literal["visible", "hidden"] = "visible" if editor is not None else "hidden"
    signing: Literal["visible", "hidden"] = "hidden" if editor is not None else "visible"
    return [
        *viewing,
        st.Page(sign_in, title="Sign in", url_path="sign-in", visibility=signing),
        st.Page(edit, title="Edit", url_path="edit", visibility=editing),
        st.Page(import_file, title="Import", url_path="import", visibility=editing),
        st.Page(audit, title="Audit", url_path="audit", visibility=editing),
    ], viewing
