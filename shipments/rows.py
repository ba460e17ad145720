"""Many rows written at the database's own speed, inside the caller's transaction.

An import writes five rows for every line of its file, a million lines at a time. Through the ORM
or SQLAlchemy's ``insert()`` each row is a dict compiled into parameters; here rows are plain
tuples, in the order of the columns named, and go to the driver as they are: ``COPY ... FROM
STDIN`` on PostgreSQL (psycopg's ``cursor.copy``), one ``executemany`` on SQLite. Values must
already be as the driver takes them: ``bind_value`` converts a value the way the column's type
would (a date on SQLite, an aware UTC moment). Table and column names come from the models'
metadata and are quoted as identifiers, never formatted in as text.

The ids of rows that others point at are reserved first (``reserve_ids``), so that the rows that
point at them can be written in the same pass without reading anything back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Connection, Table, func, select, text


def bind_value(connection: Connection, column: Column[Any], value: Any) -> Any:
    """Return ``value`` as the driver takes it for ``column`` (its type's bind processing)."""
    process = converter(connection, column)
    return value if process is None or value is None else process(value)


def converter(connection: Connection, column: Column[Any]) -> Callable[[Any], Any] | None:
    """Return the function that turns a value into the driver's for ``column``, if it needs one."""
    dialect = connection.dialect
    process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples of driver values, in the order of ``columns``) into ``table``."""
    raw: Any = connection.connection.dbapi_connection  # psycopg's or sqlite3's own connection
    if connection.dialect.name == "postgresql":
        from psycopg import sql  # the PostgreSQL driver is needed only where it is the backend

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    quote = connection.dialect.identifier_preparer.quote
    statement_text = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)})"
        f" VALUES ({', '.join('?' for _ in columns)})"
    )
    cursor = raw.cursor()
    try:
        cursor.executemany(statement_text, rows)
    finally:
        cursor.close()


def reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """Return ``count`` new ids of ``table``'s integer key, ascending, that no other row will take.

    PostgreSQL: drawn from the key's sequence (another writer's draws interleave, never repeat).
    SQLite: the next after the largest, which stays free because the write holds the database's
    write lock (``BEGIN IMMEDIATE``) until it commits.
    """
    if count <= 0:
        return []
    key = table.c.id
    if connection.dialect.name == "postgresql":
        drawn = connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id'))"
                " FROM generate_series(1, :count)"
            ),
            {"table": table.name, "count": count},
        ).scalars()
        return sorted(drawn)
    largest = connection.execute(select(func.max(key))).scalar() or 0
    return list(range(largest + 1, largest + count + 1))


@contextmanager
def writing_many(connection: Connection, megabytes: int = 64) -> Iterator[None]:
    """Let a SQLite connection keep ``megabytes`` of pages while it writes many rows.

    SQLite's default cache is 2 MB: a million rows inserted into the ledger's indexes, whose keys
    arrive in no order, would read and write the same pages again and again. The size returns to
    what it was afterwards. PostgreSQL's buffers are the server's: nothing to do there.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw: Any = connection.connection.dbapi_connection
    before = int(raw.execute("PRAGMA cache_size").fetchone()[0])
    raw.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")  # a pragma takes no parameter
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {before}")
