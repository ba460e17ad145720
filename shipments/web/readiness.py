"""Readiness: whether this server can serve the ledger, for a load balancer's health check.

``/_stcore/health`` (Streamlit's) says the process is up. ``/ready`` says the database answers
and its schema is at the latest migration this code knows: 200 then, 503 otherwise. The body
names what is wrong in words, never the database's host, user, password or file path.

Each check opens a connection of its own (no pool), with a connect timeout on PostgreSQL: a
database that is down or hung answers 503 within seconds, before a load balancer's own timeout,
and a check that hangs holds nothing the next check would wait for. A SQLite file that is gone
is said so, and not created empty by the check.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse

from shipments.db import current_revision, database_url, head_revision, make_engine

NO_STORE = {"Cache-Control": "no-store"}
# Seconds to wait for PostgreSQL to accept a connection (libpq counts anything below 2 as 2).
CONNECT_TIMEOUT_S = 3


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    return make_engine(parsed.render_as_string(hide_password=False), pooled=False)


def _sqlite_file_missing(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return not Path(str(parsed.database)).exists()


def _not_ready(reason: str) -> JSONResponse:
    return JSONResponse({"ready": False, "reason": reason}, status_code=503, headers=NO_STORE)


def ready(request: Request) -> JSONResponse:
    """Answer 200 when the ledger can be read at the latest schema, else 503."""
    expected = head_revision()
    url = database_url()
    if _sqlite_file_missing(url):
        return _not_ready("the database file is missing")
    try:
        found = current_revision(_engine(url))
    except (SQLAlchemyError, OSError):
        return _not_ready("the database does not answer")
    if found != expected:
        return _not_ready(
            f"the database's schema is at {found or 'none'}, this server needs {expected}"
        )
    return JSONResponse({"ready": True, "schema": expected}, headers=NO_STORE)
