"""The data URLs' files: what each is called, which parameters it takes, how it is written.

Every report is offered as CSV and as an Excel workbook, with an HXL variant of each where the
report has hashtags; the shipments and the reconciliation also as JSON. ``shipments.web.data``
serves them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import IO, Any, TextIO

from sqlmodel import Session

from shipments.audit import audit_events
from shipments.claims import list_claims
from shipments.errors import InvalidInput
from shipments.exchange.claimreview import write_claimreview
from shipments.exchange.csvfiles import download_name, write_csv
from shipments.exchange.export import SHIPMENTS, export_rows, write_shipments
from shipments.exchange.package import describe_view
from shipments.exchange.reports import (
    AUDIT_COLUMNS,
    CLAIM_COLUMNS,
    CLAIM_HXL,
    RECONCILIATION_COLUMNS,
    RECONCILIATION_HXL,
    SOURCE_COLUMNS,
    SOURCE_HXL,
    audit_rows,
    claim_rows,
    reconciliation_json,
    reconciliation_rows,
    source_rows,
)
from shipments.exchange.view_params import PARAMETERS, ViewQuery, data_url, parse_view_query
from shipments.exchange.xlsx import XLSX, write_shipments_xlsx, write_xlsx
from shipments.ledger import list_sources
from shipments.reconcile import reconcile

Writer = Callable[[Session, ViewQuery, TextIO], object]
# A file whose contents link to the site itself (the ClaimReview's urls): also given its address.
LinkedWriter = Callable[[Session, ViewQuery, TextIO, str], object]
BookWriter = Callable[[Session, ViewQuery, IO[bytes], threading.Event], object]
CSV, JSON, JSONLD = "text/csv; charset=utf-8", "application/json", "application/ld+json"
SUFFIXES = {CSV: ".csv", JSON: ".json", XLSX: ".xlsx", JSONLD: ".jsonld"}
BOM = "bom"  # the CSV files' own parameter: 1 starts the file with a UTF-8 byte order mark
_BOM_VALUES = {"1": True, "0": False, "": False}


@dataclass(frozen=True)
class DataFile:
    """One data URL: its file name's kind, how it is written, what of the view names it.

    A CSV or JSON file has ``write`` (text, streamed); a workbook has ``book`` (bytes, to a
    temporary file).
    """

    path: str
    kind: str
    write: Writer | None = None
    book: BookWriter | None = None
    linked: LinkedWriter | None = None
    media_type: str = CSV
    hxl: bool = False
    named_by_filters: bool = False
    named_by_as_of: bool = False
    editors_only: bool = False

    def name(self, view: ViewQuery, on: datetime) -> str:
        """Return the file name the Downloads page gives this file for ``view``."""
        name = download_name(
            self.kind,
            filters=view.filters if self.named_by_filters else None,
            as_of=view.as_of if self.named_by_as_of else None,
            on=on.date(),
            hxl=self.hxl,
        )
        return name.removesuffix(".csv") + SUFFIXES[self.media_type]

    def parameters(self) -> tuple[str, ...]:
        """Return the query parameters this file takes: the view's, and a CSV's own."""
        return (*PARAMETERS, BOM) if self.media_type == CSV else PARAMETERS


@dataclass(frozen=True)
class Asked:
    """What a request asks of a file: the view, and (CSV only) a byte order mark."""

    view: ViewQuery
    bom: bool = False
    site: str = ""

    def key(self) -> str:
        """Return what tells this answer from another of the same URL path."""
        return self.view.query_string() + (f"&{BOM}=1" if self.bom else "")


def parse_asked(items: Iterable[tuple[str, str]], file: DataFile) -> Asked:
    """Read a request's query parameters for ``file``, or refuse the first that breaks a rule.

    ``bom`` is read here; the rest are the view's (``parse_view_query``), which every file takes.
    """
    items = list(items)  # read twice: here, then by parse_view_query
    marks: list[str] = []
    allowed = file.parameters()
    for name, value in items:
        if name == BOM and BOM not in allowed:
            rule = "applies to the CSV files only (.csv, .hxl.csv)"
            raise InvalidInput.single(BOM, rule)
        if name not in allowed:
            rule = f"is not a parameter here; the parameters are {', '.join(allowed)}"
            raise InvalidInput.single(name[:60], rule)
        if name == BOM:
            marks.append(value)
    if len(marks) > 1:
        raise InvalidInput.single(BOM, f"must be given once (got {len(marks)})")
    if marks and marks[0] not in _BOM_VALUES:
        shown = marks[0] if len(marks[0]) <= 20 else marks[0][:20] + "..."
        rule = f"must be 1 (start the file with a UTF-8 byte order mark) or 0 (got {shown!r})"
        raise InvalidInput.single(BOM, rule)
    view = parse_view_query((n, v) for n, v in items if n != BOM)
    return Asked(view, bom=bool(marks) and _BOM_VALUES[marks[0]])


def _shipments(hxl: bool) -> Writer:
    def write(session: Session, view: ViewQuery, out: TextIO) -> None:
        write_shipments(session=session, file=out, as_of=view.as_of, filters=view.filters, hxl=hxl)

    return write


def _shipments_book(hxl: bool) -> BookWriter:
    def write(session: Session, view: ViewQuery, out: IO[bytes], stop: threading.Event) -> None:
        write_shipments_xlsx(
            session=session, file=out, as_of=view.as_of, filters=view.filters, hxl=hxl, stop=stop
        )

    return write


def _shipments_json(session: Session, view: ViewQuery, out: TextIO) -> None:
    """Write the shipments as a JSON array of objects with the CSV's columns, a line each."""
    columns = SHIPMENTS.header()
    separator = "[\n"
    for row in export_rows(session=session, as_of=view.as_of, filters=view.filters):
        cells = ", ".join(f"{json.dumps(c)}: {_json_value(row[c])}" for c in columns)
        out.write(f"{separator}{{{cells}}}")
        separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def _json_value(value: Any) -> str:
    # Tonnes are Decimals: written as the number they are, not through a float.
    return str(value) if isinstance(value, int | Decimal) else json.dumps(value)


Rows = Callable[[Session, ViewQuery], Iterable[dict[str, Any]]]


def _report(rows: Rows, columns: tuple[str, ...], tags: dict[str, str] | None) -> Writer:
    def write(session: Session, view: ViewQuery, out: TextIO) -> None:
        if tags is not None:
            write_csv(rows(session, view), out, tuple(tags), hxl=tags)
        else:
            write_csv(rows(session, view), out, columns)

    return write


def _report_book(
    rows: Rows,
    columns: tuple[str, ...],
    tags: dict[str, str] | None,
    *,
    sheet: str,
    dates: tuple[str, ...],
) -> BookWriter:
    def write(session: Session, view: ViewQuery, out: IO[bytes], stop: threading.Event) -> None:
        header = tuple(tags) if tags is not None else columns
        write_xlsx(rows(session, view), out, header, sheet=sheet, hxl=tags, dates=dates, stop=stop)

    return write


def _reconciliation(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return reconciliation_rows(reconcile(session=session, as_of=view.as_of))


def _reconciliation_json(session: Session, view: ViewQuery, out: TextIO) -> None:
    result = reconciliation_json(reconcile(session=session, as_of=view.as_of))
    json.dump(result, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _package(hxl: bool) -> LinkedWriter:
    def write(session: Session, view: ViewQuery, out: TextIO, site: str) -> None:
        csv_name = "shipments.hxl.csv" if hxl else "shipments.csv"
        csv_url = site.rstrip("/") + data_url(csv_name, view)
        describe_view(
            session=session,
            file=out,
            csv_url=csv_url,
            as_of=view.as_of,
            filters=view.filters,
            hxl=hxl,
        )

    return write


def _claimreview(session: Session, view: ViewQuery, out: TextIO, site: str) -> None:
    write_claimreview(session=session, file=out, site=site, as_of=view.as_of)


def _claims(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return claim_rows(list_claims(session=session, as_of=view.as_of))


def _sources(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return source_rows(list_sources(session=session))


def _audit(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return audit_rows(audit_events(session=session))


def _report_files(
    name: str,
    rows: Rows,
    columns: tuple[str, ...],
    tags: dict[str, str] | None,
    *,
    dates: tuple[str, ...] = (),
    **naming: Any,
) -> list[DataFile]:
    """Return a report's CSV and workbook, and their HXL variants when it has ``tags``."""
    kind = naming.pop("kind", name)
    variants = [(False, None), (True, tags)] if tags is not None else [(False, None)]
    files = []
    for hxl, hashtags in variants:
        stem = f"{name}.hxl" if hxl else name
        files += [
            DataFile(
                f"{stem}.csv", kind, write=_report(rows, columns, hashtags), hxl=hxl, **naming
            ),
            DataFile(
                f"{stem}.xlsx",
                kind,
                book=_report_book(rows, columns, hashtags, sheet=name, dates=dates),
                media_type=XLSX,
                hxl=hxl,
                **naming,
            ),
        ]
    return files


def _files() -> tuple[DataFile, ...]:
    shipments = partial(DataFile, kind="shipments", named_by_filters=True, named_by_as_of=True)
    return (
        shipments("shipments.csv", write=_shipments(False)),
        shipments("shipments.hxl.csv", write=_shipments(True), hxl=True),
        shipments("shipments.json", write=_shipments_json, media_type=JSON),
        shipments(
            "shipments.datapackage.json",
            kind="shipments-datapackage",
            linked=_package(False),
            media_type=JSON,
        ),
        shipments("shipments.xlsx", book=_shipments_book(False), media_type=XLSX),
        shipments("shipments.hxl.xlsx", book=_shipments_book(True), media_type=XLSX, hxl=True),
        *_report_files(
            "reconciliation",
            _reconciliation,
            RECONCILIATION_COLUMNS,
            RECONCILIATION_HXL,
            dates=("stated_on",),
            named_by_as_of=True,
        ),
        DataFile(
            "reconciliation.json",
            "reconciliation",
            write=_reconciliation_json,
            media_type=JSON,
            named_by_as_of=True,
        ),
        DataFile(
            "claimreview.jsonld",
            "claimreview",
            linked=_claimreview,
            media_type=JSONLD,
            named_by_as_of=True,
        ),
        *_report_files("claims", _claims, CLAIM_COLUMNS, CLAIM_HXL, dates=("stated_on",)),
        *_report_files("sources", _sources, SOURCE_COLUMNS, SOURCE_HXL, dates=("published_date",)),
        *_report_files(
            "audit", _audit, AUDIT_COLUMNS, None, kind="audit-writes", editors_only=True
        ),
    )


FILES = {f.path: f for f in _files()}
