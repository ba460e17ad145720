"""The standing ledger as sorted arrays, for answering many claim readings without a query each.

From ``ONE_PASS_READINGS`` readings on (``shipments.reconcile``), answering from arrays beats a
query per reading on a large ledger (bench/RESULTS.md, "reconciliation");
``shipments.revision_arrays`` keeps the rows between reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import numpy as np

from shipments.models import ClaimReadingBase
from shipments.rules import NAME_FIELDS


class LedgerIndex:
    """The ledger's standing shipments, sorted for answering many readings without a query each.

    Rows are numbered by their (donor, recipient, cargo) keys, casefolded as in current_shipment.
    Sorted by (keys, date), the rows of one key set form a run in date order, so a reading's
    count and sum over a date range are two binary searches per key set it names and a
    difference of running sums. Sorted by (date, id), a reading's first ids are the first rows
    of its date range whose key set it names. ``shipments.revision_arrays`` reads the rows.
    """

    ARRAYS = ("key_day", "running", "day_sorted", "day_combo", "day_ids")

    def __init__(self, keys: list[tuple[str, str, str]], arrays: Mapping[str, Any]) -> None:
        """Take the key sets and the sorted ``ARRAYS`` (a mapping that may read each only when
        first asked: a reading without ids needs two of the five)."""
        self.keys = keys
        self.arrays = arrays
        self._by_name: list[dict[str, list[int]]] | None = None
        self._answers: dict[tuple[Any, ...], tuple[int, int]] = {}

    @property
    def key_day(self) -> Any:
        """Each row's key set number times ``_DAYS`` plus its day, sorted."""
        return self.arrays["key_day"]

    @property
    def running(self) -> Any:
        """The running sum of the masses in ``key_day`` order, from 0."""
        return self.arrays["running"]

    @property
    def day_sorted(self) -> Any:
        """Each row's day, sorted by day and shipment id."""
        return self.arrays["day_sorted"]

    @property
    def day_combo(self) -> Any:
        """Each row's key set number, in ``day_sorted`` order."""
        return self.arrays["day_combo"]

    @property
    def day_ids(self) -> Any:
        """Each row's shipment id, in ``day_sorted`` order."""
        return self.arrays["day_ids"]

    @classmethod
    def build(
        cls, keys: list[tuple[str, str, str]], combo: Any, day: Any, ids: Any, mass: Any
    ) -> LedgerIndex:
        """Sort the rows (each a key set number, a day number, a shipment id and a mass)."""
        by_keys = np.lexsort((ids, day, combo))
        by_day = np.lexsort((ids, day))
        return cls(
            keys,
            {
                "key_day": combo[by_keys].astype(np.int64) * _DAYS + day[by_keys],
                "running": np.concatenate(([0], np.cumsum(mass[by_keys], dtype=np.int64))),
                "day_sorted": day[by_day],
                "day_combo": combo[by_day],
                "day_ids": ids[by_day],
            },
        )

    def daily(self) -> tuple[Any, Any, Any]:
        """Return the days that hold standing shipments (day numbers, ascending), each day's
        count and its summed mass, added up in integers (a view of the whole ledger now)."""
        key_day = np.asarray(self.key_day)
        if not len(key_day):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        combos = (key_day + _DAYS // 2) // _DAYS  # days before 1970 are negative
        offsets = key_day - combos * _DAYS
        first = int(offsets.min())
        offsets -= first
        masses = np.diff(np.asarray(self.running))
        counts = np.bincount(offsets)
        sums = np.zeros(len(counts), dtype=np.int64)
        np.add.at(sums, offsets, masses)
        present = np.flatnonzero(counts)
        return present + first, counts[present], sums[present]

    def _combos(self, wanted: list[tuple[int, str]]) -> list[int]:
        """Return the numbers of the key sets whose names equal every (position, name) wanted."""
        if not wanted:
            return list(range(len(self.keys)))
        by_name = self._by_name
        if by_name is None:
            # Built whole, then set: threads of one server share an index.
            by_name = [{}, {}, {}]
            for n, key in enumerate(self.keys):
                for position, name in enumerate(key):
                    by_name[position].setdefault(name, []).append(n)
            self._by_name = by_name
        found: set[int] | None = None
        for position, name in wanted:
            numbers = by_name[position].get(name, [])
            found = set(numbers) if found is None else found.intersection(numbers)
        return sorted(found or ())

    def answer(self, readings: Iterable[ClaimReadingBase]) -> None:
        """Count and sum the shipments of every reading at once: two binary searches over the
        ledger for all of them, not two per reading; ``matching`` then looks each up."""
        asked: dict[tuple[Any, ...], tuple[Any, int, int]] = {}
        for reading in readings:
            key = _reading_key(reading)
            if key not in asked and key not in self._answers:
                asked[key] = self._bounds(reading)
        asked = {key: bounds for key, bounds in asked.items() if len(bounds[0])}
        if not asked:
            return
        combos = np.concatenate([c for c, _, _ in asked.values()])
        firsts = np.concatenate([np.full(len(c), f) for c, f, _ in asked.values()])
        lasts = np.concatenate([np.full(len(c), last) for c, _, last in asked.values()])
        low = _search(self.key_day, combos * _DAYS + firsts, "left")
        high = _search(self.key_day, combos * _DAYS + lasts, "right")
        sizes = [len(c) for c, _, _ in asked.values()]
        starts = np.cumsum([0, *sizes[:-1]])
        counts = np.add.reduceat(high - low, starts)
        masses = np.add.reduceat(self.running[high] - self.running[low], starts)
        for key, count, mass in zip(asked, counts, masses, strict=True):
            self._answers[key] = (int(count), int(mass))

    def matching(self, reading: ClaimReadingBase, listed: int) -> tuple[tuple[int, ...], int, int]:
        """Return what ``_matching_now`` returns, from the index."""
        combos, first, last = self._bounds(reading)
        if not len(combos):
            return (), 0, 0
        answered = self._answers.get(_reading_key(reading))
        if answered is None:
            low = np.searchsorted(self.key_day, combos * _DAYS + first, side="left")
            high = np.searchsorted(self.key_day, combos * _DAYS + last, side="right")
            answered = int((high - low).sum()), int((self.running[high] - self.running[low]).sum())
        count, mass = answered
        if not listed or not count:
            return (), count, mass
        start = int(np.searchsorted(self.day_sorted, first, side="left"))
        stop = int(np.searchsorted(self.day_sorted, last, side="right"))
        found: list[Any] = []
        wanted_combos = combos.astype(np.int32)
        step = 4 * listed
        while start < stop and sum(len(f) for f in found) < listed:
            end = min(start + step, stop)
            hits = np.isin(self.day_combo[start:end], wanted_combos)
            found.append(self.day_ids[start:end][hits])
            start, step = end, step * 2
        ids = np.concatenate(found)[:listed] if found else np.zeros(0, dtype=np.int64)
        return tuple(int(i) for i in ids), count, mass

    def _bounds(self, reading: ClaimReadingBase) -> tuple[Any, int, int]:
        """Return the key set numbers a reading names, and its first and last day numbers."""
        wanted = [
            (i, value.casefold())
            for i, name in enumerate(NAME_FIELDS)
            if (value := getattr(reading, name))
        ]
        combos = np.array(self._combos(wanted), dtype=np.int64)
        first = day_number(reading.start) if reading.start is not None else -_DAYS // 2
        last = day_number(reading.end) + (0 if reading.inclusive else -1)
        return combos, first, last


def _search(sorted_values: Any, needles: Any, side: Any) -> Any:
    """Return ``np.searchsorted`` of the needles, searched in their own order: each search
    starts from the last one's place, and the pages of a mapped array are each touched once."""
    order = np.argsort(needles, kind="stable")
    found = np.empty(len(needles), dtype=np.int64)
    found[order] = np.searchsorted(sorted_values, needles[order], side=side)
    return found


def _reading_key(reading: ClaimReadingBase) -> tuple[Any, ...]:
    """Return what a reading's count and sum depend on: its dates and names."""
    return (
        reading.start,
        reading.end,
        reading.inclusive,
        *(getattr(reading, name) for name in NAME_FIELDS),
    )


_DAYS = 1 << 20  # more days than any date from 1900 to far ahead: keys * _DAYS + day is unique


_EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Return numpy's day number of a date (days since 1970-01-01), without numpy's slow path."""
    return (day - _EPOCH).days
