"""The routes served beside the pages: readiness and the security headers on every response.

They run in process through Starlette's test client on an app with the same routes and
middleware as ``dashboard.py``'s ``st.App`` (tests/test_e2e.py serves the real one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shipments.db import head_revision, make_engine, migrate
from shipments.web import readiness, routes
from shipments.web.headers import SECURITY_HEADERS


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    readiness._engine.cache_clear()
    app = Starlette(routes=routes.routes(), middleware=routes.middleware())
    with TestClient(app) as test_client:
        yield test_client
    readiness._engine.cache_clear()


def test_ready_when_the_ledger_is_at_the_latest_schema(engine: Engine, client: TestClient):
    answer = client.get("/ready")
    assert (answer.status_code, answer.json()) == (200, {"ready": True, "schema": head_revision()})
    assert answer.headers["cache-control"] == "no-store"


def test_not_ready_before_the_latest_migration(database_url: str, client: TestClient):
    earlier = make_engine(database_url)
    migrate(earlier, "0007")
    earlier.dispose()
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["reason"] == (
        f"the database's schema is at 0007, this server needs {head_revision()}"
    )


def test_not_ready_when_the_database_does_not_answer_and_nothing_of_its_url_is_said(
    monkeypatch: pytest.MonkeyPatch,
):
    url = "postgresql+psycopg://ledger:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=2"
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    readiness._engine.cache_clear()
    app = Starlette(routes=routes.routes(), middleware=routes.middleware())
    with TestClient(app) as test_client:
        answer = test_client.get("/ready")
    readiness._engine.cache_clear()
    assert (answer.status_code, answer.json()) == (
        503,
        {"ready": False, "reason": "the database does not answer"},
    )
    for secret in ("ledger", "s3cret", "127.0.0.1", "nowhere", "5432"):
        assert secret not in answer.text


@pytest.mark.parametrize("path", ["/ready", "/no-such-route"])
def test_every_response_carries_the_security_headers(engine: Engine, client: TestClient, path: str):
    answer = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value
