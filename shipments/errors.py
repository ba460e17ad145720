"""Errors the ledger raises, so every interface can report them the same way.

    LedgerError                  base of everything below
    ├── InvalidInput             one or more fields break a rule; nothing was written
    │   └── DuplicateShipment    matches a current shipment; confirm_duplicate appends anyway
    ├── NotFound                 no shipment (or source) with that id
    ├── AlreadyRetracted         the shipment was retracted; it takes no further change
    ├── AlreadySubmitted         this form (its idempotency key) was already recorded
    ├── Conflict                 another writer changed the same record first; nothing written
    └── TooBigForExcel           a file asked for as a workbook does not fit an Excel sheet

Each ``Problem`` names the field and the rule it breaks, so the CLI, the form and the importer can
show the same words next to the same field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field it concerns and the rule, in words."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class LedgerError(Exception):
    """Base class for every error the ledger raises on purpose."""


class InvalidInput(LedgerError):
    """Input broke one or more rules; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, field: str, rule: str) -> InvalidInput:
        """Build the error for one field and one rule."""
        return cls([Problem(field, rule)])

    def fields(self) -> set[str]:
        """Return the names of the fields that broke a rule."""
        return {p.field for p in self.problems}


class DuplicateShipment(InvalidInput):
    """The shipment matches a current one (same donor, recipient, date and mass)."""

    def __init__(self, existing_ids: Iterable[int]) -> None:
        self.existing_ids = tuple(existing_ids)
        ids = ", ".join(str(i) for i in self.existing_ids)
        super().__init__(
            [
                Problem(
                    "shipment",
                    f"probable duplicate of shipment {ids} (same donor, recipient, date and mass);"
                    " confirm to record it anyway",
                )
            ]
        )


class NotFound(LedgerError):
    """No record with the requested id."""


class AlreadyRetracted(LedgerError):
    """The shipment was retracted and accepts no further changes."""


class Conflict(LedgerError):
    """Another writer changed the same record at the same moment; nothing was written."""


class AlreadySubmitted(LedgerError):
    """A form with this idempotency key was already recorded; nothing new was written."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(f"this form was already submitted: it recorded {subject}")


class TooBigForExcel(LedgerError):
    """A workbook would not hold the file whole (too many rows, a cell too long); the CSV does."""
