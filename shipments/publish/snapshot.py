"""Cut a static snapshot of the ledger into a folder that any static host serves as it is.

The folder holds ``index.html`` (the Overview's headline figures and charts, every claim with
its verdict and quote, the lists of donors and recipients, the data files, when it was cut), a
page per donor and per recipient (``donor/NAME.html``, ``recipient/NAME.html``: at most
``MAX_PAGES`` of each), ``data/`` (the shipments CSV and its Data Package descriptor, the
shipments as HXL CSV, the reconciliation, claims and sources as CSV and HXL CSV), plotly.js once
(``plotly.min.js``) with the small ``snapshot.js`` that draws the charts, and ``snapshot.json``
(the manifest: when, which ledger version, every file and page). It is written whole into a
temporary folder and then put in place (``shipments.publish.folder``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from plotly.offline import get_plotlyjs
from sqlmodel import Session

from shipments import __version__
from shipments.audit import latest_write, ledger_version
from shipments.claims import list_claims
from shipments.db import head_revision
from shipments.exchange.claimreview import SITE_SETTING, site_url
from shipments.exchange.csvfiles import download_name, write_csv
from shipments.exchange.export import write_shipments
from shipments.exchange.package import DESCRIPTOR, write_package
from shipments.exchange.reports import (
    CLAIM_COLUMNS,
    CLAIM_HXL,
    RECONCILIATION_COLUMNS,
    RECONCILIATION_HXL,
    SOURCE_COLUMNS,
    SOURCE_HXL,
    claim_rows,
    reconciliation_rows,
    source_rows,
)
from shipments.ledger import ShipmentFilter, distinct_values, list_sources
from shipments.reconcile import Reconciliation, reconcile
from shipments.rules import utcnow

from . import html
from .folder import staged, write_manifest
from .pages import MAX_PAGES, NamedPage, PageView, filter_for, named_pages, page_view

INDEX = "index.html"
DATA = "data"
TITLE = "Aid shipment ledger"
HEADINGS = {"donor": "Donors", "recipient": "Recipients"}


@dataclass(frozen=True)
class Published:
    """What a snapshot holds: its pages, files and bytes, and the names left without a page."""

    folder: Path
    cut: html.Cut
    pages: int
    files: int
    bytes: int
    plotly_bytes: int
    left_out: dict[str, int] = field(default_factory=dict)


def publish(*, session: Session, folder: Path) -> Published:
    """Write a snapshot of the ledger as it stands into ``folder`` (new, or an earlier
    snapshot, which it replaces whole); return what it holds."""
    dashboard = site_url() if os.environ.get(SITE_SETTING, "").strip() else None
    with staged(folder) as work:
        version, written = latest_write(session=session)
        cut = html.Cut(utcnow(), version, written, __version__, head_revision())
        result = reconcile(session=session)
        files = write_data(session=session, folder=work / DATA, result=result, on=cut.at.date())
        named = [
            page
            for kind in HEADINGS
            for page in named_pages(kind, distinct_values(session=session, field=kind))
        ]
        for page in named:
            if page.path is not None:
                view = _named_view(session, result, page)
                claims = html.claims(view.claims.claims, total=len(result.claims))
                _write_page(work, view, cut, root="../", extra=claims)
        (work / html.PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")
        (work / html.LOADER_JS).write_text(html.LOADER, encoding="utf-8")
        index = page_view(
            session=session, result=result, title=TITLE, path=INDEX, filters=ShipmentFilter()
        )
        now = ledger_version(session=session)  # after the last read: did a write come in?
        if now != version:
            cut = html.Cut(cut.at, version, written, cut.software, cut.schema, moved_to=now)
        extra = [
            *html.claims(index.claims.claims, total=len(result.claims)),
            *(
                line
                for kind, heading in HEADINGS.items()
                for line in html.named_lists(
                    [p for p in named if p.field == kind], heading=heading, limit=MAX_PAGES
                )
            ),
            *html.data_files(files),
            *html.about(cut, dashboard=dashboard),
        ]
        _write_page(work, index, cut, root="", extra=extra)
        write_manifest(work, _facts(cut, named))
        published = _published(folder, work, cut, named)
    return published


def write_data(
    *, session: Session, folder: Path, result: Reconciliation, on: date
) -> list[html.DataFile]:
    """Write the data files into ``folder``: the shipments with their Data Package descriptor
    (as ``export --package``), and the shipments, reconciliation, claims and sources as CSV
    and HXL CSV (as the data URLs); return them, listed for the index."""
    csv_path = write_package(session=session, folder=folder)
    written = [(csv_path, "Shipments (CSV)"), (folder / DESCRIPTOR, "Shipments: Data Package")]
    hxl_path = folder / download_name("shipments", on=on, hxl=True)
    with hxl_path.open("w", newline="", encoding="utf-8") as handle:
        write_shipments(session=session, file=handle, hxl=True)
    written.append((hxl_path, "Shipments (HXL CSV)"))
    reports = (
        ("reconciliation", "Reconciliation", list(reconciliation_rows(result)),
         RECONCILIATION_COLUMNS, RECONCILIATION_HXL),
        ("claims", "Claims", list(claim_rows(list_claims(session=session))),
         CLAIM_COLUMNS, CLAIM_HXL),
        ("sources", "Sources", list(source_rows(list_sources(session=session))),
         SOURCE_COLUMNS, SOURCE_HXL),
    )  # fmt: skip
    for kind, label, rows, columns, tags in reports:
        for hxl in (False, True):
            path = folder / download_name(kind, on=on, hxl=hxl)
            with path.open("w", newline="", encoding="utf-8") as handle:
                if hxl:
                    write_csv(rows, handle, tuple(tags), hxl=tags)
                else:
                    write_csv(rows, handle, columns)
            written.append((path, f"{label} ({'HXL CSV' if hxl else 'CSV'})"))
    top = folder.parent
    return [
        html.DataFile(p.relative_to(top).as_posix(), label, p.stat().st_size)
        for p, label in written
    ]


def _named_view(session: Session, result: Reconciliation, page: NamedPage) -> PageView:
    assert page.path is not None
    return page_view(
        session=session,
        result=result,
        title=f"{page.field.capitalize()}: {page.name}",
        path=page.path,
        filters=filter_for(page),
    )


def _describe(view: PageView) -> str:
    f = view.filters
    if f.donors:
        return f"The shipments whose donor is {f.donors[0]}, and the claims with a reading of them."
    if f.recipients:
        return (
            f"The shipments whose recipient is {f.recipients[0]}, and the claims with a reading"
            " of them."
        )
    return "Every shipment in the ledger, and every claim."


def _write_page(work: Path, view: PageView, cut: html.Cut, *, root: str, extra: list[str]) -> None:
    body = [*html.overview(view, describe=_describe(view)), *extra]
    path = work / view.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html.document(title=view.title, root=root, body=body, cut=cut), "utf-8")


def _facts(cut: html.Cut, named: list[NamedPage]) -> dict[str, object]:
    return {
        "cut_at": cut.at.isoformat(timespec="seconds"),
        "ledger_version": cut.version,
        "latest_write": cut.written.isoformat() if cut.written else None,
        "ledger_version_at_end": cut.moved_to if cut.moved_to is not None else cut.version,
        "software": {"name": "shipments", "version": cut.software, "schema": cut.schema},
        "pages": {
            kind: {p.name: p.path for p in named if p.field == kind and p.path} for kind in HEADINGS
        },
        "left_out": {
            kind: [p.name for p in named if p.field == kind and not p.path] for kind in HEADINGS
        },
    }


def _published(folder: Path, work: Path, cut: html.Cut, named: list[NamedPage]) -> Published:
    sizes = [p.stat().st_size for p in work.rglob("*") if p.is_file()]
    return Published(
        folder=folder,
        cut=cut,
        pages=1 + sum(1 for p in named if p.path),
        files=len(sizes),
        bytes=sum(sizes),
        plotly_bytes=(work / html.PLOTLY_JS).stat().st_size,
        left_out={k: sum(1 for p in named if p.field == k and not p.path) for k in HEADINGS},
    )
