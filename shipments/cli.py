"""Command line over the ledger library: ``python -m shipments COMMAND``.

Every command opens the database named by ``--database-url`` or ``LEDGER_DATABASE_URL``, upgrades
and seeds it if needed, and calls the same functions the dashboard calls. Exit status: 0 on
success, 2 on refused input (the reason on stderr, naming the field and the rule), 1 when the
database cannot be used.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from shipments.auth import add_editor, disable_editor, list_editors
from shipments.claims import add_claim, list_claims, parse_reading_spec
from shipments.db import current_revision, database_url, make_engine, session_scope
from shipments.errors import DuplicateShipment, InvalidInput, LedgerError
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.export import SHIPMENT_COLUMNS, shipment_rows, write_shipments
from shipments.exchange.import_rows import TARGETS, ImportOptions
from shipments.exchange.imports import ImportReport, import_file, preview_file
from shipments.exchange.reports import (
    RECONCILIATION_COLUMNS,
    reconciliation_json,
    reconciliation_rows,
)
from shipments.ledger import (
    append_shipment,
    correct_shipment,
    current_shipments,
    ledger_totals,
    retract_shipment,
    shipment_history,
)
from shipments.models import (
    ClaimCreate,
    ClaimPublic,
    ShipmentCorrection,
    ShipmentCreate,
    ShipmentPublic,
)
from shipments.reconcile import (
    CONSISTENT,
    INCONSISTENT,
    NO_DATA,
    Reconciliation,
    reconcile,
)
from shipments.rules import (
    DATE_MEANINGS,
    DEFAULT_TOLERANCE_PCT,
    METRICS,
    QUALIFIERS,
    SOURCE_KINDS,
    parse,
    parse_moment,
)
from shipments.seed import Seeded, prepare_database
from shipments.units import format_tonnes

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


# Exit statuses: 0 done; 1 reconcile found an inconsistent claim; 2 bad input (named); 3 the
# database could not be used, so nothing was checked or written (a script can tell 1 from 3).
EXIT_DATABASE = 3


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run one command and return its exit status (see EXIT_DATABASE)."""
    out = stdout or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        engine = make_engine(args.database_url)
        seeded = prepare_database(engine)
        try:
            status: int = args.run(args, engine, out, seeded)
        finally:
            engine.dispose()
        return status
    except DuplicateShipment as exc:
        _report(exc)
        print("Pass --confirm-duplicate to record it anyway.", file=sys.stderr)
        return 2
    except InvalidInput as exc:
        _report(exc)
        return 2
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as exc:
        print(
            f"error: cannot use the database at {_redacted(args.database_url)}: "
            f"{exc.__class__.__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_DATABASE


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="python -m shipments",
        description="Record aid shipments, correct or retract them, and export the ledger.",
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the ledger (default: $LEDGER_DATABASE_URL or data/ledger.db)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create or upgrade the database and seed it if empty")
    init.set_defaults(run=_init)

    add = commands.add_parser("add", help="record a new shipment")
    _fact_options(add, required=True)
    _source_options(add, required=True)
    add.add_argument(
        "--confirm-duplicate",
        action="store_true",
        help="record it even if it matches a current shipment",
    )
    _by_option(add)
    add.set_defaults(run=_add)

    listing = commands.add_parser(
        "list", help="show the current ledger, or as it stood at a moment"
    )
    _as_of_option(listing)
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    listing.set_defaults(run=_list)

    history = commands.add_parser("history", help="show every revision of one shipment")
    history.add_argument("id", type=_shipment_id, help="shipment id")
    history.set_defaults(run=_history)

    correct = commands.add_parser("correct", help="record a correction as a new revision")
    correct.add_argument("id", type=_shipment_id, help="shipment id")
    _fact_options(correct, required=False)
    _source_options(correct, required=False)
    correct.add_argument("--reason", required=True, help="why the correction is made")
    correct.add_argument(
        "--confirm-duplicate",
        action="store_true",
        help="record it even if the result matches another current shipment",
    )
    _by_option(correct)
    correct.set_defaults(run=_correct)

    retract = commands.add_parser("retract", help="withdraw a shipment, keeping its history")
    retract.add_argument("id", type=_shipment_id, help="shipment id")
    retract.add_argument("--reason", required=True, help="why the shipment is withdrawn")
    _by_option(retract)
    retract.set_defaults(run=_retract)

    export = commands.add_parser("export", help="write the current ledger as CSV (streamed)")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.add_argument("--hxl", action="store_true", help="add a row of HXL hashtags")
    _as_of_option(export)
    export.set_defaults(run=_export)

    reconcile_cmd = commands.add_parser(
        "reconcile", help="check every reported figure against the ledger (exit 1 if any fails)"
    )
    _as_of_option(reconcile_cmd)
    reconcile_cmd.add_argument("--format", choices=("table", "csv", "json"), default="table")
    reconcile_cmd.add_argument(
        "--no-ids",
        dest="list_ids",
        action="store_false",
        help="leave out the ids of the shipments behind each figure (faster on a large ledger)",
    )
    reconcile_cmd.set_defaults(run=_reconcile)

    claims = commands.add_parser("claims", help="record and list reported figures")
    claim_commands = claims.add_subparsers(dest="claims_command", required=True, metavar="ACTION")
    claim_add = claim_commands.add_parser("add", help="record a reported figure")
    claim_add.add_argument("--claimant", required=True, help="organisation that stated it")
    claim_add.add_argument("--stated-on", help="date it was stated, YYYY-MM-DD")
    claim_add.add_argument("--quote", required=True, help="the words, verbatim")
    claim_add.add_argument("--metric", required=True, metavar="|".join(METRICS))
    claim_add.add_argument("--value", required=True, help="the figure as stated, e.g. 269")
    claim_add.add_argument(
        "--qualifier", default="exact", metavar="|".join(QUALIFIERS), help="default: exact"
    )
    claim_add.add_argument("--tolerance-pct", help="for approximately: +/- percent (default 5)")
    claim_add.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="SPEC",
        help="a reading of the claim's scope, repeatable: cumulative:DATE, "
        "cumulative-before:DATE, single:DATE or period:FROM:TO, optionally followed by "
        ",donor=NAME,recipient=NAME,cargo=NAME",
    )
    claim_add.add_argument("--note")
    _source_options(claim_add, required=True)
    _by_option(claim_add)
    claim_add.set_defaults(run=_claims_add)
    claim_list = claim_commands.add_parser("list", help="show every recorded claim")
    claim_list.add_argument("--format", choices=("table", "json"), default="table")
    claim_list.set_defaults(run=_claims_list)

    importer = commands.add_parser(
        "import", help="import shipments from a CSV file (all rows or none)"
    )
    importer.add_argument("file", help="CSV file: comma or semicolon, UTF-8 or Latin-1, HXL too")
    importer.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    importer.add_argument(
        "--only-valid", action="store_true", help="import the valid rows even if others are refused"
    )
    importer.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="HEADER=FIELD",
        help=f"read column HEADER as FIELD ({', '.join(TARGETS)}); repeatable",
    )
    order = importer.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        action="store_const",
        const="dayfirst",
        dest="date_order",
        help="read 05/06/2019 as 5 June",
    )
    order.add_argument(
        "--monthfirst",
        action="store_const",
        const="monthfirst",
        dest="date_order",
        help="read 05/06/2019 as 6 May",
    )
    importer.add_argument("--date-means", help="sent or received, for rows that do not say")
    importer.add_argument("--source-url", help="a source for rows that name none")
    importer.add_argument("--source-title")
    importer.add_argument("--publisher")
    importer.add_argument("--errors", metavar="FILE", help="write the refused rows as CSV")
    _by_option(importer)
    importer.set_defaults(run=_import)

    editors = commands.add_parser("editors", help="manage the accounts that may change the ledger")
    editor_commands = editors.add_subparsers(
        dest="editors_command", required=True, metavar="ACTION"
    )
    editor_add = editor_commands.add_parser(
        "add", help="create an editor (asks for the password twice)"
    )
    editor_add.add_argument("name")
    editor_add.add_argument("--email", help="for signing in with an identity provider")
    editor_add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    editor_add.set_defaults(run=_editors_add)
    editor_disable = editor_commands.add_parser(
        "disable", help="stop an editor signing in or writing"
    )
    editor_disable.add_argument("name")
    editor_disable.set_defaults(run=_editors_disable)
    editor_list = editor_commands.add_parser("list", help="show every editor account")
    editor_list.set_defaults(run=_editors_list)
    return parser


def _fact_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--date", required=required, help="event date, YYYY-MM-DD")
    parser.add_argument(
        "--date-means",
        required=required,
        metavar="|".join(DATE_MEANINGS),
        help="whether the date is when the cargo was sent or received",
    )
    parser.add_argument("--donor", required=required)
    parser.add_argument("--recipient", required=required)
    parser.add_argument("--cargo", required=required, help="cargo category, e.g. medicine")
    parser.add_argument("--cargo-description")
    parser.add_argument(
        "--tonnes", required=required, help="mass in metric tonnes, at most 3 decimals"
    )
    parser.add_argument("--note")


def _source_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--source-url", required=required, help="http(s) address of the source")
    parser.add_argument("--source-title", required=required)
    parser.add_argument("--publisher", required=required)
    parser.add_argument(
        "--source-kind",
        default="press",
        metavar="|".join(SOURCE_KINDS),
        help="kind of source (default: press)",
    )
    parser.add_argument("--source-date", help="the source's publication date, YYYY-MM-DD")


def _by_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        default=None,
        help="the active editor account recording it (default: $LEDGER_EDITOR)",
    )


def _as_of_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=_timestamp,
        metavar="TIMESTAMP",
        help="ISO 8601 moment, e.g. 2026-01-31T12:00:00Z (no zone means UTC)",
    )


def _redacted(url: str | None) -> str:
    try:
        return make_url(database_url(url)).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError, OSError):
        return repr(url)


def _shipment_id(text: str) -> int:
    if not text.strip().isascii() or not text.strip().isdigit() or not 0 < int(text) < 2**31:
        raise argparse.ArgumentTypeError(f"must be a shipment id, a whole number (got {text!r})")
    return int(text)


def _timestamp(text: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _actor(args: argparse.Namespace) -> str:
    if args.by is not None:
        return str(args.by)
    return os.environ.get("LEDGER_EDITOR", "")


def _shell_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "shell"


def _source_from(args: argparse.Namespace) -> dict[str, Any] | None:
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


def _facts_from(args: argparse.Namespace) -> dict[str, Any]:
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


def _init(args: argparse.Namespace, engine: Any, out: TextIO, seeded: Seeded) -> int:
    url = _redacted(args.database_url)
    with session_scope(engine) as session:
        totals = ledger_totals(session=session)
    print(f"database: {url} (schema revision {current_revision(engine)})", file=out)
    if seeded.shipments or seeded.claims:
        print(
            f"seeded {seeded.shipments} shipments and {seeded.claims} claims from data/seed",
            file=out,
        )
    else:
        print("already initialised: nothing added", file=out)
    print(f"ledger: {totals.shipments} shipments, {format_tonnes(totals.mass_kg)} t", file=out)
    return 0


def _add(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    data = _facts_from(args)
    source = _source_from(args)
    data["sources"] = [source] if source else []
    shipment_in = parse(ShipmentCreate, data)
    with session_scope(engine) as session:
        shipment = append_shipment(
            session=session,
            shipment_in=shipment_in,
            by=_actor(args),
            via="cli",
            confirm_duplicate=args.confirm_duplicate,
        )
    print(f"added shipment {shipment.id}: {_describe(shipment)}", file=out)
    return 0


def _correct(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    data: dict[str, Any] = _facts_from(args)
    source = _source_from(args)
    data["add_sources"] = [source] if source else []
    data["reason"] = args.reason
    correction_in = parse(ShipmentCorrection, data)
    with session_scope(engine) as session:
        shipment = correct_shipment(
            session=session,
            shipment_id=args.id,
            correction_in=correction_in,
            by=_actor(args),
            via="cli",
            confirm_duplicate=args.confirm_duplicate,
        )
    print(
        f"corrected shipment {shipment.id} (revision {shipment.revision}): {_describe(shipment)}",
        file=out,
    )
    return 0


def _retract(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        revision = retract_shipment(
            session=session, shipment_id=args.id, reason=args.reason, by=_actor(args), via="cli"
        )
    print(
        f"retracted shipment {revision.id} (revision {revision.revision}): {revision.reason}",
        file=out,
    )
    return 0


def _list(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        shipments = current_shipments(session=session, as_of=args.as_of)
        totals = ledger_totals(session=session, as_of=args.as_of)
    if args.format == "csv":
        write_csv(shipment_rows(shipments), out, SHIPMENT_COLUMNS)
    elif args.format == "json":
        json.dump([json.loads(s.model_dump_json()) for s in shipments], out, indent=2)
        print(file=out)
    else:
        header = ("id", "rev", "date", "means", "donor", "recipient", "cargo", "tonnes")
        rows = [
            (
                str(s.id),
                str(s.revision),
                s.event_date.isoformat(),
                s.date_means,
                s.donor,
                s.recipient,
                s.cargo,
                format_tonnes(s.mass_kg),
            )
            for s in shipments
        ]
        _table(header, rows, out, right={0, 1, 7})
        moment = f" as of {args.as_of.isoformat()}" if args.as_of else ""
        print(f"{totals.shipments} shipments, {format_tonnes(totals.mass_kg)} t{moment}", file=out)
    return 0


def _history(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        revisions = shipment_history(session=session, shipment_id=args.id)
    print(f"shipment {args.id}: {len(revisions)} revision(s)", file=out)
    for r in revisions:
        print(
            f"  revision {r.revision} {r.action} at {r.recorded_at.isoformat()} by {r.recorded_by}",
            file=out,
        )
        if r.reason:
            print(f"    reason: {r.reason}", file=out)
        print(f"    {_describe(r)}", file=out)
        for source in r.sources:
            print(f"    source: {source.publisher}, {source.title} <{source.url}>", file=out)
    return 0


def _export(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        if args.output:
            with open(args.output, "w", newline="", encoding="utf-8") as handle:
                count = write_shipments(
                    session=session, file=handle, as_of=args.as_of, hxl=args.hxl
                )
            print(f"wrote {count} shipments to {args.output}", file=sys.stderr)
        else:
            write_shipments(session=session, file=out, as_of=args.as_of, hxl=args.hxl)
    return 0


def _reconcile(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        result = reconcile(session=session, as_of=args.as_of, list_ids=args.list_ids)
    if args.format == "json":
        json.dump(reconciliation_json(result), out, indent=2, ensure_ascii=False)
        print(file=out)
    elif args.format == "csv":
        write_csv(reconciliation_rows(result), out, RECONCILIATION_COLUMNS)
    else:
        _reconciliation_table(result, out)
    return 1 if result.any_inconsistent else 0


def _claims_add(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    readings = [parse_reading_spec(spec) for spec in args.reading]
    data = {
        "claimant": args.claimant,
        "stated_on": args.stated_on,
        "quote": args.quote,
        "metric": args.metric,
        "value": args.value,
        "qualifier": args.qualifier,
        "tolerance_pct": args.tolerance_pct,
        "note": args.note,
        "source": _source_from(args),
        "readings": readings,
    }
    claim_in = parse(ClaimCreate, data)
    with session_scope(engine) as session:
        claim = add_claim(session=session, claim_in=claim_in, by=_actor(args), via="cli")
    readings_text = "; ".join(r.describe() for r in claim.readings)
    print(f"added claim {claim.id}: {_claimed(claim)} [{readings_text}]", file=out)
    return 0


def _claims_list(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        claims = list_claims(session=session)
    if args.format == "json":
        json.dump(
            [json.loads(c.model_dump_json()) for c in claims], out, indent=2, ensure_ascii=False
        )
        print(file=out)
        return 0
    for claim in claims:
        stated = claim.stated_on.isoformat() if claim.stated_on else "date not stated"
        print(f"claim {claim.id}: {claim.claimant}, {stated}: {_claimed(claim)}", file=out)
        print(f'  "{claim.quote}" <{claim.source.url}>', file=out)
        for reading in claim.readings:
            print(f"  reading {reading.id}: {reading.describe()}", file=out)
    print(f"{len(claims)} claims", file=out)
    return 0


def _claimed(claim: ClaimPublic) -> str:
    unit = "t" if claim.metric == "tonnes" else "deliveries"
    qualifier = claim.qualifier.replace("_", " ")
    if claim.qualifier == "approximately":
        qualifier += f" +/-{claim.tolerance_pct or DEFAULT_TOLERANCE_PCT}%"
    return f"{claim.value} {unit} ({qualifier})"


def _reconciliation_table(result: Reconciliation, out: TextIO) -> None:
    for item in result.claims:
        claim = item.claim
        unit = "t" if claim.metric == "tonnes" else "deliveries"
        stated = claim.stated_on.isoformat() if claim.stated_on else "date not stated"
        verdict = item.verdict
        if item.supported_by:
            verdict += " under reading " + ", ".join(str(i) for i in item.supported_by)
        print(
            f"claim {claim.id}: {claim.claimant}, {stated}: {_claimed(claim)}: {verdict}", file=out
        )
        print(f'  "{claim.quote}" <{claim.source.url}>', file=out)
        for r in item.readings:
            print(f"  reading {r.reading_id}: {r.description}", file=out)
            if r.ledger_value is None:
                print("    no shipments in the ledger match: no data", file=out)
                continue
            low = "-inf" if r.low is None else str(r.low)
            bounds = f"{low}..{'inf' if r.high is None else r.high}"
            print(
                f"    ledger {r.ledger_value} {unit} (claim allows {bounds}), difference "
                f"{r.difference:+} {unit} ({r.difference_pct:+} %): {r.verdict}; "
                f"shipments {' '.join(str(i) for i in r.shipment_ids)}",
                file=out,
            )
    moment = f" as of {result.as_of.isoformat()}" if result.as_of else ""
    print(
        f"{len(result.claims)} claims{moment}: {result.count(CONSISTENT)} consistent, "
        f"{result.count(INCONSISTENT)} inconsistent, {result.count(NO_DATA)} no data",
        file=out,
    )


def _import(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    mapping = {}
    for item in args.map:
        header, sep, target = item.partition("=")
        if not sep or not header.strip():
            raise InvalidInput.single("mapping", f"--map {item!r} must be HEADER=FIELD")
        mapping[header.strip()] = target.strip()
    source = None
    if args.source_url or args.source_title or args.publisher:
        source = {"url": args.source_url, "title": args.source_title, "publisher": args.publisher}
    options = ImportOptions(
        mapping=mapping,
        date_order=args.date_order,
        source=source,
        defaults={"date_means": args.date_means} if args.date_means else {},
    )
    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput.single("file", f"no such file: {args.file}")
    with session_scope(engine) as session:
        if args.dry_run:
            report = preview_file(session=session, path=path, options=options)
        else:
            report = import_file(
                session=session,
                path=path,
                options=options,
                by=_actor(args),
                via="import",
                only_valid=args.only_valid,
                progress=lambda n: print(f"imported {n} rows so far", file=sys.stderr, flush=True),
            )
    _import_summary(report, out, dry_run=args.dry_run)
    if args.errors:
        with open(args.errors, "w", newline="", encoding="utf-8") as handle:
            write_csv(
                ({"line": p.line, "field": p.field, "rule": p.rule} for p in report.problems),
                handle,
                ("line", "field", "rule"),
            )
    if report.committed:
        return 0
    return 2 if report.rows_refused else 0


def _import_summary(report: ImportReport, out: TextIO, *, dry_run: bool) -> None:
    print(
        f"file: {report.file_name} (SHA-256 {report.sha256}, {report.encoding}, "
        f"delimiter {report.delimiter!r})",
        file=out,
    )
    for note in report.notes:
        print(f"note: {note}", file=out)
    print(f"rows read: {report.rows_read}", file=out)
    print(f"rows refused: {report.rows_refused}", file=out)
    for problem in report.problems:
        print(f"  line {problem.line}: {problem.field}: {problem.rule}", file=out)
    would = (
        "would add" if dry_run else ("added" if report.committed else "added nothing; would add")
    )
    tonnes = format_tonnes(report.kg_valid)
    print(f"{would}: {report.rows_valid} shipments, {tonnes} t", file=out)
    if report.committed:
        print(f"imported as batch {report.batch_id}: {report.rows_added} shipments", file=out)
    elif not dry_run and report.problems:
        print("nothing was written: fix the refused rows, or pass --only-valid", file=out)


def _editors_add(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("The same password again: ") != password:
            raise InvalidInput.single("password", "the two passwords differ")
    else:
        raise InvalidInput.single(
            "password", "no terminal to ask on: pass --password-stdin and pipe it in"
        )
    with session_scope(engine) as session:
        editor = add_editor(
            session=session,
            name=args.name,
            password=password,
            by=_shell_user(),
            email=args.email,
        )
    print(f"added editor {editor.name}", file=out)
    return 0


def _editors_disable(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        editor = disable_editor(session=session, name=args.name, by=_shell_user())
    print(f"disabled editor {editor.name}", file=out)
    return 0


def _editors_list(args: argparse.Namespace, engine: Any, out: TextIO, _seeded: Seeded) -> int:
    with session_scope(engine) as session:
        editors = list_editors(session=session)
    rows = [
        (
            e.name,
            "active" if e.active else "disabled",
            e.email or "",
            e.created_by,
            e.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        for e in editors
    ]
    _table(("name", "state", "email", "created by", "created at"), rows, out, right=set())
    print(f"{len(editors)} editors", file=out)
    return 0


def _describe(s: ShipmentPublic) -> str:
    return (
        f"{s.event_date.isoformat()} ({s.date_means}) {s.donor} -> {s.recipient}, "
        f"{s.cargo}, {format_tonnes(s.mass_kg)} t"
    )


def _table(
    header: Sequence[str], rows: Sequence[tuple[str, ...]], out: TextIO, *, right: set[int]
) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(line(header), file=out)
    for row in rows:
        print(line(row), file=out)


def _report(exc: InvalidInput) -> None:
    for problem in exc.problems:
        field = problem.field
        leaf = field.rsplit(".", 1)[-1]
        flag = FLAGS.get(leaf)
        label = f"{field} ({flag})" if flag and flag.lstrip("-") != field else field
        print(f"error: {label}: {problem.rule}", file=sys.stderr)
    if "by" in exc.fields():
        print(
            "Pass --by NAME or set LEDGER_EDITOR to an active editor account"
            " (python -m shipments editors list).",
            file=sys.stderr,
        )
