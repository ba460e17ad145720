"""The revision history as arrays, kept between reads and brought up to date from its log.

Reconciling a thousand claims reads the whole ledger; a million rows cost seconds to fetch
before anything is done with them (bench/RESULTS.md). The history is append-only (the
database's triggers refuse any change but a revision's ``superseded_at`` being set once, when
the next revision is recorded), so a copy read once stays true and only needs what was
recorded since: the revisions of the shipments that have a revision with a higher id than the
copy's highest. Both are read in one statement, so they come from one snapshot.

On PostgreSQL a revision can commit after one with a higher id: ids are handed out before commit
(SQLite's one writer takes them in order). Such a revision's id is one the copy lacks below its
highest, so on PostgreSQL each update also looks for a revision in the copy's gaps
(``History.gaps``: a lookup in the primary key per gap, where counting the revisions up to the
highest id read them all, 70 to 110 ms at a million), in the same statement: one found there
came late, and the history is read again whole. A gap is an id given to a transaction that has
not committed, or never will (rolled back, refused): it stays a gap until a revision fills it,
so past ``GAPS_LOOKED_UP`` of them the revisions are counted instead. Looking in the gaps finds
what came late, not what went missing: a revision the copy holds that the database lost below
its highest (a restore from a dump that missed a late commit, rows deleted with the guards
switched off) stays in the copy until its shipment is written again; counting noticed that, and
forgetting the copy (its file under ``LEDGER_CACHE_DIR``) mends it. (Asking which transactions
were in flight instead is not enough: a snapshot does not list those that took their id after
the newest one that finished.) The highest revision's facts tell a copy from that of another
database that once had the same name.

The arrays are kept in this process's memory and, for a file-backed or server database, in a
file (``shipments.revision_store``), so that a new process (a command) starts from them.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ARRAY, BigInteger, String, bindparam, cast, func, literal, true
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from shipments.ledger import (
    DailyTotal,
    ShipmentFilter,
    current_page,
    current_revisions_query,
    daily_totals,
    days_less,
    left_out_of_totals,
    linked_records,
    public_shipments,
)
from shipments.models import ShipmentPublic, ShipmentRevision
from shipments.reading_index import LedgerIndex
from shipments.revision_store import ARRAYS, NEVER, History, folded, load, save

_READ_BATCH = 50_000
GAPS_LOOKED_UP = 5_000  # past this many gaps, PostgreSQL counts instead (_came_late)
_EPOCH = date(1970, 1, 1)


def ledger_index(session: Session, as_of: datetime | None = None) -> LedgerIndex:
    """Return the index of the shipments standing now (or at ``as_of``), from the kept copy of
    the history brought up to date."""
    history = current_history(session)
    return history.now if as_of is None else history.standing(as_of)


def current_history(session: Session) -> History:
    """Return the history as the database holds it now, from the kept copy where there is one."""
    where = _cache_key(session)
    if where is None:
        return _read_whole(session.connection())
    with _lock:
        connection = session.connection()
        kept = _memory.get(where) or load(where)
        fresh = _brought_up_to_date(connection, kept)
        if fresh is not kept:
            save(where, fresh)
        _memory[where] = fresh
        return fresh


def view_daily_totals(
    *, session: Session, as_of: datetime | None, filters: ShipmentFilter | None
) -> list[DailyTotal]:
    """Return ``shipments.ledger.daily_totals``: as of a moment from the history's arrays (the
    database would read every revision recorded by then), unless the view counts sources; the
    whole ledger now from the kept copy's index of the standing shipments, where there is a
    copy (the database would read every standing shipment: 0.1 s at a million)."""
    if as_of is None and (filters is None or filters.is_empty()) and _cache_key(session):
        days, counts, sums = current_history(session).now.daily()
    elif _from_arrays(as_of, filters):
        assert as_of is not None
        days, counts, sums = _per_day(*current_history(session).in_view(as_of, filters)[1:3])
    else:
        return daily_totals(session=session, as_of=as_of, filters=filters)
    rows = [
        (_EPOCH + timedelta(days=int(d)), int(n), int(m))
        for d, n, m in zip(days, counts, sums, strict=True)
    ]
    left_out = left_out_of_totals(session=session, as_of=as_of, filters=filters)
    return days_less(rows, left_out)


def _per_day(days: Any, masses: Any) -> tuple[Any, Any, Any]:
    """Return each day of ``days`` (sorted), its count and its summed mass."""
    if not len(days):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    firsts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    return days[firsts], np.diff(np.r_[firsts, len(days)]), np.add.reduceat(masses, firsts)


def view_page(
    *,
    session: Session,
    as_of: datetime | None,
    filters: ShipmentFilter | None,
    limit: int,
    offset: int = 0,
) -> list[ShipmentPublic]:
    """Return ``shipments.ledger.current_page``: as of a moment, the page's shipments found in
    the history's arrays and only they read from the database, unless the view counts sources."""
    if not _from_arrays(as_of, filters):
        return current_page(
            session=session, as_of=as_of, filters=filters, limit=limit, offset=offset
        )
    assert as_of is not None
    ids = [int(i) for i in current_history(session).in_view(as_of, filters)[0][offset:][:limit]]
    position = {shipment_id: n for n, shipment_id in enumerate(ids)}
    statement = current_revisions_query(as_of).where(col(ShipmentRevision.shipment_id).in_(ids))
    revisions = sorted(session.exec(statement), key=lambda r: position[r.shipment_id])
    once_with = {r.shipment_id: r.other_id for r in linked_records(session=session, as_of=as_of)}
    return public_shipments(session, revisions, once_with)


def _from_arrays(as_of: datetime | None, filters: ShipmentFilter | None) -> bool:
    """Return True when the arrays answer a view: one as of a moment that counts no sources."""
    return as_of is not None and (filters is None or filters.sources_at_least is None)


def forget() -> None:
    """Drop every copy held in this process's memory (files stay)."""
    with _lock:
        _memory.clear()


_lock = threading.Lock()
_memory: dict[str, History] = {}


def _brought_up_to_date(connection: Connection, kept: History | None) -> History:
    if kept is None:
        return _read_whole(connection)
    revision = ShipmentRevision.__table__  # type: ignore[attr-defined]
    late = _came_late(connection, kept)
    facts = [
        sa_select(column).where(revision.c.id == kept.highest).scalar_subquery().label(name)
        for name, column in (
            ("recorded", _recorded_text(connection, revision.c.recorded_at)),
            ("shipment", revision.c.shipment_id),
            ("mass", revision.c.mass_kg),
        )
    ]
    touched = sa_select(revision.c.shipment_id).where(revision.c.id > kept.highest)
    checks = sa_select(late.label("late"), *facts).subquery()
    rows = connection.execute(
        sa_select(*checks.c, *_columns(connection))
        .select_from(checks)
        .outerjoin(revision, revision.c.shipment_id.in_(touched))
        .order_by(revision.c.id)
    ).all()
    came_late, recorded_text, shipment, mass = rows[0][:4]
    if kept.highest and (
        came_late
        or recorded_text is None
        or (_parse(recorded_text), shipment, mass) != kept.highest_facts
    ):
        return _read_whole(connection)  # a late revision, or another database
    new = [row[4:] for row in rows if row[4] is not None]
    if not new:
        return kept
    return _merged(kept, new)


def _came_late(connection: Connection, kept: History) -> Any:
    """Return an expression that is true when a revision came late, below the copy's highest.

    SQLite's one writer takes the next id inside its write, so ids become visible in order: none
    can. On PostgreSQL one lands in a gap of the copy: looked for there, one lookup a gap, up to
    GAPS_LOOKED_UP gaps (3.8 ms for 1,000 at a million revisions, 31 ms for 10,000); past that,
    counting the revisions up to the highest is cheaper (50 to 110 ms whatever the gaps).
    """
    if connection.dialect.name == "sqlite":
        return literal(False)
    if len(kept.gaps[0]) <= GAPS_LOOKED_UP:
        return _filled_gap(kept)
    revision = ShipmentRevision.__table__.alias("counted")  # type: ignore[attr-defined]
    held = sa_select(func.count()).where(revision.c.id <= kept.highest).scalar_subquery()
    return held != kept.count


def _filled_gap(kept: History) -> Any:
    """Return whether a revision now stands in one of the copy's gaps: one lookup in the primary
    key per gap (a join of the gaps with the revisions would read every revision)."""
    revision = ShipmentRevision.__table__.alias("late")  # type: ignore[attr-defined]
    low, high = kept.gaps
    gaps = (
        func.unnest(
            bindparam("gap_low", low.tolist(), type_=ARRAY(BigInteger)),
            bindparam("gap_high", high.tolist(), type_=ARRAY(BigInteger)),
        )
        .table_valued("low", "high")
        .render_derived(name="gap")
    )
    inside = (
        sa_select(revision.c.id)
        .where(revision.c.id > gaps.c.low, revision.c.id < gaps.c.high)
        .limit(1)
        .lateral("inside")
    )
    return sa_select(gaps.c.low).select_from(gaps.join(inside, true())).exists()


def _gaps(ids: Any) -> tuple[Any, Any]:
    """Return the gaps of sorted ``ids`` below the highest: (low, high) pairs, the ids between
    each pair missing (0 stands before the first id)."""
    bounds = np.r_[0, ids].astype(np.int64)
    missing = np.flatnonzero(np.diff(bounds) > 1)
    return bounds[missing], bounds[missing + 1]


def _merged(kept: History, rows: list[Any]) -> History:
    """Replace the revisions of the shipments in ``rows`` with those rows (all of theirs)."""
    numbers = {spelling: n for n, spelling in enumerate(kept.spellings)}
    fresh = _arrays(rows, numbers)
    spellings = tuple(numbers)
    touched = np.unique(fresh["shipment"])
    kept_rows = ~np.isin(kept.arrays["shipment"], touched)
    joined = {name: np.concatenate((kept.arrays[name][kept_rows], fresh[name])) for name in ARRAYS}
    order = np.argsort(joined["revision"], kind="stable")
    return _history(spellings, {name: array[order] for name, array in joined.items()})


def _read_whole(connection: Connection) -> History:
    revision = ShipmentRevision.__table__  # type: ignore[attr-defined]
    result = connection.execute(
        sa_select(*_columns(connection))
        .order_by(revision.c.id)
        .execution_options(yield_per=_READ_BATCH)
    )
    numbers: dict[tuple[str, str, str], int] = {}
    parts = [_arrays(batch, numbers) for batch in result.partitions(_READ_BATCH)]
    if not parts:
        parts = [_arrays([], numbers)]
    joined = {name: np.concatenate([p[name] for p in parts]) for name in ARRAYS}
    return _history(tuple(numbers), joined)


def _columns(connection: Connection) -> list[Any]:
    revision = ShipmentRevision.__table__  # type: ignore[attr-defined]
    sqlite = connection.dialect.name == "sqlite"
    return [
        revision.c.id,
        revision.c.shipment_id,
        revision.c.donor,
        revision.c.recipient,
        revision.c.cargo,
        # ISO text whatever the server's DateStyle, for numpy to read as days and microseconds.
        cast(revision.c.event_date, String)
        if sqlite
        else func.to_char(revision.c.event_date, "YYYY-MM-DD"),
        revision.c.mass_kg,
        _recorded_text(connection, revision.c.recorded_at),
        _recorded_text(connection, revision.c.superseded_at),
        revision.c.action,
    ]


def _recorded_text(connection: Connection, column: Any) -> Any:
    if connection.dialect.name == "sqlite":
        return cast(column, String)
    return func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS.US')


def _arrays(rows: Any, numbers: dict[tuple[str, str, str], int]) -> dict[str, Any]:
    rows = list(rows)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return {
            "revision": empty,
            "shipment": empty,
            "spelled": empty.astype(np.int32),
            "day": empty,
            "mass": empty,
            "recorded": empty,
            "superseded": empty,
            "retract": np.zeros(0, dtype=bool),
        }
    ids, shipments, donors, recipients, cargos, days, masses, recorded, superseded, actions = zip(
        *rows, strict=True
    )
    spelled = np.fromiter(
        (
            numbers.setdefault(spelling, len(numbers))
            for spelling in zip(donors, recipients, cargos, strict=True)
        ),
        dtype=np.int32,
        count=len(rows),
    )
    ended = np.array([s or "NaT" for s in superseded], dtype="datetime64[us]").astype(np.int64)
    ended[ended == np.iinfo(np.int64).min] = NEVER  # NaT: still standing
    return {
        "revision": np.array(ids, dtype=np.int64),
        "shipment": np.array(shipments, dtype=np.int64),
        "spelled": spelled,
        "day": np.array(days, dtype="datetime64[D]").astype(np.int64),
        "mass": np.array(masses, dtype=np.int64),
        "recorded": np.array(recorded, dtype="datetime64[us]").astype(np.int64),
        "superseded": ended,
        "retract": np.array([a == "retract" for a in actions], dtype=bool),
    }


def _history(spellings: tuple[tuple[str, str, str], ...], arrays: dict[str, Any]) -> History:
    standing = (arrays["superseded"] == NEVER) & ~arrays["retract"]
    keys, fold = folded(spellings)
    now = LedgerIndex.build(
        keys,
        fold[arrays["spelled"][standing]],
        arrays["day"][standing],
        arrays["shipment"][standing],
        arrays["mass"][standing],
    )
    count = len(arrays["revision"])
    return History(
        spellings=spellings,
        arrays=arrays,
        count=count,
        highest=int(arrays["revision"][-1]) if count else 0,
        highest_facts=(
            (int(arrays["recorded"][-1]), int(arrays["shipment"][-1]), int(arrays["mass"][-1]))
            if count
            else (0, 0, 0)
        ),
        now=now,
        gaps=_gaps(arrays["revision"]),
    )


def _parse(text: str) -> int:
    return int(np.datetime64(text, "us").astype(np.int64))


def _cache_key(session: Session) -> str | None:
    """Return the name of the database's kept copy, or None for an in-memory database."""
    url = session.connection().engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or "mode=memory" in str(url):
            return None
        return "sqlite:" + str(Path(url.database).resolve())
    return url.render_as_string(hide_password=True)
