"""What each command does: read its arguments into the library's inputs, call it, print the result.

The rules live in the library and the layout of what is printed in ``output``; a handler holds
neither.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shipments.claims import list_claims, record_claim
from shipments.cli import output
from shipments.cli.commands import Exit
from shipments.cli.inputs import (
    claim_from,
    editor_from,
    facts_from,
    import_options_from,
    sources_from,
)
from shipments.cli.output import say
from shipments.cli.running import Context
from shipments.corroboration import claim_publishers
from shipments.db import REPO_ROOT, current_revision
from shipments.discrepancies import explain, resolve, sync_and_list
from shipments.errors import InvalidInput
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.reports import (
    RECONCILIATION_COLUMNS,
    reconciliation_json,
    reconciliation_rows,
)
from shipments.ledger import (
    append_shipment,
    correct_shipment,
    current_shipments,
    describe_shipment,
    ledger_totals,
    link_consignment,
    linked_records,
    list_consignments,
    retract_shipment,
    shipment_history,
    unlink_consignment,
)
from shipments.models import (
    ClaimCreate,
    ConsignmentCreate,
    DiscrepancyExplanation,
    ShipmentCorrection,
    ShipmentCreate,
)
from shipments.models.discrepancies import STATES
from shipments.reconcile import reconcile
from shipments.rules import parse
from shipments.seed import configured_seed


def run_init(args: argparse.Namespace, ctx: Context) -> Exit:
    """Create or upgrade the database, seed it if empty and say what it holds."""
    revision = current_revision(ctx.engine)
    totals = ledger_totals(session=ctx.session)
    folder = configured_seed(args.seed, field="seed") if args.seed else configured_seed()
    output.database_state(
        output.redacted(args.database_url),
        revision,
        ctx.seeded,
        totals,
        ctx.out,
        seed=None if folder is None else _shown_path(folder),
    )
    return Exit.DONE


def _shown_path(folder: Path) -> str:
    """Return a folder as the README names it: relative to the repository when inside it."""
    try:
        return str(folder.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(folder)


def run_add(args: argparse.Namespace, ctx: Context) -> Exit:
    """Record a new shipment."""
    shipment_in = parse(
        ShipmentCreate,
        {
            **facts_from(args),
            "sources": sources_from(args),
            "same_consignment_as": args.same_consignment_as,
        },
    )
    shipment = append_shipment(
        session=ctx.session,
        shipment_in=shipment_in,
        by=editor_from(args),
        via="cli",
        confirm_duplicate=args.confirm_duplicate,
    )
    say(f"added shipment {shipment.id}: {describe_shipment(shipment)}", file=ctx.out)
    if shipment.once_with is not None:
        say(
            f"linked with shipment {shipment.once_with} as one consignment: they count once",
            file=ctx.out,
        )
    return Exit.DONE


def run_correct(args: argparse.Namespace, ctx: Context) -> Exit:
    """Record a correction as a new revision."""
    correction_in = parse(
        ShipmentCorrection,
        {**facts_from(args), "add_sources": sources_from(args), "reason": args.reason},
    )
    shipment = correct_shipment(
        session=ctx.session,
        shipment_id=args.id,
        correction_in=correction_in,
        by=editor_from(args),
        via="cli",
        confirm_duplicate=args.confirm_duplicate,
    )
    say(
        f"corrected shipment {shipment.id} (revision {shipment.revision}): "
        f"{describe_shipment(shipment)}",
        file=ctx.out,
    )
    return Exit.DONE


def run_retract(args: argparse.Namespace, ctx: Context) -> Exit:
    """Withdraw a shipment, keeping its history."""
    revision = retract_shipment(
        session=ctx.session,
        shipment_id=args.id,
        reason=args.reason,
        by=editor_from(args),
        via="cli",
    )
    say(
        f"retracted shipment {revision.id} (revision {revision.revision}): {revision.reason}",
        file=ctx.out,
    )
    return Exit.DONE


def run_list(args: argparse.Namespace, ctx: Context) -> Exit:
    """Print the current ledger, or as it stood at ``--as-of``."""
    shipments = current_shipments(session=ctx.session, as_of=args.as_of)
    if args.format == "csv":
        # Imported here: the export's column table is built at import, which the table needs not.
        from shipments.exchange.export import SHIPMENT_COLUMNS, shipment_rows

        claims = claim_publishers(session=ctx.session, as_of=args.as_of)
        write_csv(shipment_rows(shipments, claims=claims), ctx.out, SHIPMENT_COLUMNS)
    elif args.format == "json":
        output.models_json(shipments, ctx.out)
    else:
        totals = ledger_totals(session=ctx.session, as_of=args.as_of)
        linked = linked_records(session=ctx.session, as_of=args.as_of)
        once_with = {r.shipment_id: r.other_id for r in linked}
        output.shipments_table(shipments, totals, ctx.out, as_of=args.as_of, once_with=once_with)
    return Exit.DONE


def run_history(args: argparse.Namespace, ctx: Context) -> Exit:
    """Print every revision of one shipment."""
    revisions = shipment_history(session=ctx.session, shipment_id=args.id)
    output.history(args.id, revisions, ctx.out)
    return Exit.DONE


def run_reconcile(args: argparse.Namespace, ctx: Context) -> Exit:
    """Check every claim against the ledger (opening the discrepancies it finds now); exit 1
    when any is inconsistent, or with ``--fail-on open`` when a discrepancy is open."""
    result = reconcile(session=ctx.session, as_of=args.as_of, list_ids=args.list_ids)
    found = sync_and_list(session=ctx.session, result=result, as_of=args.as_of)
    if args.format == "json":
        output.json_value(reconciliation_json(result), ctx.out)
    elif args.format == "csv":
        write_csv(reconciliation_rows(result), ctx.out, RECONCILIATION_COLUMNS)
    else:
        output.reconciliation_table(result, ctx.out)
        output.discrepancy_summary(found, ctx.out)
    if args.fail_on == "open":
        return Exit.INCONSISTENT if any(d.needs_work for d in found) else Exit.DONE
    return Exit.INCONSISTENT if result.any_inconsistent else Exit.DONE


def run_discrepancies_list(args: argparse.Namespace, ctx: Context) -> Exit:
    """Print each claim's discrepancy (opening those the ledger shows now), open first."""
    result = reconcile(session=ctx.session, as_of=args.as_of, list_ids=False)
    states = STATES if args.state == "all" else (args.state,)
    found = sync_and_list(session=ctx.session, result=result, states=states, as_of=args.as_of)
    if args.format == "json":
        output.json_value([output.discrepancy_json(d) for d in found], ctx.out)
    else:
        output.discrepancies_table(found, ctx.out)
    return Exit.DONE


def run_discrepancies_explain(args: argparse.Namespace, ctx: Context) -> Exit:
    """Mark a claim's discrepancy explained."""
    kind, number = args.link if args.link else (None, None)
    explanation_in = parse(
        DiscrepancyExplanation, {"reason": args.reason, "link_kind": kind, "link_id": number}
    )
    event = explain(
        session=ctx.session,
        claim_id=args.claim,
        explanation_in=explanation_in,
        by=editor_from(args),
        via="cli",
    )
    say(f"claim {event.claim_id}: discrepancy explained by {event.actor}", file=ctx.out)
    return Exit.DONE


def run_discrepancies_resolve(args: argparse.Namespace, ctx: Context) -> Exit:
    """Mark a claim's discrepancy resolved."""
    event = resolve(
        session=ctx.session,
        claim_id=args.claim,
        by=editor_from(args),
        via="cli",
        note=args.reason,
    )
    say(f"claim {event.claim_id}: discrepancy resolved by {event.actor}", file=ctx.out)
    return Exit.DONE


def _consignment_in(args: argparse.Namespace) -> ConsignmentCreate:
    """Read the two records (and the reason) that ``consignments link|unlink`` name."""
    return parse(
        ConsignmentCreate, {"first_id": args.first, "second_id": args.second, "reason": args.reason}
    )


def run_consignments_list(args: argparse.Namespace, ctx: Context) -> Exit:
    """Print the consignments standing now."""
    found = list_consignments(session=ctx.session)
    if args.format == "json":
        output.json_value([c.model_dump(mode="json") for c in found], ctx.out)
    else:
        output.consignments_table(found, ctx.out)
    return Exit.DONE


def run_consignments_link(args: argparse.Namespace, ctx: Context) -> Exit:
    """Link a sent and a received record as one consignment."""
    link_in = _consignment_in(args)
    done = link_consignment(session=ctx.session, link_in=link_in, by=editor_from(args), via="cli")
    say(
        f"shipments {done.sent_id} (sent) and {done.received_id} (received) are one consignment"
        f" and count once, linked by {done.recorded_by}",
        file=ctx.out,
    )
    return Exit.DONE


def run_consignments_unlink(args: argparse.Namespace, ctx: Context) -> Exit:
    """Undo a consignment's link: both records count again."""
    link_in = _consignment_in(args)
    done = unlink_consignment(session=ctx.session, link_in=link_in, by=editor_from(args), via="cli")
    say(
        f"shipments {done.sent_id} and {done.received_id} count separately again, unlinked by"
        f" {done.recorded_by}",
        file=ctx.out,
    )
    return Exit.DONE


def run_claims_add(args: argparse.Namespace, ctx: Context) -> Exit:
    """Record a reported figure with its readings."""
    claim_in = parse(ClaimCreate, claim_from(args))
    claim = record_claim(session=ctx.session, claim_in=claim_in, by=editor_from(args), via="cli")
    readings_text = "; ".join(r.describe() for r in claim.readings)
    say(f"added claim {claim.id}: {output.claimed(claim)} [{readings_text}]", file=ctx.out)
    return Exit.DONE


def run_claims_list(args: argparse.Namespace, ctx: Context) -> Exit:
    """Print every recorded claim."""
    claims = list_claims(session=ctx.session)
    if args.format == "json":
        output.models_json(claims, ctx.out)
    else:
        output.claims_listing(claims, ctx.out)
    return Exit.DONE


def run_import(args: argparse.Namespace, ctx: Context) -> Exit:
    """Import a CSV file (or check it); exit 2 when rows were refused and nothing was written."""
    # Imported here: the importer is the largest part of the library, and no other command uses it.
    from shipments.cli import import_output
    from shipments.exchange.imports import import_file, preview_file

    options = import_options_from(args)
    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput.single("file", f"no such file: {args.file}")
    if args.dry_run:
        report = preview_file(session=ctx.session, path=path, options=options)
    else:
        report = import_file(
            session=ctx.session,
            path=path,
            options=options,
            by=editor_from(args),
            via="import",
            only_valid=args.only_valid,
            progress=import_output.import_progress,
        )
    import_output.import_summary(report, ctx.out, dry_run=args.dry_run)
    if args.errors:
        import_output.refused_rows(report, args.errors)
    return Exit.REFUSED if report.rows_refused and not report.committed else Exit.DONE
