"""The command line's arguments: declared as data and added to argparse.

Declaring them imports nothing heavy (no SQLAlchemy, pydantic or the ledger), so that ``--help``
and a mistyped command answer at once; ``inputs`` reads the parsed arguments into the library's
inputs (tests/test_cli_startup.py holds the parser to it).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipments.exchange.import_columns import TARGETS
from shipments.rules import (
    DATE_MEANINGS,
    METRICS,
    QUALIFIERS,
    SOURCE_KINDS,
    parse_moment,
    parse_sources_at_least,
)


@dataclass(frozen=True)
class Option:
    """One argument: its name or flags, the keywords ``add_argument`` takes, and the library's
    fields it sets (a refusal of one of those fields names this argument)."""

    flags: tuple[str, ...]
    settings: dict[str, Any]
    fields: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        """Return the name argparse keeps the argument's value under."""
        return str(self.settings.get("dest", self.flags[0].lstrip("-").replace("-", "_")))

    @property
    def shown(self) -> str:
        """Return how a refusal names the argument: its flag, or a positional's name in capitals."""
        flag = self.flags[0]
        return flag if flag.startswith("-") else flag.upper()


@dataclass(frozen=True)
class OneOf:
    """Arguments of which at most one may be given."""

    options: tuple[Option, ...]


Argument = Option | OneOf


def option(*flags: str, sets: str | tuple[str, ...] = (), **settings: Any) -> Option:
    """Declare one argument as ``add_argument(*flags, **settings)`` would take it, and the
    library field (or fields) it ``sets``."""
    return Option(flags, settings, (sets,) if isinstance(sets, str) else sets)


def flags_by_field(arguments: Iterable[Argument]) -> dict[str, str]:
    """Return, by library field, how a refusal names the argument that sets it."""
    found: dict[str, str] = {}
    for argument in arguments:
        for member in argument.options if isinstance(argument, OneOf) else (argument,):
            for field in member.fields:
                assert found.get(field, member.shown) == member.shown, f"{field} set twice"
                found[field] = member.shown
    return found


def add_arguments(parser: argparse.ArgumentParser, arguments: Iterable[Argument]) -> None:
    """Add ``arguments`` to ``parser`` in their order."""
    for argument in arguments:
        if isinstance(argument, OneOf):
            group = parser.add_mutually_exclusive_group()
            for member in argument.options:
                group.add_argument(*member.flags, **member.settings)
        else:
            parser.add_argument(*argument.flags, **argument.settings)


def shipment_id(text: str) -> int:
    """Read a shipment id, a whole number that fits the id column."""
    return _row_id(text, "a shipment id")


def claim_id(text: str) -> int:
    """Read a claim id, a whole number that fits the id column."""
    return _row_id(text, "a claim id")


def _row_id(text: str, what: str) -> int:
    if not text.strip().isascii() or not text.strip().isdigit() or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"must be {what}, a whole number (got {text!r})")
    return int(text)


def sources_at_least(text: str) -> int:
    """Read the independent sources a shipment must have, a whole number from 1 up."""
    try:
        return parse_sources_at_least(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def link(text: str) -> tuple[str, str]:
    """Read KIND:ID, what an explanation points at; the library checks both parts."""
    kind, sep, number = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(
            f"must be KIND:ID, e.g. shipment:3, claim:5 or source:2 (got {text!r})"
        )
    return kind, number


def timestamp(text: str) -> datetime:
    """Read an ISO 8601 moment (no zone means UTC)."""
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def facts(*, required: bool) -> tuple[Option, ...]:
    """Declare the options that state a shipment's facts (all required when adding one)."""
    return (
        option("--date", sets="event_date", required=required, help="event date, YYYY-MM-DD"),
        option(
            "--date-means",
            sets="date_means",
            required=required,
            metavar="|".join(DATE_MEANINGS),
            help="whether the date is when the cargo was sent or received",
        ),
        option("--donor", sets="donor", required=required),
        option("--recipient", sets="recipient", required=required),
        option("--cargo", sets="cargo", required=required, help="cargo category, e.g. medicine"),
        option("--cargo-description", sets="cargo_description"),
        option(
            "--tonnes",
            sets="tonnes",
            required=required,
            help="mass in metric tonnes, at most 3 decimals",
        ),
        NOTE,
    )


def source(*, required: bool) -> tuple[Option, ...]:
    """Declare the options that name one source."""
    return (
        option("--source-url", sets="url", required=required, help="http(s) address of the source"),
        option("--source-title", sets="title", required=required),
        option("--publisher", sets="publisher", required=required),
        option(
            "--source-kind",
            sets="kind",
            default="press",
            metavar="|".join(SOURCE_KINDS),
            help="kind of source (default: press)",
        ),
        option(
            "--source-date", sets="published_date", help="the source's publication date, YYYY-MM-DD"
        ),
    )


def output_format(*choices: str) -> Option:
    """Declare ``--format`` with ``choices``, the first being the default."""
    return option("--format", choices=choices, default=choices[0])


DATABASE_URL = option(
    "--database-url",
    help="SQLAlchemy URL of the ledger (default: $LEDGER_DATABASE_URL or data/ledger.db)",
)
BY = option(
    "--by", sets="by", help="the active editor account recording it (default: $LEDGER_EDITOR)"
)
NOTE = option("--note", sets="note")
AS_OF = option(
    "--as-of",
    type=timestamp,
    metavar="TIMESTAMP",
    help="ISO 8601 moment, e.g. 2026-01-31T12:00:00Z (no zone means UTC)",
)
SHIPMENT_ID = option("id", type=shipment_id, help="shipment id")
NO_IDS = option(
    "--no-ids",
    dest="list_ids",
    action="store_false",
    help="leave out the ids of the shipments behind each figure (faster on a large ledger)",
)
CLAIM_ID = option("claim", type=claim_id, sets="claim", help="claim id")
# The two records of a consignment, in either order: the records' own dates say which was sent.
CONSIGNMENT = (
    option("first", sets="first_id", help="shipment id of one record"),
    option("second", sets="second_id", help="shipment id of the other record"),
)
FAIL_ON = option(
    "--fail-on",
    choices=("inconsistent", "open"),
    default="inconsistent",
    help="exit 1 when any claim is inconsistent (the default), or only when a discrepancy is "
    "open: not explained, and its claim still fails",
)
# The options of `claims add` and of `import`, each command's own but too many to sit in its row
# of the command table.
CLAIM = (
    option("--claimant", sets="claimant", required=True, help="organisation that stated it"),
    option("--stated-on", sets="stated_on", help="date it was stated, YYYY-MM-DD"),
    option("--quote", sets="quote", required=True, help="the words, verbatim"),
    option("--metric", sets="metric", required=True, metavar="|".join(METRICS)),
    option("--value", sets="value", required=True, help="the figure as stated, e.g. 269"),
    option(
        "--qualifier",
        sets="qualifier",
        default="exact",
        metavar="|".join(QUALIFIERS),
        help="default: exact",
    ),
    option(
        "--tolerance-pct", sets="tolerance_pct", help="for approximately: +/- percent (default 5)"
    ),
    option(
        "--reading",
        sets=("readings", "scope", "start", "end"),
        action="append",
        default=[],
        metavar="SPEC",
        help="a reading of the claim's scope, repeatable: cumulative:DATE, "
        "cumulative-before:DATE, single:DATE or period:FROM:TO, optionally followed by "
        ",donor=NAME,recipient=NAME,cargo=NAME",
    ),
    NOTE,
)
IMPORT = (
    option("file", sets="file", help="CSV file: comma or semicolon, UTF-8 or Latin-1, HXL too"),
    option("--dry-run", action="store_true", help="check and report; write nothing"),
    option(
        "--only-valid", action="store_true", help="import the valid rows even if others are refused"
    ),
    option(
        "--map",
        sets="mapping",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help=f"read column HEADER as FIELD ({', '.join(TARGETS)}); repeatable",
    ),
    OneOf(
        (
            option(
                "--dayfirst",
                action="store_const",
                const="dayfirst",
                dest="date_order",
                help="read 05/06/2019 as 5 June",
            ),
            option(
                "--monthfirst",
                action="store_const",
                const="monthfirst",
                dest="date_order",
                help="read 05/06/2019 as 6 May",
            ),
        )
    ),
    OneOf(
        (
            option(
                "--decimal-point",
                action="store_const",
                const="point",
                dest="decimal_mark",
                help="numbers in the file are written 1,500.5 (1.500 is one and a half)",
            ),
            option(
                "--decimal-comma",
                action="store_const",
                const="comma",
                dest="decimal_mark",
                help="numbers in the file are written 1.500,5 (1.500 is fifteen hundred)",
            ),
        )
    ),
    option("--date-means", help="sent or received, for rows that do not say"),
    option("--source-url", help="a source for rows that name none"),
    option("--source-title"),
    option("--publisher"),
    option("--errors", metavar="FILE", help="write the refused rows as CSV"),
)


INIT = (
    OneOf(
        (
            option(
                "--empty",
                action="store_const",
                const="none",
                dest="seed",
                help="start a ledger of your own: no seed now or on any later start",
            ),
            option(
                "--seed",
                metavar="DIR",
                dest="seed",
                sets="seed",
                help="load this folder (laid out like data/seed/) into the empty ledger",
            ),
        )
    ),
)
