"""Streaming CSV export: rows are written as they are read, never gathered into a whole file.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) are prefixed with an apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from shipments.models import ShipmentPublic, format_tonnes

SHIPMENT_COLUMNS: tuple[str, ...] = (
    "id",
    "revision",
    "event_date",
    "date_means",
    "donor",
    "recipient",
    "cargo",
    "cargo_description",
    "tonnes",
    "kilograms",
    "source_urls",
    "note",
    "recorded_by",
    "recorded_at",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return ``value`` made inert for spreadsheets if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def shipment_rows(shipments: Iterable[ShipmentPublic]) -> Iterator[dict[str, Any]]:
    """Turn shipments into export rows: one per shipment, tonnes and kilograms, source URLs."""
    for s in shipments:
        yield {
            "id": s.id,
            "revision": s.revision,
            "event_date": s.event_date.isoformat(),
            "date_means": s.date_means,
            "donor": s.donor,
            "recipient": s.recipient,
            "cargo": s.cargo,
            "cargo_description": s.cargo_description or "",
            "tonnes": format_tonnes(s.mass_kg),
            "kilograms": s.mass_kg,
            "source_urls": " ".join(source.url for source in s.sources),
            "note": s.note or "",
            "recorded_by": s.recorded_by,
            "recorded_at": s.recorded_at.isoformat(),
        }


def write_csv(
    rows: Iterable[Mapping[str, Any]], file: TextIO, columns: Sequence[str] = SHIPMENT_COLUMNS
) -> int:
    """Write a header and ``rows`` as CSV, neutralising formulas; return the rows written."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise(row.get(column, "")) for column in columns])
        count += 1
    return count
