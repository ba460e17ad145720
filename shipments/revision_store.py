"""The revision history as arrays, and the file a copy of them is kept in between processes.

``shipments.revision_arrays`` reads the history into a ``History`` and brings it up to date; this
module says what a ``History`` holds and keeps it in a file under ``LEDGER_CACHE_DIR`` (default
``~/.cache/shipments``; ``none``: no file), so that a new process (a command) starts from it. A
file is written whole under another name and then put in place; one that cannot be read, or was
written by another format or for another database, is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from shipments.ledger import ShipmentFilter
from shipments.reading_index import LedgerIndex, day_number

CACHE_SETTING = "LEDGER_CACHE_DIR"
FORMAT = 6  # bump when the file's arrays change meaning
NEVER = np.iinfo(np.int64).max  # superseded_at of a revision that still stands
ARRAYS = ("revision", "shipment", "spelled", "day", "mass", "recorded", "superseded", "retract")
DaysFrame = tuple[Any, Any, Any, Any]  # shipment ids, day numbers, masses, spellings


@dataclass(frozen=True)
class History:
    """Every revision's id, shipment, names as spelt (a number into ``spellings``), day, mass,
    when it was recorded and when superseded (``NEVER`` while it stands), and whether it
    retracts, sorted by revision id (``ARRAYS``, in a mapping that may read each from the kept
    file only when first asked); and the index of the shipments standing now."""

    spellings: tuple[tuple[str, str, str], ...]  # (donor, recipient, cargo) as recorded
    arrays: Mapping[str, Any]
    count: int  # how many revisions the copy holds
    highest: int  # the highest revision id held (0 if none)
    # That revision's recorded moment (microseconds), shipment and mass: another database
    # holding the same highest id is told apart by them.
    highest_facts: tuple[int, int, int]
    now: LedgerIndex
    # The ids below ``highest`` the copy does not hold, as (low, high) pairs of ids it holds
    # (0 before the first), each gap the ids strictly between: only there can a revision that
    # committed late be (``shipments.revision_arrays``). Kept, not found again at each check:
    # that would read every id of a copy mapped from its file.
    gaps: tuple[Any, Any] = field(compare=False)
    # The views last asked for (``in_view``), sorted: a page of the ledger as of a moment
    # after another costs a slice, not a sort.
    _sorted: dict[datetime, DaysFrame] = field(default_factory=dict, compare=False, repr=False)

    def standing(self, as_of: datetime) -> LedgerIndex:
        """Return the index of the shipments standing at ``as_of``: recorded by then, not
        superseded by then, not retracted (``shipments.ledger.standing``'s range condition)."""
        keys, fold = folded(self.spellings)
        ids, days, masses, spelled = self._standing_sorted(as_of)
        return LedgerIndex.build(keys, fold[spelled], days, ids, masses)

    def in_view(self, as_of: datetime, filters: ShipmentFilter | None) -> DaysFrame:
        """Return the shipments a view shows as of a moment (its dates and names, exactly as
        ``shipments.ledger.filters`` has the database compare them), oldest event first."""
        ids, days, masses, spelled = self._standing_sorted(as_of)
        if filters is None:
            return ids, days, masses, spelled
        if filters.sources_at_least is not None:
            raise ValueError("the history's arrays do not hold sources: ask the database")
        kept = np.ones(len(ids), dtype=bool)
        if filters.date_from is not None:
            kept &= days >= day_number(filters.date_from)
        if filters.date_to is not None:
            kept &= days <= day_number(filters.date_to)
        wanted = [set(names) for _, names in filters.by_name()]
        if any(wanted):
            allowed = [
                n
                for n, spelling in enumerate(self.spellings)
                if all(
                    not names or name in names for name, names in zip(spelling, wanted, strict=True)
                )
            ]
            kept &= np.isin(spelled, allowed)
        return ids[kept], days[kept], masses[kept], spelled[kept]

    def _standing_sorted(self, as_of: datetime) -> DaysFrame:
        with _sorting:  # threads of one server share a history
            if as_of in self._sorted:
                return self._sorted[as_of]
            moment = micros(as_of)
            a = self.arrays
            kept = (a["recorded"] <= moment) & (a["superseded"] > moment) & ~a["retract"]
            ids, days = a["shipment"][kept], a["day"][kept]
            order = np.lexsort((ids, days))
            if len(self._sorted) >= _VIEWS_KEPT:
                self._sorted.pop(next(iter(self._sorted)))
            found = (ids[order], days[order], a["mass"][kept][order], a["spelled"][kept][order])
            self._sorted[as_of] = found
            return found


def folded(
    spellings: tuple[tuple[str, str, str], ...],
) -> tuple[list[tuple[str, str, str]], Any]:
    """Return the key sets of the spellings, casefolded as in current_shipment (each once, in
    order of first spelling), and each spelling's number among them."""
    numbers: dict[tuple[str, str, str], int] = {}
    fold = [
        numbers.setdefault((d.casefold(), r.casefold(), c.casefold()), len(numbers))
        for d, r, c in spellings
    ]
    return list(numbers), np.array(fold, dtype=np.int32)


_VIEWS_KEPT = 4
_sorting = threading.Lock()


def micros(moment: datetime) -> int:
    """Return a moment as numpy's microseconds since 1970 (UTC)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return int(np.datetime64(naive, "us").astype(np.int64))


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
    return folder / f"revisions-{name}.arrays"


def save(where: str, history: History) -> None:
    """Keep a history in its file: a header (JSON: the facts of the copy, and each array's type,
    length and place) and then the arrays' bytes, which a later ``load`` maps, not reads."""
    path = _file(where)
    if path is None:
        return
    arrays = {name: np.ascontiguousarray(history.arrays[name]) for name in ARRAYS}
    arrays |= {
        f"now_{name}": np.ascontiguousarray(history.now.arrays[name]) for name in LedgerIndex.ARRAYS
    }
    arrays |= {name: np.ascontiguousarray(a) for name, a in zip(_GAPS, history.gaps, strict=True)}
    places: dict[str, tuple[str, int, int]] = {}
    offset = 0
    for name, array in arrays.items():
        places[name] = (array.dtype.str, len(array), offset)
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps(
        {
            "format": FORMAT,
            "where": where,
            "spellings": list(history.spellings),
            "count": history.count,
            "highest": history.highest,
            "highest_facts": list(history.highest_facts),
            "arrays": places,
        }
    ).encode()
    start = -(-(len(_MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            for name, array in arrays.items():
                handle.seek(start + places[name][2])
                handle.write(array.tobytes())
            handle.truncate(start + offset)
            handle.flush()
            os.fsync(handle.fileno())  # whole on disk before it takes the name
        os.replace(handle.name, path)
    except OSError:
        return  # a copy that cannot be kept costs the next command a whole read, nothing else


def load(where: str) -> History | None:
    """Return the history kept for ``where``, its arrays mapped from the file (each page read
    when first touched: a check of a thousand claims touches a few), or None."""
    path = _file(where)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            if handle.read(len(_MAGIC)) != _MAGIC:
                return None
            length = int.from_bytes(handle.read(8), "little")
            meta = json.loads(handle.read(length))
        if meta.get("format") != FORMAT or meta.get("where") != where:
            return None
        start = -(-(len(_MAGIC) + 8 + length) // _ALIGN) * _ALIGN
        # A mapping keeps the file it mapped: one another process puts in its place later is
        # not mixed with this one.
        arrays = {
            name: np.memmap(path, dtype=np.dtype(kind), mode="r", offset=start + at, shape=(n,))
            if n
            else np.zeros(0, dtype=np.dtype(kind))
            for name, (kind, n, at) in meta["arrays"].items()
        }
        spellings = tuple((d, r, c) for d, r, c in meta["spellings"])
        recorded, shipment, mass = (int(n) for n in meta["highest_facts"])
        now = {name: arrays[f"now_{name}"] for name in LedgerIndex.ARRAYS}
        return History(
            spellings=spellings,
            arrays={name: arrays[name] for name in ARRAYS},
            count=int(meta["count"]),
            highest=int(meta["highest"]),
            highest_facts=(recorded, shipment, mass),
            now=LedgerIndex(folded(spellings)[0], now),
            gaps=(arrays[_GAPS[0]], arrays[_GAPS[1]]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable: read the history again


_GAPS = ("gap_low", "gap_high")
_MAGIC = b"LEDGERARRAYS"
_ALIGN = 64
