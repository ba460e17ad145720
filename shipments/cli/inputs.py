"""The parsed arguments read into the library's inputs: facts, sources, claims, import options."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

from shipments import transaction
from shipments.claims import parse_reading_spec
from shipments.cli.options import facts, source
from shipments.errors import InvalidInput

if TYPE_CHECKING:
    from shipments.exchange.import_rows import ImportOptions


def editor_from(args: argparse.Namespace) -> str:
    """Return the editor a write is recorded by: ``--by``, else ``$LEDGER_EDITOR``."""
    if args.by is not None:
        return str(args.by)
    return os.environ.get("LEDGER_EDITOR", "")


def shell_user() -> str:
    """Return who runs the command (the account of its uid), for changes to editor accounts."""
    return transaction.os_user()


def source_from(args: argparse.Namespace) -> dict[str, Any] | None:
    """Return the source the ``source`` options name, or None when none of them is given."""
    given = {o.fields[0]: getattr(args, o.dest) for o in source(required=False)}
    if all(value is None for field, value in given.items() if field != "kind"):
        return None  # the kind alone (it has a default) names no source
    return given


def sources_from(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Return the source the ``source`` options name as a list, empty when none is given."""
    source = source_from(args)
    return [source] if source else []


def facts_from(args: argparse.Namespace) -> dict[str, Any]:
    """Return the shipment fields the ``facts`` options give, leaving out those not given."""
    given = {o.fields[0]: getattr(args, o.dest) for o in facts(required=False)}
    return {field: value for field, value in given.items() if value is not None}


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
    from shipments.exchange.import_rows import ImportOptions  # the import command's alone

    mapping: dict[str, str] = {}
    for item in args.map:
        header, sep, target = item.partition("=")
        if not sep or not header.strip():
            raise InvalidInput.single("mapping", f"--map {item!r} must be HEADER=FIELD")
        if mapping.setdefault(header.strip(), target.strip()) != target.strip():
            raise InvalidInput.single(
                "mapping", f"--map reads the column {header.strip()!r} as two fields: say one"
            )
    source = None
    if args.source_url or args.source_title or args.publisher:
        source = {"url": args.source_url, "title": args.source_title, "publisher": args.publisher}
    return ImportOptions(
        mapping=mapping,
        date_order=args.date_order,
        decimal_mark=args.decimal_mark,
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
