"""Fixtures: every database test runs once on SQLite and once on PostgreSQL.

Each test gets a database of its own at ``database_url``. It is empty, unless the test also asks
for ``engine`` or ``session`` (then it holds the migrated ledger with the editors ana, bo and
carla) or ``seeded_engine`` or ``seeded_session`` (the seeded ledger with those editors); those
fixtures work on that same database, so a test can hand its URL to the command line or a served
dashboard. The migrated and the seeded ledger are built once per run and backend, as templates,
and each test gets a copy (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL): copying is far quicker than running every migration from the first revision again.
Tests of the migrations and the seeding themselves start from an empty ``database_url``.

PostgreSQL is used when ``LEDGER_TEST_POSTGRES_URL`` names a server (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). The run creates its templates and one
database per test there and drops them all. Without the variable the PostgreSQL variants are
skipped with that reason; with it set and the server unreachable they fail.

The ``slow`` tests (browser and concurrency tests, about half the run's time) run in CI (where
``CI`` or ``LEDGER_REQUIRE_E2E=1`` is set) and with ``--slow``; elsewhere they are left out, and
the run's last lines say so and how to include them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import closing
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from browsers import launch_browser
from factories import add_editors
from server import serve_dashboard
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from shipments.db import make_engine, migrate
from shipments.revision_store import CACHE_SETTING
from shipments.seed import prepare_database

BACKENDS = ("sqlite", "postgresql")
SLOW_LEFT_OUT = "slow tests left out"
_SLOW_COUNT = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --slow, which runs the browser and concurrency tests outside CI too."""
    parser.addoption(
        "--slow", action="store_true", help="also run the slow (browser, concurrency) tests"
    )


def _run_slow(config: pytest.Config) -> bool:
    wanted = bool(config.getoption("--slow") or config.getoption("-m"))
    in_ci = bool(os.environ.get("CI")) or os.environ.get("LEDGER_REQUIRE_E2E") == "1"
    return wanted or in_ci


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the slow tests out of a run outside CI, unless asked for (--slow, or any -m)."""
    if _run_slow(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
        config.stash[_SLOW_COUNT] = len(slow)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say how many slow tests were left out, and how to run them."""
    left_out = config.stash.get(_SLOW_COUNT, 0)
    if left_out:
        terminalreporter.write_line(
            f"{SLOW_LEFT_OUT}: {left_out} (browser and concurrency); run them with --slow"
            " (CI always does)"
        )


MIGRATED, SEEDED = "migrated", "seeded"


def build_template(url: str, template: str) -> None:
    """Migrate the database at ``url`` (and seed it for SEEDED), add the editors, close it."""
    engine = make_engine(url)
    try:
        if template == SEEDED:
            prepare_database(engine)
        else:
            migrate(engine)
        add_editors(engine)
    finally:
        engine.dispose()


class Databases(ABC):
    """Make and drop the tests' databases on one backend: empty, or copies of a template."""

    def __init__(self) -> None:
        self._made_from: dict[str, str | None] = {}

    def create(self, path: Path, template: str | None) -> str:
        """Return the URL of a new database, a copy of ``template`` if one is named.

        ``path`` is where SQLite puts the file; PostgreSQL names the database itself.
        """
        url = self._create(path, template)
        self._made_from[url] = template
        return url

    def become(self, url: str, template: str) -> None:
        """Make the still unused, empty database at ``url`` a copy of ``template``."""
        made_from = self._made_from[url]
        if made_from == template:
            return
        if made_from is not None:
            raise RuntimeError(f"{url} holds the {made_from} ledger; it cannot become {template}")
        self._replace(url, template)
        self._made_from[url] = template

    def drop(self, url: str) -> None:
        """Drop the database at ``url``."""
        del self._made_from[url]
        self._drop(url)

    @abstractmethod
    def _create(self, path: Path, template: str | None) -> str: ...

    @abstractmethod
    def _replace(self, url: str, template: str) -> None: ...

    @abstractmethod
    def _drop(self, url: str) -> None: ...


class SQLiteDatabases(Databases):
    """SQLite files in each test's temporary folder, copied from template files."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root
        self._templates: dict[str, Path] = {}

    def _create(self, path: Path, template: str | None) -> str:
        if template is not None:
            shutil.copyfile(self._template(template), path)
        return f"sqlite:///{path}"

    def _replace(self, url: str, template: str) -> None:
        path = Path(str(make_url(url).database))
        if path.exists():
            raise RuntimeError(f"{url} is in use already; it cannot become the {template} ledger")
        shutil.copyfile(self._template(template), path)

    def _drop(self, url: str) -> None:
        pass  # the file goes with the test's temporary folder

    def _template(self, template: str) -> Path:
        if template not in self._templates:
            path = self._root / f"{template}.db"
            path.unlink(missing_ok=True)
            build_template(f"sqlite:///{path}", template)
            # A copy takes only the main file, so everything must be in it, none in the WAL.
            with closing(sqlite3.connect(path)) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._templates[template] = path
        return self._templates[template]


class PostgresDatabases(Databases):
    """One database per test on a PostgreSQL server, created from template databases."""

    def __init__(self, server: str) -> None:
        super().__init__()
        self._server = make_url(server)
        self._admin = create_engine(server, isolation_level="AUTOCOMMIT")
        self._prefix = f"ledger_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._numbers = count(1)
        self._templates: dict[str, str] = {}
        self._execute("SELECT 1")

    def close(self) -> None:
        """Drop the templates and any test database a failed teardown left behind."""
        for url in list(self._made_from):
            self.drop(url)
        for name in self._templates.values():
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()

    def _create(self, path: Path, template: str | None) -> str:
        name = f"{self._prefix}_{next(self._numbers)}"
        self._create_database(name, template)
        return self._url(name)

    def _replace(self, url: str, template: str) -> None:
        name = str(make_url(url).database)
        # Without FORCE: a connection to the empty database would mean a test is using it.
        self._execute(f'DROP DATABASE "{name}"')
        self._create_database(name, template)

    def _drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _create_database(self, name: str, template: str | None) -> None:
        if template is None:
            self._execute(f'CREATE DATABASE "{name}"')
        else:
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template(template)}"')

    def _template(self, template: str) -> str:
        if template not in self._templates:
            name = f"{self._prefix}_{template}"
            self._execute(f'DROP DATABASE IF EXISTS "{name}"')
            self._execute(f'CREATE DATABASE "{name}"')
            # build_template disposes its engine: PostgreSQL copies only a template nobody uses.
            build_template(self._url(name), template)
            self._templates[template] = name
        return self._templates[template]

    def _url(self, name: str) -> str:
        return self._server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql))


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SQLiteDatabases:
    """Return the maker of SQLite test databases, its templates in a folder for this run."""
    return SQLiteDatabases(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def postgresql_databases() -> Iterator[PostgresDatabases]:
    """Return the maker of PostgreSQL test databases; drop all it made at the end of the run."""
    server = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("PostgreSQL not configured: set LEDGER_TEST_POSTGRES_URL to run these")
    try:
        databases = PostgresDatabases(server)
    except OperationalError as exc:
        pytest.fail(f"LEDGER_TEST_POSTGRES_URL is set but the server is unreachable: {exc}")
    try:
        yield databases
    finally:
        databases.close()


def _databases(request: pytest.FixtureRequest, backend: str) -> Databases:
    databases: Databases = request.getfixturevalue(f"{backend}_databases")
    return databases


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return the URL of this test's database on the parametrised backend (see the top)."""
    asked = request.fixturenames
    template = SEEDED if "seeded_engine" in asked else MIGRATED if "engine" in asked else None
    databases = _databases(request, request.param)
    url = databases.create(tmp_path / "ledger.db", template)
    yield url
    databases.drop(url)


@pytest.fixture
def other_database_url(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[str]:
    """Return a second, empty database on the same backend as ``database_url``."""
    databases = _databases(request, _backend(database_url))
    url = databases.create(tmp_path / "other.db", None)
    yield url
    databases.drop(url)


def _engine(request: pytest.FixtureRequest, url: str, template: str) -> Iterator[Engine]:
    # A fixture that asks for the engine through request.getfixturevalue was not among the
    # names database_url saw, so the database may still be empty: become() copies it then.
    _databases(request, _backend(url)).become(url, template)
    created = make_engine(url)
    yield created
    created.dispose()


@pytest.fixture
def engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    """Return an engine on a migrated but empty ledger, with the editors ana, bo and carla."""
    yield from _engine(request, database_url, MIGRATED)


@pytest.fixture
def seeded_engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    """Return an engine on the seeded ledger, with the editors ana, bo and carla."""
    yield from _engine(request, database_url, SEEDED)


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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system package, one for the whole run (tests/browsers.py)."""
    yield from launch_browser()


@pytest.fixture
def seeded_dashboard(seeded_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Serve the dashboard (`streamlit run`) on a free port over the seeded ledger."""
    seeded_engine.dispose()
    with serve_dashboard(database_url, tmp_path) as served:
        yield served.base


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Start and end with empty Streamlit caches (they live for the whole test process)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session", autouse=True)
def kept_copies(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the history's array copies (shipments.revision_arrays) in this run's own folder, not
    in the user's cache; dashboards the tests start inherit the setting."""
    os.environ[CACHE_SETTING] = str(tmp_path_factory.mktemp("kept-copies"))


@pytest.fixture(autouse=True)
def page_cookie_from_session_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let AppTest stand for a browser holding a session cookie (AppTest sends no cookies).

    Only the reading of the cookie is replaced (``dashboard_pages.signed_in`` puts a real token,
    from a real session in the database, where this reads it); the page still resolves it
    against the database each run, so expiry, sign-out and disabling act as in a browser.
    """
    from dashboard_pages import TOKEN_KEY

    import shipments.ui.session

    def token_from_session_state() -> str | None:
        import streamlit as st

        token = st.session_state.get(TOKEN_KEY)
        return str(token) if token else None

    monkeypatch.setattr(shipments.ui.session, "cookie_token", token_from_session_state)
