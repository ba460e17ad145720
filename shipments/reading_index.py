"""The standing ledger as sorted arrays, for answering many claim readings without a query each.

From ``ONE_PASS_READINGS`` readings on (``shipments.reconcile``), answering from arrays beats a
query per reading on a large ledger (bench/RESULTS.md, "reconciliation");
``shipments.revision_arrays`` keeps the rows between reads.
"""

from __future__ import annotations

from collections.abc import Mapping
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

    def _combos(self, wanted: list[tuple[int, str]]) -> list[int]:
        """Return the numbers of the key sets whose names equal every (position, name) wanted."""
        if not wanted:
            return list(range(len(self.keys)))
        if self._by_name is None:
            self._by_name = [{}, {}, {}]
            for n, key in enumerate(self.keys):
                for position, name in enumerate(key):
                    self._by_name[position].setdefault(name, []).append(n)
        found: set[int] | None = None
        for position, name in wanted:
            numbers = self._by_name[position].get(name, [])
            found = set(numbers) if found is None else found.intersection(numbers)
        return sorted(found or ())

    def matching(self, reading: ClaimReadingBase, listed: int) -> tuple[tuple[int, ...], int, int]:
        """Return what ``_matching_now`` returns, from the index."""
        wanted = [
            (i, value.casefold())
            for i, name in enumerate(NAME_FIELDS)
            if (value := getattr(reading, name))
        ]
        combos = np.array(self._combos(wanted), dtype=np.int64)
        if not len(combos):
            return (), 0, 0
        first = _day_number(reading.start) if reading.start is not None else -_DAYS // 2
        last = _day_number(reading.end) + (0 if reading.inclusive else -1)
        low = np.searchsorted(self.key_day, combos * _DAYS + first, side="left")
        high = np.searchsorted(self.key_day, combos * _DAYS + last, side="right")
        count = int((high - low).sum())
        mass = int((self.running[high] - self.running[low]).sum())
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


_DAYS = 1 << 20  # more days than any date from 1900 to far ahead: keys * _DAYS + day is unique


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))
