"""The rules every input obeys, and the limits they check, in one place.

Each ``clean_*`` / ``parse_*`` building block takes what a person typed (or a value read from a
file) and returns it cleaned, or raises ``ValueError`` with the rule it breaks, in words that the
form, the command line and the importer all show. The models' validators and the tables' CHECK
constraints are built from these functions and constants.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from shipments.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from pydantic import BaseModel

MAX_NAME_LENGTH = 200
MAX_NOTE_LENGTH = 2000
MAX_URL_LENGTH = 2000
EARLIEST_DATE = date(1900, 1, 1)
MAX_IMPORT_COLUMNS = 100  # a shipment file has about 15; more is not one
MAX_MASS_KG = 100_000_000

DATE_MEANINGS = ("sent", "received")
# The names a shipment is filtered by and a claim's reading is narrowed by.
NAME_FIELDS = ("donor", "recipient", "cargo")
SOURCE_KINDS = ("press", "official_statement", "social_post", "report", "other")
REVISION_ACTIONS = ("append", "correct", "retract")
VIAS = ("form", "cli", "import", "seed", "reconcile")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_BYTES = 1024
MIN_PASSWORD_CHARACTERS = 5  # different characters: "aaaaaaaaaaaa" is not a password

METRICS = ("tonnes", "deliveries")
QUALIFIERS = ("exact", "approximately", "at_least", "at_most")
SCOPES = ("cumulative", "single", "period")
# A discrepancy's states, in order: opened by the ledger, explained or resolved by an editor.
DISCREPANCY_STATES = ("open", "explained", "resolved")
MAX_ID = 2**31 - 1  # the largest id a row can have on every backend (a 32-bit integer)
# Which record of a linked consignment (a sent and a received record) a reading counts.
BASES = DATE_MEANINGS
# Two records of one consignment may differ in mass by at most this share of the sent record's
# mass (losses in transit, rounding in a report); more, and they are refused as one consignment.
CONSIGNMENT_TOLERANCE_PCT = Decimal(5)
DEFAULT_TOLERANCE_PCT = Decimal(5)
MAX_CLAIM_VALUE = Decimal(1_000_000_000)
# Independent sources a view may ask a shipment to have: the seed's best has two; a hundred
# publishers behind one delivery is already far past any ledger's.
MAX_SOURCES_AT_LEAST = 100

M = TypeVar("M", bound="BaseModel")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", flags=re.IGNORECASE)


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """Return a CHECK constraint's text that keeps ``column`` to one of ``values``."""
    quoted = ("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({', '.join(quoted)})"


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def parse_number(value: Any, *, what: str = "a number") -> Decimal:
    """Read a number written plainly in ASCII (64, 64.5, -3), or an int, float or Decimal.

    Exponents, digit separators, other scripts' digits, NaN and infinity are refused, so that
    every input path reads the same text as the same number.
    """
    if isinstance(value, bool):
        raise ValueError(f"must be {what}")
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("must be a finite number (not NaN or infinity)")
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite number (not NaN or infinity)")
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be {what}")
    text = value.strip()
    if not text:
        raise ValueError("is required")
    if text.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
        raise ValueError("must be a finite number (not NaN or infinity)")
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"must be {what} written like 64 or 64.5 (got {value!r})")
    return Decimal(text)


def clean_name(value: Any, *, required: bool = True, limit: int = MAX_NAME_LENGTH) -> str | None:
    """Return a trimmed one-line name (or None when optional and empty), or refuse it.

    One rule for every name and one-line text (donor, recipient, cargo, publisher, title,
    claimant, editor): no control characters, no invisible formatting characters (direction
    overrides, zero-width marks) and no line or paragraph separators, so that no name can look
    like another, reorder what is shown after it, or fake a line of output.
    """
    if value is None:
        if required:
            raise ValueError("is required")
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if not text:
        if required:
            raise ValueError("must not be empty")
        return None
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters (got {len(text)})")
    if text.isascii() and text.isprintable():
        return text  # printable ASCII holds none of the categories below: names read by the million
    categories = {unicodedata.category(ch) for ch in text}
    if "Cc" in categories:
        raise ValueError("must not contain control characters")
    if "Cs" in categories:
        raise ValueError(_UNDECODABLE)
    if "Cf" in categories:
        raise ValueError("must not contain invisible formatting characters")
    if categories & {"Zl", "Zp"}:
        raise ValueError("must be one line (no line or paragraph separators)")
    return text


_UNDECODABLE = "must be valid text (it holds bytes that are not UTF-8)"


def _refuse_undecodable(text: str) -> None:
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise ValueError(_UNDECODABLE)


def clean_note(value: Any) -> str | None:
    """Return a trimmed free text (newlines and tabs allowed), None when empty, or refuse it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"must be at most {MAX_NOTE_LENGTH} characters (got {len(text)})")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ValueError("must not contain control characters other than newline and tab")
    _refuse_undecodable(text)
    return text


def clean_reason(value: Any) -> str:
    """Return a required free-text reason, trimmed, or refuse it with the rule it breaks."""
    text = clean_note(value)
    if text is None:
        raise ValueError("a reason is required")
    return text


def clean_actor(value: Any) -> str:
    """Return the name of whoever records a change, NFKC-normalised and trimmed, or refuse it.

    NFKC and the name rule (``clean_name``) keep two accounts from looking alike in the audit
    trail.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("who records the change is required")
    text = clean_name(unicodedata.normalize("NFKC", value) if isinstance(value, str) else value)
    assert text is not None
    return text


def parse_calendar_date(value: Any, *, allow_future: bool = False) -> date:
    """Parse an ISO date (YYYY-MM-DD) that is a real calendar date from 1900 to today."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("is required")
    if isinstance(value, datetime):
        raise ValueError("must be a date without a time (YYYY-MM-DD)")
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"must be a date written YYYY-MM-DD (got {value!r})")
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"must be a real calendar date (got {value!r})") from None
    else:
        raise ValueError("must be a date written YYYY-MM-DD")
    if parsed < EARLIEST_DATE:
        raise ValueError(f"must not be before 1900-01-01 (got {parsed.isoformat()})")
    if not allow_future and parsed > utcnow().date():
        raise ValueError(f"must not be in the future (got {parsed.isoformat()})")
    return parsed


def parse_moment(text: str) -> datetime:
    """Parse an ISO 8601 moment to aware UTC; a moment without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f"must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z (got {text!r})"
        ) from None


def parse_sources_at_least(value: Any) -> int:
    """Return the number of independent sources a view asks for, or raise ValueError."""
    text = str(value).strip() if not isinstance(value, int) else str(value)
    rule = f"must be a whole number from 1 to {MAX_SOURCES_AT_LEAST}"
    if isinstance(value, bool) or not re.fullmatch(r"[0-9]{1,9}", text):
        raise ValueError(f"{rule} (got {text[:60]!r})")
    number = int(text)
    if not 1 <= number <= MAX_SOURCES_AT_LEAST:
        raise ValueError(f"{rule} (got {number})")
    return number


def clean_url(value: Any) -> str:
    """Return an http(s) address, trimmed, or refuse it."""
    text = clean_name(value, limit=MAX_URL_LENGTH)
    assert text is not None
    if not _URL.fullmatch(text):
        raise ValueError(f"must be an http:// or https:// address (got {text!r})")
    return text


def clean_choice(
    value: Any,
    choices: tuple[str, ...],
    *,
    fold: Callable[[str], str] = lambda text: text.strip().lower(),
    rule: str | None = None,
) -> str:
    """Return ``value`` as one of ``choices`` once ``fold``ed, or refuse it naming them."""
    text = fold(value) if isinstance(value, str) else value
    if text not in choices:
        raise ValueError(f"{rule or 'must be one of ' + ', '.join(choices)} (got {value!r})")
    return str(text)


def clean_shipment_id(value: Any, *, required: bool = False) -> int | None:
    """Return a shipment ID (a whole number from 1) given as a number or a text; None if empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("is required: give a shipment ID")
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"must be a shipment ID, a whole number (got {value!r})")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a shipment ID, a whole number (got {value!r})")
    if value < 1 or value > MAX_ID:
        raise ValueError(f"must be a shipment ID, a whole number from 1 to {MAX_ID} (got {value})")
    return value


def clean_date_means(value: Any) -> str:
    """Return 'sent' or 'received' (case and spaces ignored), or refuse anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("is required: say whether the date is when the cargo was sent or received")
    return clean_choice(value, DATE_MEANINGS, rule="must be 'sent' or 'received'")


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` as ``model``; raise InvalidInput naming each field and rule on failure."""
    # Imported here: the command line's parser reads this module's choices and rules, and its
    # --help should not load pydantic (tests/test_cli_startup.py).
    from pydantic import ValidationError

    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidInput(_problem(error) for error in exc.errors()) from None


def _problem(error: Mapping[str, Any]) -> Problem:
    field = ".".join(str(part) for part in error.get("loc", ())) or "record"
    message = str(error.get("msg", "is invalid"))
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif error.get("type") == "missing":
        message = "is required"
    return Problem(field, message)
