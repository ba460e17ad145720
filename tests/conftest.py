"""Fixtures: every database test runs once on SQLite and once on PostgreSQL.

PostgreSQL is used when ``LEDGER_TEST_POSTGRES_URL`` names a server (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). The run creates its own throwaway
database there and gives each test a fresh schema in it, so tests never see each other's rows.
Without the variable the PostgreSQL variants are skipped with that reason; with it set and the
server unreachable they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from factories import add_editors
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from shipments.db import make_engine, migrate
from shipments.seed import prepare_database

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[URL]:
    """Create a throwaway PostgreSQL database for this run and drop it afterwards."""
    server = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set LEDGER_TEST_POSTGRES_URL to run these")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"ledger_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        pytest.fail(f"LEDGER_TEST_POSTGRES_URL is set but the server is unreachable: {exc}")
    try:
        yield make_url(server).set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Return the URL of an empty database of the parametrised backend, private to this test."""
    with _empty_database(request, request.param, tmp_path / "ledger.db") as url:
        yield url


@pytest.fixture
def other_database_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Any
) -> Iterator[str]:
    """Return a second empty database on the same backend as ``database_url``."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with _empty_database(request, backend, tmp_path / "other.db") as url:
        yield url


@contextmanager
def _empty_database(request: pytest.FixtureRequest, backend: str, path: Any) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{path}"
        return
    base: URL = request.getfixturevalue("postgres_database")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Return an engine on a migrated but empty ledger, with the editors ana, bo and carla."""
    created = make_engine(database_url)
    migrate(created)
    add_editors(created)
    yield created
    created.dispose()


@pytest.fixture
def seeded_engine(database_url: str) -> Iterator[Engine]:
    """Return an engine on the seeded ledger, with the editors ana, bo and carla."""
    created = make_engine(database_url)
    prepare_database(created)
    add_editors(created)
    yield created
    created.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Return a session on an empty, migrated ledger."""
    with Session(engine, expire_on_commit=False) as opened:
        yield opened


@pytest.fixture
def seeded_session(seeded_engine: Engine) -> Iterator[Session]:
    """Return a session on the seeded ledger."""
    with Session(seeded_engine, expire_on_commit=False) as opened:
        yield opened


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Start and end with empty Streamlit caches (they live for the whole test process)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
