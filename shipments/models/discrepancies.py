"""Discrepancies: a claim the ledger does not bear out, worked to an end.

Each change of a claim's discrepancy is a new ``DiscrepancyEvent`` row (append-only, like
shipments): opened (or reopened) by the ledger, explained or resolved by an editor. The latest
event of a claim is its discrepancy's state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from shipments.models.columns import UTCDateTime
from shipments.rules import (
    DISCREPANCY_STATES,
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    clean_choice,
    clean_note,
    sql_in,
)

STATES = DISCREPANCY_STATES
OPEN, EXPLAINED, RESOLVED = STATES
# What an explanation may point at: a shipment (its correction), another claim, a source.
LINK_KINDS = ("shipment", "claim", "source")


class DiscrepancyExplanation(BaseModel):
    """An editor's explanation of a discrepancy, as given at any input, checked."""

    model_config = ConfigDict(validate_default=True)

    reason: str
    link_kind: str | None = None
    link_id: int | None = None

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str:
        text = clean_note(value)
        if text is None:
            raise ValueError("say why the claim and the ledger differ")
        return text

    @field_validator("link_kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return clean_choice(value, LINK_KINDS, rule="must be shipment, claim or source")

    @field_validator("link_id", mode="before")
    @classmethod
    def _link_number(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not (text.isascii() and text.isdigit()) or len(text) > 10:
                raise ValueError(f"must be a positive whole number (got {value!r})")
            return int(text)
        return value

    @field_validator("link_id", mode="after")
    @classmethod
    def _link(cls, value: int | None, info: ValidationInfo) -> int | None:
        if "link_kind" not in info.data:
            return value  # link_kind was refused already: one problem is enough
        kind = info.data["link_kind"]
        if value is None and kind is not None:
            raise ValueError(f"a link to a {kind} needs its id")
        if value is not None and kind is None:
            raise ValueError("a link needs what it points at: a shipment, a claim or a source")
        if value is not None and value < 1:
            raise ValueError(f"must be a positive whole number (got {value})")
        return value


class DiscrepancyEvent(SQLModel, table=True):
    """One change of a claim's discrepancy: what state, who, when, and the figures then."""

    __tablename__ = "discrepancy_event"
    __table_args__ = (
        UniqueConstraint("claim_id", "seq", name="uq_discrepancy_event_seq"),
        CheckConstraint(sql_in("state", STATES), name="ck_discrepancy_state"),
        CheckConstraint(
            "link_kind IS NULL OR " + sql_in("link_kind", LINK_KINDS), name="ck_discrepancy_link"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    seq: int
    state: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=MAX_NAME_LENGTH)
    verdict: str = Field(max_length=16)
    reading_id: int | None = Field(default=None, foreign_key="claim_reading.id")
    ledger_value: str | None = Field(default=None, max_length=40)
    difference: str | None = Field(default=None, max_length=40)
    difference_pct: str | None = Field(default=None, max_length=40)
    ledger_version: int
    reason: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)
    link_kind: str | None = Field(default=None, max_length=16)
    link_id: int | None = None
