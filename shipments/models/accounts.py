"""Accounts and what they leave behind: editors, their sessions, sign-in attempts and throttles,
the audit trail, submitted forms and imported files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shipments.models.columns import UTCDateTime
from shipments.rules import MAX_NAME_LENGTH

# An IPv6 address with a zone, or a proxy's hostname, fits in this.
MAX_ADDRESS_LENGTH = 255


class Editor(SQLModel, table=True):
    """An account that may change the ledger; the password is stored as an argon2 hash."""

    __table_args__ = (
        UniqueConstraint("name", name="uq_editor_name"),
        UniqueConstraint("email", name="uq_editor_email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    email: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    password_hash: str = Field(max_length=512)
    active: bool = True
    created_by: str = Field(max_length=MAX_NAME_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime)


class EditorPublic(SQLModel):
    id: int
    name: str
    email: str | None
    active: bool
    created_by: str
    created_at: datetime


class EditorSession(SQLModel, table=True):
    """One signed-in browser: the SHA-256 of its cookie's random token, never the token itself.

    Written to (``last_seen_at``, ``revoked_at``), unlike the history tables: it is not a record
    of the ledger but the state of who is signed in.
    """

    __tablename__ = "editor_session"
    __table_args__ = (
        UniqueConstraint("token_sha256", name="uq_editor_session_token_sha256"),
        Index("ix_editor_session_editor_id", "editor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64)
    editor_id: int = Field(foreign_key="editor.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    address: str | None = Field(default=None, max_length=MAX_ADDRESS_LENGTH)


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins of one name from one client address, counted in one row, not one each.

    ``failures`` counts the attempts that were checked and failed since ``first_at``;
    ``throttled`` counts the attempts refused unchecked because they came too soon after.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (
        UniqueConstraint("name", "address", name="uq_sign_in_throttle_name_address"),
        Index("ix_sign_in_throttle_address", "address"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    address: str = Field(max_length=MAX_ADDRESS_LENGTH)
    failures: int = 0
    throttled: int = 0
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)


class SignInEvent(SQLModel, table=True):
    """One attempt to sign in that was checked, whatever its outcome (a throttled one is counted
    in ``SignInThrottle`` instead)."""

    __tablename__ = "sign_in_event"
    __table_args__ = (Index("ix_sign_in_event_name_at", "name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    outcome: str = Field(max_length=32)
    address: str | None = Field(default=None, max_length=MAX_ADDRESS_LENGTH)


# A DNS name is at most 253 characters; an operating-system account name is shorter still.
MAX_HOST_LENGTH = 255


class AuditEvent(SQLModel, table=True):
    """One write to the ledger: who, when, from which path, what.

    A write made through the command line also records the operating-system user and the host
    it ran as (``os_user``, ``host``): ``actor`` there is only the name given with ``--by``. The
    dashboard's writes leave both empty, its proof of who writes being the editor's sign-in.
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=MAX_NAME_LENGTH)
    via: str = Field(max_length=16)
    action: str = Field(max_length=32)
    subject: str = Field(max_length=300)
    detail: str | None = Field(default=None, sa_type=Text)
    os_user: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    host: str | None = Field(default=None, max_length=MAX_HOST_LENGTH)


class FormSubmission(SQLModel, table=True):
    """The idempotency key of a submitted form and what it created, so a resubmit adds nothing."""

    __tablename__ = "form_submission"

    key: str = Field(primary_key=True, max_length=64)
    subject: str = Field(max_length=300)
    at: datetime = Field(sa_type=UTCDateTime)


class ImportBatch(SQLModel, table=True):
    """One imported file: its name, its SHA-256 (a file is imported once) and what came of it."""

    __tablename__ = "import_batch"
    __table_args__ = (UniqueConstraint("sha256", name="uq_import_batch_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    rows_added: int
    rows_refused: int
    recorded_by: str = Field(max_length=MAX_NAME_LENGTH)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
