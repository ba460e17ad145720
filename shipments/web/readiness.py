"""Readiness: whether this server can serve the ledger, for a load balancer's health check.

``/_stcore/health`` (Streamlit's) says the process is up. ``/ready`` says the database answers
and its schema is at the latest migration this code knows: 200 then, 503 otherwise. The body
names what is wrong in words, never the database's host, user or password.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse

from shipments.db import current_revision, database_url, head_revision, make_engine

NO_STORE = {"Cache-Control": "no-store"}


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def ready(request: Request) -> JSONResponse:
    """Answer 200 when the ledger can be read at the latest schema, else 503."""
    expected = head_revision()
    try:
        engine = _engine(database_url())
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        found = current_revision(engine)
    except (SQLAlchemyError, OSError):
        body = {"ready": False, "reason": "the database does not answer"}
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    if found != expected:
        reason = f"the database's schema is at {found or 'none'}, this server needs {expected}"
        body = {"ready": False, "reason": reason}
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    return JSONResponse({"ready": True, "schema": expected}, headers=NO_STORE)
