"""Import: preview a shipment file, then commit all of it (or its valid rows) in one go."""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
import time
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from shipments.db import session_scope
from shipments.errors import Conflict, InvalidInput
from shipments.exchange import imports
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.import_columns import TARGETS, map_columns
from shipments.exchange.import_rows import ImportOptions, scan_file
from shipments.rules import DATE_MEANINGS, MAX_IMPORT_COLUMNS
from shipments.ui import data, session, view
from shipments.ui.common import page, plain
from shipments.units import format_tonnes

AUTO = "(read as named)"
# The Import page's choices of a file's decimal mark, and the mark each names.
DECIMAL_MARKS: dict[str, str | None] = {
    "not said": None,
    "point (1,500.5)": "point",
    "comma (1.500,5)": "comma",
}


@page
def import_file(url: str, current: view.View) -> None:
    """Draw the import page: upload, mapping, preview, commit."""
    st.title("Import shipments")
    editor = session.editor_or_warning()
    if editor is None:
        return
    flash = st.session_state.pop("import_flash", None)
    if flash:
        st.success(plain(flash))
    # A new uploader after each import: the one that held the imported file starts empty.
    done_count = st.session_state.get("import_done", 0)
    upload = st.file_uploader(
        "A CSV file (comma or semicolon; UTF-8 or Latin-1; HXL too)",
        type=["csv", "txt"],
        key="import_file" if not done_count else f"import_file_{done_count}",
    )
    if upload is None:
        st.caption("Our own exports, HXL-tagged files and agencies' spreadsheets saved as CSV.")
        return
    content = upload.getvalue()
    path = _stored(content)
    header = _header(path)
    if len(header) > MAX_IMPORT_COLUMNS:
        st.error(
            plain(
                f"This file has {len(header):,} columns; a shipment file has at most"
                f" {MAX_IMPORT_COLUMNS}. Is it the right file, saved with commas or semicolons?"
            )
        )
        return
    st.subheader("Columns")
    detected, _ = map_columns(header, {}, [])
    field_of = {index: field for field, index in detected.items()}
    mapping: dict[str, str] = {}
    for index, name in enumerate(header):
        choice = st.selectbox(
            name or f"column {index + 1}",
            [AUTO, *TARGETS],
            key=f"import_map_{index}",
            format_func=partial(_shown_choice, field_of.get(index)),
        )
        if choice != AUTO and name:
            mapping[name] = choice
    left, middle, right = st.columns(3)
    order = left.radio(
        "Dates like 05/06/2019 are",
        ["not expected", "day-first", "month-first"],
        key="import_order",
        horizontal=True,
    )
    mark = middle.radio(
        "Decimal mark in this file",
        list(DECIMAL_MARKS),
        key="import_decimal_mark",
        horizontal=True,
        help="Without it, numbers such as 1.500 or 1,5 are refused: either mark could be meant.",
    )
    means = right.selectbox(
        "Rows that do not say: the date is when the cargo was",
        [None, *DATE_MEANINGS],
        format_func=lambda choice: choice or "(each row must say)",
        key="import_means",
    )
    with st.expander("A source for the rows that name none", expanded=False):
        st.caption(
            "Every shipment cites a source. A file without a source column (or with empty"
            " cells in it) can take one here for all such rows."
        )
        source_url = st.text_input("Its web address", key="import_source_url")
        source_title = st.text_input("Title", key="import_source_title")
        source_publisher = st.text_input("Publisher", key="import_source_publisher")
    given_source = None
    if source_url.strip() or source_title.strip() or source_publisher.strip():
        given_source = {"url": source_url, "title": source_title, "publisher": source_publisher}
    options = ImportOptions(
        source=given_source,
        mapping=mapping,
        date_order={"day-first": "dayfirst", "month-first": "monthfirst"}.get(order),
        decimal_mark=DECIMAL_MARKS[mark],
        defaults={"date_means": means} if means else {},
    )
    try:
        with session_scope(data.engine(url)) as db:
            report = imports.preview_file(
                session=db, path=path, options=options, file_name=upload.name
            )
    except InvalidInput as exc:
        st.error(plain(str(exc)))
        return
    _show(report)
    if given_source is None and any(p.field.startswith("sources") for p in report.problems):
        st.info(
            "Rows without a source are refused: give one for them under 'A source for the rows"
            " that name none' above, or add a source column to the file."
        )
    only_valid = False
    if report.problems and report.rows_valid:
        only_valid = st.checkbox(
            f"Import only the {report.rows_valid} valid rows; the refused lines are recorded in "
            "the audit trail",
            key="import_only_valid",
        )
    if report.rows_valid == 0:
        st.warning("No row of this file can be recorded: fix the refused rows, then upload again.")
        return
    if report.problems and not only_valid:
        st.caption("Fix the refused rows, or tick the box above to import the valid rows only.")
        return
    if st.button("Import", type="primary", key="import_commit"):
        try:
            with session_scope(data.engine(url)) as db:
                done = imports.import_file(
                    session=db,
                    path=path,
                    options=options,
                    by=editor,
                    via="import",
                    file_name=upload.name,
                    only_valid=only_valid,
                )
        except (InvalidInput, Conflict) as exc:
            st.error(plain(str(exc)))
            return
        data.clear()
        st.session_state["import_done"] = done_count + 1
        st.session_state["import_flash"] = (
            f"Imported {done.rows_added} shipments ({format_tonnes(done.kg_valid)} t) from "
            f"{upload.name} as batch {done.batch_id}."
        )
        st.rerun()


def _shown_choice(found: str | None, option: str) -> str:
    """Say what a column's default choice reads it as: the field recognised, or nothing."""
    if option != AUTO:
        return option
    return f"{found} (recognised)" if found else "not read (choose a field to read it)"


UPLOADS = Path(tempfile.gettempdir()) / "ledger-imports"
STALE_SECONDS = 24 * 3600


def _stored(content: bytes) -> Path:
    """Keep the upload in a file named by its hash, so both passes read the same bytes.

    The page reruns while the uploader holds the file, so a file cannot go as soon as it is
    imported; files older than a day are removed, so uploads do not pile up on the server.
    """
    folder = UPLOADS
    folder.mkdir(exist_ok=True)
    now = time.time()
    for old in folder.glob("*.csv"):
        try:
            if now - old.stat().st_mtime > STALE_SECONDS:
                old.unlink()
        except FileNotFoundError:  # another session removed it first
            pass
    path = folder / f"{hashlib.sha256(content).hexdigest()}.csv"
    if not path.exists():
        path.write_bytes(content)
    return path


def _header(path: Path) -> list[str]:
    scan = scan_file(path)
    with path.open(newline="", encoding=scan.encoding) as handle:
        return next(csv.reader(handle, delimiter=scan.delimiter), [])


def _show(report: imports.ImportReport) -> None:
    read, refused, adds, tonnes = st.columns(4)
    read.metric("Rows read", f"{report.rows_read:,}")
    refused.metric("Rows refused", f"{report.rows_refused:,}")
    adds.metric("Would add", f"{report.rows_valid:,}")
    tonnes.metric("Tonnes it would add", f"{format_tonnes(report.kg_valid)} t")
    st.caption(plain(f"{report.encoding}, delimiter {report.delimiter!r}, SHA-256 {report.sha256}"))
    for note in report.notes:
        st.info(plain(note))
    if report.preview:
        first = len(report.preview)
        shown = "" if report.rows_valid <= first else f" (the first {first})"
        st.markdown(f"**Rows it would record{shown}**, with the tonnes each will be:")
        st.dataframe(pd.DataFrame(report.preview), hide_index=True, width="stretch")
    if report.problems:
        rows = report.refused_rows()
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        out = io.StringIO()
        write_csv(rows, out, imports.REFUSED_COLUMNS)
        st.download_button(
            "Refused rows (CSV)",
            out.getvalue(),
            file_name=f"refused_{report.file_name}",
            mime="text/csv",
            key="import_errors_csv",
            on_click="ignore",
        )
