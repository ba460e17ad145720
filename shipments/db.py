"""Engine from settings, sessions, and migrations on start.

``LEDGER_DATABASE_URL`` chooses the database (default: the SQLite file ``data/ledger.db`` in the
repository). A relative SQLite path is taken relative to the repository, not the working
directory, so the CLI and the dashboard find the same file from anywhere.
"""

from __future__ import annotations

import fcntl
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///data/ledger.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_OPTION = "ledger_write"
STARTUP_LOCK = 0x1ED6E4  # any constant; names the ledger's start-up lock on PostgreSQL


def database_url(url: str | None = None) -> str:
    """Return the database URL: the argument, else LEDGER_DATABASE_URL, else the SQLite default."""
    return _resolved(url or os.environ.get("LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL)


@functools.lru_cache(maxsize=64)
def _resolved(chosen: str) -> str:
    # Every page run asks (bench/load_bench.py): parsing the URL and checking its folder once
    # per URL and process is enough.
    parsed = make_url(chosen)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_absolute():
            # Relative paths live in the repository, whose data/ folder may not exist yet.
            path = REPO_ROOT / path
            path.parent.mkdir(parents=True, exist_ok=True)
        chosen = parsed.set(database=str(path)).render_as_string(hide_password=False)
    return chosen


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # The driver's own transaction handling is off (isolation_level=None), so we begin here. A
    # write takes the write lock at once (BEGIN IMMEDIATE), waiting up to the busy timeout,
    # instead of reading first and failing to upgrade when another writer got there before.
    write = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def write_connection(session: Any) -> None:
    """Start the session's transaction as a write (on SQLite: take the write lock now)."""
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            return
        session.commit()  # ends a read-only transaction, so the write can begin afresh
    session.connection(execution_options={WRITE_OPTION: True})


def make_engine(url: str | None = None, *, pooled: bool = True) -> Engine:
    """Create an engine for the ledger database (WAL and a busy timeout on SQLite).

    A pooled engine checks each connection before lending it (``pool_pre_ping`` on PostgreSQL),
    so a database that went away and came back is used again without a restart. ``pooled=False``
    opens a connection for each use: a health check tests a fresh one, and one that hangs holds
    nothing that the next check would wait for.
    """
    resolved = database_url(url)
    backend = make_url(resolved).get_backend_name()
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if backend == "sqlite":
        engine = create_engine(
            resolved,
            connect_args={"check_same_thread": False, "isolation_level": None},
            hide_parameters=True,
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(resolved, pool_pre_ping=True, hide_parameters=True, **pool)
    return engine


def alembic_config() -> Config:
    """Return the Alembic configuration for the ledger's migrations."""
    # Alembic is imported where it is used (here and below): it is a tenth of a second of
    # every command's start, and a database already at the latest revision never needs it.
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the latest), keeping every row.

    A database already at the latest revision (its ``alembic_version`` names the newest
    migration file's revision) is left as it is without loading Alembic.
    """
    if revision == "head" and stored_revision(engine) == file_head():
        return
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def file_head() -> str:
    """Return the latest revision by the migration files' names ("0012_superseded_at.py" is
    revision 0012); tests/test_db.py checks it is the head Alembic finds."""
    numbered = [p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbered)


def stored_revision(engine: Engine) -> str | None:
    """Return the revision ``alembic_version`` records, or None where there is no such table."""
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    """Return the latest migration revision this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the migration revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold a lock that lets processes starting on the same database migrate and seed in turn.

    PostgreSQL: a session advisory lock. SQLite: an exclusive lock on a file beside the database,
    since SQLite runs schema changes outside a transaction that could serialise them.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.startup-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that is closed afterwards; writes commit inside ``run_write``."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
