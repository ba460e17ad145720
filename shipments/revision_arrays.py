"""The revision history as arrays, kept between reads and brought up to date from its log.

Reconciling a thousand claims reads the whole ledger; a million rows cost seconds to fetch
before anything is done with them (bench/RESULTS.md). The history is append-only (the
database's triggers refuse any change but a revision's ``superseded_at`` being set once, when
the next revision is recorded), so a copy read once stays true and only needs what was
recorded since: the revisions of the shipments that have a revision with a higher id than the
copy's highest. Both are read in one statement, so they come from one snapshot.

On PostgreSQL a revision can commit after one with a higher id (ids are handed out before
commit; SQLite's one writer takes them in order). The copy keeps how many revisions it holds up
to its highest id; when PostgreSQL counts more up to that id, one came late and the copy is
read again whole. The same count, and the highest
revision's facts, also tell a copy from that of another database that once had the same file
name.

The arrays are kept in this process's memory and, for a file-backed or server database, in a
file under ``LEDGER_CACHE_DIR`` (default ``~/.cache/shipments``; ``none`` keeps them in memory
only), so that a new process (a command) starts from them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from shipments.models import ShipmentRevision
from shipments.reading_index import LedgerIndex

CACHE_SETTING = "LEDGER_CACHE_DIR"
_FORMAT = 2  # bump when the file's arrays change meaning
_NEVER = np.iinfo(np.int64).max  # superseded_at of a revision that still stands
_READ_BATCH = 50_000
_ARRAYS = ("revision", "shipment", "combo", "day", "mass", "recorded", "superseded", "retract")


@dataclass(frozen=True)
class History:
    """Every revision's id, shipment, names' key set, day, mass, when it was recorded and when
    superseded (``_NEVER`` while it stands), and whether it retracts, sorted by revision id
    (``_ARRAYS``, in a mapping that may read each from the kept file only when first asked);
    and the index of the shipments standing now."""

    keys: tuple[tuple[str, str, str], ...]
    arrays: Mapping[str, Any]
    count: int  # how many revisions the copy holds
    highest: int  # the highest revision id held (0 if none)
    # That revision's recorded moment (microseconds), shipment and mass: another database
    # holding as many revisions up to the same id is told apart by them.
    highest_facts: tuple[int, int, int]
    now: LedgerIndex

    def standing(self, as_of: datetime) -> LedgerIndex:
        """Return the index of the shipments standing at ``as_of``: recorded by then, not
        superseded by then, not retracted (``shipments.ledger.standing``'s range condition)."""
        moment = _micros(as_of)
        a = self.arrays
        kept = (a["recorded"] <= moment) & (a["superseded"] > moment) & ~a["retract"]
        return LedgerIndex.build(
            list(self.keys), a["combo"][kept], a["day"][kept], a["shipment"][kept], a["mass"][kept]
        )


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
        kept = _memory.get(where) or _load(where)
        fresh = _brought_up_to_date(session.connection(), kept)
        if fresh is not kept:
            _save(where, fresh)
        _memory[where] = fresh
        return fresh


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
    # SQLite has one writer at a time, which takes the next id inside its write: ids become
    # visible in order, and counting a million of them would cost a tenth of a second.
    held = (
        literal(kept.count)
        if connection.dialect.name == "sqlite"
        else sa_select(func.count())
        .select_from(revision)
        .where(revision.c.id <= kept.highest)
        .scalar_subquery()
    )
    facts = [
        sa_select(column).where(revision.c.id == kept.highest).scalar_subquery().label(name)
        for name, column in (
            ("recorded", _recorded_text(connection, revision.c.recorded_at)),
            ("shipment", revision.c.shipment_id),
            ("mass", revision.c.mass_kg),
        )
    ]
    touched = sa_select(revision.c.shipment_id).where(revision.c.id > kept.highest)
    checks = sa_select(held.label("held"), *facts).subquery()
    rows = connection.execute(
        sa_select(*checks.c, *_columns(connection))
        .select_from(checks)
        .outerjoin(revision, revision.c.shipment_id.in_(touched))
        .order_by(revision.c.id)
    ).all()
    held_now, recorded_text, shipment, mass = rows[0][:4]
    if kept.highest and (
        held_now != kept.count
        or recorded_text is None
        or (_parse(recorded_text), shipment, mass) != kept.highest_facts
    ):
        return _read_whole(connection)  # a late revision, or another database
    new = [row[4:] for row in rows if row[4] is not None]
    if not new:
        return kept
    return _merged(kept, new)


def _merged(kept: History, rows: list[Any]) -> History:
    """Replace the revisions of the shipments in ``rows`` with those rows (all of theirs)."""
    numbers = {key: n for n, key in enumerate(kept.keys)}
    fresh = _arrays(rows, numbers)
    keys = tuple(numbers)
    touched = np.unique(fresh["shipment"])
    kept_rows = ~np.isin(kept.arrays["shipment"], touched)
    joined = {name: np.concatenate((kept.arrays[name][kept_rows], fresh[name])) for name in _ARRAYS}
    order = np.argsort(joined["revision"], kind="stable")
    return _history(keys, {name: array[order] for name, array in joined.items()})


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
    joined = {name: np.concatenate([p[name] for p in parts]) for name in _ARRAYS}
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
            "combo": empty.astype(np.int32),
            "day": empty,
            "mass": empty,
            "recorded": empty,
            "superseded": empty,
            "retract": np.zeros(0, dtype=bool),
        }
    ids, shipments, donors, recipients, cargos, days, masses, recorded, superseded, actions = zip(
        *rows, strict=True
    )
    combo = np.fromiter(
        (
            numbers.setdefault((d.casefold(), r.casefold(), c.casefold()), len(numbers))
            for d, r, c in zip(donors, recipients, cargos, strict=True)
        ),
        dtype=np.int32,
        count=len(rows),
    )
    ended = np.array([s or "NaT" for s in superseded], dtype="datetime64[us]").astype(np.int64)
    ended[ended == np.iinfo(np.int64).min] = _NEVER  # NaT: still standing
    return {
        "revision": np.array(ids, dtype=np.int64),
        "shipment": np.array(shipments, dtype=np.int64),
        "combo": combo,
        "day": np.array(days, dtype="datetime64[D]").astype(np.int64),
        "mass": np.array(masses, dtype=np.int64),
        "recorded": np.array(recorded, dtype="datetime64[us]").astype(np.int64),
        "superseded": ended,
        "retract": np.array([a == "retract" for a in actions], dtype=bool),
    }


def _history(keys: tuple[tuple[str, str, str], ...], arrays: dict[str, Any]) -> History:
    standing = (arrays["superseded"] == _NEVER) & ~arrays["retract"]
    now = LedgerIndex.build(
        list(keys),
        arrays["combo"][standing],
        arrays["day"][standing],
        arrays["shipment"][standing],
        arrays["mass"][standing],
    )
    count = len(arrays["revision"])
    return History(
        keys=keys,
        arrays=arrays,
        count=count,
        highest=int(arrays["revision"][-1]) if count else 0,
        highest_facts=(
            (int(arrays["recorded"][-1]), int(arrays["shipment"][-1]), int(arrays["mass"][-1]))
            if count
            else (0, 0, 0)
        ),
        now=now,
    )


def _micros(moment: datetime) -> int:
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return int(np.datetime64(naive, "us").astype(np.int64))


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


def _cache_dir() -> Path | None:
    chosen = os.environ.get(CACHE_SETTING, "").strip()
    if chosen.lower() == "none":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "shipments"


def _file(where: str) -> Path | None:
    folder = _cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256(where.encode()).hexdigest()[:24]
    return folder / f"revisions-{name}.npz"


def _save(where: str, history: History) -> None:
    path = _file(where)
    if path is None:
        return
    arrays = {name: history.arrays[name] for name in _ARRAYS}
    arrays |= {f"now_{name}": history.now.arrays[name] for name in LedgerIndex.ARRAYS}
    meta = {
        "format": _FORMAT,
        "where": where,
        "keys": list(history.keys),
        "count": history.count,
        "highest": history.highest,
        "highest_facts": list(history.highest_facts),
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            np.savez(handle, **arrays)
        os.replace(handle.name, path)
    except OSError:
        return  # a copy that cannot be kept costs the next command a whole read, nothing else


def _load(where: str) -> History | None:
    path = _file(where)
    if path is None or not path.exists():
        return None
    try:
        # Kept open: a file another process puts in its place later is not mixed with this one.
        stored = _Stored(np.load(path, allow_pickle=False))
        meta = json.loads(stored["meta"].tobytes())
        if meta.get("format") != _FORMAT or meta.get("where") != where:
            return None
        keys = tuple((d, r, c) for d, r, c in meta["keys"])
        recorded, shipment, mass = (int(n) for n in meta["highest_facts"])
        return History(
            keys=keys,
            arrays=stored,
            count=int(meta["count"]),
            highest=int(meta["highest"]),
            highest_facts=(recorded, shipment, mass),
            now=LedgerIndex(list(keys), _Prefixed(stored, "now_")),
        )
    except (OSError, ValueError, KeyError):
        return None  # unreadable: read the history again


class _Stored(Mapping[str, Any]):
    """The arrays of a kept file, each read when first asked for."""

    def __init__(self, stored: Any) -> None:
        self._stored = stored
        self._read: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._read:
            self._read[name] = self._stored[name]
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored.files)

    def __len__(self) -> int:
        return len(self._stored.files)


class _Prefixed(Mapping[str, Any]):
    """The arrays of a mapping whose names start with a prefix, without it."""

    def __init__(self, arrays: Mapping[str, Any], prefix: str) -> None:
        self._arrays = arrays
        self._prefix = prefix

    def __getitem__(self, name: str) -> Any:
        return self._arrays[self._prefix + name]

    def __iter__(self) -> Iterator[str]:
        return (n[len(self._prefix) :] for n in self._arrays if n.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)
