"""Helpers every page uses: safe text and the database guard."""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from shipments.ui import data, view

DATABASE_ERROR = (
    "The ledger database cannot be opened. Check LEDGER_DATABASE_URL and that the database "
    "server is running, then reload the page."
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:&])")
_AUTOLINK = re.compile(r"(?i)www|:(?=//)|@")


def plain(text: str) -> str:
    """Escape text for markdown (st.caption, labels) so it shows as typed.

    No HTML, images, links or maths: markdown characters are backslash-escaped, and a zero-width
    space after "www" and "://" stops bare addresses from turning into links.
    """
    text = _AUTOLINK.sub(lambda m: m.group(0) + "\u200b", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def page(render: Callable[[str, view.View], None]) -> Callable[[], None]:
    """Wrap a page: give it the database URL and the view, and turn database errors into words."""

    def run() -> None:
        current = view.current()
        if current.as_of_error:
            st.warning(plain(current.as_of_error) + " Showing the ledger as it stands now.")
        try:
            render(data.configured_url(), current)
        except (SQLAlchemyError, ImportError, OSError):
            st.error(DATABASE_ERROR)

    run.__name__ = render.__name__
    return run
