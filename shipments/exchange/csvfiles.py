"""CSV files as the ledger writes them: streamed, formulas made inert, named after what they hold.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) are prefixed with an apostrophe; numbers are written as numbers. An HXL
file is the same CSV with a row of HXL hashtags under the header (https://hxlstandard.org), so
humanitarian tools can map its columns whatever the header words say.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO

from shipments.ledger import ShipmentFilter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_NAME_STEM = 150


# A spreadsheet looks past leading spaces and quotes for a formula: so does neutralise().
LEADING = " \t\r\n'\""


def neutralise(value: Any) -> Any:
    """Return ``value`` made inert for spreadsheets if it is text that starts like a formula,
    at its first character or after leading spaces and quotes."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip(LEADING).startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """Return a trimmed cell as it was before ``neutralise``: the apostrophe it put before a
    formula goes; any other text is returned as it is."""
    if cell.startswith("'"):
        inner = cell[1:]
        if inner == inner.strip() and neutralise(inner) == cell:
            return inner
    return cell


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    file: TextIO,
    columns: Sequence[str],
    *,
    hxl: Mapping[str, str] | None = None,
) -> int:
    """Write a header (and the HXL hashtag row) then ``rows``, neutralising formulas.

    Return the number of data rows written.
    """
    writer = csv.writer(file, lineterminator="\n")
    write_header(writer, columns, hxl)
    count = 0
    for row in rows:
        writer.writerow([neutralise(row.get(column, "")) for column in columns])
        count += 1
    return count


def write_header(writer: Any, columns: Sequence[str], hxl: Mapping[str, str] | None) -> None:
    """Write the header row, and under it the HXL hashtag row if ``hxl`` is given."""
    writer.writerow(columns)
    if hxl is not None:
        writer.writerow([hxl.get(column, "") for column in columns])


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
    for label, values in f.by_name():
        if values:
            parts.append(f"{label}-" + "+".join(values))
    if f.sources_at_least is not None:
        parts.append(f"sources-{f.sources_at_least}-plus")
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
