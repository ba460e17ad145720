"""The export's reading of the ledger: shipments as plain rows, or as lines the database formats."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, Text, cast, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.visitors import replacement_traverse
from sqlmodel import Session, col

from shipments.ledger import (
    ShipmentFilter,
    current_revisions_query,
    filtered_revisions,
    linked_records,
    standing_partners,
)
from shipments.models import CurrentShipment, RevisionSourceLink, ShipmentRevision, Source

_BATCH = 500
# Each record of a consignment standing now, and its other record: export lines join it.
PARTNERS = standing_partners()


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A source as an export lists it."""

    url: str
    publisher: str
    title: str


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    """A current shipment as an export reads it: plain values, no validation on the way out.

    Every stored column of its revision reads as an attribute (``row.donor``, ``row.reason``),
    except ``id``, which is the shipment's stable id as everywhere else; ``sources`` are its
    revision's sources. A new export column reads what it needs without an edit here.
    """

    revision_row: Any
    sources: tuple[SourceRef, ...]
    once_with: int | None = None

    @property
    def id(self) -> int:
        """Return the shipment's stable id (not the revision's)."""
        return int(self.revision_row.shipment_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.revision_row, name)


def iter_export_rows(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    batch_size: int = 5000,
) -> Iterator[ShipmentRow]:
    """Stream the current shipments for export: plain rows, a sources query per batch."""
    revisions = ShipmentRevision.__table__.c  # type: ignore[attr-defined]
    statement = (
        filtered_revisions(current_revisions_query(as_of), filters)
        .with_only_columns(*revisions)
        .order_by(col(ShipmentRevision.shipment_id))
    )
    once_with = {r.shipment_id: r.other_id for r in linked_records(session=session, as_of=as_of)}
    rows = session.execute(statement.execution_options(yield_per=batch_size))
    for batch in rows.partitions(batch_size):
        links: dict[int, list[SourceRef]] = {}
        for revision_id, url, publisher, title in session.execute(
            sa_select(
                col(RevisionSourceLink.revision_id),
                col(Source.url),
                col(Source.publisher),
                col(Source.title),
            )
            .join(Source, col(Source.id) == col(RevisionSourceLink.source_id))
            .where(col(RevisionSourceLink.revision_id).in_([row.id for row in batch]))
            .order_by(col(RevisionSourceLink.revision_id), col(Source.id))
        ):
            links.setdefault(revision_id, []).append(SourceRef(url, publisher, title))
        for row in batch:
            yield ShipmentRow(row, tuple(links.get(row.id, ())), once_with.get(row.shipment_id))


def iter_lines(
    *,
    session: Session,
    line: Any,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    batch_size: int = 5000,
) -> Generator[list[str], None, None]:
    """Stream the shipments standing now (or at ``as_of``), by id, in batches of ``line`` of each.

    ``line`` is an expression over the shipment's revision, its ``CurrentShipment`` row and its
    ``PARTNERS`` row (the other record of its consignment; NULLs when it has none) that the
    database formats into one text. As of a moment, the revisions standing then stand in for the
    current ones, their sources' ids and their partners then for the projection's and PARTNERS'
    columns: the same line, over the history's range condition.
    """
    dialect = session.get_bind().dialect.name
    if as_of is None:
        statement = (
            filtered_revisions(current_revisions_query(None), filters)
            .outerjoin(PARTNERS, PARTNERS.c.shipment_id == col(CurrentShipment.shipment_id))
            .with_only_columns(line)
            .order_by(col(CurrentShipment.shipment_id))
        )
    else:
        partners = standing_partners(as_of)
        projection = CurrentShipment.__table__  # type: ignore[attr-defined]
        then = {
            (projection, "source_ids"): _source_ids(dialect),
            (PARTNERS, "other_id"): partners.c.other_id,
        }
        statement = (
            filtered_revisions(current_revisions_query(as_of), filters)
            .outerjoin(partners, partners.c.shipment_id == col(ShipmentRevision.shipment_id))
            .with_only_columns(_replaced(line, then))
            .order_by(col(ShipmentRevision.shipment_id))
        )
    if dialect == "sqlite":
        yield from _fetched_lines(session, statement, batch_size)
    else:
        yield from _copied_lines(session, statement, batch_size)


def _replaced(line: ColumnElement[Any], then: dict[tuple[Any, str], Any]) -> Any:
    """Return ``line`` with each column ``then`` names (by its table and name) replaced."""

    def swap(element: Any, **_: Any) -> Any:
        if isinstance(element, ColumnClause):
            return then.get((element.table, element.name))
        return None

    return replacement_traverse(line, {}, swap)


def _source_ids(dialect: str) -> Any:
    """Return the ids of a revision's sources, separated by spaces (as current_shipment keeps
    them, in any order: the export sorts them)."""
    source_id = col(RevisionSourceLink.source_id)
    ids = (
        func.group_concat(source_id, " ")
        if dialect == "sqlite"
        else func.string_agg(cast(source_id, Text), " ")
    )
    return (
        sa_select(ids)
        .where(col(RevisionSourceLink.revision_id) == col(ShipmentRevision.id))
        .scalar_subquery()
    )


def _fetched_lines(
    session: Session, statement: Any, batch_size: int
) -> Generator[list[str], None, None]:
    """SQLite: one text column read from the driver's cursor, which SQLAlchemy has not read from
    (it buffers rows only for stream_results); a million result row objects cost more than the
    rest of the Python side of the export."""
    result = session.connection().execute(statement)
    try:
        while batch := result.cursor.fetchmany(batch_size):
            yield [row[0] for row in batch]
    finally:
        result.close()


# COPY's text format writes a backslash, and the characters below, as an escape.
_COPY_ESCAPES = {"\\": "\\", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_ESCAPE = re.compile(r"\\(.)")


def _copied_lines(
    session: Session, statement: Any, batch_size: int
) -> Generator[list[str], None, None]:
    """PostgreSQL: ``COPY (the query) TO STDOUT``, read as blocks of text and split into lines
    here, instead of a result row per line (a server-side cursor's rows cost more in Python than
    the query in the database). A line holding a backslash, tab or line break comes escaped; it
    is unescaped, which COPY's text format makes exact (one column, never NULL)."""
    connection = session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    driver = connection.connection.driver_connection
    assert driver is not None
    encoding = driver.info.encoding
    blocks: list[memoryview] = []
    rest = b""
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY ({compiled}) TO STDOUT", compiled.params) as copy,
    ):
        # The server sends a block a line; a batch is joined, decoded and split at once.
        for block in copy:
            blocks.append(block)
            if len(blocks) >= batch_size:
                rest, lines = _split(rest, blocks, encoding)
                blocks = []
                if lines:
                    yield lines
    rest, lines = _split(rest, blocks, encoding)
    if rest:
        raise ValueError("COPY ended inside a line")
    if lines:
        yield lines


def _split(rest: bytes, blocks: list[memoryview], encoding: str) -> tuple[bytes, list[str]]:
    """Return what follows the last whole line, and the whole lines, unescaped."""
    data = rest + b"".join(blocks)
    end = data.rfind(b"\n") + 1
    text = data[:end].decode(encoding)
    lines = text.split("\n")[:-1]
    if "\\" in text:
        lines = [_COPY_ESCAPE.sub(_unescape, line) if "\\" in line else line for line in lines]
    return data[end:], lines


def _unescape(match: re.Match[str]) -> str:
    return _COPY_ESCAPES[match.group(1)]


SourceLookup = Callable[[Iterable[int]], dict[int, SourceRef]]
# Sources read at once before a PostgreSQL export's COPY; a ledger has few beside its shipments.
_KNOWN_SOURCES_LIMIT = 100_000


@contextmanager
def source_lookup(session: Session) -> Iterator[SourceLookup]:
    """Yield how an export finds its lines' sources by id while the lines stream.

    SQLite: on the session, between batches. PostgreSQL: the lines come through COPY, which holds
    the session's connection until the last line, so the sources are read before it, all of them
    (up to _KNOWN_SOURCES_LIMIT), and any other (recorded since, or past the limit) through a
    session of its own on the same engine, opened when first needed.
    """
    if session.get_bind().dialect.name == "sqlite":
        yield lambda ids: sources_by_id(session=session, ids=ids)
        return
    known: dict[int, SourceRef] = {}
    if (session.scalar(sa_select(func.count()).select_from(Source)) or 0) <= _KNOWN_SOURCES_LIMIT:
        for source_id, url, publisher, title in session.execute(_SOURCE_REFS):
            known[source_id] = SourceRef(url, publisher, title)
    with ExitStack() as later:
        other: list[Session] = []

        def lookup(ids: Iterable[int]) -> dict[int, SourceRef]:
            found = {n: known[n] for n in ids if n in known}
            missing = set(ids) - found.keys()
            if missing:
                if not other:
                    other.append(later.enter_context(Session(session.get_bind())))
                found.update(sources_by_id(session=other[0], ids=missing))
            return found

        yield lookup


_SOURCE_REFS = sa_select(col(Source.id), col(Source.url), col(Source.publisher), col(Source.title))


def sources_by_id(*, session: Session, ids: Iterable[int]) -> dict[int, SourceRef]:
    """Return the sources with these ids, as an export lists them."""
    wanted = sorted(set(ids))
    found: dict[int, SourceRef] = {}
    for start in range(0, len(wanted), _BATCH):
        for source_id, url, publisher, title in session.execute(
            _SOURCE_REFS.where(col(Source.id).in_(wanted[start : start + _BATCH]))
        ):
            found[source_id] = SourceRef(url, publisher, title)
    return found
