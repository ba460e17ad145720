"""The import's checks that span rows: each row once in its file, each source URL described one
way, each shipment linked by one row. Memory stays small and says what it costs: 12 bytes for each
distinct row of a file, and constant memory per URL or link."""

from __future__ import annotations

from array import array
from bisect import bisect_left

from sqlmodel import Session

from shipments.errors import InvalidInput, Problem
from shipments.ledger import check_pair, current_facts, linked_records, source_changes
from shipments.models import ShipmentCreate, ShipmentRevision, Source

Rows = list[tuple[ShipmentCreate, int]]  # shipments with their lines in the file


class RowsSeen:
    """The rows of a file read so far, by a 64-bit hash of their duplicate key, with their lines.

    The latest rows are a dict; every ``_RECENT`` of them are merged into two sorted arrays (the
    hashes, 8 bytes each, and their lines, 4 bytes each) that a binary search reads: 12 bytes a
    row instead of a hundred in a dict of Python integers, so a million-row file keeps 12 MB.
    """

    _RECENT = 1 << 16

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        # Sorted hashes and their lines, read through memoryviews: a binary search on one takes
        # Python integers from it without copying the arrays behind it.
        self._keys = memoryview(array("q"))
        self._lines = memoryview(array("i"))

    def first_line(self, key: int, line: int) -> int | None:
        """Return the line that first had ``key``, or remember that ``line`` has it."""
        if (earlier := self._recent.get(key)) is not None:
            return earlier
        at = bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            return int(self._lines[at])
        self._recent[key] = line
        if len(self._recent) >= self._RECENT:
            self._merge()
        return None

    def _merge(self) -> None:
        # numpy merges a million hashes in milliseconds; imported here, where a file is read, so
        # that no other command pays for its import.
        import numpy as np

        count = len(self._recent)
        new_keys = np.fromiter(self._recent.keys(), dtype=np.int64, count=count)
        new_lines = np.fromiter(self._recent.values(), dtype=np.int32, count=count)
        order = np.argsort(new_keys)
        keys = np.frombuffer(self._keys, dtype=np.int64)
        at = np.searchsorted(keys, new_keys[order])
        self._keys = np.insert(keys, at, new_keys[order]).data
        lines = np.frombuffer(self._lines, dtype=np.int32)
        self._lines = np.insert(lines, at, new_lines[order]).data
        self._recent = {}


class SourcesSeen:
    """How this file describes each source URL, from the first valid line that names it.

    A URL named bare (no title, no publisher) takes the ledger's description, or its address and
    host when it is new; a later line that describes it otherwise is refused, as is a described
    URL the ledger records otherwise. Hashes only: constant memory per URL, as for duplicates.
    """

    def __init__(self) -> None:
        # hash(url) -> (hash(description), line, whether that line named the URL bare)
        self._first: dict[int, tuple[int, int, bool]] = {}

    def check(
        self, shipment_in: ShipmentCreate, line: int, recorded: dict[str, Source]
    ) -> list[Problem]:
        """Return how the row's sources contradict the ledger or an earlier line of the file."""
        problems: list[Problem] = []
        for index, given in enumerate(shipment_in.sources):
            field_name = f"sources.{index}"
            first = self._first.get(hash(given.url))
            if first is not None:
                if given.described and hash((given.publisher, given.title)) != first[0]:
                    earlier = (
                        "named bare (no title or publisher, so its address and host describe it)"
                        if first[2]
                        else "described with another publisher or title"
                    )
                    problems.append(
                        Problem(
                            field_name,
                            f"{given.url} is {earlier} on line {first[1]} of this file: describe"
                            " a source the same way on every line, or name only its URL",
                        )
                    )
            elif given.url in recorded:
                problems.extend(source_changes(recorded[given.url], given, field=field_name))
        return problems

    def remember(self, shipment_in: ShipmentCreate, line: int, recorded: dict[str, Source]) -> None:
        """Remember the description of each source a valid row names for the first time."""
        for given in shipment_in.sources:
            if hash(given.url) not in self._first:
                kept = recorded.get(given.url)
                bare = kept is None and not given.described
                description = kept or given
                self._first[hash(given.url)] = (
                    hash((description.publisher, description.title)),
                    line,
                    bare,
                )


class LinksSeen:
    """The shipments this file's rows name as the other record of their consignment.

    A row naming one (``same_consignment_as``) is refused, on that field, unless it names a
    current shipment that no other consignment (standing, or of an earlier line) holds and
    that can be one consignment with the row (``shipments.ledger.check_pair``).
    """

    def __init__(self) -> None:
        self._taken: dict[int, int] = {}  # a shipment's id -> the line that links it
        self._facts: dict[int, ShipmentRevision] = {}
        self._standing: dict[int, int] = {}

    def prepare(self, session: Session, pending: Rows) -> None:
        """Read what ``problem`` needs for a batch of rows: the shipments they name."""
        wanted = {s.same_consignment_as for s, _ in pending if s.same_consignment_as is not None}
        self._facts = current_facts(session=session, ids=wanted) if wanted else {}
        self._standing = (
            {r.shipment_id: r.other_id for r in linked_records(session=session)} if wanted else {}
        )

    def problem(self, shipment_in: ShipmentCreate, line: int) -> Problem | None:
        """Return why a row of the prepared batch cannot be linked as it asks, if it cannot."""
        other = shipment_in.same_consignment_as
        if other is None:
            return None
        rule = None
        if other not in self._facts:
            rule = f"there is no current shipment with ID {other} (it may be retracted)"
        elif other in self._standing:
            rule = (
                f"shipment {other} is already linked with shipment {self._standing[other]} as"
                " one consignment"
            )
        elif other in self._taken:
            rule = f"shipment {other} is linked by line {self._taken[other]} of this file"
        else:
            try:
                check_pair(
                    shipment_in,
                    self._facts[other],
                    f"line {line}",
                    f"shipment {other}",
                    "same_consignment_as",
                )
            except InvalidInput as exc:
                [problem] = exc.problems
                rule = problem.rule
        return None if rule is None else Problem("same_consignment_as", rule)

    def remember(self, shipment_in: ShipmentCreate, line: int) -> None:
        """Remember the shipment a valid row links, so that no later line links it too."""
        if shipment_in.same_consignment_as is not None:
            self._taken[shipment_in.same_consignment_as] = line
