"""Dates as shipment files write them: ISO always; day-first or month-first when it is clear.

A file's day/month order is the editor's word, else what its unambiguous dates show; an
ambiguous date is refused rather than guessed, and so is a file that mixes both orders.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_SLASHED = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")


class DateOrder:
    """The day/month order of one file: as the editor said, else as its unambiguous dates show.

    Without the editor's word, an ambiguous date is refused, and an unambiguous date in the other
    order from an earlier one is refused too: one file does not mix orders.
    """

    def __init__(self, given: str | None) -> None:
        self.given = given
        self.seen: tuple[str, str] | None = None  # (order, the date that showed it)

    def read(self, text: Any) -> str | date | None:
        """Read one date under the file's order."""
        value = read_date(text, self.given)
        match = _SLASHED.fullmatch(str(text).strip()) if isinstance(text, str) else None
        if self.given is None and match:
            first, second = int(match.group(1)), int(match.group(2))
            found = "day-first" if first > 12 else "month-first" if second > 12 else None
            if found is not None:
                if self.seen is None:
                    self.seen = (found, str(text).strip())
                elif self.seen[0] != found:
                    raise ValueError(
                        f"{str(text).strip()!r} is {found}, but {self.seen[1]!r} earlier in this "
                        f"file is {self.seen[0]}: say which order the file uses"
                    )
        return value


def read_date(text: Any, order: str | None) -> str | date | None:
    """Read ISO dates always; D/M/Y or M/D/Y only when ``order`` says which, or unambiguous."""
    if text is None or isinstance(text, date):
        return text
    value = str(text).strip()
    if match := _ISO.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
        return _real(year, month, day, value)
    if match := _SLASHED.fullmatch(value):
        first, second, year = (int(g) for g in match.groups())
        if order == "dayfirst" or (order is None and first > 12 >= second):
            return _real(year, second, first, value)
        if order == "monthfirst" or (order is None and second > 12 >= first):
            return _real(year, first, second, value)
        raise ValueError(f"{value!r} is ambiguous: say whether dates are day-first or month-first")
    return value  # the model's rule says what is wrong with it


def _real(year: int, month: int, day: int, text: str) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"must be a real calendar date (got {text!r})") from None
