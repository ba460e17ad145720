"""The command line's arguments: declared as data, added to argparse, read into library inputs."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipments.claims import parse_reading_spec
from shipments.errors import InvalidInput
from shipments.exchange.import_rows import TARGETS, ImportOptions
from shipments.rules import DATE_MEANINGS, METRICS, QUALIFIERS, SOURCE_KINDS, parse_moment


@dataclass(frozen=True)
class Option:
    """One argument: its name or flags and the keywords ``add_argument`` takes."""

    flags: tuple[str, ...]
    settings: dict[str, Any]


@dataclass(frozen=True)
class OneOf:
    """Arguments of which at most one may be given."""

    options: tuple[Option, ...]


Argument = Option | OneOf


def option(*flags: str, **settings: Any) -> Option:
    """Declare one argument as ``add_argument(*flags, **settings)`` would take it."""
    return Option(flags, settings)


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
    if not text.strip().isascii() or not text.strip().isdigit() or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"must be a shipment id, a whole number (got {text!r})")
    return int(text)


def timestamp(text: str) -> datetime:
    """Read an ISO 8601 moment (no zone means UTC)."""
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def facts(*, required: bool) -> tuple[Option, ...]:
    """Declare the options that state a shipment's facts (all required when adding one)."""
    return (
        option("--date", required=required, help="event date, YYYY-MM-DD"),
        option(
            "--date-means",
            required=required,
            metavar="|".join(DATE_MEANINGS),
            help="whether the date is when the cargo was sent or received",
        ),
        option("--donor", required=required),
        option("--recipient", required=required),
        option("--cargo", required=required, help="cargo category, e.g. medicine"),
        option("--cargo-description"),
        option("--tonnes", required=required, help="mass in metric tonnes, at most 3 decimals"),
        option("--note"),
    )


def source(*, required: bool) -> tuple[Option, ...]:
    """Declare the options that name one source."""
    return (
        option("--source-url", required=required, help="http(s) address of the source"),
        option("--source-title", required=required),
        option("--publisher", required=required),
        option(
            "--source-kind",
            default="press",
            metavar="|".join(SOURCE_KINDS),
            help="kind of source (default: press)",
        ),
        option("--source-date", help="the source's publication date, YYYY-MM-DD"),
    )


def output_format(*choices: str) -> Option:
    """Declare ``--format`` with ``choices``, the first being the default."""
    return option("--format", choices=choices, default=choices[0])


DATABASE_URL = option(
    "--database-url",
    help="SQLAlchemy URL of the ledger (default: $LEDGER_DATABASE_URL or data/ledger.db)",
)
BY = option("--by", help="the active editor account recording it (default: $LEDGER_EDITOR)")
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
# The options of `claims add` and of `import`, each command's own but too many to sit in its row
# of the command table.
CLAIM = (
    option("--claimant", required=True, help="organisation that stated it"),
    option("--stated-on", help="date it was stated, YYYY-MM-DD"),
    option("--quote", required=True, help="the words, verbatim"),
    option("--metric", required=True, metavar="|".join(METRICS)),
    option("--value", required=True, help="the figure as stated, e.g. 269"),
    option("--qualifier", default="exact", metavar="|".join(QUALIFIERS), help="default: exact"),
    option("--tolerance-pct", help="for approximately: +/- percent (default 5)"),
    option(
        "--reading",
        action="append",
        default=[],
        metavar="SPEC",
        help="a reading of the claim's scope, repeatable: cumulative:DATE, "
        "cumulative-before:DATE, single:DATE or period:FROM:TO, optionally followed by "
        ",donor=NAME,recipient=NAME,cargo=NAME",
    ),
    option("--note"),
)
IMPORT = (
    option("file", help="CSV file: comma or semicolon, UTF-8 or Latin-1, HXL too"),
    option("--dry-run", action="store_true", help="check and report; write nothing"),
    option(
        "--only-valid", action="store_true", help="import the valid rows even if others are refused"
    ),
    option(
        "--map",
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
    option("--date-means", help="sent or received, for rows that do not say"),
    option("--source-url", help="a source for rows that name none"),
    option("--source-title"),
    option("--publisher"),
    option("--errors", metavar="FILE", help="write the refused rows as CSV"),
)

# The argument that sets each field the library names in a refusal, by the field's last part
# ("sources.0.url" -> "url"), so that an error points at the flag to change.
FLAGS = {
    "event_date": "--date",
    "date_means": "--date-means",
    "donor": "--donor",
    "recipient": "--recipient",
    "cargo": "--cargo",
    "cargo_description": "--cargo-description",
    "tonnes": "--tonnes",
    "note": "--note",
    "reason": "--reason",
    "by": "--by",
    "url": "--source-url",
    "title": "--source-title",
    "publisher": "--publisher",
    "kind": "--source-kind",
    "published_date": "--source-date",
    "shipment": "--confirm-duplicate",
    "password": "--password-stdin",
    "claimant": "--claimant",
    "stated_on": "--stated-on",
    "quote": "--quote",
    "metric": "--metric",
    "value": "--value",
    "qualifier": "--qualifier",
    "tolerance_pct": "--tolerance-pct",
    "readings": "--reading",
    "mapping": "--map",
    "file": "FILE",
    "scope": "--reading",
    "start": "--reading",
    "end": "--reading",
}


def editor_from(args: argparse.Namespace) -> str:
    """Return the editor a write is recorded by: ``--by``, else ``$LEDGER_EDITOR``."""
    if args.by is not None:
        return str(args.by)
    return os.environ.get("LEDGER_EDITOR", "")


def shell_user() -> str:
    """Return who runs the command, as the shell knows them, for changes to editor accounts."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "shell"


def source_from(args: argparse.Namespace) -> dict[str, Any] | None:
    """Return the source the ``source`` options name, or None when none of them is given."""
    given = [args.source_url, args.source_title, args.publisher, args.source_date]
    if all(value is None for value in given):
        return None
    return {
        "url": args.source_url,
        "title": args.source_title,
        "publisher": args.publisher,
        "kind": args.source_kind,
        "published_date": args.source_date,
    }


def sources_from(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Return the source the ``source`` options name as a list, empty when none is given."""
    source = source_from(args)
    return [source] if source else []


def facts_from(args: argparse.Namespace) -> dict[str, Any]:
    """Return the shipment fields the ``facts`` options give, leaving out those not given."""
    facts = {
        "event_date": args.date,
        "date_means": args.date_means,
        "donor": args.donor,
        "recipient": args.recipient,
        "cargo": args.cargo,
        "cargo_description": args.cargo_description,
        "tonnes": args.tonnes,
        "note": args.note,
    }
    return {name: value for name, value in facts.items() if value is not None}


def claim_from(args: argparse.Namespace) -> dict[str, Any]:
    """Return the claim fields the ``CLAIM`` and ``source`` options give."""
    readings = [parse_reading_spec(spec) for spec in args.reading]
    return {
        "claimant": args.claimant,
        "stated_on": args.stated_on,
        "quote": args.quote,
        "metric": args.metric,
        "value": args.value,
        "qualifier": args.qualifier,
        "tolerance_pct": args.tolerance_pct,
        "note": args.note,
        "source": source_from(args),
        "readings": readings,
    }


def import_options_from(args: argparse.Namespace) -> ImportOptions:
    """Return how the ``IMPORT`` options say to read a file."""
    mapping = {}
    for item in args.map:
        header, sep, target = item.partition("=")
        if not sep or not header.strip():
            raise InvalidInput.single("mapping", f"--map {item!r} must be HEADER=FIELD")
        mapping[header.strip()] = target.strip()
    source = None
    if args.source_url or args.source_title or args.publisher:
        source = {"url": args.source_url, "title": args.source_title, "publisher": args.publisher}
    return ImportOptions(
        mapping=mapping,
        date_order=args.date_order,
        source=source,
        defaults={"date_means": args.date_means} if args.date_means else {},
    )


def password_from(args: argparse.Namespace) -> str:
    """Read a new password from standard input, or ask for it twice on the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInput.single(
            "password", "no terminal to ask on: pass --password-stdin and pipe it in"
        )
    password = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("The same password again: ") != password:
        raise InvalidInput.single("password", "the two passwords differ")
    return password
