"""The export lines, formatted by the database, checked and completed here.

A line holds its cells joined by EXPORT_SEPARATOR and, in place of the cells made from its
sources, the ids of its sources between two EXPORT_SOURCES (``shipments.exchange.export``).
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
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
    text = _plain_text(batch, cells, separators, text_first)
    if text is None:
        return False
    file.write(text)
    file.write("\n")
    return True


def _plain_text(
    batch: Sequence[str], cells: SourceCells, separators: int, text_first: bool
) -> str | None:
    """Return the lines as CSV, joined by line breaks, or None if a cell needs care."""
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
        return None
    cells.load(keys)
    parts[1::2] = map(cells.csv, keys)
    return "".join(parts).replace(EXPORT_SEPARATOR, ",").replace(_LINES, "\n")


def write_batch(
    batch: Sequence[str],
    cells: SourceCells,
    file: TextIO,
    writer: Any,
    *,
    separators: int,
    text_first: bool,
    width: int,
    claims: ClaimPublishers,
    claimed: Claimed,
) -> None:
    """Write a batch of lines in order: the lines that need no care in one piece, and each that
    needs quoting or neutralising, or that claims add a publisher to, through the csv module.

    A realistic ledger has such a line in nearly every batch (a note with a comma): writing the
    whole batch a line at a time then was most of an export's time in Python.
    """
    care = claimed.lines(batch) | _marked_lines(batch, text_first)
    if not care:
        if write_plain(batch, cells, file, separators, text_first):
            return
    else:
        plain = [line for n, line in enumerate(batch) if n not in care]
        text = _plain_text(plain, cells, separators, text_first) if plain else ""
        if text is not None:
            written = iter(text.split("\n") if plain else ())
            careful = io.StringIO()
            careful_writer = csv.writer(careful, lineterminator="\n")
            out = []
            for n, line in enumerate(batch):
                if n in care:
                    write_carefully(line, cells, careful_writer, width, claims)
                    out.append(careful.getvalue())
                    careful.seek(0)
                    careful.truncate()
                else:
                    out.append(next(written) + "\n")
            file.write("".join(out))
            return
    # A line is not as the checks expect (write_carefully says which): each line alone.
    for one in batch:
        if claimed.within([one]) or not write_plain([one], cells, file, separators, text_first):
            write_carefully(one, cells, writer, width, claims)


def _marked_lines(batch: Sequence[str], text_first: bool) -> set[int]:
    """Return the positions of the lines holding a mark that needs care (the checks above)."""
    lines = _LINES.join(batch)
    ends = list(accumulate(len(line) + 1 for line in batch))  # where each next line starts
    marks = _ANYWHERE + _CELL_START + (_LINE_START if text_first else ())
    found: set[int] = set()
    for mark in marks:
        at = lines.find(mark)
        while at != -1:
            n = bisect_right(ends, at + len(mark) - 1)  # a mark's last character is its line's
            found.add(n)
            at = lines.find(mark, ends[n] - 1)  # from the break before the next line
    if text_first and batch and batch[0].startswith(("+", "-", "'")):
        found.add(0)
    return found


class Claimed:
    """The shipments claims add a publisher to, found in a batch of lines by its ids' range
    (a line starts with its shipment's id, and the batches come by id)."""

    def __init__(self, claims: ClaimPublishers) -> None:
        self._ids = sorted(claims)
        self._known = frozenset(claims)

    def within(self, batch: Sequence[str]) -> bool:
        """Return True when a shipment of the batch may be one claims add a publisher to."""
        if not self._ids or not batch:
            return False
        low = _line_id(batch[0])
        high = _line_id(batch[-1])
        at = bisect_left(self._ids, low)
        return at < len(self._ids) and self._ids[at] <= high

    def lines(self, batch: Sequence[str]) -> set[int]:
        """Return the positions of the batch's lines whose shipment claims add a publisher to."""
        if not self.within(batch):
            return set()
        return {n for n, line in enumerate(batch) if _line_id(line) in self._known}


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
        # Tested one by one: a set less a dict's keys walks every key of the dict, up to
        # _SOURCE_CACHE_LIMIT of them for each batch (2.3 ms against 0.75 ms a batch there).
        new = {key for key in keys if key not in self._raw}
        wanted = {n for key in new for n in map(int, key.split()) if n not in self._sources}
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
