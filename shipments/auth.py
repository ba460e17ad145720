"""Editor accounts, password hashing and sign-in with throttling (no streamlit).

Passwords are hashed with argon2id. Failed sign-ins are counted per (name, client address) and
per client address, and each failure beyond a few free ones doubles the wait before that caller's
next attempt is checked: a stranger guessing from elsewhere delays only themselves, never the
editor at their own address. Checked attempts are logged one row each; attempts refused for
coming too soon are only counted.
"""

from __future__ import annotations

import hashlib
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
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shipments.errors import InvalidInput, NotFound
from shipments.models import Editor, EditorPublic, SignInEvent, SignInThrottle
from shipments.models.accounts import MAX_ADDRESS_LENGTH
from shipments.rules import (
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARACTERS,
    MIN_PASSWORD_LENGTH,
    clean_actor,
    utcnow,
)
from shipments.sessions import revoke_editor_sessions
from shipments.transaction import RESERVED_ACTORS, Transaction, run_write

COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# Failures a (name, address) and an address make at no cost; each further one doubles the wait.
FREE_FAILURES = 3
FREE_ADDRESS_FAILURES = 10
MAX_DELAY = timedelta(minutes=15)
# A count whose last failure is older than this starts over.
THROTTLE_WINDOW = timedelta(minutes=15)
UNKNOWN_ADDRESS = "unknown"
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
    if clean.casefold() in RESERVED_ACTORS:
        reserved = clean.casefold()
        raise InvalidInput.single("name", f"{reserved!r} is reserved: the ledger writes as it")
    address = _email(email)
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


def _email(email: str | None) -> str | None:
    """Return an e-mail address as kept (trimmed, lower case), None for none, or refuse it."""
    address = (email or "").strip().lower() or None
    if address is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise InvalidInput.single("email", f"must be an e-mail address (got {email!r})")
    return address


def set_editor_email(*, session: Session, name: str, email: str, by: str) -> EditorPublic:
    """Give an editor account its e-mail address (the one single sign-on maps to it)."""
    clean = _field("name", clean_actor, name)
    address = _email(email)
    if address is None:
        raise InvalidInput.single("email", "must be an e-mail address (got nothing)")

    def write(tx: Transaction) -> EditorPublic:
        editor = find_editor(session=tx.session, name=clean)
        if editor is None:
            raise NotFound(f"no editor named {name!r}")
        editor.email = address
        tx.session.add(editor)
        try:
            tx.session.flush()
        except IntegrityError:
            raise InvalidInput.single(
                "email", "is already used by another editor account"
            ) from None
        tx.record("editor.email", f"editor {editor.name}", address)
        return _public(editor)

    creator = _field("by", clean_actor, by)
    return run_write(session=session, by=creator, via="cli", write=write, check_editor=False)


def disable_editor(*, session: Session, name: str, by: str) -> EditorPublic:
    """Mark an editor inactive and end all their sessions: they can no longer sign in or write."""
    clean = _field("name", clean_actor, name)

    def write(tx: Transaction) -> EditorPublic:
        editor = find_editor(session=tx.session, name=clean)
        if editor is None:
            raise NotFound(f"no editor named {name!r}")
        editor.active = False
        tx.session.add(editor)
        assert editor.id is not None
        revoke_editor_sessions(session=tx.session, editor_id=editor.id, at=tx.at)
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
    *,
    session: Session,
    name: str,
    password: str,
    address: str = UNKNOWN_ADDRESS,
    now: datetime | None = None,
) -> SignIn:
    """Check a name and password from a client address, delaying repeated failures.

    Failures are counted per (name, address) and per address (``SignInThrottle``); each failure
    beyond the free ones doubles the wait before the next attempt is checked (``delay``). An
    attempt made too soon is refused unchecked and only counted, not logged as a row of its
    own; a checked one is logged in ``SignInEvent``. The attempt counts as a failure before the
    password is checked, so attempts made at the same moment count against each other.
    """
    moment = now or utcnow()
    dummy = _dummy_hash()  # before the first attempt is timed, whatever name it gives
    try:
        name = clean_actor(name)
    except ValueError:
        name = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(name or ""))[:200]
    where = (address or UNKNOWN_ADDRESS)[:MAX_ADDRESS_LENGTH]

    def admit(tx: Transaction) -> datetime | None:
        return _admit(tx.session, name, where, moment)

    # Two transactions: the attempt is counted before the password is checked, and the hash is
    # computed between them, holding no write lock.
    retry_after = run_write(session=session, by=name, via="form", write=admit, check_editor=False)
    if retry_after is not None:
        return SignIn("throttled", retry_after=retry_after)
    editor = find_editor(session=session, name=name) if name else None
    verified = _verify(editor.password_hash if editor else dummy, password)
    session.rollback()

    def settle(tx: Transaction) -> SignIn:
        account = find_editor(session=tx.session, name=name) if name else None
        if account is None:
            result = SignIn("unknown_name")
        elif not verified:
            result = SignIn("wrong_password")
        elif not account.active:
            result = SignIn("disabled")
        else:
            result = SignIn("success", editor=account.name)
            if _hasher.check_needs_rehash(account.password_hash):
                account.password_hash = _hasher.hash(password)
                tx.session.add(account)
            counter = _counter(tx.session, name, where)
            if counter is not None:  # the right password clears this caller's count for the name
                counter.failures = 0
                tx.session.add(counter)
        tx.session.add(SignInEvent(at=moment, name=name, outcome=result.outcome, address=where))
        return result

    return run_write(session=session, by=name, via="form", write=settle, check_editor=False)


def delay(failures: int, free: int) -> timedelta:
    """Return the wait after ``failures`` failures, the first ``free`` of which cost none: 1 s
    after the next, doubling with each, at most ``MAX_DELAY``."""
    if failures <= free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free - 1, 20)), MAX_DELAY)


def _admit(db: Session, name: str, address: str, moment: datetime) -> datetime | None:
    """Count an attempt as a failure and return None, or return when one will be checked."""
    if db.get_bind().dialect.name == "postgresql":
        # Attempts from one address take turns, also before its first counter row exists (a
        # row lock cannot serialise what is not there yet); the lock ends with the transaction.
        key = int.from_bytes(hashlib.sha256(address.encode()).digest()[:8], "big", signed=True)
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    recent = list(
        db.exec(
            select(SignInThrottle)
            .where(
                col(SignInThrottle.address) == address,
                col(SignInThrottle.last_at) > moment - THROTTLE_WINDOW,
            )
            .order_by(col(SignInThrottle.last_at).desc())
            .with_for_update()
        )
    )
    mine = next((row for row in recent if row.name == name), None)
    waits = [] if mine is None else [mine.last_at + delay(mine.failures, FREE_FAILURES)]
    if recent:
        total = sum(row.failures for row in recent)
        waits.append(recent[0].last_at + delay(total, FREE_ADDRESS_FAILURES))
    retry_after = max(waits, default=None)
    if retry_after is not None and retry_after > moment:
        counted = mine or recent[0]
        counted.throttled += 1
        db.add(counted)
        return retry_after
    row = mine or _counter(db, name, address)
    if row is None:
        row = SignInThrottle(name=name, address=address, first_at=moment, last_at=moment)
    elif mine is None:  # the count is older than the window: it starts over
        row.failures, row.throttled, row.first_at = 0, 0, moment
    row.failures += 1
    row.last_at = moment
    db.add(row)
    return None


def _counter(db: Session, name: str, address: str) -> SignInThrottle | None:
    return db.exec(
        select(SignInThrottle).where(
            col(SignInThrottle.name) == name, col(SignInThrottle.address) == address
        )
    ).first()


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
