"""SQLModel tables and their Create / Public variants.

A shipment is never updated in place. ``Shipment`` only allocates a stable id; every version of
its facts is a ``ShipmentRevision`` row (revision 1 is the append, later ones are corrections or
the retraction). Validation lives on the ``*Create`` models so that the CLI, the form and the
importer refuse the same input with the same words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, Inexact, localcontext
from typing import Any, Literal, TypeVar

from pydantic import ValidationError, ValidationInfo, field_validator, model_validator
from sqlalchemy import CheckConstraint, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from shipments.errors import InvalidInput, Problem

KG_PER_TONNE = 1000
MAX_TONNES = Decimal(100_000)
MAX_NAME_LENGTH = 200
MAX_NOTE_LENGTH = 2000
MAX_URL_LENGTH = 2000
EARLIEST_DATE = date(1900, 1, 1)

DATE_MEANINGS = ("sent", "received")
SOURCE_KINDS = ("press", "official_statement", "social_post", "report", "other")
ACTIONS = ("append", "correct", "retract")

DateMeaning = Literal["sent", "received"]
SourceKind = Literal["press", "official_statement", "social_post", "report", "other"]

M = TypeVar("M", bound=SQLModel)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC on every backend; hand back aware UTC datetimes."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def parse_number(value: Any, *, what: str = "a number") -> Decimal:
    """Read a number written plainly in ASCII (64, 64.5, -3), or an int, float or Decimal.

    Exponents, digit separators, other scripts' digits, NaN and infinity are refused, so that
    every input path reads the same text as the same number.
    """
    if isinstance(value, bool):
        raise ValueError(f"must be {what}")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("must be a finite number (not NaN or infinity)")
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite number (not NaN or infinity)")
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be {what}")
    text = value.strip()
    if not text:
        raise ValueError("is required")
    if text.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
        raise ValueError("must be a finite number (not NaN or infinity)")
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"must be {what} written like 64 or 64.5 (got {value!r})")
    return Decimal(text)


def tonnes_to_kg(value: Any) -> int:
    """Convert a tonnage (str, int, float or Decimal) to whole kilograms, enforcing the rules."""
    number = parse_number(value, what="a number of tonnes")
    if number <= 0:
        raise ValueError(f"must be greater than 0 (got {value})")
    if number > MAX_TONNES:
        raise ValueError(f"must be at most {MAX_TONNES:,} t per shipment (got {value})")
    try:
        with localcontext() as exact:
            exact.traps[Inexact] = True
            kg = number * KG_PER_TONNE
    except Inexact:
        raise ValueError(f"must have at most 3 decimals in tonnes (got {value})") from None
    if kg != kg.to_integral_value():
        raise ValueError(f"must have at most 3 decimals in tonnes (got {value})")
    return int(kg)


def format_tonnes(mass_kg: int) -> str:
    """Format kilograms as tonnes with exactly three decimals, e.g. 65000 -> '65.000'."""
    return f"{Decimal(mass_kg) / KG_PER_TONNE:.3f}"


def _clean_name(value: Any, *, required: bool = True, limit: int = MAX_NAME_LENGTH) -> str | None:
    if value is None:
        if required:
            raise ValueError("is required")
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if not text:
        if required:
            raise ValueError("must not be empty")
        return None
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters (got {len(text)})")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError("must not contain control characters")
    _refuse_undecodable(text)
    return text


def _refuse_undecodable(text: str) -> None:
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise ValueError("must be valid text (it holds bytes that are not UTF-8)")


def _clean_note(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"must be at most {MAX_NOTE_LENGTH} characters (got {len(text)})")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ValueError("must not contain control characters other than newline and tab")
    _refuse_undecodable(text)
    return text


def clean_reason(value: Any) -> str:
    """Return a required free-text reason, trimmed, or refuse it with the rule it breaks."""
    text = _clean_note(value)
    if text is None:
        raise ValueError("a reason is required")
    return text


def clean_actor(value: Any) -> str:
    """Return the name of whoever records a change, NFKC-normalised and trimmed, or refuse it.

    Invisible formatting characters (zero-width, direction marks) are refused, so that two
    accounts never look alike in the audit trail.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("who records the change is required")
    text = _clean_name(unicodedata.normalize("NFKC", value) if isinstance(value, str) else value)
    assert text is not None
    if any(unicodedata.category(ch) == "Cf" for ch in text):
        raise ValueError("must not contain invisible formatting characters")
    return text


def parse_calendar_date(value: Any, *, allow_future: bool = False) -> date:
    """Parse an ISO date (YYYY-MM-DD) that is a real calendar date from 1900 to today."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("is required")
    if isinstance(value, datetime):
        raise ValueError("must be a date without a time (YYYY-MM-DD)")
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"must be a date written YYYY-MM-DD (got {value!r})")
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"must be a real calendar date (got {value!r})") from None
    else:
        raise ValueError("must be a date written YYYY-MM-DD")
    if parsed < EARLIEST_DATE:
        raise ValueError(f"must not be before 1900-01-01 (got {parsed.isoformat()})")
    if not allow_future and parsed > utcnow().date():
        raise ValueError(f"must not be in the future (got {parsed.isoformat()})")
    return parsed


def parse_moment(text: str) -> datetime:
    """Parse an ISO 8601 moment to aware UTC; a moment without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f"must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z (got {text!r})"
        ) from None


def _check_url(value: Any) -> str:
    text = _clean_name(value, limit=MAX_URL_LENGTH)
    assert text is not None
    if not re.fullmatch(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", text, flags=re.IGNORECASE):
        raise ValueError(f"must be an http:// or https:// address (got {text!r})")
    return text


class SourceBase(SQLModel):
    publisher: str = Field(max_length=MAX_NAME_LENGTH)
    title: str = Field(max_length=MAX_NOTE_LENGTH)
    url: str = Field(max_length=MAX_URL_LENGTH)
    published_date: date | None = None
    kind: str = Field(default="press", max_length=32)


class SourceCreate(SourceBase):
    """A source as given by a user: validated, trimmed."""

    @field_validator("publisher", mode="before")
    @classmethod
    def _publisher(cls, value: Any) -> str | None:
        return _clean_name(value)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str | None:
        return _clean_name(value, limit=MAX_NOTE_LENGTH)

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str:
        return _check_url(value)

    @field_validator("published_date", mode="before")
    @classmethod
    def _published(cls, value: Any) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_calendar_date(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        text = (value or "press").strip() if isinstance(value, str) else value
        if text not in SOURCE_KINDS:
            raise ValueError(f"must be one of {', '.join(SOURCE_KINDS)} (got {value!r})")
        return str(text)


class Source(SourceBase, table=True):
    __table_args__ = (UniqueConstraint("url", name="uq_source_url"),)

    id: int | None = Field(default=None, primary_key=True)
    recorded_by: str = Field(max_length=MAX_NAME_LENGTH)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class SourcePublic(SourceBase):
    id: int


class ShipmentFields(SQLModel):
    """The facts of a shipment that every revision records."""

    event_date: date
    date_means: str = Field(max_length=16)
    donor: str = Field(max_length=MAX_NAME_LENGTH)
    recipient: str = Field(max_length=MAX_NAME_LENGTH)
    cargo: str = Field(max_length=MAX_NAME_LENGTH)
    cargo_description: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)


def _check_date_means(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in DATE_MEANINGS:
        raise ValueError(f"must be 'sent' or 'received' (got {value!r})")
    return str(text)


class ShipmentCreate(ShipmentFields):
    """A new shipment as given at any input: tonnes, not kilograms, and at least one source."""

    tonnes: Decimal
    sources: list[SourceCreate]

    @field_validator("event_date", mode="before")
    @classmethod
    def _event_date(cls, value: Any) -> date:
        return parse_calendar_date(value)

    @field_validator("date_means", mode="before")
    @classmethod
    def _date_means(cls, value: Any) -> str:
        return _check_date_means(value)

    @field_validator("donor", "recipient", "cargo", mode="before")
    @classmethod
    def _names(cls, value: Any) -> str | None:
        return _clean_name(value)

    @field_validator("cargo_description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str | None:
        return _clean_name(value, required=False, limit=MAX_NOTE_LENGTH)

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: Any) -> str | None:
        return _clean_note(value)

    @field_validator("tonnes", mode="before")
    @classmethod
    def _tonnes(cls, value: Any) -> Decimal:
        return Decimal(tonnes_to_kg(value)) / KG_PER_TONNE

    @field_validator("sources", mode="after")
    @classmethod
    def _sources(cls, value: list[SourceCreate]) -> list[SourceCreate]:
        if not value:
            raise ValueError("at least one source is required")
        return value

    @property
    def mass_kg(self) -> int:
        """Return the mass in whole kilograms."""
        return tonnes_to_kg(self.tonnes)


class ShipmentCorrection(SQLModel):
    """What a correction changes: any subset of the facts, and a required reason.

    The values are checked once merged with the revision they correct, by ``ShipmentCreate``,
    so a correction obeys exactly the rules of an append.
    """

    reason: str
    event_date: Any = None
    date_means: Any = None
    donor: Any = None
    recipient: Any = None
    cargo: Any = None
    cargo_description: Any = None
    note: Any = None
    tonnes: Any = None
    add_sources: list[SourceCreate] = []

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str:
        return clean_reason(value)

    @model_validator(mode="after")
    def _changes_something(self) -> ShipmentCorrection:
        if not self.changes() and not self.add_sources:
            raise ValueError("a correction must change at least one field or add a source")
        return self

    def changes(self) -> dict[str, Any]:
        """Return the fields this correction sets, by name."""
        names = (*ShipmentFields.model_fields, "tonnes")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


class Shipment(SQLModel, table=True):
    """The stable identity of a shipment; its facts live in its revisions.

    An imported shipment also records the batch (file and its SHA-256) and the file line.
    """

    id: int | None = Field(default=None, primary_key=True)
    created_by: str = Field(max_length=MAX_NAME_LENGTH)
    created_at: datetime = Field(sa_type=UTCDateTime)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    import_line: int | None = None


class ShipmentRevision(ShipmentFields, table=True):
    """One recorded version of a shipment; rows are only ever inserted."""

    __tablename__ = "shipment_revision"
    __table_args__ = (
        UniqueConstraint("shipment_id", "revision", name="uq_revision_shipment_revision"),
        CheckConstraint("mass_kg > 0 AND mass_kg <= 100000000", name="ck_revision_mass_kg"),
        CheckConstraint("date_means IN ('sent', 'received')", name="ck_revision_date_means"),
        CheckConstraint("action IN ('append', 'correct', 'retract')", name="ck_revision_action"),
        Index("ix_shipment_revision_event_date", "event_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    revision: int
    action: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)
    mass_kg: int
    recorded_by: str = Field(max_length=MAX_NAME_LENGTH)
    recorded_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RevisionSourceLink(SQLModel, table=True):
    """Which sources support which revision."""

    __tablename__ = "revision_source"

    revision_id: int = Field(foreign_key="shipment_revision.id", primary_key=True)
    source_id: int = Field(foreign_key="source.id", primary_key=True, index=True)


class SeedMarker(SQLModel, table=True):
    """One row per seed set that has been loaded, so a second start adds nothing."""

    __tablename__ = "ledger_seed"

    name: str = Field(primary_key=True, max_length=64)
    applied_at: datetime = Field(sa_type=UTCDateTime)


class ShipmentPublic(ShipmentFields):
    """A shipment as it stands (now or at a moment): its latest non-retracted revision."""

    id: int
    revision: int
    mass_kg: int
    recorded_by: str
    recorded_at: datetime
    sources: list[SourcePublic] = []

    @property
    def tonnes(self) -> Decimal:
        """Return the mass in tonnes, exact to the kilogram."""
        return Decimal(self.mass_kg) / KG_PER_TONNE


class RevisionPublic(ShipmentPublic):
    """One entry in a shipment's history."""

    action: str
    reason: str | None = None


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` as ``model``; raise InvalidInput naming each field and rule on failure."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(_problem(error) for error in exc.errors()) from None


def _problem(error: Mapping[str, Any]) -> Problem:
    field = ".".join(str(part) for part in error.get("loc", ())) or "record"
    message = str(error.get("msg", "is invalid"))
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif error.get("type") == "missing":
        message = "is required"
    return Problem(field, message)


METRICS = ("tonnes", "deliveries")
QUALIFIERS = ("exact", "approximately", "at_least", "at_most")
SCOPES = ("cumulative", "single", "period")
DEFAULT_TOLERANCE_PCT = Decimal(5)
MAX_CLAIM_VALUE = Decimal(1_000_000_000)


class ClaimReadingBase(SQLModel):
    """One way to read a claim's scope: which shipments its figure is about."""

    scope: str = Field(max_length=16)
    start: date | None = None
    end: date
    inclusive: bool = True
    donor: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    recipient: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    cargo: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)

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
        return f"{words}, {', '.join(filters)}" if filters else words


class ClaimReadingCreate(ClaimReadingBase):
    """A reading as given at any input, checked."""

    @field_validator("scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> str:
        text = value.strip().lower() if isinstance(value, str) else value
        if text not in SCOPES:
            raise ValueError(f"must be one of {', '.join(SCOPES)} (got {value!r})")
        return str(text)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> date | None:
        if value is None:
            return None
        return parse_calendar_date(value)

    @field_validator("donor", "recipient", "cargo", mode="before")
    @classmethod
    def _filters(cls, value: Any) -> str | None:
        return _clean_name(value, required=False)

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


def parse_reading_spec(spec: str) -> dict[str, Any]:
    """Turn ``scope:dates[,name=value...]`` into reading fields.

    ``cumulative:2019-05-27`` counts up to and including the date, ``cumulative-before:2019-05-27``
    excludes it, ``single:2019-05-27`` is the deliveries of that day and
    ``period:2019-05-01:2019-05-31`` a range; ``,donor=China,recipient=Venezuela,cargo=medicine``
    filters any of them.
    """
    head, *filters = [part.strip() for part in spec.split(",")]
    scope, _, dates = head.partition(":")
    scope = scope.strip().lower()
    fields: dict[str, Any] = {}
    if scope == "cumulative-before":
        fields.update(scope="cumulative", inclusive=False, end=dates)
    elif scope == "period":
        start, _, end = dates.partition(":")
        fields.update(scope="period", start=start or None, end=end or None)
    else:
        fields.update(scope=scope, end=dates or None)
    for item in filters:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or name not in ("donor", "recipient", "cargo"):
            raise InvalidInput.single(
                "readings", f"filter {item!r} must be donor=, recipient= or cargo="
            )
        if not value:
            raise InvalidInput.single("readings", f"filter {name}= needs a value")
        if name in fields:
            raise InvalidInput.single("readings", f"filter {name}= is given twice in {spec!r}")
        fields[name] = value
    return fields


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
        return _clean_name(value)

    @field_validator("stated_on", mode="before")
    @classmethod
    def _stated_on(cls, value: Any) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_calendar_date(value)

    @field_validator("quote", mode="before")
    @classmethod
    def _quote(cls, value: Any) -> str:
        text = _clean_note(value)
        if text is None:
            raise ValueError("the verbatim quote is required")
        return text

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: Any) -> str | None:
        return _clean_note(value)

    @field_validator("metric", mode="before")
    @classmethod
    def _metric(cls, value: Any) -> str:
        text = value.strip().lower() if isinstance(value, str) else value
        if text not in METRICS:
            raise ValueError(f"must be tonnes or deliveries (got {value!r})")
        return str(text)

    @field_validator("qualifier", mode="before")
    @classmethod
    def _qualifier(cls, value: Any) -> str:
        text = (
            value.strip().lower().replace("-", "_").replace(" ", "_")
            if isinstance(value, str)
            else value
        )
        if text not in QUALIFIERS:
            raise ValueError(f"must be one of {', '.join(QUALIFIERS)} (got {value!r})")
        return str(text)

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
        CheckConstraint("metric IN ('tonnes', 'deliveries')", name="ck_claim_metric"),
        CheckConstraint(
            "qualifier IN ('exact', 'approximately', 'at_least', 'at_most')",
            name="ck_claim_qualifier",
        ),
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
        CheckConstraint("scope IN ('cumulative', 'single', 'period')", name="ck_reading_scope"),
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


VIAS = ("form", "cli", "import", "seed")
Via = Literal["form", "cli", "import", "seed"]
SIGN_IN_OUTCOMES = ("success", "wrong_password", "unknown_name", "disabled", "throttled")
MIN_PASSWORD_LENGTH = 12


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


class SignInEvent(SQLModel, table=True):
    """One attempt to sign in, whatever its outcome."""

    __tablename__ = "sign_in_event"
    __table_args__ = (Index("ix_sign_in_event_name_at", "name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    name: str = Field(max_length=MAX_NAME_LENGTH)
    outcome: str = Field(max_length=32)


class AuditEvent(SQLModel, table=True):
    """One write to the ledger: who, when, from which path, what."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=MAX_NAME_LENGTH)
    via: str = Field(max_length=16)
    action: str = Field(max_length=32)
    subject: str = Field(max_length=300)
    detail: str | None = Field(default=None, sa_type=Text)


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


class CurrentShipment(SQLModel, table=True):
    """Where each current shipment stands now: a projection kept in step with every write.

    Not a record of its own: it repeats facts of the shipment's latest revision (and is removed
    when the shipment is retracted), so that questions about the ledger as it stands now read one
    row per shipment instead of finding the latest of every revision. The ``*_key`` columns hold
    the names casefolded, for matching without regard to case on every backend.
    """

    __tablename__ = "current_shipment"
    __table_args__ = (
        # Covering indexes (mass_kg included): totals and daily series read the index alone.
        Index("ix_current_shipment_event_date", "event_date", "mass_kg"),
        Index("ix_current_shipment_donor", "donor", "event_date", "mass_kg"),
        Index("ix_current_shipment_recipient", "recipient", "event_date", "mass_kg"),
        Index("ix_current_shipment_cargo", "cargo", "event_date", "mass_kg"),
        Index("ix_current_shipment_keys", "donor_key", "recipient_key", "event_date", "mass_kg"),
    )

    shipment_id: int = Field(primary_key=True, foreign_key="shipment.id")
    revision_id: int = Field(foreign_key="shipment_revision.id")
    event_date: date
    donor: str = Field(max_length=MAX_NAME_LENGTH)
    recipient: str = Field(max_length=MAX_NAME_LENGTH)
    cargo: str = Field(max_length=MAX_NAME_LENGTH)
    mass_kg: int
    # Casefolding can lengthen a name ("ß" -> "ss", "ﬃ" -> "ffi"): room for three times as long.
    donor_key: str = Field(max_length=3 * MAX_NAME_LENGTH)
    recipient_key: str = Field(max_length=3 * MAX_NAME_LENGTH)
    cargo_key: str = Field(max_length=3 * MAX_NAME_LENGTH)
    # The revision's source ids, ascending, separated by spaces: the export lists a million
    # shipments' sources without a lookup each.
    source_ids: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})

    @classmethod
    def of(cls, revision: Any, source_ids: Iterable[int]) -> dict[str, Any]:
        """Return the projection's row for a revision (or any object with its facts and ids)
        and the ids of the sources linked to it."""
        return {
            "source_ids": " ".join(str(i) for i in sorted(set(source_ids))),
            "shipment_id": revision.shipment_id,
            "revision_id": revision.id,
            "event_date": revision.event_date,
            "donor": revision.donor,
            "recipient": revision.recipient,
            "cargo": revision.cargo,
            "mass_kg": revision.mass_kg,
            "donor_key": revision.donor.casefold(),
            "recipient_key": revision.recipient.casefold(),
            "cargo_key": revision.cargo.casefold(),
        }
