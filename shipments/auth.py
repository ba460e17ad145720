"""Editor accounts, password hashing and sign-in with throttling (no streamlit).

Passwords are hashed with argon2id. A name that fails to sign in ``MAX_FAILURES`` times within
``THROTTLE_WINDOW`` is refused, even with the right password, until fewer than that many
failures remain in the window. Every attempt is logged with its outcome.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shipments.errors import InvalidInput, NotFound
from shipments.models import Editor, EditorPublic, SignInEvent
from shipments.rules import (
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARACTERS,
    MIN_PASSWORD_LENGTH,
    clean_actor,
    utcnow,
)
from shipments.transaction import SEED_ACTOR, Transaction, run_write

MAX_FAILURES = 5
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURES = ("wrong_password", "unknown_name", "disabled")
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Return a hash to verify against when the name is unknown, so that a wrong name costs as
    long as a wrong password. Made on first use, not on import: hashing takes argon2's 64 MiB,
    which every command would otherwise hold at its peak."""
    return _hasher.hash("not a password of anyone's")


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
    """Return the password if it is long enough, not too long, not blank and not a common one,
    else refuse it."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.single(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    if not password.strip():
        raise InvalidInput.single("password", "must not be only spaces")
    if any(unicodedata.category(ch) == "Cs" for ch in password):
        raise InvalidInput.single(
            "password", "must be valid text (it holds bytes that are not UTF-8)"
        )
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise InvalidInput.single("password", f"must be at most {MAX_PASSWORD_BYTES} bytes long")
    if len(set(password)) < MIN_PASSWORD_CHARACTERS:
        raise InvalidInput.single(
            "password", f"must hold at least {MIN_PASSWORD_CHARACTERS} different characters"
        )
    if password.casefold() in _common_passwords():
        raise InvalidInput.single("password", "is one of the commonest passwords: choose another")
    return password


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


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
    clean = _field("name", clean_actor, name)
    creator = _field("by", clean_actor, by)
    if clean.casefold() == SEED_ACTOR:
        raise InvalidInput.single("name", f"{SEED_ACTOR!r} is reserved for the seed data")
    address = (email or "").strip().lower() or None
    if address is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise InvalidInput.single("email", f"must be an e-mail address (got {email!r})")
    password_hash = hash_password(password)

    def write(tx: Transaction) -> EditorPublic:
        taken = {e.name.casefold() for e in tx.session.exec(select(Editor))}
        if clean.casefold() in taken:
            raise InvalidInput.single("name", f"an editor named {clean!r} already exists")
        editor = Editor(
            name=clean,
            email=address,
            password_hash=password_hash,
            active=True,
            created_by=tx.actor,
            created_at=tx.at,
        )
        tx.session.add(editor)
        try:
            tx.session.flush()
        except IntegrityError:
            # A unique key, not a race to retry: the e-mail address (or, at the same moment,
            # the name) belongs to another account.
            raise InvalidInput.single(
                "email" if address else "name", "is already used by another editor account"
            ) from None
        tx.record("editor.add", f"editor {clean}")
        return _public(editor)

    return run_write(session=session, by=creator, via="cli", write=write, check_editor=False)


def disable_editor(*, session: Session, name: str, by: str) -> EditorPublic:
    """Mark an editor inactive: they can no longer sign in or write."""
    clean = _field("name", clean_actor, name)

    def write(tx: Transaction) -> EditorPublic:
        editor = find_editor(session=tx.session, name=clean)
        if editor is None:
            raise NotFound(f"no editor named {name!r}")
        editor.active = False
        tx.session.add(editor)
        tx.record("editor.disable", f"editor {editor.name}")
        return _public(editor)

    creator = _field("by", clean_actor, by)
    return run_write(session=session, by=creator, via="cli", write=write, check_editor=False)


def list_editors(*, session: Session) -> list[EditorPublic]:
    """Return every editor account, active or not, by name."""
    return [_public(e) for e in session.exec(select(Editor).order_by(col(Editor.name)))]


def find_editor(*, session: Session, name: str) -> Editor | None:
    """Return the editor account with this name, if any."""
    return session.exec(select(Editor).where(col(Editor.name) == name)).first()


def authenticate(
    *, session: Session, name: str, password: str, now: datetime | None = None
) -> SignIn:
    """Check a name and password, throttling repeated failures; log the attempt either way.

    The attempt is logged as pending before the password is checked, so attempts made at the
    same moment count against each other: no more than ``MAX_FAILURES`` guesses get through.
    """
    moment = now or utcnow()
    dummy = _dummy_hash()  # before the first attempt is timed, whatever name it gives
    try:
        name = clean_actor(name)
    except ValueError:
        name = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(name or ""))[:200]

    def log_pending(tx: Transaction) -> SignInEvent:
        attempt = SignInEvent(at=moment, name=name, outcome="pending")
        tx.session.add(attempt)
        return attempt

    # Two transactions: the pending attempt is committed before the password is checked.
    attempt = run_write(session=session, by=name, via="form", write=log_pending, check_editor=False)

    def check(tx: Transaction) -> SignIn:
        recent = tx.session.exec(
            select(SignInEvent.at)
            .where(
                col(SignInEvent.name) == name,
                col(SignInEvent.outcome).in_((*FAILURES, "pending")),
                col(SignInEvent.at) > moment - 2 * THROTTLE_WINDOW,
                col(SignInEvent.id) != attempt.id,
            )
            .order_by(col(SignInEvent.at))
        ).all()
        locked_until = _locked_until(list(recent), moment)
        if locked_until is not None:
            result = SignIn("throttled", retry_after=locked_until)
        else:
            editor = find_editor(session=tx.session, name=name) if name else None
            verified = _verify(editor.password_hash if editor else dummy, password)
            if editor is None:
                result = SignIn("unknown_name")
            elif not verified:
                result = SignIn("wrong_password")
            elif not editor.active:
                result = SignIn("disabled")
            else:
                result = SignIn("success", editor=editor.name)
                if _hasher.check_needs_rehash(editor.password_hash):
                    editor.password_hash = _hasher.hash(password)
                    tx.session.add(editor)
        attempt.outcome = result.outcome
        tx.session.add(attempt)
        return result

    return run_write(session=session, by=name, via="form", write=check, check_editor=False)


def _locked_until(failures: list[datetime], moment: datetime) -> datetime | None:
    """Return when a lock-out ends: 15 minutes after the failure that made 5 within 15 minutes."""
    until = None
    for index in range(MAX_FAILURES - 1, len(failures)):
        if failures[index] - failures[index - MAX_FAILURES + 1] <= THROTTLE_WINDOW:
            end = failures[index] + THROTTLE_WINDOW
            if end > moment:
                until = end if until is None else max(until, end)
    return until


def _field(field: str, check: Callable[[Any], str], value: Any) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise InvalidInput.single(field, str(exc)) from None


def _verify(password_hash: str, password: str) -> bool:
    if len((password or "").encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        return False  # no account has one so long; hashing megabytes per guess costs the server
    try:
        return bool(_hasher.verify(password_hash, password or ""))
    except (VerificationError, InvalidHashError):
        return False


def _public(editor: Editor) -> EditorPublic:
    return EditorPublic.model_validate(editor, from_attributes=True)
