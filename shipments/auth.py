"""Editor accounts, password hashing and sign-in with throttling (no streamlit).

Passwords are hashed with argon2id. A name that fails to sign in ``MAX_FAILURES`` times within
``THROTTLE_WINDOW`` is refused, even with the right password, until fewer than that many
failures remain in the window. Every attempt is logged with its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from shipments.audit import record_event
from shipments.errors import InvalidInput, NotFound
from shipments.models import (
    MIN_PASSWORD_LENGTH,
    VIAS,
    Editor,
    EditorPublic,
    SignInEvent,
    clean_actor,
    utcnow,
)

MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURES = ("wrong_password", "unknown_name", "disabled")
SEED_ACTOR = "seed"

_hasher = PasswordHasher()
# Verified against when the name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")


@dataclass(frozen=True)
class SignIn:
    """The outcome of one sign-in attempt."""

    outcome: str
    editor: str | None = None
    retry_after: datetime | None = None

    @property
    def ok(self) -> bool:
        """Return True when the attempt signed the editor in."""
        return self.outcome == "success"


def check_password(password: str) -> str:
    """Return the password if it is long enough, else refuse it."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.single(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    return password


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password that passes ``check_password``."""
    return _hasher.hash(check_password(password))


def add_editor(
    *,
    session: Session,
    name: str,
    password: str,
    by: str,
    email: str | None = None,
) -> EditorPublic:
    """Create an editor account; the shell user who runs it is recorded as its creator."""
    try:
        clean = clean_actor(name)
        creator = clean_actor(by)
    except ValueError as exc:
        raise InvalidInput.single("name", str(exc)) from None
    password_hash = hash_password(password)
    if find_editor(session=session, name=clean) is not None:
        raise InvalidInput.single("name", f"an editor named {clean!r} already exists")
    now = utcnow()
    editor = Editor(
        name=clean,
        email=(email or "").strip().lower() or None,
        password_hash=password_hash,
        active=True,
        created_by=creator,
        created_at=now,
    )
    session.add(editor)
    record_event(
        session=session,
        actor=creator,
        via="cli",
        action="editor.add",
        subject=f"editor {clean}",
        at=now,
    )
    session.commit()
    return _public(editor)


def disable_editor(*, session: Session, name: str, by: str) -> EditorPublic:
    """Mark an editor inactive: they can no longer sign in or write."""
    editor = find_editor(session=session, name=name.strip())
    if editor is None:
        raise NotFound(f"no editor named {name!r}")
    editor.active = False
    session.add(editor)
    record_event(
        session=session,
        actor=clean_actor(by),
        via="cli",
        action="editor.disable",
        subject=f"editor {editor.name}",
    )
    session.commit()
    return _public(editor)


def list_editors(*, session: Session) -> list[EditorPublic]:
    """Return every editor account, active or not, by name."""
    return [_public(e) for e in session.exec(select(Editor).order_by(col(Editor.name)))]


def find_editor(*, session: Session, name: str) -> Editor | None:
    """Return the editor account with this name, if any."""
    return session.exec(select(Editor).where(col(Editor.name) == name)).first()


def require_editor(*, session: Session, by: Any, via: str) -> str:
    """Return the name of the active editor who writes, or refuse the write.

    The seed is the one writer that is not an account: it writes as "seed", via "seed".
    """
    if via not in VIAS:
        raise InvalidInput.single("via", f"must be one of {', '.join(VIAS)} (got {via!r})")
    try:
        name = clean_actor(by)
    except ValueError as exc:
        raise InvalidInput.single("by", str(exc)) from None
    if via == "seed" or name == SEED_ACTOR:
        if (via, name) != ("seed", SEED_ACTOR):
            raise InvalidInput.single("by", "only the seed writes as 'seed', via 'seed'")
        return name
    editor = find_editor(session=session, name=name)
    if editor is None or not editor.active:
        state = "is disabled" if editor is not None else "is not an editor account"
        raise InvalidInput.single("by", f"must name an active editor account ({name!r} {state})")
    return name


def authenticate(
    *, session: Session, name: str, password: str, now: datetime | None = None
) -> SignIn:
    """Check a name and password, throttling repeated failures; log the attempt either way."""
    moment = now or utcnow()
    name = (name or "").strip()[:200]
    failures = session.exec(
        select(func.count())
        .select_from(SignInEvent)
        .where(
            col(SignInEvent.name) == name,
            col(SignInEvent.outcome).in_(FAILURES),
            col(SignInEvent.at) > moment - THROTTLE_WINDOW,
        )
    ).one()
    if failures >= MAX_FAILURES:
        oldest = session.exec(
            select(func.min(SignInEvent.at)).where(
                col(SignInEvent.name) == name,
                col(SignInEvent.outcome).in_(FAILURES),
                col(SignInEvent.at) > moment - THROTTLE_WINDOW,
            )
        ).one()
        result = SignIn("throttled", retry_after=(oldest or moment) + THROTTLE_WINDOW)
    else:
        editor = find_editor(session=session, name=name) if name else None
        verified = _verify(editor.password_hash if editor else _DUMMY_HASH, password)
        if editor is None:
            result = SignIn("unknown_name")
        elif not verified:
            result = SignIn("wrong_password")
        elif not editor.active:
            result = SignIn("disabled")
        else:
            result = SignIn("success", editor=editor.name)
    session.add(SignInEvent(at=moment, name=name, outcome=result.outcome))
    session.commit()
    return result


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password or ""))
    except (VerificationError, InvalidHashError):
        return False


def _public(editor: Editor) -> EditorPublic:
    return EditorPublic.model_validate(editor, from_attributes=True)
