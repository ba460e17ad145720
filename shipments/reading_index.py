"""The current ledger read once, for answering many claim readings without a query each.

From ``ONE_PASS_READINGS`` readings on (``shipments.reconcile``), reading ``current_shipment``
once into sorted arrays beats a query per reading on a large ledger (bench/RESULTS.md,
"reconciliation").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from shipments.models import ClaimReadingBase, CurrentShipment, ShipmentRevision
from shipments.rules import NAME_FIELDS


class LedgerIndex:
    """The current ledger read once, sorted for answering many readings without a query each.

    Rows are numbered by their (donor, recipient, cargo) keys, casefolded as in current_shipment.
    Sorted by (keys, date), the rows of one key set form a run in date order, so a reading's
    count and sum over a date range are two binary searches per key set it names and a
    difference of running sums. Sorted by (date, id), a reading's first ids are the first rows
    of its date range whose key set it names.
    """

    def __init__(
        self, keys: list[tuple[str, str, str]], combo: Any, day: Any, ids: Any, mass: Any
    ) -> None:
        self.keys = keys
        by_keys = np.lexsort((ids, day, combo))
        self.key_day = combo[by_keys].astype(np.int64) * _DAYS + day[by_keys]
        self.running = np.concatenate(([0], np.cumsum(mass[by_keys], dtype=np.int64)))
        by_day = np.lexsort((ids, day))
        self.day_sorted = day[by_day]
        self.day_combo = combo[by_day]
        self.day_ids = ids[by_day]

    @classmethod
    def read(cls, session: Session, as_of: datetime | None = None) -> LedgerIndex:
        """Read the keys, dates, ids and masses of the shipments standing now (current_shipment)
        or as of a moment (the revisions standing then, names casefolded here), in batches."""
        sqlite = session.get_bind().dialect.name == "sqlite"
        if as_of is None:
            table = CurrentShipment
            names: tuple[Any, ...] = (
                col(table.donor_key),
                col(table.recipient_key),
                col(table.cargo_key),
            )
            event_date: Any = col(table.event_date)
            rest: tuple[Any, ...] = (col(table.shipment_id), col(table.mass_kg))
            source: Any = table
            conditions: list[Any] = []
        else:
            revision = ShipmentRevision
            names = (col(revision.donor), col(revision.recipient), col(revision.cargo))
            event_date = col(revision.event_date)
            rest = (col(revision.shipment_id), col(revision.mass_kg))
            source = revision
            superseded = col(revision.superseded_at)
            conditions = [
                col(revision.recorded_at) <= as_of,
                or_(superseded.is_(None), superseded > as_of),
                col(revision.action) != "retract",
            ]
        result = session.connection().execute(
            sa_select(
                *names,
                # ISO text whatever the server's DateStyle, for numpy to read as days.
                cast(event_date, String) if sqlite else func.to_char(event_date, "YYYY-MM-DD"),
                *rest,
            )
            .select_from(source)
            .where(*conditions)
            .execution_options(yield_per=_READ_BATCH)
        )
        fold = as_of is not None  # current_shipment's keys are casefolded already
        numbers: dict[tuple[str, str, str], int] = {}
        combos, days, ids, masses = [], [], [], []
        for batch in result.partitions(_READ_BATCH):
            donors, recipients, cargos, dates, shipment_ids, mass = zip(*batch, strict=True)
            if fold:
                donors = tuple(d.casefold() for d in donors)
                recipients = tuple(r.casefold() for r in recipients)
                cargos = tuple(c.casefold() for c in cargos)
            combos.append(
                np.fromiter(
                    (
                        numbers.setdefault(k, len(numbers))
                        for k in zip(donors, recipients, cargos, strict=True)
                    ),
                    dtype=np.int32,
                    count=len(batch),
                )
            )
            days.append(np.array(dates, dtype="datetime64[D]").astype(np.int64))
            ids.append(np.array(shipment_ids, dtype=np.int64))
            masses.append(np.array(mass, dtype=np.int64))
        if not combos:
            empty = np.zeros(0, dtype=np.int64)
            return cls([], empty.astype(np.int32), empty, empty, empty)
        return cls(
            list(numbers),
            np.concatenate(combos),
            np.concatenate(days),
            np.concatenate(ids),
            np.concatenate(masses),
        )

    def matching(self, reading: ClaimReadingBase, listed: int) -> tuple[tuple[int, ...], int, int]:
        """Return what ``_matching_now`` returns, from the index."""
        wanted = [
            (i, value.casefold())
            for i, name in enumerate(NAME_FIELDS)
            if (value := getattr(reading, name))
        ]
        combos = np.array(
            [n for n, key in enumerate(self.keys) if all(key[i] == v for i, v in wanted)],
            dtype=np.int64,
        )
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
_READ_BATCH = 50_000


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))
