"""The one way to write: every write runs through ``run_write``, in one transaction.

A write is a function of a ``Transaction`` (the session, who writes, by which path, and one
timestamp). Forms, the CLI, imports, the seed, claims, editor accounts and sign-in attempts all
run theirs through ``run_write``, which on each attempt:

1. begins the write transaction (on SQLite it takes the write lock at once: ``BEGIN IMMEDIATE``);
2. checks who writes, once: an active editor account, or the seed loader inside ``seeding()``
   (account management and sign-in, which have no editor yet, pass ``check_editor=False``);
3. checks the form's idempotency key, once: a key already used refuses the write;
4. runs the write, which records its audit events with ``Transaction.record``;
5. inserts those events, stores the form key with the subject of the first of them, and commits.

Who writes is a name the caller gives: the dashboard's is proven by the editor's sign-in, but the
command line's ``--by`` is only a claim (whoever holds the database URL is trusted). So every
write made inside ``from_shell()``, as the command line makes all of its writes, also records the
operating-system user and the host it runs on (``shell_origin``) in each of its audit events.

Any error rolls everything back, so a refusal leaves the database exactly as it was. A unique key
that fails (``IntegrityError``) means another writer changed the same record first (a revision
number, a new source's URL, the same form key): the write starts again from step 1, up to
``WRITE_ATTEMPTS`` times, then is refused as a ``Conflict`` with nothing written. A write may
therefore run more than once; it builds everything it returns inside the call.
"""

from __future__ import annotations

import os
import pwd
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shipments.db import write_connection
from shipments.errors import AlreadySubmitted, Conflict, InvalidInput
from shipments.models import AuditEvent, Editor, FormSubmission
from shipments.models.accounts import MAX_HOST_LENGTH
from shipments.rows import bind_value, insert_rows
from shipments.rules import MAX_NAME_LENGTH, VIAS, clean_actor, utcnow

R = TypeVar("R")
WRITE_ATTEMPTS = 3
SEED_ACTOR = "seed"
# The ledger itself, when it opens or reopens a discrepancy (shipments.discrepancies).
LEDGER_ACTOR = "ledger"
RESERVED_ACTORS = (SEED_ACTOR, LEDGER_ACTOR)
# Audit events are inserted this many at a time, so an import of a million rows neither sends
# one statement per row nor holds every event in memory until it commits.
_EVENT_BATCH = 500
EVENT_COLUMNS = ("at", "actor", "via", "action", "subject", "detail", "os_user", "host")

_SEEDING: ContextVar[bool] = ContextVar("seeding", default=False)
_FROM_SHELL: ContextVar[bool] = ContextVar("from_shell", default=False)


@dataclass(frozen=True)
class Origin:
    """The operating-system user and the host a command-line write ran as."""

    os_user: str
    host: str


@dataclass
class Transaction:
    """One attempt at a write: the session, who writes (checked), by which path, and when."""

    session: Session
    actor: str
    via: str
    at: datetime
    origin: Origin | None = None
    # (action, subject, detail) of each event not yet inserted; the rest is the write's own.
    _events: list[tuple[str, str, str | None]] = field(default_factory=list, init=False, repr=False)
    _subject: str | None = field(default=None, init=False, repr=False)
    _discarded: bool = field(default=False, init=False, repr=False)

    def record(self, action: str, subject: str, detail: str | None = None) -> None:
        """Add an audit event (this actor, path and moment) to the write's transaction."""
        if self._subject is None:
            self._subject = subject
            if self.origin is not None:
                _checked(self.origin)  # only a write that records something needs to keep it
        self._events.append((action, subject, detail))
        if len(self._events) >= _EVENT_BATCH:
            self.write_events()

    def record_many(self, action: str, entries: Iterable[tuple[str, str | None]]) -> None:
        """Add an audit event for each (subject, detail), as ``record`` does one at a time."""
        for subject, detail in entries:
            self.record(action, subject, detail)

    def discard(self) -> None:
        """Roll the write back when it returns instead of committing; its result still returns."""
        self._discarded = True

    def write_events(self) -> None:
        """Insert the audit events recorded so far (``run_write`` does so before it commits)."""
        if self._events:
            table = AuditEvent.__table__  # type: ignore[attr-defined]
            connection = self.session.connection()
            at = bind_value(connection, table.c.at, self.at)
            os_user, host = (self.origin.os_user, self.origin.host) if self.origin else (None, None)
            rows = ((at, self.actor, self.via, *event, os_user, host) for event in self._events)
            insert_rows(connection, table, EVENT_COLUMNS, rows)
            self._events.clear()


def run_write(
    *,
    session: Session,
    by: str | None,
    via: str,
    write: Callable[[Transaction], R],
    form_key: str | None = None,
    check_editor: bool = True,
) -> R:
    """Run ``write`` in one write transaction as ``by`` from path ``via``; commit and return.

    ``by`` must name an active editor account (``require_editor``). With ``check_editor=False``
    it is taken as given, already cleaned: the shell user who manages accounts, or the name a
    sign-in attempt gives. ``form_key`` (a form's idempotency key) refuses a second submission with
    ``AlreadySubmitted`` and is stored with the subject of the write's first audit event.
    Inside ``from_shell()`` every audit event also records ``shell_origin()``.
    """
    origin = shell_origin() if _FROM_SHELL.get() else None
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        write_connection(session)
        try:
            if check_editor:
                actor = require_editor(session=session, by=by, via=via)
            else:
                assert by is not None, "a write that checks no editor still names its writer"
                actor = by
                _check_via(via)
            if form_key is not None and (earlier := session.get(FormSubmission, form_key)):
                raise AlreadySubmitted(earlier.subject)
            tx = Transaction(session=session, actor=actor, via=via, at=utcnow(), origin=origin)
            result = write(tx)
            if tx._discarded:
                session.rollback()
                return result
            tx.write_events()
            if form_key is not None:
                assert tx._subject is not None, "a write with a form key records what it wrote"
                session.add(FormSubmission(key=form_key, subject=tx._subject, at=tx.at))
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            if attempt == WRITE_ATTEMPTS:
                raise Conflict(
                    "another write changed the same record at the same moment; nothing was"
                    " written, try again"
                ) from exc
            continue
        except BaseException:
            session.rollback()
            raise
        return result
    raise AssertionError("unreachable")


@contextmanager
def seeding() -> Iterator[None]:
    """Let the seed loader write as "seed" while it runs; nothing else can."""
    token = _SEEDING.set(True)
    try:
        yield
    finally:
        _SEEDING.reset(token)


@contextmanager
def from_shell() -> Iterator[None]:
    """Record the operating-system user and host with every write made inside (the CLI's)."""
    token = _FROM_SHELL.set(True)
    try:
        yield
    finally:
        _FROM_SHELL.reset(token)


def shell_origin() -> Origin:
    """Return the operating-system user and the host name."""
    return Origin(os_user=os_user(), host=socket.gethostname())


def os_user() -> str:
    """Return the account the process runs as, by its uid: the kernel's word, not ``$LOGNAME``
    or ``$USER`` (which whoever runs the command sets); "uid N" when it has no passwd entry."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def _checked(origin: Origin) -> None:
    """Refuse the write unless the audit trail can keep ``origin`` exactly.

    It is kept as the machine gave it, control characters and all (every reader shows it inert),
    but text that is not text (undecodable bytes) or is longer than its column is refused.
    """
    for name, value, limit in (
        ("os_user", origin.os_user, MAX_NAME_LENGTH),
        ("host", origin.host, MAX_HOST_LENGTH),
    ):
        what = "the operating-system user name" if name == "os_user" else "the host name"
        if len(value) > limit:
            rule = f"{what} must be at most {limit} characters (it has {len(value):,})"
            raise InvalidInput.single(name, rule)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            rule = f"{what} {value!r} is not valid UTF-8 text; the audit trail cannot keep it"
            raise InvalidInput.single(name, rule) from None
        if "\x00" in value:
            raise InvalidInput.single(name, f"{what} {value!r} holds a NUL character")


def require_editor(*, session: Session, by: Any, via: str) -> str:
    """Return the name of the active editor who writes, or refuse the write.

    The seed is the one writer that is not an account: it writes as "seed", via "seed", and only
    from inside ``seeding()``.
    """
    _check_via(via)
    try:
        name = clean_actor(by)
    except ValueError as exc:
        raise InvalidInput.single("by", str(exc)) from None
    if via == "seed" or name.casefold() == SEED_ACTOR:
        if (via, name) != ("seed", SEED_ACTOR) or not _SEEDING.get():
            raise InvalidInput.single("by", "only the seed loader writes as 'seed', via 'seed'")
        return name
    editor = session.exec(select(Editor).where(col(Editor.name) == name)).first()
    if editor is None or not editor.active:
        state = "is disabled" if editor is not None else "is not an editor account"
        raise InvalidInput.single("by", f"must name an active editor account ({name!r} {state})")
    return name


def _check_via(via: str) -> None:
    if via not in VIAS:
        raise InvalidInput.single("via", f"must be one of {', '.join(VIAS)} (got {via!r})")
