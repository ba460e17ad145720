"""Claims: figures someone published, each with the readings its words allow."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationInfo, field_validator, model_validator
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from shipments.models.columns import UTCDateTime
from shipments.models.shipments import SourceCreate, SourcePublic
from shipments.rules import (
    BASES,
    MAX_CLAIM_VALUE,
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    METRICS,
    QUALIFIERS,
    SCOPES,
    clean_choice,
    clean_name,
    clean_note,
    parse_calendar_date,
    parse_number,
    sql_in,
)


class ClaimReadingBase(SQLModel):
    """One way to read a claim's scope: which shipments its figure is about."""

    scope: str = Field(max_length=16)
    start: date | None = None
    end: date
    inclusive: bool = True
    donor: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    recipient: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    cargo: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    # Which record of a linked consignment counts (sent or received); None: the claim's wording.
    basis: str | None = Field(default=None, max_length=16)

    def describe(self) -> str:
        """Say in words which shipments this reading counts."""
        if self.scope == "cumulative":
            words = f"cumulative {'to' if self.inclusive else 'before'} {self.end.isoformat()}"
            words += " (inclusive)" if self.inclusive else ""
        elif self.scope == "single":
            words = f"delivery on {self.end.isoformat()}"
        else:
            start = self.start.isoformat() if self.start else "?"
            words = f"period {start} to {self.end.isoformat()}"
        filters = [
            f"{name} {value}"
            for name, value in (
                ("donor", self.donor),
                ("recipient", self.recipient),
                ("cargo", self.cargo),
            )
            if value
        ]
        if self.basis:
            filters.append(f"consignments by their {self.basis} record")
        return f"{words}, {', '.join(filters)}" if filters else words


class ClaimReadingCreate(ClaimReadingBase):
    """A reading as given at any input, checked."""

    @field_validator("scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> str:
        return clean_choice(value, SCOPES)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> date | None:
        if value is None:
            return None
        return parse_calendar_date(value)

    @field_validator("donor", "recipient", "cargo", mode="before")
    @classmethod
    def _filters(cls, value: Any) -> str | None:
        return clean_name(value, required=False)

    @field_validator("basis", mode="before")
    @classmethod
    def _basis(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return clean_choice(value, BASES)

    @model_validator(mode="after")
    def _shape(self) -> ClaimReadingCreate:
        if self.scope != "cumulative" and not self.inclusive:
            raise ValueError("only a cumulative reading can exclude its end date")
        if self.scope == "period":
            if self.start is None:
                raise ValueError("a period needs a start date")
            if self.start > self.end:
                raise ValueError(
                    f"period start {self.start.isoformat()} is after its end {self.end.isoformat()}"
                )
        elif self.scope == "single":
            self.start = self.end
            self.inclusive = True
        else:
            self.start = None
        return self


class ClaimBase(SQLModel):
    claimant: str = Field(max_length=MAX_NAME_LENGTH)
    stated_on: date | None = None
    quote: str = Field(max_length=MAX_NOTE_LENGTH)
    metric: str = Field(max_length=16)
    value: str = Field(max_length=32)
    qualifier: str = Field(max_length=16)
    tolerance_pct: Decimal | None = Field(default=None, max_digits=6, decimal_places=2)
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)

    @property
    def unit(self) -> str:
        """Return the unit its figure is shown in: "t" or "deliveries"."""
        return "t" if self.metric == "tonnes" else "deliveries"

    @property
    def amount(self) -> Decimal:
        """Return the claimed figure as a number, keeping the digits as stated."""
        return Decimal(self.value)


class ClaimCreate(ClaimBase):
    """A reported figure as given at any input: its source and at least one reading."""

    source: SourceCreate
    readings: list[ClaimReadingCreate]

    @field_validator("claimant", mode="before")
    @classmethod
    def _claimant(cls, value: Any) -> str | None:
        return clean_name(value)

    @field_validator("stated_on", mode="before")
    @classmethod
    def _stated_on(cls, value: Any) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_calendar_date(value)

    @field_validator("quote", mode="before")
    @classmethod
    def _quote(cls, value: Any) -> str:
        text = clean_note(value)
        if text is None:
            raise ValueError("the verbatim quote is required")
        return text

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: Any) -> str | None:
        return clean_note(value)

    @field_validator("metric", mode="before")
    @classmethod
    def _metric(cls, value: Any) -> str:
        return clean_choice(value, METRICS, rule="must be tonnes or deliveries")

    @field_validator("qualifier", mode="before")
    @classmethod
    def _qualifier(cls, value: Any) -> str:
        return clean_choice(
            value, QUALIFIERS, fold=lambda t: t.strip().lower().replace("-", "_").replace(" ", "_")
        )

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any, info: ValidationInfo) -> str:
        number = parse_number(value, what="a plain positive number")
        if number <= 0:
            raise ValueError(f"must be greater than 0 (got {value})")
        if number > MAX_CLAIM_VALUE:
            raise ValueError(f"must be at most {MAX_CLAIM_VALUE:,} (got {value})")
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent < -3:
            raise ValueError(f"must have at most 3 decimals (got {value})")
        if info.data.get("metric") == "deliveries" and number != number.to_integral_value():
            raise ValueError(f"a number of deliveries must be a whole number (got {value})")
        return str(number)

    @field_validator("tolerance_pct", mode="before")
    @classmethod
    def _tolerance(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = parse_number(value, what="a percentage")
        if number <= 0 or number > 100:
            raise ValueError(f"must be more than 0 and at most 100 (got {value})")
        if number != number.quantize(Decimal("0.01")):
            raise ValueError(f"must have at most 2 decimals (got {value})")
        if info.data.get("qualifier") != "approximately":
            raise ValueError("applies only to the qualifier 'approximately'")
        return number

    @field_validator("readings", mode="after")
    @classmethod
    def _readings(cls, value: list[ClaimReadingCreate]) -> list[ClaimReadingCreate]:
        if not value:
            raise ValueError("at least one reading of the claim's scope is required")
        return value


class Claim(ClaimBase, table=True):
    """A figure someone published, recorded with its source; checked against the ledger."""

    __table_args__ = (
        CheckConstraint(sql_in("metric", METRICS), name="ck_claim_metric"),
        CheckConstraint(sql_in("qualifier", QUALIFIERS), name="ck_claim_qualifier"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    recorded_by: str = Field(max_length=MAX_NAME_LENGTH)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class ClaimReading(ClaimReadingBase, table=True):
    """One reading of a claim, stored in the order it was given."""

    __tablename__ = "claim_reading"
    __table_args__ = (
        UniqueConstraint("claim_id", "position", name="uq_claim_reading_position"),
        CheckConstraint(sql_in("scope", SCOPES), name="ck_reading_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    position: int


class ClaimReadingPublic(ClaimReadingBase):
    id: int
    position: int


class ClaimPublic(ClaimBase):
    id: int
    source: SourcePublic
    readings: list[ClaimReadingPublic]
    recorded_by: str
    recorded_at: datetime
