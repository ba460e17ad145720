"""The export commands: the ledger as CSV or a workbook, a package that proves itself, claim
reviews; and ``verify``, which checks a package without a database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from shipments.cli.commands import Exit
from shipments.cli.output import say
from shipments.cli.running import Context
from shipments.errors import InvalidInput, LedgerError
from shipments.exchange.claimreview import site_url, write_claimreview
from shipments.exchange.export import write_shipments
from shipments.exchange.package import DESCRIPTOR, verify_package, write_package
from shipments.exchange.xlsx import write_shipments_xlsx
from shipments.ledger import ShipmentFilter


def run_export(args: argparse.Namespace, ctx: Context) -> Exit:
    """Write the current ledger as CSV to ``--output`` or standard output, or as a workbook to
    ``--output``."""
    if args.claimreview:
        if args.sources_at_least is not None:
            raise InvalidInput.single("sources_at_least", "applies to shipments, not --claimreview")
        return _export_claimreview(args, ctx)
    if args.package:
        return _export_package(args, ctx)
    if args.site:
        raise InvalidInput.single("site", "applies only with --claimreview")
    if args.format == "xlsx":
        return _export_workbook(args, ctx)
    if not args.output:
        write_shipments(
            session=ctx.session,
            file=ctx.out,
            as_of=args.as_of,
            filters=_filters(args),
            hxl=args.hxl,
        )
        return Exit.DONE
    with open(args.output, "w", newline="", encoding="utf-8") as handle:
        count = write_shipments(
            session=ctx.session,
            file=handle,
            as_of=args.as_of,
            filters=_filters(args),
            hxl=args.hxl,
        )
    say(f"wrote {count} shipments to {args.output}", file=sys.stderr)
    return Exit.DONE


def _export_package(args: argparse.Namespace, ctx: Context) -> Exit:
    """Write the CSV and its datapackage.json into ``--package DIR``."""
    if args.output or args.format != "csv":
        rule = "writes a folder: the CSV and its datapackage.json; leave out --output and --format"
        raise InvalidInput.single("package", rule)
    folder = Path(args.package)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput.single("package", f"{args.package} is a file, not a folder")
    path = write_package(
        session=ctx.session, folder=folder, as_of=args.as_of, filters=_filters(args), hxl=args.hxl
    )
    say(f"wrote {path} and {folder / DESCRIPTOR}", file=ctx.out)
    return Exit.DONE


def _filters(args: argparse.Namespace) -> ShipmentFilter | None:
    """Return the shipments the command asks for: those with --sources-at-least, or all."""
    if args.sources_at_least is None:
        return None
    return ShipmentFilter(sources_at_least=args.sources_at_least)


def run_verify(args: argparse.Namespace, out: TextIO) -> Exit:
    """Check a package's CSV against its descriptor; exit 1 when anything differs."""
    problems = verify_package(Path(args.folder))
    for problem in problems:
        say(f"differs: {problem}", file=out)
    if problems:
        return Exit.INCONSISTENT
    say(f"{args.folder}: whole and unaltered (as its {DESCRIPTOR} says)", file=out)
    return Exit.DONE


def _export_claimreview(args: argparse.Namespace, ctx: Context) -> Exit:
    """Write the ClaimReview document to ``--output`` or standard output."""
    if args.hxl or args.format != "csv":
        rule = "writes JSON-LD: leave out --hxl and --format"
        raise InvalidInput.single("claimreview", rule)
    site = site_url(args.site)
    if not args.output:
        write_claimreview(session=ctx.session, file=ctx.out, site=site, as_of=args.as_of)
        return Exit.DONE
    with open(args.output, "w", encoding="utf-8") as handle:
        count = write_claimreview(session=ctx.session, file=handle, site=site, as_of=args.as_of)
    say(f"wrote {count} claim reviews to {args.output}", file=sys.stderr)
    return Exit.DONE


def _export_workbook(args: argparse.Namespace, ctx: Context) -> Exit:
    """Write the workbook to ``--output``; a workbook that does not fit leaves no file behind."""
    if not args.output:
        rule = (
            "a workbook is written to a file, not to standard output: pass --output FILE.xlsx"
            " (or --format csv to stream CSV)"
        )
        raise InvalidInput.single("output", rule)
    path = Path(args.output)
    try:
        with path.open("wb") as handle:
            count = write_shipments_xlsx(
                session=ctx.session,
                file=handle,
                as_of=args.as_of,
                filters=_filters(args),
                hxl=args.hxl,
            )
    except LedgerError:
        path.unlink(missing_ok=True)
        raise
    say(f"wrote {count} shipments to {args.output}", file=sys.stderr)
    return Exit.DONE
