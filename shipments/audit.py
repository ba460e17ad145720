"""The audit trail: every write, recorded in the same transaction as the write itself.

Writes record their events with ``Transaction.record`` (``shipments.transaction``); this module
reads the trail and the sign-in attempts back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func
from sqlmodel import Session, col, select

from shipments.models import AuditEvent, SignInEvent, SignInThrottle


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events to list: by actor, action prefix and time range."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_events(*, session: Session, filters: AuditFilter | None = None) -> list[AuditEvent]:
    """Return write events, newest first."""
    f = filters or AuditFilter()
    statement = select(AuditEvent)
    if f.actor:
        statement = statement.where(col(AuditEvent.actor) == f.actor)
    if f.action:
        statement = statement.where(col(AuditEvent.action).startswith(f.action))
    if f.since:
        statement = statement.where(col(AuditEvent.at) >= f.since)
    if f.until:
        statement = statement.where(col(AuditEvent.at) <= f.until)
    # Newest first; events of one write share its moment, and the later id is the later event.
    newest = (col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(statement.order_by(*newest)))


def write_origin(event: AuditEvent) -> str:
    """Return where a write ran beyond its path: ``cli: user@host`` for the command line's.

    Empty for the dashboard's writes (the editor's sign-in is their proof) and for events
    recorded before the operating-system user and host were kept. The user and host are stored
    as the machine gave them; here every character that is not printable is written as its
    escape (``\\x1b``), so that neither a grid, a spreadsheet nor a terminal acts on it.
    """
    if event.os_user is None and event.host is None:
        return ""
    return f"cli: {_printable(event.os_user or '')}@{_printable(event.host or '')}"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def sign_in_events(
    *,
    session: Session,
    filters: AuditFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SignInEvent]:
    """Return checked sign-in attempts, newest first: all, or ``limit`` from ``offset``."""
    newest = (col(SignInEvent.at).desc(), col(SignInEvent.id).desc())
    statement = _sign_ins(select(SignInEvent), filters).order_by(*newest).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def count_sign_in_events(*, session: Session, filters: AuditFilter | None = None) -> int:
    """Return how many checked sign-in attempts ``sign_in_events`` would list."""
    statement = _sign_ins(select(func.count()).select_from(SignInEvent), filters)
    return int(session.exec(statement).one())


def sign_in_throttles(
    *, session: Session, filters: AuditFilter | None = None
) -> list[SignInThrottle]:
    """Return the failure counts per (name, client address), latest failure first."""
    f = filters or AuditFilter()
    statement = select(SignInThrottle)
    if f.actor:
        statement = statement.where(col(SignInThrottle.name) == f.actor)
    if f.since:
        statement = statement.where(col(SignInThrottle.last_at) >= f.since)
    return list(session.exec(statement.order_by(col(SignInThrottle.last_at).desc())))


def _sign_ins(statement: Any, filters: AuditFilter | None) -> Any:
    f = filters or AuditFilter()
    if f.actor:
        statement = statement.where(col(SignInEvent.name) == f.actor)
    if f.since:
        statement = statement.where(col(SignInEvent.at) >= f.since)
    if f.until:
        statement = statement.where(col(SignInEvent.at) <= f.until)
    return statement


def ledger_version(*, session: Session) -> int:
    """Return a number that grows with every write: the newest audit event's id (0 if none).

    Every write records an audit event in its own transaction, so a reader that sees the same
    number as before has seen every write there is; one indexed lookup, for every rerun.
    """
    newest = session.exec(select(func.max(AuditEvent.id))).one()
    return int(newest or 0)


# The statement as the database reads it: building and compiling the select on every page run
# was half of what the question cost a new viewer (bench/load_bench.py).
_NEWEST_EVENT = f"SELECT max(id) FROM {AuditEvent.__tablename__}"


def ledger_version_of(connection: Connection) -> int:
    """``ledger_version`` on a bare connection: every page run asks, and a connection is a
    third of the cost of an ORM session (bench/load_bench.py)."""
    return int(connection.exec_driver_sql(_NEWEST_EVENT).scalar_one() or 0)


def latest_write(*, session: Session) -> tuple[int, datetime | None]:
    """Return the ledger's version and the moment of its latest write (0 and None if none)."""
    version = ledger_version(session=session)
    if not version:
        return 0, None
    return version, session.exec(select(AuditEvent.at).where(AuditEvent.id == version)).one()
