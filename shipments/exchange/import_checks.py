"""The import's checks that span rows: each source URL described one way, each shipment linked
by one row. Both keep constant memory per URL or link, so a million-row file stays small."""

from __future__ import annotations

from sqlmodel import Session

from shipments.errors import InvalidInput, Problem
from shipments.ledger import check_pair, current_facts, linked_records, source_changes
from shipments.models import ShipmentCreate, ShipmentRevision, Source

Rows = list[tuple[ShipmentCreate, int]]  # shipments with their lines in the file


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
