"""Data at stable URLs: the Downloads page's files, streamed, for curl, pandas and spreadsheets.

    /data/shipments.csv, .hxl.csv, .json, .xlsx, .hxl.xlsx     the shipments in the view
    /data/reconciliation.csv, .hxl.csv, .json, .xlsx, .hxl.xlsx  every claim reading (as_of)
    /data/claims.csv, .hxl.csv, .xlsx, .hxl.xlsx                 every claim (as_of)
    /data/sources.csv, .hxl.csv, .xlsx, .hxl.xlsx                every source
    /data/audit.csv, .xlsx                                      every write, editors only

The table of files is ``shipments.web.files``. Each takes the dashboard's own query parameters
(``shipments.exchange.view_params``), and a CSV file also ``bom=1`` (a UTF-8 byte order mark
first, so that Excel on Windows reads the file as UTF-8): a bad or unknown one gets 400 and
``{"parameter": ..., "rule": ...}``. ``ETag`` and ``Last-Modified`` come from the ledger's latest
write, so a client revalidates (``Cache-Control: no-cache``) and gets 304 while nothing was
written.

A CSV or JSON file is streamed as it is written. A workbook (``shipments.exchange.xlsx``) is
written whole to an unnamed temporary file first, since a zip's directory comes last: a file
too big for a sheet is then refused with 422 before anything is sent, and the workbook goes out
in chunks with its length. The temporary file has no name on disk, so it is gone once closed.
A client that goes away while its workbook is written stops the writing (checked every
WATCH_SECONDS), so a large workbook nobody waits for does not keep a thread and a disk busy. At
most WORKBOOKS_AT_ONCE are written at a time (each keeps a core busy for as long as it takes);
a further one waits its turn.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache, partial
from typing import IO, TextIO
from urllib.parse import quote

import anyio
import anyio.lowlevel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from shipments import __version__
from shipments.audit import latest_write
from shipments.db import database_url, head_revision, make_engine, session_scope
from shipments.errors import InvalidInput, TooBigForExcel
from shipments.exchange.claimreview import site_url
from shipments.exchange.view_params import DATA_ROOT, ViewQuery
from shipments.exchange.xlsx import Abandoned
from shipments.rules import utcnow
from shipments.web.auth import editor_from_request
from shipments.web.files import FILES, JSON, JSONLD, Asked, BookWriter, DataFile, parse_asked
from shipments.web.streaming import Spooled, Streamed, spool, stream

WATCH_SECONDS = 1.0
WORKBOOKS_AT_ONCE = 2
# One limiter per event loop (anyio's own pattern): a limiter belongs to the loop it was made in.
_WORKBOOKS: anyio.lowlevel.RunVar[anyio.CapacityLimiter] = anyio.lowlevel.RunVar("workbooks")
GONE = 499  # the status logged when the client left before its workbook was written (as nginx)


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
    """Answer a data URL: 400 for a bad parameter, 304 when unchanged, else the file (streamed;
    422 for a workbook too big for a sheet; 503 when the database does not answer, nothing of
    its URL said)."""
    try:
        asked = parse_asked(request.query_params.multi_items(), file)
        if file.linked is not None:
            asked = replace(asked, site=site_url(fallback=str(request.base_url)))
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
        return _no_database()
    headers = _validators(version, written, request.url.path, asked.key())
    if _unchanged(request, headers["ETag"], written):
        return Response(status_code=304, headers=headers)
    disposition = "inline" if file.media_type in (JSON, JSONLD) else "attachment"
    headers["Content-Disposition"] = _disposition(disposition, file.name(asked.view, utcnow()))
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=file.media_type)
    if file.book is not None:
        try:
            book = await _build_while_wanted(request, engine, file.book, asked.view)
        except Abandoned:
            return Response(status_code=GONE)
        except TooBigForExcel as exc:
            body = {"error": str(exc)}
            return JSONResponse(body, status_code=422, headers={"Cache-Control": "no-store"})
        except (SQLAlchemyError, OSError):
            return _no_database()
        headers["Content-Length"] = str(book.size)
        return Streamed(book, headers=headers, media_type=file.media_type)
    chunks = stream(partial(_write, engine, file, asked))
    return Streamed(chunks, headers=headers, media_type=file.media_type)


def _no_database() -> Response:
    body = {"error": "the database does not answer"}
    return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})


def _write(engine: Engine, file: DataFile, asked: Asked, out: TextIO) -> None:
    if asked.bom:
        out.write("\ufeff")
    with session_scope(engine) as session:
        if file.linked is not None:
            file.linked(session, asked.view, out, asked.site)
            return
        assert file.write is not None
        file.write(session, asked.view, out)


async def _build_while_wanted(
    request: Request, engine: Engine, write: BookWriter, view: ViewQuery
) -> Spooled:
    """Write a workbook in a worker thread while watching the client: if it goes away, the
    writing stops (``Abandoned``)."""
    stop = threading.Event()
    failure: Exception | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_watch, request, stop)
        try:
            return await anyio.to_thread.run_sync(
                _build, engine, write, view, stop, limiter=_workbook_writers()
            )
        except Exception as exc:  # raised below: the task group would wrap it in a group
            failure = exc
        finally:
            tasks.cancel_scope.cancel()
    assert failure is not None
    raise failure


def _workbook_writers() -> anyio.CapacityLimiter:
    """Return this event loop's limiter of workbooks written at once."""
    try:
        return _WORKBOOKS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(WORKBOOKS_AT_ONCE)
        _WORKBOOKS.set(limiter)
        return limiter


async def _watch(request: Request, stop: threading.Event) -> None:
    while not await request.is_disconnected():
        await anyio.sleep(WATCH_SECONDS)
    stop.set()


def _build(engine: Engine, write: BookWriter, view: ViewQuery, stop: threading.Event) -> Spooled:
    """Write a workbook to an unnamed temporary file and return it, ready to be sent."""

    def written(out: IO[bytes]) -> None:
        with session_scope(engine) as session:
            write(session, view, out, stop)

    return spool(written, suffix=".xlsx")


def _latest_write(engine: Engine) -> tuple[int, datetime | None]:
    """Return the ledger's version and the moment of its latest write (None if none)."""
    with session_scope(engine) as session:
        return latest_write(session=session)


@lru_cache(maxsize=1)
def _code_version() -> str:
    """Return what changes when this code's files could change shape: version and schema."""
    return f"{__version__}+{head_revision()}"


def _validators(version: int, written: datetime | None, path: str, key: str) -> dict[str, str]:
    # The code's version too: a new release may write the same ledger differently.
    text = f"{_code_version()}\x1f{version}\x1f{path}\x1f{key}"
    tag = hashlib.sha256(text.encode()).hexdigest()
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
