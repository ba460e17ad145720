"""What the command line prints: tables, reports and refusals, as plain text on a terminal."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from pydantic import BaseModel
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from shipments.db import database_url
from shipments.discrepancies import Discrepancy
from shipments.errors import DuplicateShipment, InvalidInput
from shipments.ledger import LedgerTotals, describe_shipment
from shipments.models import (
    ClaimPublic,
    ConsignmentPublic,
    EditorPublic,
    RevisionPublic,
    ShipmentPublic,
)
from shipments.models.discrepancies import EXPLAINED, OPEN
from shipments.reconcile import CONSISTENT, INCONSISTENT, NO_DATA, Reconciliation
from shipments.rules import DEFAULT_TOLERANCE_PCT
from shipments.seed import Seeded
from shipments.units import format_tonnes


def inert(text: str) -> str:
    """Return ``text`` as a terminal may show it: every character that is not printable
    (control, invisible formatting, line separator) written as its escape, so that data cannot
    move the cursor, clear the screen, reorder a line or fake one."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def say(text: str = "", *, file: TextIO, flush: bool = False) -> None:
    """Print one line of the command line's text, made inert (every line passes through here)."""
    print(inert(text), file=file, flush=flush)


def redacted(url: str | None) -> str:
    """Return the database URL that ``url`` names, its password hidden."""
    try:
        return make_url(database_url(url)).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError, OSError):
        # Not a URL at all: not repeated, since it may hold a password in a shape not parsed.
        return "the URL given (--database-url or LEDGER_DATABASE_URL), which is not a database URL"


def refusal(exc: InvalidInput, err: TextIO, flags: Mapping[str, str]) -> None:
    """Print each broken rule with its field and the flag that sets it, then what to do.

    A nested field is looked up by its last part, then its first ("readings.0.donor" is set by
    --reading when the command has no --donor).
    """
    for problem in exc.problems:
        field = problem.field
        parts = field.split(".")
        flag = flags.get(parts[-1]) or flags.get(parts[0])
        label = f"{field} ({flag})" if flag and flag.lstrip("-") != field else field
        say(f"error: {label}: {problem.rule}", file=err)
    if "by" in exc.fields():
        say(
            "Pass --by NAME or set LEDGER_EDITOR to an active editor account"
            " (python -m shipments editors list).",
            file=err,
        )
    if isinstance(exc, DuplicateShipment):
        say("Pass --confirm-duplicate to record it anyway.", file=err)


def database_state(
    url: str,
    revision: str | None,
    seeded: Seeded,
    totals: LedgerTotals,
    out: TextIO,
    *,
    seed: str | None,
) -> None:
    """Print which database this is, what a start just seeded into it (from the folder ``seed``,
    None when it asked for no seed) and what it holds."""
    say(f"database: {url} (schema revision {revision})", file=out)
    if seeded.shipments or seeded.claims:
        say(
            f"seeded {seeded.shipments} shipments and {seeded.claims} claims from {seed}",
            file=out,
        )
    elif seed is None and totals.shipments == 0:
        say(
            "an empty ledger of your own: no seed is loaded into it, now or later; record the"
            " first shipment with `add` or `import`",
            file=out,
        )
    else:
        say("already initialised: nothing added", file=out)
    say(f"ledger: {totals.shipments} shipments, {format_tonnes(totals.mass_kg)} t", file=out)


def models_json(models: Iterable[BaseModel], out: TextIO) -> None:
    """Print ``models`` as an indented JSON array."""
    json_value([json.loads(m.model_dump_json()) for m in models], out)


def json_value(value: Any, out: TextIO) -> None:
    """Print ``value`` as indented JSON in UTF-8 text, and end the line.

    Every command's JSON is written the same way: letters of every script as they are; a
    character that is not printable (control, invisible formatting, line separator) as its
    ``\\uXXXX`` escape, which JSON reads back as the same character, so the output stays inert.
    """
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text)
    out.write(text)
    say(file=out)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the basic plane: a surrogate pair, as JSON writes one
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def table(
    header: Sequence[str], rows: Sequence[tuple[str, ...]], out: TextIO, *, right: set[int]
) -> None:
    """Print ``rows`` under ``header`` in aligned columns, those in ``right`` right-aligned."""
    rows = [tuple(inert(cell) for cell in row) for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    say(line(header), file=out)
    for row in rows:
        say(line(row), file=out)


def claimed(claim: ClaimPublic) -> str:
    """Return a claim's figure with its unit and qualifier."""
    unit = claim.unit
    qualifier = claim.qualifier.replace("_", " ")
    if claim.qualifier == "approximately":
        qualifier += f" +/-{claim.tolerance_pct or DEFAULT_TOLERANCE_PCT}%"
    return f"{claim.value} {unit} ({qualifier})"


def shipments_table(
    shipments: Sequence[ShipmentPublic],
    totals: LedgerTotals,
    out: TextIO,
    *,
    as_of: datetime | None,
    once_with: Mapping[int, int] | None = None,
) -> None:
    """Print the ledger one shipment a line, then its totals (and the moment, if any).

    ``once_with`` gives, for each record of a linked consignment, its other record: the column
    ``once with`` shows it, and the totals line says how many records the consignments fold.
    """
    once_with = once_with or {}
    header: tuple[str, ...] = (
        "id",
        "rev",
        "date",
        "means",
        "donor",
        "recipient",
        "cargo",
        "tonnes",
    )
    if once_with:
        header = (*header, "once with")
    rows = []
    for s in shipments:
        row: tuple[str, ...] = (
            str(s.id),
            str(s.revision),
            s.event_date.isoformat(),
            s.date_means,
            s.donor,
            s.recipient,
            s.cargo,
            format_tonnes(s.mass_kg),
        )
        if once_with:
            row = (*row, str(once_with[s.id]) if s.id in once_with else "")
        rows.append(row)
    table(header, rows, out, right={0, 1, 7})
    moment = f" as of {as_of.isoformat()}" if as_of else ""
    folded = len(once_with) // 2
    counted = (
        f"{len(shipments)} records, {totals.shipments} shipments ({folded} consignment"
        f"{'s' if folded != 1 else ''} of a sent and a received record counted once)"
        if folded
        else f"{totals.shipments} shipments"
    )
    say(f"{counted}, {format_tonnes(totals.mass_kg)} t{moment}", file=out)


def history(shipment_id: int, revisions: Sequence[RevisionPublic], out: TextIO) -> None:
    """Print every revision of one shipment with who, when, why and its sources."""
    say(f"shipment {shipment_id}: {len(revisions)} revision(s)", file=out)
    for r in revisions:
        say(
            f"  revision {r.revision} {r.action} at {r.recorded_at.isoformat()} by {r.recorded_by}",
            file=out,
        )
        if r.reason:
            say(f"    reason: {r.reason}", file=out)
        say(f"    {describe_shipment(r)}", file=out)
        for source in r.sources:
            say(f"    source: {source.publisher}, {source.title} <{source.url}>", file=out)


def claims_listing(claims: Sequence[ClaimPublic], out: TextIO) -> None:
    """Print every claim with its quote, source and readings, then how many."""
    for claim in claims:
        stated = claim.stated_on.isoformat() if claim.stated_on else "date not stated"
        say(f"claim {claim.id}: {claim.claimant}, {stated}: {claimed(claim)}", file=out)
        say(f'  "{claim.quote}" <{claim.source.url}>', file=out)
        for reading in claim.readings:
            say(f"  reading {reading.id}: {reading.describe()}", file=out)
    say(f"{len(claims)} claims", file=out)


def reconciliation_table(result: Reconciliation, out: TextIO) -> None:
    """Print each claim's verdict, each reading's figures, then the count of each verdict."""
    for item in result.claims:
        claim = item.claim
        unit = claim.unit
        stated = claim.stated_on.isoformat() if claim.stated_on else "date not stated"
        verdict = item.verdict
        if item.supported_by:
            verdict += " under reading " + ", ".join(str(i) for i in item.supported_by)
        say(f"claim {claim.id}: {claim.claimant}, {stated}: {claimed(claim)}: {verdict}", file=out)
        say(f'  "{claim.quote}" <{claim.source.url}>', file=out)
        for r in item.readings:
            say(f"  reading {r.reading_id}: {r.description}", file=out)
            if r.ledger_value is None:
                say("    no shipments in the ledger match: no data", file=out)
                continue
            low = "-inf" if r.low is None else str(r.low)
            bounds = f"{low}..{'inf' if r.high is None else r.high}"
            say(
                f"    ledger {r.ledger_value} {unit} (claim allows {bounds}), difference "
                f"{r.difference:+} {unit} ({r.difference_pct:+} %): {r.verdict}; "
                f"shipments {' '.join(str(i) for i in r.shipment_ids)}",
                file=out,
            )
    moment = f" as of {result.as_of.isoformat()}" if result.as_of else ""
    say(
        f"{len(result.claims)} claims{moment}: {result.count(CONSISTENT)} consistent, "
        f"{result.count(INCONSISTENT)} inconsistent, {result.count(NO_DATA)} no data",
        file=out,
    )


def discrepancy_summary(found: Sequence[Discrepancy], out: TextIO) -> None:
    """Print how many discrepancies need work, are explained, or wait to be resolved."""
    if not found:
        return
    waiting = sum(1 for d in found if d.state == OPEN and d.holds_now)
    explained = sum(1 for d in found if d.state == EXPLAINED)
    say(
        f"discrepancies: {sum(1 for d in found if d.needs_work)} open, {explained} explained, "
        f"{waiting} holding again (to resolve); see `discrepancies list`",
        file=out,
    )


def discrepancies_table(found: Sequence[Discrepancy], out: TextIO) -> None:
    """Print each discrepancy: its claim, state, since when and by whom, and the gap now."""
    rows = []
    for d in found:
        latest = d.latest
        now = d.now.representative if d.now else None
        unit = f" {d.now.claim.unit}" if d.now else ""
        gap = "-" if now is None or now.difference is None else f"{now.difference:+}{unit}"
        said = latest.reason or ""
        if latest.link_kind:
            said = f"{said} [{latest.link_kind} {latest.link_id}]".strip()
        state = f"{d.state} (holds now)" if d.state == OPEN and d.holds_now else d.state
        rows.append(
            (
                str(d.claim_id),
                state,
                latest.at.isoformat(timespec="seconds"),
                latest.actor,
                d.now.verdict if d.now else "-",
                gap,
                said,
            )
        )
    table(
        ("claim", "state", "since", "by", "verdict now", "difference", "why"), rows, out, right={0}
    )
    say(f"{len(found)} discrepancies", file=out)


def consignments_table(found: Sequence[ConsignmentPublic], out: TextIO) -> None:
    """Print each standing consignment: its sent and received records, who linked them, why."""
    rows = [
        (
            str(c.sent_id),
            str(c.received_id),
            c.recorded_at.isoformat(timespec="seconds"),
            c.recorded_by,
            c.reason or "",
        )
        for c in found
    ]
    table(("sent", "received", "linked at", "by", "why"), rows, out, right={0, 1})
    say(f"{len(found)} consignment{'s' if len(found) != 1 else ''} counted once", file=out)


def discrepancy_json(d: Discrepancy) -> dict[str, Any]:
    """Return a discrepancy as JSON-ready data: its state and every event."""
    return {
        "claim_id": d.claim_id,
        "state": d.state,
        "holds_now": d.holds_now,
        "events": [
            {
                "state": e.state,
                "at": e.at.isoformat(),
                "by": e.actor,
                "verdict": e.verdict,
                "reading_id": e.reading_id,
                "ledger_value": e.ledger_value,
                "difference": e.difference,
                "difference_pct": e.difference_pct,
                "ledger_version": e.ledger_version,
                "reason": e.reason,
                "link": {"kind": e.link_kind, "id": e.link_id} if e.link_kind else None,
            }
            for e in d.events
        ],
    }


def editors_table(editors: Sequence[EditorPublic], out: TextIO) -> None:
    """Print every editor account, then how many."""
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
    table(("name", "state", "email", "created by", "created at"), rows, out, right=set())
    say(f"{len(editors)} editors", file=out)
