"""Shipments and their sources: the stable id, its revisions, and the current projection.

A shipment is never updated in place. ``Shipment`` only allocates a stable id; every version of
its facts is a ``ShipmentRevision`` row (revision 1 is the append, later ones are corrections or
the retraction), which is written once more only to say when the next one superseded it.
Validation lives on the ``*Create`` models so that the CLI, the form and the importer refuse the
same input with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import AliasChoices, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shipments.models.columns import UTCDateTime
from shipments.rules import (
    DATE_MEANINGS,
    MAX_MASS_KG,
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_URL_LENGTH,
    REVISION_ACTIONS,
    SOURCE_KINDS,
    clean_choice,
    clean_date_means,
    clean_name,
    clean_note,
    clean_reason,
    clean_shipment_id,
    clean_url,
    parse_calendar_date,
    sql_in,
)
from shipments.units import check_tonnes, kg_to_tonnes, tonnes_to_kg


class SourceBase(SQLModel):
    publisher: str = Field(max_length=MAX_NAME_LENGTH)
    title: str = Field(max_length=MAX_NOTE_LENGTH)
    url: str = Field(max_length=MAX_URL_LENGTH)
    published_date: date | None = None
    kind: str = Field(default="press", max_length=32)


class SourceCreate(SourceBase):
    """A source as given by a user: validated, trimmed.

    ``described`` is False when the input named only the URL and the title and publisher were
    filled in for it (an import row with a bare URL): such a source takes whatever is recorded
    for its URL. A described source whose URL is recorded with another publisher, title or
    publication date is refused (``shipments.ledger.write.get_or_add_source``).
    """

    described: bool = Field(default=True, exclude=True)

    @field_validator("publisher", mode="before")
    @classmethod
    def _publisher(cls, value: Any) -> str | None:
        return clean_name(value)

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str | None:
        return clean_name(value, limit=MAX_NOTE_LENGTH)

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str:
        return clean_url(value)

    @field_validator("published_date", mode="before")
    @classmethod
    def _published(cls, value: Any) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_calendar_date(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return clean_choice(value, SOURCE_KINDS, fold=lambda t: (t or "press").strip())


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


@dataclass(frozen=True)
class _Tonnes:
    """A mass given in tonnes, on its way to ``ShipmentCreate.mass_kg``."""

    given: Any


class ShipmentCreate(ShipmentFields):
    """A new shipment as given at any input: its mass in kilograms and at least one source.

    People give the mass in tonnes: input under the name ``tonnes`` is converted (and refused
    under that name, with the tonnes rule); code that already holds kilograms gives ``mass_kg``.
    """

    mass_kg: int = PydanticField(validation_alias=AliasChoices("tonnes", "mass_kg"))
    sources: list[SourceCreate]
    # The ID of a current shipment that is the other record (sent or received) of this one's
    # consignment: the new record is linked to it as it is added. Not a fact of the revision.
    same_consignment_as: int | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _tonnes_given(cls, data: Any) -> Any:
        if isinstance(data, dict) and "tonnes" in data:
            if "mass_kg" in data:
                raise ValueError("give the mass once: in tonnes or in kilograms, not both")
            return {**data, "tonnes": _Tonnes(data["tonnes"])}
        return data

    @field_validator("event_date", mode="before")
    @classmethod
    def _event_date(cls, value: Any) -> date:
        return parse_calendar_date(value)

    @field_validator("date_means", mode="before")
    @classmethod
    def _date_means(cls, value: Any) -> str:
        return clean_date_means(value)

    @field_validator("donor", "recipient", "cargo", mode="before")
    @classmethod
    def _names(cls, value: Any) -> str | None:
        return clean_name(value)

    @field_validator("cargo_description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> str | None:
        return clean_name(value, required=False, limit=MAX_NOTE_LENGTH)

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: Any) -> str | None:
        return clean_note(value)

    @field_validator("mass_kg", mode="before")
    @classmethod
    def _mass(cls, value: Any) -> int:
        if isinstance(value, _Tonnes):
            return tonnes_to_kg(value.given)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number of kilograms (got {value!r})")
        check_tonnes(kg_to_tonnes(value), f"{value} kg")
        return value

    @field_validator("same_consignment_as", mode="before")
    @classmethod
    def _same_consignment_as(cls, value: Any) -> int | None:
        return clean_shipment_id(value)

    @field_validator("sources", mode="after")
    @classmethod
    def _sources(cls, value: list[SourceCreate]) -> list[SourceCreate]:
        if not value:
            raise ValueError("at least one source is required")
        return value


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
        CheckConstraint(f"mass_kg > 0 AND mass_kg <= {MAX_MASS_KG}", name="ck_revision_mass_kg"),
        CheckConstraint(sql_in("date_means", DATE_MEANINGS), name="ck_revision_date_means"),
        CheckConstraint(sql_in("action", REVISION_ACTIONS), name="ck_revision_action"),
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
    # When the next revision of the shipment was recorded (None: this one stands, or stood
    # last); set once, in the next revision's write, the only change the database allows.
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


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
    # The other record of the consignment this one is linked in (sent <-> received), if any:
    # the two count once.
    once_with: int | None = None


class RevisionPublic(ShipmentPublic):
    """One entry in a shipment's history."""

    action: str
    reason: str | None = None


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
