"""The command table: each command's name, help, arguments and handler, and the parser from it.

A command names its handler (``"handlers.run_list"``: a function of a module of this package),
which is imported when the command runs: building the parser, ``--help`` and a usage error import
none of the library, and a command imports only what its own module needs
(tests/test_cli_startup.py holds both).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from shipments.cli.options import (
    AS_OF,
    BY,
    CLAIM,
    CLAIM_ID,
    CONSIGNMENT,
    DATABASE_URL,
    FAIL_ON,
    IMPORT,
    INIT,
    NO_IDS,
    SHIPMENT_ID,
    Argument,
    add_arguments,
    facts,
    flags_by_field,
    link,
    option,
    output_format,
    source,
    sources_at_least,
)
from shipments.rules import DISCREPANCY_STATES


class Exit(IntEnum):
    """Exit statuses: a script can tell a failed claim (1) from a check that did not run (3)."""

    DONE = 0
    INCONSISTENT = 1  # reconcile: the ledger contradicts at least one claim
    REFUSED = 2  # bad input, named on standard error; nothing was written
    DATABASE = 3  # the database could not be used, so nothing was checked or written


@dataclass(frozen=True)
class Command:
    """One command: its name, help and arguments, and either its handler or its own actions.

    ``run`` names the handler, ``"module.function"`` in this package, that takes the parsed
    arguments and a ``handlers.Context``; ``offline`` one that needs no database and takes the
    arguments and the output stream.
    """

    name: str
    help: str
    arguments: tuple[Argument, ...] = ()
    run: str | None = None
    actions: tuple[Command, ...] = ()
    offline: str | None = None


def handler(name: str) -> Callable[..., Exit]:
    """Import and return the handler a command names (``"handlers.run_list"``)."""
    module, _, function = name.rpartition(".")
    handler: Callable[..., Exit] = getattr(
        importlib.import_module(f"shipments.cli.{module}"), function
    )
    return handler


COMMANDS = (
    Command(
        "init",
        "create or upgrade the database and seed it if empty",
        INIT,
        run="handlers.run_init",
    ),
    Command(
        "add",
        "record a new shipment",
        (
            *facts(required=True),
            *source(required=True),
            option(
                "--confirm-duplicate",
                sets="shipment",
                action="store_true",
                help="record it even if it matches a current shipment",
            ),
            option(
                "--same-consignment-as",
                sets="same_consignment_as",
                metavar="ID",
                help="the shipment that is this cargo's other record (sent or received): link"
                " the two to count once",
            ),
            BY,
        ),
        "handlers.run_add",
    ),
    Command(
        "list",
        "show the current ledger, or as it stood at a moment",
        (AS_OF, output_format("table", "csv", "json")),
        "handlers.run_list",
    ),
    Command(
        "history", "show every revision of one shipment", (SHIPMENT_ID,), "handlers.run_history"
    ),
    Command(
        "correct",
        "record a correction as a new revision",
        (
            SHIPMENT_ID,
            *facts(required=False),
            *source(required=False),
            option("--reason", sets="reason", required=True, help="why the correction is made"),
            option(
                "--confirm-duplicate",
                sets="shipment",
                action="store_true",
                help="record it even if the result matches another current shipment",
            ),
            BY,
        ),
        "handlers.run_correct",
    ),
    Command(
        "retract",
        "withdraw a shipment, keeping its history",
        (
            SHIPMENT_ID,
            option("--reason", sets="reason", required=True, help="why the shipment is withdrawn"),
            BY,
        ),
        "handlers.run_retract",
    ),
    Command(
        "export",
        "write the current ledger as CSV (streamed) or as an Excel workbook",
        (
            option(
                "--output",
                "-o",
                sets="output",
                help="file to write (default: standard output; a workbook needs a file)",
            ),
            option("--hxl", action="store_true", help="add a row of HXL hashtags"),
            output_format("csv", "xlsx"),
            AS_OF,
            option(
                "--sources-at-least",
                type=sources_at_least,
                metavar="N",
                help="only the shipments with at least N independent sources (publishers)",
            ),
            option(
                "--package",
                sets="package",
                metavar="DIR",
                help="write the CSV and its Data Package descriptor (datapackage.json) into DIR",
            ),
            option(
                "--claimreview",
                sets="claimreview",
                action="store_true",
                help="write the reconciliation as schema.org ClaimReview JSON-LD instead",
            ),
            option(
                "--site",
                sets="site",
                help="the dashboard's public address, which each review links to "
                "(default: $LEDGER_PUBLIC_URL)",
            ),
        ),
        "exports.run_export",
    ),
    Command(
        "verify",
        "check that an exported package's CSV is whole and unaltered (exit 1 if not)",
        (option("folder", sets="folder", help="the folder export --package wrote"),),
        offline="exports.run_verify",
    ),
    Command(
        "publish",
        "write a static snapshot (pages, charts, claims, data files) into DIR for any static host",
        (option("folder", metavar="DIR", help="a new folder, or an earlier snapshot to replace"),),
        "publish.run_publish",
    ),
    Command(
        "reconcile",
        "check every reported figure against the ledger (exit 1 if any fails; see --fail-on)",
        (AS_OF, output_format("table", "csv", "json"), NO_IDS, FAIL_ON),
        "handlers.run_reconcile",
    ),
    Command(
        "claims",
        "record and list reported figures",
        actions=(
            Command(
                "add",
                "record a reported figure",
                (*CLAIM, *source(required=True), BY),
                "handlers.run_claims_add",
            ),
            Command(
                "list",
                "show every recorded claim",
                (output_format("table", "json"),),
                "handlers.run_claims_list",
            ),
        ),
    ),
    Command(
        "discrepancies",
        "work the claims the ledger does not bear out: list, explain, resolve",
        actions=(
            Command(
                "list",
                "show each claim's discrepancy, open ones first",
                (
                    option("--state", choices=(*DISCREPANCY_STATES, "all"), default="all"),
                    AS_OF,
                    output_format("table", "json"),
                ),
                "handlers.run_discrepancies_list",
            ),
            Command(
                "explain",
                "say why a claim and the ledger differ (it stays explained until the figure moves)",
                (
                    CLAIM_ID,
                    option("--reason", sets="reason", required=True, help="why they differ"),
                    option(
                        "--link",
                        sets=("link", "link_kind", "link_id"),
                        type=link,
                        metavar="KIND:ID",
                        help="the shipment, claim or source that explains it, e.g. shipment:3",
                    ),
                    BY,
                ),
                "handlers.run_discrepancies_explain",
            ),
            Command(
                "resolve",
                "close a discrepancy once the ledger is corrected and the claim holds",
                (CLAIM_ID, option("--reason", sets="reason", help="what was corrected"), BY),
                "handlers.run_discrepancies_resolve",
            ),
        ),
    ),
    Command(
        "consignments",
        "link a sent and a received record of one cargo to count it once: list, link, unlink",
        actions=(
            Command(
                "list",
                "show the consignments standing now (sent record, received record, who linked)",
                (output_format("table", "json"),),
                "handlers.run_consignments_list",
            ),
            Command(
                "link",
                "count two records of the same cargo (one sent, one received) once",
                (
                    *CONSIGNMENT,
                    option("--reason", sets="reason", help="why they are one consignment"),
                    BY,
                ),
                "handlers.run_consignments_link",
            ),
            Command(
                "unlink",
                "count two linked records separately again",
                (
                    *CONSIGNMENT,
                    option("--reason", sets="reason", required=True, help="why they are not"),
                    BY,
                ),
                "handlers.run_consignments_unlink",
            ),
        ),
    ),
    Command(
        "import",
        "import shipments from a CSV file (all rows or none)",
        (*IMPORT, BY),
        "handlers.run_import",
    ),
    Command(
        "editors",
        "manage the accounts that may change the ledger",
        actions=(
            Command(
                "add",
                "create an editor (asks for the password twice)",
                (
                    option("name"),
                    option("--email", help="a contact address kept with the account"),
                    option(
                        "--password-stdin",
                        action="store_true",
                        help="read the password from standard input",
                    ),
                ),
                "editors.run_editors_add",
            ),
            Command(
                "set-email",
                "give an editor the e-mail address single sign-on maps to the account",
                (option("name"), option("email", sets="email")),
                "editors.run_editors_set_email",
            ),
            Command(
                "disable",
                "stop an editor signing in or writing",
                (option("name"),),
                "editors.run_editors_disable",
            ),
            Command("list", "show every editor account", run="editors.run_editors_list"),
        ),
    ),
)


def _arguments(commands: Sequence[Command]) -> Iterator[Argument]:
    for command in commands:
        yield from command.arguments
        yield from _arguments(command.actions)


# How a refusal names the argument that sets each library field ("sources.0.url" is looked up as
# "url"), so that an error points at the flag to change. Each command looks up its own arguments
# (a parsed command's ``flags``): `claims add` has no --donor for a reading's donor to point at.
FLAGS = flags_by_field(_arguments(COMMANDS))


class _Parser(argparse.ArgumentParser):
    """argparse, except that a flag glued to ``--`` (``--as-of=--``) takes ``--`` as its value.

    Python 3.11's argparse drops that ``--`` as if it ended the options, and the flag then holds
    an empty list that no type or choice has checked: ``--as-of=--`` reached the database as a
    moment (exit 3, "cannot use the database"), ``--map=--`` crashed, ``--format=--`` passed.
    """

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every command in ``COMMANDS``."""
    parser = _Parser(
        prog="python -m shipments",
        description="Record aid shipments, correct or retract them, and export the ledger.",
    )
    add_arguments(parser, (DATABASE_URL,))
    _add_commands(parser, COMMANDS, dest="command", metavar="COMMAND")
    return parser


def _add_commands(
    parser: argparse.ArgumentParser, commands: Sequence[Command], *, dest: str, metavar: str
) -> None:
    subparsers = parser.add_subparsers(dest=dest, required=True, metavar=metavar)
    for command in commands:
        child = subparsers.add_parser(command.name, help=command.help)
        add_arguments(child, command.arguments)
        if command.actions:
            _add_commands(child, command.actions, dest=f"{command.name}_command", metavar="ACTION")
        else:
            child.set_defaults(
                run=command.run, offline=command.offline, flags=flags_by_field(command.arguments)
            )
