"""Data at stable URLs: the Downloads page's files, streamed, for curl, pandas and spreadsheets.

    /data/shipments.csv, .hxl.csv, .json     the shipments in the view (filters and as_of)
    /data/reconciliation.csv, .hxl.csv, .json  every claim reading (as_of)
    /data/claims.csv, .hxl.csv                every claim (as_of)
    /data/sources.csv, .hxl.csv               every source
    /data/audit.csv                           every write, for a signed-in editor only

Each takes the dashboard's own query parameters (``shipments.exchange.view_params``): a bad or
unknown one gets 400 and ``{"parameter": ..., "rule": ...}``. The bytes are those of the
Downloads page's files, under the same names. ``ETag`` and ``Last-Modified`` come from the
ledger's latest write, so a client revalidates (``Cache-Control: no-cache``) and gets 304 while
nothing was written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache, partial
from typing import Any, TextIO
from urllib.parse import quote

import anyio
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from shipments.audit import audit_events, ledger_version
from shipments.claims import list_claims
from shipments.db import database_url, make_engine, session_scope
from shipments.errors import InvalidInput
from shipments.exchange.csvfiles import download_name, write_csv
from shipments.exchange.export import SHIPMENTS, write_shipments
from shipments.exchange.reading import iter_export_rows
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
from shipments.exchange.view_params import DATA_ROOT, ViewQuery, parse_view_query
from shipments.ledger import list_sources
from shipments.models import AuditEvent
from shipments.reconcile import reconcile
from shipments.rules import utcnow
from shipments.web.auth import editor_from_request
from shipments.web.streaming import Streamed, stream

Writer = Callable[[Session, ViewQuery, TextIO], object]
CSV, JSON = "text/csv; charset=utf-8", "application/json"


@dataclass(frozen=True)
class DataFile:
    """One data URL: its file name's kind, how it is written, what of the view names it."""

    path: str
    kind: str
    write: Writer
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
        return name.removesuffix(".csv") + ".json" if self.media_type == JSON else name


def _shipments(hxl: bool) -> Writer:
    def write(session: Session, view: ViewQuery, out: TextIO) -> None:
        write_shipments(session=session, file=out, as_of=view.as_of, filters=view.filters, hxl=hxl)

    return write


def _shipments_json(session: Session, view: ViewQuery, out: TextIO) -> None:
    """Write the shipments as a JSON array of objects with the CSV's columns, a line each."""
    columns = SHIPMENTS.header()
    shipments = iter_export_rows(session=session, as_of=view.as_of, filters=view.filters)
    separator = "[\n"
    for row in SHIPMENTS.rows(shipments):
        cells = ", ".join(f"{json.dumps(c)}: {_json_value(row[c])}" for c in columns)
        out.write(f"{separator}{{{cells}}}")
        separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def _json_value(value: Any) -> str:
    # Tonnes are Decimals: written as the number they are, not through a float.
    return str(value) if isinstance(value, int | Decimal) else json.dumps(value)


def _report(
    rows: Callable[[Session, ViewQuery], Iterable[dict[str, Any]]],
    columns: tuple[str, ...],
    tags: dict[str, str] | None,
) -> Writer:
    def write(session: Session, view: ViewQuery, out: TextIO) -> None:
        if tags is not None:
            write_csv(rows(session, view), out, tuple(tags), hxl=tags)
        else:
            write_csv(rows(session, view), out, columns)

    return write


def _reconciliation(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return reconciliation_rows(reconcile(session=session, as_of=view.as_of))


def _reconciliation_json(session: Session, view: ViewQuery, out: TextIO) -> None:
    result = reconciliation_json(reconcile(session=session, as_of=view.as_of))
    json.dump(result, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _claims(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return claim_rows(list_claims(session=session, as_of=view.as_of))


def _sources(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return source_rows(list_sources(session=session))


def _audit(session: Session, view: ViewQuery) -> Iterable[dict[str, Any]]:
    return audit_rows(audit_events(session=session))


def _files() -> tuple[DataFile, ...]:
    shipments = partial(DataFile, kind="shipments", named_by_filters=True, named_by_as_of=True)
    reconciliation = partial(DataFile, kind="reconciliation", named_by_as_of=True)
    return (
        shipments("shipments.csv", write=_shipments(False)),
        shipments("shipments.hxl.csv", write=_shipments(True), hxl=True),
        shipments("shipments.json", write=_shipments_json, media_type=JSON),
        reconciliation(
            "reconciliation.csv", write=_report(_reconciliation, RECONCILIATION_COLUMNS, None)
        ),
        reconciliation(
            "reconciliation.hxl.csv",
            write=_report(_reconciliation, RECONCILIATION_COLUMNS, RECONCILIATION_HXL),
            hxl=True,
        ),
        reconciliation("reconciliation.json", write=_reconciliation_json, media_type=JSON),
        DataFile("claims.csv", "claims", _report(_claims, CLAIM_COLUMNS, None)),
        DataFile("claims.hxl.csv", "claims", _report(_claims, CLAIM_COLUMNS, CLAIM_HXL), hxl=True),
        DataFile("sources.csv", "sources", _report(_sources, SOURCE_COLUMNS, None)),
        DataFile(
            "sources.hxl.csv", "sources", _report(_sources, SOURCE_COLUMNS, SOURCE_HXL), hxl=True
        ),
        DataFile(
            "audit.csv", "audit-writes", _report(_audit, AUDIT_COLUMNS, None), editors_only=True
        ),
    )


FILES = {f.path: f for f in _files()}


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def routes() -> list[BaseRoute]:
    """Return the data routes, one per file."""
    return [
        Route(DATA_ROOT + path, partial(serve, file=file), methods=["GET", "HEAD"])
        for path, file in FILES.items()
    ]


async def serve(request: Request, *, file: DataFile) -> Response:
    """Answer a data URL: 400 for a bad parameter, 304 when unchanged, else the file streamed
    (503 when the database does not answer, nothing of its URL said)."""
    try:
        view = parse_view_query(request.query_params.multi_items())
    except InvalidInput as exc:
        problem = exc.problems[0]
        body = {"parameter": problem.field, "rule": problem.rule}
        return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})
    if file.editors_only and editor_from_request(request) is None:
        body = {"error": "sign in as an editor to read this file"}
        return JSONResponse(body, status_code=401, headers={"Cache-Control": "no-store"})
    try:
        engine = _engine(database_url())
        version, written = await anyio.to_thread.run_sync(_latest_write, engine)
    except (SQLAlchemyError, OSError):
        body = {"error": "the database does not answer"}
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    headers = _validators(version, written, request.url.path, view)
    if _unchanged(request, headers["ETag"], written):
        return Response(status_code=304, headers=headers)
    disposition = "inline" if file.media_type == JSON else "attachment"
    headers["Content-Disposition"] = _disposition(disposition, file.name(view, utcnow()))
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=file.media_type)
    chunks = stream(partial(_write, engine, file, view))
    return Streamed(chunks, headers=headers, media_type=file.media_type)


def _write(engine: Engine, file: DataFile, view: ViewQuery, out: TextIO) -> None:
    with session_scope(engine) as session:
        file.write(session, view, out)


def _latest_write(engine: Engine) -> tuple[int, datetime | None]:
    """Return the ledger's version and the moment of its latest write (None if none)."""
    with session_scope(engine) as session:
        version = ledger_version(session=session)
        if not version:
            return 0, None
        at = session.exec(select(AuditEvent.at).where(AuditEvent.id == version)).one()
        return version, at


def _validators(
    version: int, written: datetime | None, path: str, view: ViewQuery
) -> dict[str, str]:
    tag = hashlib.sha256(f"{version}\x1f{path}\x1f{view.query_string()}".encode()).hexdigest()
    headers = {"ETag": f'"{tag[:32]}"', "Cache-Control": "no-cache"}
    if written is not None:
        headers["Last-Modified"] = format_datetime(written.astimezone(UTC), usegmt=True)
    return headers


def _unchanged(request: Request, etag: str, written: datetime | None) -> bool:
    """Return True when the client's copy is current (RFC 9110: If-None-Match wins)."""
    if (tags := request.headers.get("if-none-match")) is not None:
        given = {t.strip().removeprefix("W/") for t in tags.split(",")}
        return "*" in given or etag in given
    since = request.headers.get("if-modified-since")
    if since is None or written is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return written.replace(microsecond=0) <= moment


def _disposition(kind: str, name: str) -> str:
    if name.isascii():
        return f'{kind}; filename="{name}"'
    plain = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"
