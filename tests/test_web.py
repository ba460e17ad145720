"""The routes served beside the pages: readiness and the security headers on every response.

They run in process through Starlette's test client on an app with the same routes and
middleware as ``dashboard.py``'s ``st.App`` (tests/test_e2e.py serves the real one).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shipments.db import head_revision, make_engine, migrate
from shipments.web import readiness, routes
from shipments.web.headers import SECURITY_HEADERS


@contextmanager
def serving(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """Yield a test client of the dashboard's routes and middleware on the ledger at ``url``."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    readiness._engine.cache_clear()
    app = Starlette(routes=routes.routes(), middleware=routes.middleware())
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        readiness._engine.cache_clear()


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with serving(database_url, monkeypatch) as test_client:
        yield test_client


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


class Forwarder:
    """A TCP relay from 127.0.0.1:``port`` to ``target``, stopped and started as a database is.

    Stopped, it refuses connections and cuts those it carried. Frozen, it keeps every
    connection open, new ones too, and passes nothing on: a database that hangs.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._carried: list[socket.socket] = []
        self.frozen = threading.Event()

    def start(self) -> None:
        """Listen on the port (again) and relay what comes in."""
        self.frozen.clear()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._accepting = threading.Thread(target=self._accept, args=(self._listener,), daemon=True)
        self._accepting.start()

    def freeze(self) -> None:
        """Keep every connection open and pass nothing on, from now on."""
        self.frozen.set()

    def stop(self) -> None:
        """Refuse new connections and cut every connection relayed so far (if started)."""
        if self._listener is None or self._accepting is None:
            return
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self._listener.close()
        self._accepting.join()
        self._listener = self._accepting = None
        for carried in self._carried:
            _cut(carried)
        self._carried.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._carried.append(client)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _cut(client)
                continue
            self._carried.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=_pump, args=(source, sink, self.frozen), daemon=True
                ).start()


def _pump(source: socket.socket, sink: socket.socket, frozen: threading.Event) -> None:
    try:
        while data := source.recv(65536):
            if not frozen.is_set():
                sink.sendall(data)
    except OSError:
        pass
    _cut(source)
    _cut(sink)


def _cut(connection: socket.socket) -> None:
    with suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


@pytest.fixture
def forwarded(database_url: str, engine: Engine) -> Iterator[tuple[str, Forwarder]]:
    """Return the migrated ledger's URL through a started Forwarder, and the forwarder."""
    engine.dispose()
    parsed = make_url(database_url)
    forwarder = Forwarder((parsed.host or "127.0.0.1", parsed.port or 5432))
    forwarder.start()
    yield parsed.set(host="127.0.0.1", port=forwarder.port).render_as_string(False), forwarder
    forwarder.stop()


def _said_nothing_of(url: str, body: str) -> None:
    parsed = make_url(url)
    for secret in (parsed.host, str(parsed.port), parsed.username, parsed.database):
        assert secret
        assert secret not in body


POSTGRESQL_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@POSTGRESQL_ONLY
def test_ready_follows_the_database_as_it_stops_and_comes_back(
    forwarded: tuple[str, Forwarder], monkeypatch: pytest.MonkeyPatch
):
    url, forwarder = forwarded
    with serving(url, monkeypatch) as client:
        assert client.get("/ready").status_code == 200
        forwarder.stop()
        down = client.get("/ready")
        assert (down.status_code, down.json()) == (
            503,
            {"ready": False, "reason": "the database does not answer"},
        )
        _said_nothing_of(url, down.text)
        forwarder.start()
        assert client.get("/ready").status_code == 200


@POSTGRESQL_ONLY
def test_the_pages_engine_works_again_once_the_database_is_back(
    forwarded: tuple[str, Forwarder],
):
    """The pages keep one pooled engine for the server's life: its pool must not keep serving
    connections the database's restart cut (``pool_pre_ping``)."""
    url, forwarder = forwarded
    pages_engine = make_engine(url)
    try:
        with pages_engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
        forwarder.stop()
        forwarder.start()
        with pages_engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        pages_engine.dispose()


@POSTGRESQL_ONLY
def test_a_hung_database_is_not_ready_after_the_connect_timeout(
    forwarded: tuple[str, Forwarder], monkeypatch: pytest.MonkeyPatch
):
    """Each check connects afresh with a timeout: a connection kept from the check before
    would wait on the hung database for as long as it stays open."""
    url, forwarder = forwarded
    monkeypatch.setattr(readiness, "CONNECT_TIMEOUT_S", 2)
    answers = []
    with serving(url, monkeypatch) as client:
        assert client.get("/ready").status_code == 200
        forwarder.freeze()
        asking = threading.Thread(target=lambda: answers.append(client.get("/ready")))
        asking.start()
        # A guard against a test run that never ends, not a measure of speed: without the
        # timeout the check waits for as long as the connection stays open.
        asking.join(timeout=60)
        hung = asking.is_alive()
        forwarder.stop()  # cuts the held connection, so a hung check ends either way
        asking.join()
    assert not hung, "/ready waited on a hung database past its connect timeout"
    [answer] = answers
    assert (answer.status_code, answer.json()["reason"]) == (503, "the database does not answer")


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_not_ready_when_the_sqlite_file_is_gone_and_the_check_does_not_make_one(
    database_url: str, engine: Engine, client: TestClient
):
    assert client.get("/ready").status_code == 200
    engine.dispose()
    path = Path(str(make_url(database_url).database))
    path.unlink()
    answer = client.get("/ready")
    assert (answer.status_code, answer.json()) == (
        503,
        {"ready": False, "reason": "the database file is missing"},
    )
    assert str(path.parent) not in answer.text
    assert not path.exists()


@SQLITE_ONLY
@pytest.mark.parametrize("damage", ["not a database", "a folder in its place"])
def test_not_ready_when_the_sqlite_file_cannot_be_read(
    database_url: str, engine: Engine, client: TestClient, damage: str
):
    """Tests run as root here, which reads a file whatever its mode: the file is made
    unreadable by what it holds, or by being a folder, rather than by chmod."""
    assert client.get("/ready").status_code == 200
    engine.dispose()
    path = Path(str(make_url(database_url).database))
    for stale in path.parent.glob(f"{path.name}*"):
        stale.unlink()
    if damage == "not a database":
        path.write_bytes(b"this is not a SQLite database, only bytes " * 100)
    else:
        path.mkdir()
    answer = client.get("/ready")
    assert (answer.status_code, answer.json()) == (
        503,
        {"ready": False, "reason": "the database does not answer"},
    )
    assert str(path.parent) not in answer.text
