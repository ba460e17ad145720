"""Consignments: a sent record and a received record of the same cargo, counted once.

Each link or unlink is a new ``ConsignmentLink`` row (append-only, like shipments); the latest row
for a pair of records is whether they are linked. Both records stay in the ledger with their
sources; totals, charts and readings count the consignment once (``shipments.ledger.consignments``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_validator
from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from shipments.models.columns import UTCDateTime
from shipments.rules import (
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    clean_note,
    clean_shipment_id,
    sql_in,
)

LINK, UNLINK = "link", "unlink"
ACTIONS = (LINK, UNLINK)


class ConsignmentLink(SQLModel, table=True):
    """One link (or unlink) of a sent and a received record; rows are only ever inserted."""

    __tablename__ = "consignment_link"
    __table_args__ = (
        CheckConstraint(sql_in("action", ACTIONS), name="ck_consignment_action"),
        CheckConstraint("sent_id <> received_id", name="ck_consignment_two_records"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sent_id: int = Field(foreign_key="shipment.id", index=True)
    received_id: int = Field(foreign_key="shipment.id", index=True)
    action: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)
    recorded_by: str = Field(max_length=MAX_NAME_LENGTH)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class ConsignmentCreate(BaseModel):
    """Two records to join as one consignment, as given at any input, checked.

    Which is which comes from the records themselves (their ``date_means``); the order given
    does not matter.
    """

    first_id: int
    second_id: int
    reason: str | None = None

    @field_validator("first_id", "second_id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> int | None:
        return clean_shipment_id(value, required=True)

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str | None:
        return clean_note(value)


class ConsignmentPublic(BaseModel):
    """Two records standing as one consignment, and who linked them when."""

    sent_id: int
    received_id: int
    reason: str | None
    recorded_by: str
    recorded_at: datetime
