"""Append, correct and retract shipments, and read the ledger now or as it stood at a moment.

Nothing here updates or deletes a row: each write inserts a revision. The current ledger is the
latest revision of every shipment whose latest revision is not a retraction; "as of" a moment is
the same, counting only revisions recorded by then. Every write function validates everything
before it writes, and commits once, so a refusal leaves the database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, func, insert, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from shipments.audit import record_event
from shipments.db import write_connection
from shipments.errors import (
    AlreadyRetracted,
    AlreadySubmitted,
    Conflict,
    DuplicateShipment,
    InvalidInput,
    NotFound,
)
from shipments.models import (
    AuditEvent,
    CurrentShipment,
    FormSubmission,
    RevisionPublic,
    RevisionSourceLink,
    Shipment,
    ShipmentCorrection,
    ShipmentCreate,
    ShipmentFields,
    ShipmentPublic,
    ShipmentRevision,
    Source,
    SourceCreate,
    SourcePublic,
)
from shipments.rules import clean_reason, parse, utcnow
from shipments.transaction import require_editor
from shipments.units import KG_PER_TONNE

P = TypeVar("P", bound=ShipmentPublic)
R = TypeVar("R")
FILTER_FIELDS = ("donor", "recipient", "cargo")
WRITE_ATTEMPTS = 3
FIELD_NAMES: tuple[str, ...] = tuple(ShipmentFields.model_fields)
_BATCH = 500


@dataclass(frozen=True)
class ShipmentFilter:
    """Which shipments a view shows: a date range and donors, recipients, cargo (any of each)."""

    date_from: date | None = None
    date_to: date | None = None
    donors: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    cargos: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """Return True when the filter lets every shipment through."""
        return self == ShipmentFilter()


@dataclass(frozen=True)
class DailyTotal:
    """Shipments and mass on one event date."""

    event_date: date
    shipments: int
    mass_kg: int


@dataclass(frozen=True)
class LedgerTotals:
    """How many shipments the ledger holds, their total mass and the latest event date."""

    shipments: int
    mass_kg: int
    latest_event: date | None = None

    @property
    def tonnes(self) -> Decimal:
        """Return the total mass in tonnes, exact to the kilogram."""
        return Decimal(self.mass_kg) / KG_PER_TONNE


def claim_form_key(*, session: Session, form_key: str | None, subject: str) -> None:
    """Record a form's idempotency key with what it wrote; refuse a key already used."""
    if form_key is None:
        return
    earlier = session.get(FormSubmission, form_key)
    if earlier is not None:
        raise AlreadySubmitted(earlier.subject)
    session.add(FormSubmission(key=form_key, subject=subject, at=utcnow()))


def append_shipment(
    *,
    session: Session,
    shipment_in: ShipmentCreate,
    by: str,
    via: str,
    confirm_duplicate: bool = False,
    form_key: str | None = None,
) -> ShipmentPublic:
    """Record a new shipment as the active editor ``by``, from path ``via``; return it."""

    def write() -> ShipmentPublic:
        require_editor(session=session, by=by, via=via)
        if form_key is not None and (earlier := session.get(FormSubmission, form_key)):
            raise AlreadySubmitted(earlier.subject)
        shipment = add_shipment(
            session=session,
            shipment_in=shipment_in,
            by=by,
            via=via,
            confirm_duplicate=confirm_duplicate,
        )
        claim_form_key(session=session, form_key=form_key, subject=f"shipment {shipment.id}")
        return shipment

    return committed(session=session, write=write)


def add_shipment(
    *,
    session: Session,
    shipment_in: ShipmentCreate,
    by: str,
    via: str,
    confirm_duplicate: bool = False,
    recorded_at: datetime | None = None,
) -> ShipmentPublic:
    """Add a shipment to the session's transaction without committing (for bulk loads)."""
    actor = require_editor(session=session, by=by, via=via)
    if not confirm_duplicate:
        _refuse_duplicates(session, shipment_in, exclude_id=None)
    now = recorded_at or utcnow()
    shipment = Shipment(created_by=actor, created_at=now)
    session.add(shipment)
    session.flush()
    assert shipment.id is not None
    sources = [
        get_or_add_source(session=session, source_in=source_in, by=actor, at=now)
        for source_in in shipment_in.sources
    ]
    revision = _insert_revision(
        session,
        shipment_id=shipment.id,
        number=1,
        action="append",
        reason=None,
        facts=shipment_in,
        by=actor,
        at=now,
        source_ids=[s.id for s in sources if s.id is not None],
    )
    record_event(
        session=session,
        actor=actor,
        via=via,
        action="shipment.append",
        subject=f"shipment {shipment.id}",
        detail=_facts_summary(revision),
        at=now,
    )
    return _public(ShipmentPublic, revision, [source_public(s) for s in sources])


def add_shipments_bulk(
    *,
    session: Session,
    items: Sequence[tuple[ShipmentCreate, int | None]],
    by: str,
    via: str,
    import_batch_id: int | None = None,
) -> list[int]:
    """Add many new shipments (with their file lines) in a few statements; no commit.

    The same rows as ``add_shipment`` (shipment, revision 1, source links, audit event), written
    with multi-row INSERTs for imports. The caller checks duplicates beforehand.
    """
    if not items:
        return []
    actor = require_editor(session=session, by=by, via=via)
    now = utcnow()
    connection = session.connection()
    shipments_table = Shipment.__table__  # type: ignore[attr-defined]
    revisions_table = ShipmentRevision.__table__  # type: ignore[attr-defined]
    shipment_ids = list(
        connection.execute(
            insert(shipments_table).returning(shipments_table.c.id, sort_by_parameter_order=True),
            [
                {
                    "created_by": actor,
                    "created_at": now,
                    "import_batch_id": import_batch_id,
                    "import_line": line,
                }
                for _, line in items
            ],
        ).scalars()
    )
    revision_ids = list(
        connection.execute(
            insert(revisions_table).returning(revisions_table.c.id, sort_by_parameter_order=True),
            [
                {
                    **facts.model_dump(include=set(FIELD_NAMES)),
                    "mass_kg": facts.mass_kg,
                    "shipment_id": shipment_id,
                    "revision": 1,
                    "action": "append",
                    "reason": None,
                    "recorded_by": actor,
                    "recorded_at": now,
                }
                for (facts, _), shipment_id in zip(items, shipment_ids, strict=True)
            ],
        ).scalars()
    )
    source_ids = _source_ids(session, [s for facts, _ in items for s in facts.sources], actor, now)
    connection.execute(
        insert(CurrentShipment.__table__),  # type: ignore[attr-defined]
        [
            CurrentShipment.of(
                _Facts(revision_id, shipment_id, facts),
                [source_ids[s.url] for s in facts.sources],
            )
            for (facts, _), shipment_id, revision_id in zip(
                items, shipment_ids, revision_ids, strict=True
            )
        ],
    )
    links = {
        (revision_id, source_ids[s.url])
        for (facts, _), revision_id in zip(items, revision_ids, strict=True)
        for s in facts.sources
    }
    connection.execute(
        insert(RevisionSourceLink.__table__),  # type: ignore[attr-defined]
        [{"revision_id": r, "source_id": s} for r, s in sorted(links)],
    )
    connection.execute(
        insert(AuditEvent.__table__),  # type: ignore[attr-defined]
        [
            {
                "at": now,
                "actor": actor,
                "via": via,
                "action": "shipment.append",
                "subject": f"shipment {shipment_id}",
                "detail": _facts_summary(facts),
            }
            for (facts, _), shipment_id in zip(items, shipment_ids, strict=True)
        ],
    )
    return shipment_ids


@dataclass(frozen=True)
class _Facts:
    """A new revision's ids and facts, shaped for ``CurrentShipment.of``."""

    id: int
    shipment_id: int
    facts: ShipmentCreate

    def __getattr__(self, name: str) -> Any:
        return getattr(self.facts, name)


def find_duplicates_bulk(
    *, session: Session, items: Sequence[ShipmentCreate]
) -> dict[int, list[int]]:
    """Return, by position in ``items``, the current shipments each one repeats."""
    pairs = {(s.event_date, s.mass_kg) for s in items}
    if not pairs:
        return {}
    candidates = list(
        session.exec(
            select(ShipmentRevision).where(
                tuple_(col(ShipmentRevision.event_date), col(ShipmentRevision.mass_kg)).in_(
                    list(pairs)
                )
            )
        )
    )
    if not candidates:
        return {}
    newest = dict(
        session.exec(
            select(col(ShipmentRevision.shipment_id), func.max(ShipmentRevision.revision))
            .where(col(ShipmentRevision.shipment_id).in_({c.shipment_id for c in candidates}))
            .group_by(col(ShipmentRevision.shipment_id))
        ).all()
    )
    current: dict[tuple[Any, ...], list[int]] = {}
    for c in candidates:
        if c.revision == newest.get(c.shipment_id) and c.action != "retract":
            key = (c.event_date, c.mass_kg, c.donor.casefold(), c.recipient.casefold())
            current.setdefault(key, []).append(c.shipment_id)
    found = {}
    for index, s in enumerate(items):
        key = (s.event_date, s.mass_kg, s.donor.casefold(), s.recipient.casefold())
        if key in current:
            found[index] = sorted(current[key])
    return found


def _source_ids(
    session: Session, sources: Sequence[SourceCreate], actor: str, at: datetime
) -> dict[str, int]:
    wanted = {s.url: s for s in sources}
    known = dict(
        session.exec(
            select(col(Source.url), col(Source.id)).where(col(Source.url).in_(list(wanted)))
        ).all()
    )
    for url, source_in in wanted.items():
        if url not in known:
            source = get_or_add_source(session=session, source_in=source_in, by=actor, at=at)
            known[url] = _id(source)
    return {url: int(i) for url, i in known.items() if i is not None}


def correct_shipment(
    *,
    session: Session,
    shipment_id: int,
    correction_in: ShipmentCorrection,
    by: str,
    via: str,
    confirm_duplicate: bool = False,
    form_key: str | None = None,
) -> ShipmentPublic:
    """Record a correction as a new revision that supersedes the latest one."""

    def write() -> ShipmentPublic:
        actor = require_editor(session=session, by=by, via=via)
        claim_form_key(session=session, form_key=form_key, subject=f"shipment {shipment_id}")
        latest = _latest_or_refuse(session, shipment_id)
        old_sources = _sources_by_revision(session, [_id(latest)]).get(_id(latest), [])
        merged: dict[str, Any] = {name: getattr(latest, name) for name in FIELD_NAMES}
        merged["tonnes"] = Decimal(latest.mass_kg) / KG_PER_TONNE
        merged.update(correction_in.changes())
        merged["sources"] = [s.model_dump(exclude={"id"}) for s in old_sources] + [
            s.model_dump() for s in correction_in.add_sources
        ]
        shipment_in = parse(ShipmentCreate, merged)
        old_urls = {s.url for s in old_sources}
        unchanged = (
            all(getattr(shipment_in, name) == getattr(latest, name) for name in FIELD_NAMES)
            and shipment_in.mass_kg == latest.mass_kg
        )
        if unchanged and {s.url for s in shipment_in.sources} <= old_urls:
            raise InvalidInput.single(
                "correction", "changes nothing: every value equals the current revision"
            )
        if not confirm_duplicate:
            _refuse_duplicates(session, shipment_in, exclude_id=shipment_id)
        now = utcnow()
        sources = [
            get_or_add_source(session=session, source_in=s, by=actor, at=now)
            for s in shipment_in.sources
        ]
        revision = _insert_revision(
            session,
            shipment_id=shipment_id,
            number=latest.revision + 1,
            action="correct",
            reason=correction_in.reason,
            facts=shipment_in,
            by=actor,
            at=now,
            source_ids=[s.id for s in sources if s.id is not None],
        )
        record_event(
            session=session,
            actor=actor,
            via=via,
            action="shipment.correct",
            subject=f"shipment {shipment_id}",
            detail=(
                f"revision {revision.revision}: {_facts_summary(revision)};"
                f" reason: {revision.reason}"
            ),
            at=now,
        )
        return _public(ShipmentPublic, revision, [source_public(s) for s in sources])

    return committed(session=session, write=write)


def retract_shipment(
    *,
    session: Session,
    shipment_id: int,
    reason: str,
    by: str,
    via: str,
    form_key: str | None = None,
) -> RevisionPublic:
    """Record that a shipment is withdrawn from the ledger, with the reason; its history stays."""

    def write() -> RevisionPublic:
        actor = require_editor(session=session, by=by, via=via)
        claim_form_key(session=session, form_key=form_key, subject=f"shipment {shipment_id}")
        try:
            text = clean_reason(reason)
        except ValueError as exc:
            raise InvalidInput.single("reason", str(exc)) from None
        latest = _latest_or_refuse(session, shipment_id)
        old_sources = _sources_by_revision(session, [_id(latest)]).get(_id(latest), [])
        revision = ShipmentRevision(
            **{name: getattr(latest, name) for name in FIELD_NAMES},
            mass_kg=latest.mass_kg,
            shipment_id=shipment_id,
            revision=latest.revision + 1,
            action="retract",
            reason=text,
            recorded_by=actor,
            recorded_at=utcnow(),
        )
        session.add(revision)
        session.flush()
        projected = session.get(CurrentShipment, shipment_id, populate_existing=True)
        if projected is not None:
            session.delete(projected)
        session.add_all(
            RevisionSourceLink(revision_id=_id(revision), source_id=s.id) for s in old_sources
        )
        record_event(
            session=session,
            actor=actor,
            via=via,
            action="shipment.retract",
            subject=f"shipment {shipment_id}",
            detail=f"reason: {text}",
            at=revision.recorded_at,
        )
        session.flush()
        return _public(RevisionPublic, revision, old_sources)

    return committed(session=session, write=write)


def current_shipments(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ShipmentPublic]:
    """Return the ledger as it stands now, or as it stood at ``as_of``, oldest event first."""
    return list(
        iter_current_shipments(
            session=session, as_of=as_of, filters=filters, limit=limit, offset=offset
        )
    )


def iter_current_shipments(
    *,
    session: Session,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    limit: int | None = None,
    offset: int = 0,
    batch_size: int = _BATCH,
) -> Iterator[ShipmentPublic]:
    """Stream the current shipments (or those at ``as_of``) in batches, oldest event first."""
    statement = (
        filtered_revisions(current_revisions_query(as_of), filters)
        .order_by(col(ShipmentRevision.event_date), col(ShipmentRevision.shipment_id))
        .offset(offset)
        .limit(limit)
    )
    rows = session.exec(statement.execution_options(yield_per=batch_size))
    for batch in rows.partitions(batch_size):
        sources = _sources_by_revision(session, [_id(r) for r in batch])
        for revision in batch:
            yield _public(ShipmentPublic, revision, sources.get(_id(revision), []))


def retracted_shipments(*, session: Session, as_of: datetime | None = None) -> list[RevisionPublic]:
    """Return the retraction of every shipment withdrawn (by ``as_of``), latest first."""
    statement = latest_revisions_query(as_of).where(col(ShipmentRevision.action) == "retract")
    rows = list(session.exec(statement.order_by(col(ShipmentRevision.recorded_at).desc())))
    sources = _sources_by_revision(session, [_id(r) for r in rows])
    return [_public(RevisionPublic, r, sources.get(_id(r), [])) for r in rows]


def get_shipment(
    *, session: Session, shipment_id: int, as_of: datetime | None = None
) -> ShipmentPublic:
    """Return one shipment as it stands (or stood at ``as_of``); NotFound if absent or retracted."""
    statement = current_revisions_query(as_of).where(
        col(ShipmentRevision.shipment_id) == shipment_id
    )
    revision = session.exec(statement).first()
    if revision is None:
        raise NotFound(f"no current shipment with id {shipment_id}")
    sources = _sources_by_revision(session, [_id(revision)]).get(_id(revision), [])
    return _public(ShipmentPublic, revision, sources)


def ledger_totals(
    *, session: Session, as_of: datetime | None = None, filters: ShipmentFilter | None = None
) -> LedgerTotals:
    """Count the current shipments, sum their mass and find the latest date, in the database."""
    current = _current_facts(as_of, filters)
    count, mass, latest = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(current.c.mass_kg), 0),
            func.max(current.c.event_date),
        ).select_from(current)
    ).one()
    return LedgerTotals(shipments=int(count), mass_kg=int(mass), latest_event=latest)


def daily_totals(
    *, session: Session, as_of: datetime | None = None, filters: ShipmentFilter | None = None
) -> list[DailyTotal]:
    """Return the shipment count and mass per event date, summed in the database."""
    current = _current_facts(as_of, filters)
    rows = session.exec(
        select(current.c.event_date, func.count(), func.sum(current.c.mass_kg))
        .group_by(current.c.event_date)
        .order_by(current.c.event_date)
    )
    return [DailyTotal(day, int(count), int(mass)) for day, count, mass in rows]


def totals_of(days: Iterable[DailyTotal]) -> LedgerTotals:
    """Add daily totals up into the totals ``ledger_totals`` would return for the same view."""
    count = mass = 0
    latest = None
    for day in days:
        count += day.shipments
        mass += day.mass_kg
        latest = day.event_date if latest is None else max(latest, day.event_date)
    return LedgerTotals(shipments=count, mass_kg=mass, latest_event=latest)


def distinct_values(*, session: Session, field: str, as_of: datetime | None = None) -> list[str]:
    """Return the distinct donors, recipients or cargo categories of the current ledger.

    Now: stepping through current_shipment's index on the field, one probe per value (a
    recursive query), where DISTINCT would read the whole index (0.2 s a field on PostgreSQL
    at a million shipments).
    """
    if field not in FILTER_FIELDS:
        raise ValueError(f"field must be one of {FILTER_FIELDS}")
    if as_of is None:
        column = getattr(CurrentShipment.__table__.c, field)  # type: ignore[attr-defined]
        values = sa_select(func.min(column).label("value")).cte("names", recursive=True)
        step = sa_select(func.min(column)).where(column > values.c.value).scalar_subquery()
        values = values.union_all(sa_select(step).where(values.c.value.is_not(None)))
        return list(
            session.execute(
                sa_select(values.c.value)
                .where(values.c.value.is_not(None))
                .order_by(values.c.value)
            ).scalars()
        )
    current = _current_facts(as_of, None)
    column = current.c[field]
    return list(session.exec(select(column).distinct().order_by(column)))


def _current_facts(as_of: datetime | None, filters: ShipmentFilter | None) -> Any:
    """Subquery of the shipments in view: read from current_shipment now, from history as of."""
    if as_of is not None:
        return filtered_revisions(current_revisions_query(as_of), filters).subquery()
    table = CurrentShipment
    statement = sa_select(
        col(table.shipment_id),
        col(table.event_date),
        col(table.donor),
        col(table.recipient),
        col(table.cargo),
        col(table.mass_kg),
    )
    if filters is not None:
        statement = statement.where(
            *_filter_conditions(
                filters,
                col(table.event_date),
                col(table.donor),
                col(table.recipient),
                col(table.cargo),
            )
        )
    return statement.subquery()


def shipment_history(*, session: Session, shipment_id: int) -> list[RevisionPublic]:
    """Return every revision of a shipment, first to last; NotFound if it never existed."""
    revisions = list(
        session.exec(
            select(ShipmentRevision)
            .where(col(ShipmentRevision.shipment_id) == shipment_id)
            .order_by(col(ShipmentRevision.revision))
        )
    )
    if not revisions:
        raise NotFound(f"no shipment with id {shipment_id}")
    sources = _sources_by_revision(session, [_id(r) for r in revisions])
    return [_public(RevisionPublic, r, sources.get(_id(r), [])) for r in revisions]


def list_sources(*, session: Session) -> list[SourcePublic]:
    """Return every recorded source, in the order they were recorded."""
    return [source_public(s) for s in session.exec(select(Source).order_by(col(Source.id)))]


def find_source(*, session: Session, url: str) -> Source | None:
    """Return the source recorded for ``url``, if any."""
    return session.exec(select(Source).where(col(Source.url) == url)).first()


def committed(*, session: Session, write: Callable[[], R]) -> R:
    """Run ``write`` and commit; on any error roll back, so nothing is half written.

    A unique constraint that fails means another writer changed the same record first (a new
    revision number, a new source's URL): the write is tried again from the start, up to
    ``WRITE_ATTEMPTS`` times, then reported as a Conflict with nothing written.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        write_connection(session)
        try:
            result = write()
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            if attempt == WRITE_ATTEMPTS:
                raise Conflict(
                    "another write changed the same record at the same moment; nothing was"
                    " written, try again"
                ) from exc
            continue
        except BaseException:
            session.rollback()
            raise
        return result
    raise AssertionError("unreachable")


def _id(row: ShipmentRevision | Source) -> int:
    assert row.id is not None, "row has not been flushed"
    return row.id


def latest_revisions_query(as_of: datetime | None) -> SelectOfScalar[ShipmentRevision]:
    """Select each shipment's latest revision (recorded by ``as_of``), retractions included."""
    recorded = [] if as_of is None else [col(ShipmentRevision.recorded_at) <= as_of]
    newest = (
        select(
            col(ShipmentRevision.shipment_id).label("shipment_id"),
            func.max(ShipmentRevision.revision).label("revision"),
        )
        .where(*recorded)
        .group_by(col(ShipmentRevision.shipment_id))
        .subquery()
    )
    return select(ShipmentRevision).join(
        newest,
        and_(
            col(ShipmentRevision.shipment_id) == newest.c.shipment_id,
            col(ShipmentRevision.revision) == newest.c.revision,
        ),
    )


def current_revisions_query(as_of: datetime | None) -> SelectOfScalar[ShipmentRevision]:
    """Select the revision that stands for each shipment now (or at ``as_of``), not retracted.

    Now: through current_shipment, one row per shipment. As of a moment: from the history.
    """
    if as_of is None:
        return select(ShipmentRevision).join(
            CurrentShipment, col(CurrentShipment.revision_id) == col(ShipmentRevision.id)
        )
    return latest_revisions_query(as_of).where(col(ShipmentRevision.action) != "retract")


def filtered_revisions(
    statement: SelectOfScalar[ShipmentRevision], filters: ShipmentFilter | None
) -> SelectOfScalar[ShipmentRevision]:
    if filters is None:
        return statement
    return statement.where(
        *_filter_conditions(
            filters,
            col(ShipmentRevision.event_date),
            col(ShipmentRevision.donor),
            col(ShipmentRevision.recipient),
            col(ShipmentRevision.cargo),
        )
    )


def _filter_conditions(
    filters: ShipmentFilter, event_date: Any, donor: Any, recipient: Any, cargo: Any
) -> list[Any]:
    conditions = []
    if filters.date_from is not None:
        conditions.append(event_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(event_date <= filters.date_to)
    for column, wanted in (
        (donor, filters.donors),
        (recipient, filters.recipients),
        (cargo, filters.cargos),
    ):
        if wanted:
            conditions.append(column.in_(wanted))
    return conditions


def _latest_or_refuse(session: Session, shipment_id: int) -> ShipmentRevision:
    latest = session.exec(
        select(ShipmentRevision)
        .where(col(ShipmentRevision.shipment_id) == shipment_id)
        .order_by(col(ShipmentRevision.revision).desc())
    ).first()
    if latest is None:
        raise NotFound(f"no shipment with id {shipment_id}")
    if latest.action == "retract":
        raise AlreadyRetracted(f"shipment {shipment_id} was retracted: {latest.reason}")
    return latest


def _refuse_duplicates(
    session: Session, shipment_in: ShipmentCreate, *, exclude_id: int | None
) -> None:
    matches = find_duplicates(session=session, shipment_in=shipment_in, exclude_id=exclude_id)
    if matches:
        raise DuplicateShipment(matches)


def find_duplicates(
    *, session: Session, shipment_in: ShipmentCreate, exclude_id: int | None = None
) -> list[int]:
    """Return the current shipments with the same donor, recipient, date and mass.

    Looks only at revisions with that date and mass (an index lookup), then keeps those that
    are their shipment's latest and not a retraction, so the cost does not grow with the ledger.
    """
    candidates = select(ShipmentRevision).where(
        col(ShipmentRevision.event_date) == shipment_in.event_date,
        col(ShipmentRevision.mass_kg) == shipment_in.mass_kg,
    )
    if exclude_id is not None:
        candidates = candidates.where(col(ShipmentRevision.shipment_id) != exclude_id)
    donor, recipient = shipment_in.donor.casefold(), shipment_in.recipient.casefold()
    matches = []
    for r in session.exec(candidates):
        if r.donor.casefold() != donor or r.recipient.casefold() != recipient:
            continue
        newest = session.exec(
            select(func.max(ShipmentRevision.revision)).where(
                col(ShipmentRevision.shipment_id) == r.shipment_id
            )
        ).one()
        if r.revision == newest and r.action != "retract" and r.shipment_id not in matches:
            matches.append(r.shipment_id)
    return matches


def get_or_add_source(
    *, session: Session, source_in: SourceCreate, by: str, at: datetime
) -> Source:
    """Return the source recorded for this URL, adding it to the session if it is new."""
    existing = find_source(session=session, url=source_in.url)
    if existing is not None:
        return existing
    source = Source(**source_in.model_dump(), recorded_by=by, recorded_at=at)
    session.add(source)
    session.flush()
    return source


def _insert_revision(
    session: Session,
    *,
    shipment_id: int,
    number: int,
    action: str,
    reason: str | None,
    facts: ShipmentCreate,
    by: str,
    at: datetime,
    source_ids: Iterable[int],
) -> ShipmentRevision:
    revision = ShipmentRevision(
        **facts.model_dump(include=set(FIELD_NAMES)),
        mass_kg=facts.mass_kg,
        shipment_id=shipment_id,
        revision=number,
        action=action,
        reason=reason,
        recorded_by=by,
        recorded_at=at,
    )
    session.add(revision)
    session.flush()
    linked = list(dict.fromkeys(source_ids))
    _project(session, revision, linked)
    session.add_all(
        RevisionSourceLink(revision_id=_id(revision), source_id=source_id) for source_id in linked
    )
    session.flush()
    return revision


def _project(session: Session, revision: ShipmentRevision, source_ids: Iterable[int]) -> None:
    """Make current_shipment show this revision (added or corrected) for its shipment."""
    row = CurrentShipment.of(revision, source_ids)
    # populate_existing: a copy held in this session may be older than another session's write.
    existing = session.get(CurrentShipment, revision.shipment_id, populate_existing=True)
    if existing is None:
        session.add(CurrentShipment(**row))
    else:
        for name, value in row.items():
            setattr(existing, name, value)
        session.add(existing)


def _sources_by_revision(
    session: Session, revision_ids: Sequence[int]
) -> dict[int, list[SourcePublic]]:
    found: dict[int, list[SourcePublic]] = {}
    for start in range(0, len(revision_ids), _BATCH):
        chunk = revision_ids[start : start + _BATCH]
        rows = session.exec(
            select(RevisionSourceLink.revision_id, Source)
            .join(Source, col(Source.id) == RevisionSourceLink.source_id)
            .where(col(RevisionSourceLink.revision_id).in_(chunk))
            .order_by(col(RevisionSourceLink.revision_id), col(Source.id))
        )
        for revision_id, source in rows:
            found.setdefault(revision_id, []).append(source_public(source))
    return found


def source_public(source: Source) -> SourcePublic:
    """Return a source as the public model."""
    return SourcePublic.model_validate(source, from_attributes=True)


def _facts_summary(facts: ShipmentRevision | ShipmentCreate) -> str:
    tonnes = Decimal(facts.mass_kg) / KG_PER_TONNE
    return (
        f"{facts.event_date.isoformat()} ({facts.date_means}) {facts.donor} -> "
        f"{facts.recipient}, {facts.cargo}, {tonnes:.3f} t"
    )


def _public(kind: type[P], revision: ShipmentRevision, sources: list[SourcePublic]) -> P:
    data = revision.model_dump()
    data["id"] = revision.shipment_id
    data["sources"] = sources
    return kind.model_validate(data)
