"""The export lines, formatted by the database, checked and completed here.

A line holds its cells joined by EXPORT_SEPARATOR and, in place of the cells made from its
sources, the ids of its sources between two EXPORT_SOURCES (``shipments.exchange.export``).
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from shipments.corroboration import ClaimPublishers
from shipments.exchange.csvfiles import neutralise
from shipments.exchange.reading import SourceLookup, SourceRef
from shipments.exchange.source_cells import sources_cell

EXPORT_SEPARATOR = "\x1f"
EXPORT_SOURCES = "\x1d"


# A batch of database-formatted lines can go out as it is unless a cell needs quoting (a comma,
# a quote, a line break) or starts like a formula. A batch is checked as one string, its lines
# joined by _LINES, so that a cell starts the string or follows _LINES or EXPORT_SEPARATOR.
# Substring tests run at C speed where a regular expression would read every character in
# Python's time. "+" and "-" occur in every line (in dates and times), so they are looked for
# only where a cell starts.
_LINES = "\x1e"
_ANYWHERE = (",", '"', "\r", "\n", "=", "@", "\t")
# Stored texts are trimmed, so a cell cannot start with a space; "'" can hide a formula behind it
# (neutralise looks past it), '"' is caught anywhere by _ANYWHERE.
_CELL_START = (EXPORT_SEPARATOR + "+", EXPORT_SEPARATOR + "-", EXPORT_SEPARATOR + "'")
_LINE_START = (_LINES + "+", _LINES + "-", _LINES + "'")
_SOURCE_CACHE_LIMIT = 100_000
_SOURCE_IDS = re.compile(r"[0-9 ]*")


def write_plain(
    batch: Sequence[str],
    cells: SourceCells,
    file: TextIO,
    separators: int,
    text_first: bool,
) -> bool:
    """Write the lines as they are if no cell needs quoting or neutralising; else write nothing
    and return False. ``text_first``: a line's first cell is text, which may start a formula."""
    lines = _LINES.join(batch)
    # Split at the sources' marks: the odd parts are the ids of each line's sources.
    parts = lines.split(EXPORT_SOURCES)
    keys = parts[1::2]
    if not (
        len(keys) == len(batch)
        and lines.count(EXPORT_SEPARATOR) == separators * len(batch)
        and lines.count(_LINES) == len(batch) - 1
        and not any(mark in lines for mark in _ANYWHERE)
        and not any(mark in lines for mark in _CELL_START)
        and not (
            text_first
            and (any(mark in lines for mark in _LINE_START) or lines.startswith(("+", "-", "'")))
        )
    ):
        return False
    cells.load(keys)
    parts[1::2] = map(cells.csv, keys)
    file.write("".join(parts).replace(EXPORT_SEPARATOR, ",").replace(_LINES, "\n"))
    file.write("\n")
    return True


class Claimed:
    """The shipments claims add a publisher to, found in a batch of lines by its ids' range
    (a line starts with its shipment's id, and the batches come by id)."""

    def __init__(self, claims: ClaimPublishers) -> None:
        self._ids = sorted(claims)

    def within(self, batch: Sequence[str]) -> bool:
        """Return True when a shipment of the batch may be one claims add a publisher to."""
        if not self._ids or not batch:
            return False
        low = _line_id(batch[0])
        high = _line_id(batch[-1])
        at = bisect_left(self._ids, low)
        return at < len(self._ids) and self._ids[at] <= high


def _line_id(line: str) -> int:
    head = line.split(EXPORT_SEPARATOR, 1)[0]
    return int(head) if head.isdigit() else -1


def write_carefully(
    line: str, cells: SourceCells, writer: Any, width: int, claims: ClaimPublishers
) -> None:
    """Write a line that needs quoting or neutralising, or whose shipment claims add a publisher
    to, through the csv module, cell by cell."""
    parts = line.split(EXPORT_SOURCES)
    row = parts[0].split(EXPORT_SEPARATOR)[:-1]
    if len(parts) != 3 or not _SOURCE_IDS.fullmatch(parts[1]):
        raise ValueError(f"shipment {row[0]}: a stored text holds a control character")
    cells.load([parts[1]])
    shipment = _line_id(line)
    row += cells.raw(parts[1], claims.get(shipment, frozenset()))
    row += parts[2].split(EXPORT_SEPARATOR)[1:]
    if len(row) != width:
        raise ValueError(f"shipment {row[0]}: a stored text holds a control character")
    writer.writerow([neutralise(cell) for cell in row])


@dataclass(frozen=True, slots=True)
class _Sourced:
    """What a column made from the sources reads: the shipment's id and its sources."""

    id: int
    sources: tuple[SourceRef, ...]


class SourceCells:
    """The sources cell and the cells made from the sources (``ExportTable.from_sources``), by
    the source ids a line lists; without the claims' publishers, which ``raw`` adds."""

    def __init__(self, lookup: SourceLookup, made: Sequence[Any]) -> None:
        self._lookup = lookup
        self._made = made
        self._sources: dict[int, SourceRef] = {}
        self._refs: dict[str, tuple[SourceRef, ...]] = {}
        self._raw: dict[str, tuple[str, ...]] = {}
        self._csv: dict[str, str] = {}

    def load(self, keys: Iterable[str]) -> None:
        """Make sure the sources these keys (ids separated by spaces) list are known."""
        if len(self._raw) > _SOURCE_CACHE_LIMIT:  # a ledger with a source per shipment
            self._sources.clear()
            self._refs, self._raw, self._csv = {}, {}, {}
        new = set(keys) - self._raw.keys()
        wanted = {int(n) for key in new for n in key.split()} - self._sources.keys()
        if wanted:
            self._sources.update(self._lookup(wanted))
        for key in new:
            refs = tuple(self._sources[n] for n in sorted(int(n) for n in key.split()))
            self._refs[key] = refs
            raw = self._cells(refs, frozenset())
            self._raw[key] = raw
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow([neutralise(cell) for cell in raw])
            self._csv[key] = out.getvalue()

    def _cells(self, refs: tuple[SourceRef, ...], claimed: frozenset[str]) -> tuple[str, ...]:
        shipment = _Sourced(0, refs)
        made = [str(c.cell(shipment, {0: claimed})) for c in self._made]
        return (sources_cell(refs), *made)

    def raw(self, key: str, claimed: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Return the cells as text; ``claimed``: the publishers claims add to this line's."""
        if claimed:
            return self._cells(self._refs[key], claimed)
        return self._raw[key]

    def csv(self, key: str) -> str:
        """Return the cells as CSV, joined by commas."""
        return self._csv[key]
