"""Editor sessions: a random token in the browser's cookie, only its SHA-256 in the database.

A session is good while it is not revoked, was seen within the idle timeout and is younger
than its absolute lifetime, and its editor is active. Resolving it is one indexed lookup; it
writes ``last_seen_at`` at most once a minute (``SEEN_EVERY``), so page runs rarely write.

Settings (environment variables):
    LEDGER_SESSION_IDLE_MINUTES     idle timeout, default 30
    LEDGER_SESSION_LIFETIME_HOURS   absolute lifetime, default 12
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from shipments.errors import InvalidInput
from shipments.models import Editor, EditorSession
from shipments.rules import utcnow
from shipments.transaction import Transaction, run_write

COOKIE = "ledger_session"
IDLE_SETTING = "LEDGER_SESSION_IDLE_MINUTES"
LIFETIME_SETTING = "LEDGER_SESSION_LIFETIME_HOURS"
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_LIFETIME = timedelta(hours=12)
SEEN_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lasts: unused (``idle``) and at most (``lifetime``)."""

    idle: timedelta = DEFAULT_IDLE
    lifetime: timedelta = DEFAULT_LIFETIME


def session_limits() -> SessionLimits:
    """Return the limits the environment sets, or the defaults; refuse a value that is no
    positive whole number."""
    return SessionLimits(
        idle=timedelta(minutes=_positive(IDLE_SETTING, DEFAULT_IDLE.total_seconds() / 60)),
        lifetime=timedelta(
            hours=_positive(LIFETIME_SETTING, DEFAULT_LIFETIME.total_seconds() / 3600)
        ),
    )


def _positive(setting: str, default: float) -> float:
    raw = os.environ.get(setting, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise InvalidInput.single(setting, f"must be a whole number greater than 0 (got {raw!r})")
    return int(raw)


def token_hash(token: str) -> str:
    """Return the SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(
    *, session: Session, editor: str, address: str | None = None, now: datetime | None = None
) -> str:
    """Open a session for an active editor; return its token (the only copy: for the cookie)."""
    token = secrets.token_urlsafe(32)
    moment = now or utcnow()

    def write(tx: Transaction) -> None:
        account = tx.session.exec(select(Editor).where(col(Editor.name) == editor)).one()
        assert account.id is not None
        tx.session.add(
            EditorSession(
                token_sha256=token_hash(token),
                editor_id=account.id,
                created_at=moment,
                last_seen_at=moment,
                address=address,
            )
        )

    run_write(session=session, by=editor, via="form", write=write)
    return token


def resolve_session(
    *,
    session: Session,
    token: str | None,
    now: datetime | None = None,
    limits: SessionLimits | None = None,
) -> str | None:
    """Return the name of the editor whose good session this token opens, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    moment = now or utcnow()
    bounds = limits or session_limits()
    found = session.exec(
        select(EditorSession, Editor)
        .join(Editor, col(Editor.id) == col(EditorSession.editor_id))
        .where(col(EditorSession.token_sha256) == token_hash(token))
    ).first()
    if found is None:
        return None
    held, editor = found
    if (
        held.revoked_at is not None
        or not editor.active
        or moment - held.last_seen_at > bounds.idle
        or moment - held.created_at > bounds.lifetime
    ):
        return None
    if moment - held.last_seen_at >= SEEN_EVERY:
        session.execute(
            update(EditorSession)
            .where(col(EditorSession.id) == held.id, col(EditorSession.revoked_at).is_(None))
            .values(last_seen_at=moment)
        )
        session.commit()
    return editor.name


def revoke_session(*, session: Session, token: str | None, now: datetime | None = None) -> None:
    """End the session this token opens (nothing happens for an unknown token)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return
    session.execute(
        update(EditorSession)
        .where(
            col(EditorSession.token_sha256) == token_hash(token),
            col(EditorSession.revoked_at).is_(None),
        )
        .values(revoked_at=now or utcnow())
    )
    session.commit()


def revoke_editor_sessions(*, session: Session, editor_id: int, at: datetime) -> int:
    """End every open session of one editor, in the caller's transaction; return how many."""
    result = session.execute(
        update(EditorSession)
        .where(col(EditorSession.editor_id) == editor_id, col(EditorSession.revoked_at).is_(None))
        .values(revoked_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sign_out_everywhere(*, session: Session, token: str | None) -> int:
    """End every session of the editor this token signs in, this one too; return how many."""
    editor = resolve_session(session=session, token=token)
    if editor is None:
        return 0

    def write(tx: Transaction) -> int:
        account = tx.session.exec(select(Editor).where(col(Editor.name) == editor)).one()
        assert account.id is not None
        ended = revoke_editor_sessions(session=tx.session, editor_id=account.id, at=tx.at)
        tx.record("editor.sign_out_all", f"editor {editor}", f"{ended} sessions ended")
        return ended

    return run_write(session=session, by=editor, via="form", write=write)
