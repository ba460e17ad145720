"""Numbers as shipment files write them: a decimal point or a decimal comma, decided per file.

``1.500`` is one and a half where the decimal mark is a point and fifteen hundred where it is a
comma; ``1,5`` and ``1,500`` are as two-faced. A file's decimal mark is the editor's word (or the
ledger's own export, which writes a point); without it, a number that the two marks could read
differently is refused rather than guessed, and the numbers only one mark reads (``1500``,
``64.25``) are read. Once its marks are read, a number is plain text that
``shipments.rules.parse_number`` reads as every other input is read, so exponents, NaN and other
scripts' digits stay refused.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from shipments.errors import InvalidInput
from shipments.rules import parse_number

DECIMAL_MARKS = ("point", "comma")
HOW_TO_SAY = (
    "say which decimal mark the file uses (--decimal-point or --decimal-comma on the command "
    "line, 'Decimal mark in this file' on the Import page)"
)

# Written with the digits, signs and marks a number may hold (else parse_number says what is
# wrong with it). [0-9], never \d: other scripts' digits are refused.
_NUMBER_LIKE = re.compile(r"[+-]?[0-9][0-9.,\s]*")
_POINT_THEN_THREE = re.compile(r"\.[0-9]{3}(?![0-9])")
# Thousands grouped in threes; the first group does not start with 0 (0,500 is no grouping).
_POINT_GROUPED = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_COMMA_GROUPED = re.compile(
    r"[+-]?[1-9][0-9]{0,2}(?P<group>[. \u00a0\u202f])[0-9]{3}(?:(?P=group)[0-9]{3})*(?:,[0-9]+)?"
)
_COMMA_PLAIN = re.compile(r"[+-]?[0-9]+(?:,[0-9]+)?")
_GROUPS = re.compile(r"[. \u00a0\u202f]")


class NumberFormat:
    """The decimal mark of one file: as the editor said (or the ledger's own export), else none.

    Without a mark, a number holding a comma, or a point followed by exactly three digits, is
    refused as ambiguous; the first such number is kept for the file's note.
    """

    def __init__(self, given: str | None, *, own_export: bool = False) -> None:
        if given not in (None, *DECIMAL_MARKS):
            raise InvalidInput.single(
                "decimal_mark", f"must be {' or '.join(DECIMAL_MARKS)} (got {given!r})"
            )
        self.given = given
        self.own_export = own_export and given is None
        self.mark = "point" if self.own_export else given
        self.ambiguous: str | None = None  # the first number refused as ambiguous

    def read(self, value: Any, *, what: str = "a number") -> Decimal:
        """Read one number under the file's decimal mark (as ``parse_number`` reads plain ones)."""
        if not isinstance(value, str) or not _NUMBER_LIKE.fullmatch(value.strip()):
            return parse_number(value, what=what)
        text = value.strip()
        if self.mark == "point":
            if _POINT_GROUPED.fullmatch(text):
                return parse_number(text.replace(",", ""), what=what)
            if "," in text:
                raise ValueError(
                    f"{text!r} is not a number with a decimal point: ',' may only group "
                    "thousands in threes (1,500.25)"
                )
        elif self.mark == "comma":
            if _COMMA_GROUPED.fullmatch(text) or _COMMA_PLAIN.fullmatch(text):
                return parse_number(_GROUPS.sub("", text).replace(",", "."), what=what)
            if any(mark in text for mark in ".,") or _GROUPS.search(text):
                raise ValueError(
                    f"{text!r} is not a number with a decimal comma: '.' or a space may only "
                    "group thousands in threes (1.500,25)"
                )
        elif "," in text or _POINT_THEN_THREE.search(text):
            self.ambiguous = self.ambiguous or text
            raise ValueError(f"{text!r} is ambiguous: {HOW_TO_SAY}")
        return parse_number(text, what=what)

    @property
    def note(self) -> str | None:
        """Return what a preview says of the file's numbers: the mark read, or how to say it."""
        if self.own_export:
            return (
                "The file has the header of this ledger's export: numbers were read with a "
                "decimal point, as the export writes them."
            )
        if self.given == "point":
            return "Numbers were read with a decimal point, as asked: 1,500.5 is 1500.5."
        if self.given == "comma":
            return "Numbers were read with a decimal comma, as asked: 1.500,5 is 1500.5."
        if self.ambiguous is not None:
            return (
                f"Numbers such as {self.ambiguous!r} read differently with a decimal point and "
                f"a decimal comma, so their rows were refused: {HOW_TO_SAY}."
            )
        return None
