"""Streaming CSV and HXL export: rows are written as they are read, never gathered in memory.

An HXL file is the same CSV with a row of HXL hashtags under the header (https://hxlstandard.org),
so humanitarian tools can map its columns whatever the header words say. Text cells that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) are prefixed with an apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from shipments.ledger import ShipmentFilter, ShipmentRow
from shipments.models import KG_PER_TONNE, ClaimPublic, ShipmentPublic, SourcePublic

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
    "sources",
    "source_urls",
    "note",
    "recorded_by",
    "recorded_at",
)

# HXL hashtags by column. Tonnes go in #item+num with a unit column (#value is for money); the
# kilograms column is left out of HXL files so that #item+num means one quantity.
SHIPMENT_HXL: dict[str, str] = {
    "id": "#meta+id",
    "revision": "#meta+revision",
    "event_date": "#date+occurred",
    "date_means": "#meta+date_means",
    "donor": "#org+funder+name",
    "recipient": "#country+dest",
    "cargo": "#item+type",
    "cargo_description": "#item+name",
    "tonnes": "#item+num",
    "unit": "#item+unit",
    "sources": "#meta+source",
    "source_urls": "#meta+url",
    "note": "#description+notes",
    "recorded_by": "#meta+recorded_by",
    "recorded_at": "#date+recorded",
}

CLAIM_COLUMNS: tuple[str, ...] = (
    "id",
    "claimant",
    "stated_on",
    "metric",
    "value",
    "qualifier",
    "tolerance_pct",
    "readings",
    "quote",
    "source",
    "source_url",
    "note",
    "recorded_by",
    "recorded_at",
)

CLAIM_HXL: dict[str, str] = {
    "id": "#meta+id",
    "claimant": "#org+claimant+name",
    "stated_on": "#date+reported",
    "metric": "#indicator+type",
    "value": "#indicator+num+claimed",
    "qualifier": "#indicator+qualifier",
    "tolerance_pct": "#indicator+pct+tolerance",
    "readings": "#description+readings",
    "quote": "#description+quote",
    "source": "#meta+source",
    "source_url": "#meta+url",
    "note": "#description+notes",
    "recorded_by": "#meta+recorded_by",
    "recorded_at": "#date+recorded",
}

SOURCE_COLUMNS: tuple[str, ...] = ("id", "publisher", "title", "url", "published_date", "kind")

SOURCE_HXL: dict[str, str] = {
    "id": "#meta+id",
    "publisher": "#meta+source",
    "title": "#meta+title",
    "url": "#meta+url",
    "published_date": "#date+published",
    "kind": "#meta+kind",
}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_NAME_STEM = 150
_THOUSANDTH = Decimal("0.001")


def neutralise(value: Any) -> Any:
    """Return ``value`` made inert for spreadsheets if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def tonnes(mass_kg: int) -> Decimal:
    """Return kilograms as tonnes with exactly three decimals."""
    return (Decimal(mass_kg) / KG_PER_TONNE).quantize(_THOUSANDTH)


def shipment_rows(shipments: Iterable[ShipmentPublic | ShipmentRow]) -> Iterator[dict[str, Any]]:
    """Turn shipments into export rows: one per shipment, tonnes and kilograms, its sources."""
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
            "tonnes": tonnes(s.mass_kg),
            "unit": "t",
            "kilograms": s.mass_kg,
            "sources": "; ".join(f"{source.publisher}: {source.title}" for source in s.sources),
            "source_urls": " ".join(source.url for source in s.sources),
            "note": s.note or "",
            "recorded_by": s.recorded_by,
            "recorded_at": s.recorded_at.isoformat(),
        }


def claim_rows(claims: Iterable[ClaimPublic]) -> Iterator[dict[str, Any]]:
    """Turn claims into export rows, one per claim, its readings described in words."""
    for c in claims:
        yield {
            "id": c.id,
            "claimant": c.claimant,
            "stated_on": c.stated_on.isoformat() if c.stated_on else "",
            "metric": c.metric,
            "value": Decimal(c.value),
            "qualifier": c.qualifier,
            "tolerance_pct": c.tolerance_pct if c.tolerance_pct is not None else "",
            "readings": "; ".join(r.describe() for r in c.readings),
            "quote": c.quote,
            "source": f"{c.source.publisher}: {c.source.title}",
            "source_url": c.source.url,
            "note": c.note or "",
            "recorded_by": c.recorded_by,
            "recorded_at": c.recorded_at.isoformat(),
        }


def source_rows(sources: Iterable[SourcePublic]) -> Iterator[dict[str, Any]]:
    """Turn sources into export rows."""
    for s in sources:
        yield {
            "id": s.id,
            "publisher": s.publisher,
            "title": s.title,
            "url": s.url,
            "published_date": s.published_date.isoformat() if s.published_date else "",
            "kind": s.kind,
        }


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    file: TextIO,
    columns: Sequence[str] = SHIPMENT_COLUMNS,
    *,
    hxl: Mapping[str, str] | None = None,
) -> int:
    """Write a header (and the HXL hashtag row) then ``rows``, neutralising formulas.

    Return the number of data rows written.
    """
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    if hxl is not None:
        writer.writerow([hxl.get(column, "") for column in columns])
    count = 0
    for row in rows:
        writer.writerow([neutralise(row.get(column, "")) for column in columns])
        count += 1
    return count


def download_name(
    kind: str,
    *,
    filters: ShipmentFilter | None = None,
    as_of: datetime | None = None,
    on: date,
    hxl: bool = False,
) -> str:
    """Name a download after what it holds: kind, filter, moment, the day it was made."""
    parts = [kind]
    f = filters or ShipmentFilter()
    if f.date_from or f.date_to:
        start = f.date_from.isoformat() if f.date_from else "start"
        end = f.date_to.isoformat() if f.date_to else "now"
        parts.append(f"{start}-to-{end}")
    for label, values in (("donor", f.donors), ("recipient", f.recipients), ("cargo", f.cargos)):
        if values:
            parts.append(f"{label}-" + "+".join(values))
    if as_of is not None:
        parts.append("as-of-" + as_of.strftime("%Y-%m-%dT%H%M%SZ"))
    parts.append(on.isoformat())
    if hxl:
        parts.append("hxl")
    safe = [re.sub(r"[^\w+.-]+", "-", part).strip("-") for part in parts]
    stem = "_".join(p for p in safe if p)
    if len(stem) > MAX_NAME_STEM:
        # Keep the kind at the front and the day (and "hxl") at the end; shorten the middle.
        tail = "_".join(safe[-2:] if hxl else safe[-1:])
        stem = stem[: MAX_NAME_STEM - len(tail) - 5].rstrip("_-+") + "_etc_" + tail
    return stem + ".csv"
