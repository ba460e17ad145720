"""The routes, middleware and start-up ``dashboard.py`` hands to ``st.App``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from shipments.db import database_url, make_engine
from shipments.errors import LedgerError
from shipments.seed import prepare_database
from shipments.web import data
from shipments.web.auth import auth_routes, check_settings
from shipments.web.headers import SecurityHeaders
from shipments.web.readiness import ready


def routes() -> list[BaseRoute]:
    """Return the routes served beside the pages."""
    return [Route("/ready", ready, methods=["GET", "HEAD"]), *auth_routes(), *data.routes()]


def middleware() -> list[Middleware]:
    """Return the middleware every request passes through, pages included."""
    return [Middleware(SecurityHeaders)]


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Create, upgrade and seed the ledger when the server starts, before the first page asks.

    A database that cannot be prepared does not stop the server: its pages say so in words, and
    /ready answers 503 until it can.
    """
    check_settings()  # a bad session or proxy setting stops the server here, named
    try:
        await anyio.to_thread.run_sync(_prepare)
    except (SQLAlchemyError, OSError, LedgerError) as exc:
        logging.getLogger(__name__).warning("the ledger could not be prepared at start: %s", exc)
    yield


def _prepare() -> None:
    engine = make_engine(database_url())
    try:
        prepare_database(engine)
    finally:
        engine.dispose()
