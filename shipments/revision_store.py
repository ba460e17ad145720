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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from shipments.reading_index import LedgerIndex

CACHE_SETTING = "LEDGER_CACHE_DIR"
FORMAT = 3  # bump when the file's arrays change meaning
NEVER = np.iinfo(np.int64).max  # superseded_at of a revision that still stands
ARRAYS = ("revision", "shipment", "combo", "day", "mass", "recorded", "superseded", "retract")


@dataclass(frozen=True)
class History:
    """Every revision's id, shipment, names' key set, day, mass, when it was recorded and when
    superseded (``NEVER`` while it stands), and whether it retracts, sorted by revision id
    (``ARRAYS``, in a mapping that may read each from the kept file only when first asked);
    and the index of the shipments standing now."""

    keys: tuple[tuple[str, str, str], ...]
    arrays: Mapping[str, Any]
    count: int  # how many revisions the copy holds
    highest: int  # the highest revision id held (0 if none)
    # That revision's recorded moment (microseconds), shipment and mass: another database
    # holding as many revisions up to the same id is told apart by them.
    highest_facts: tuple[int, int, int]
    now: LedgerIndex
    # Whether a transaction was writing when the copy was read (PostgreSQL: see
    # shipments.revision_arrays, which reads and brings up to date).
    writers_then: bool = False

    def standing(self, as_of: datetime) -> LedgerIndex:
        """Return the index of the shipments standing at ``as_of``: recorded by then, not
        superseded by then, not retracted (``shipments.ledger.standing``'s range condition)."""
        moment = micros(as_of)
        a = self.arrays
        kept = (a["recorded"] <= moment) & (a["superseded"] > moment) & ~a["retract"]
        return LedgerIndex.build(
            list(self.keys), a["combo"][kept], a["day"][kept], a["shipment"][kept], a["mass"][kept]
        )


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
    return folder / f"revisions-{name}.npz"


def save(where: str, history: History) -> None:
    path = _file(where)
    if path is None:
        return
    arrays = {name: history.arrays[name] for name in ARRAYS}
    arrays |= {f"now_{name}": history.now.arrays[name] for name in LedgerIndex.ARRAYS}
    meta = {
        "format": FORMAT,
        "where": where,
        "keys": list(history.keys),
        "count": history.count,
        "highest": history.highest,
        "highest_facts": list(history.highest_facts),
        "writers_then": history.writers_then,
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            np.savez(handle, **arrays)
        os.replace(handle.name, path)
    except OSError:
        return  # a copy that cannot be kept costs the next command a whole read, nothing else


def load(where: str) -> History | None:
    path = _file(where)
    if path is None or not path.exists():
        return None
    try:
        # Kept open: a file another process puts in its place later is not mixed with this one.
        stored = _Stored(np.load(path, allow_pickle=False))
        meta = json.loads(stored["meta"].tobytes())
        if meta.get("format") != FORMAT or meta.get("where") != where:
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
            writers_then=bool(meta["writers_then"]),
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
