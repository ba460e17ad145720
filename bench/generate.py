"""Fill a ledger with N generated shipments quickly, for benchmarks (not through the importer).

10 donors, 8 recipients, 6 cargo types, 11 years (2014-2024); one of 50 sources each. Rows go
straight in with multi-row INSERTs, 10,000 shipments at a time.

By default the ledger has the shape of a real one (issue 16): each shipment recorded some days
after its date, so the history runs from 2014 to the end of 2025 and "as of" a past moment leaves
part of it out; 5 % of shipments corrected once (mass or date, with a reason), 0.2 % retracted
(gone from current_shipment, history kept), a note on 20 % (some with commas, which the CSV
export must quote); and 1,000 claims with 1,500 readings in all (every scope, filters by
donor, recipient and cargo, qualifiers, a source each, some counting consignments by the
received record), recorded over the same years. ``--plain`` gives the shape measured before:
one revision each, all recorded now, no notes and no claims but the seed's.

``--check`` then checks the ledger: current_shipment holds the standing revision of every
shipment not retracted, each superseded revision says when, and the reconciliation read in one
pass equals the one a query per reading gives, and the one read from the history as of
tomorrow. Seconds on 5,000 shipments; at a million, the last two take most of half an hour.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as bench/generate.py

from shipments.db import make_engine
from shipments.ledger import current_shipment_row
from shipments.models import (
    Claim,
    ClaimReading,
    CurrentShipment,
    RevisionSourceLink,
    Shipment,
    ShipmentRevision,
    Source,
)
from shipments.seed import prepare_database

DONORS = [f"Donor {n}" for n in range(10)]
RECIPIENTS = [f"Recipient {n}" for n in range(8)]
CARGO = ["medicine", "food", "shelter", "water", "hygiene", "education"]
START = date(2014, 1, 1)
DAYS = (date(2024, 12, 31) - START).days + 1
CHUNK = 10_000
# A moment in the middle of a realistic ledger's history (2014 to the end of 2025).
MIDDLE = "2019-07-01T00:00:00Z"

NOTES = [
    "by road",
    "about 40 t, by road",
    "convoy of 12 trucks, escorted",
    "figure from the recipient's warehouse receipt",
    "partial delivery; the rest to follow",
    'labelled "urgent"; by air',
]
CORRECTION_REASONS = [
    "mass misread from the manifest",
    "the date was the loading date, not the delivery",
    "the source's later report gives another figure",
    "typing error",
]
RETRACTION_REASONS = [
    "entered twice",
    "the source withdrew its report",
    "a commercial shipment, not aid",
]
CLAIMANTS = [*DONORS, *RECIPIENTS, "Ministry of Health", "UN agency", "Press office"]


@dataclass(frozen=True)
class Shape:
    """What a generated ledger holds besides its shipments' first revisions."""

    claims: int = 1_000
    readings: int = 1_500
    corrections_pct: float = 5.0
    retractions_pct: float = 0.2
    notes_pct: float = 20.0
    spread: bool = True  # recorded_at over the years; False: every row recorded now
    seed: int = 16


PLAIN = Shape(claims=0, readings=0, corrections_pct=0, retractions_pct=0, notes_pct=0, spread=False)


def fill(engine: Engine, rows: int, shape: Shape = PLAIN) -> None:
    """Add ``rows`` shipments (and the claims of ``shape``) to a prepared ledger."""
    now = datetime.now(UTC)
    rng = random.Random(shape.seed)
    with engine.begin() as db:
        first_source = _add_sources(db, "https://bench.example/{}", 50, now)
        base = db.execute(text("SELECT COALESCE(MAX(id), 0) FROM shipment")).scalar_one()
        next_rev = (
            1 + db.execute(text("SELECT COALESCE(MAX(id), 0) FROM shipment_revision")).scalar_one()
        )
        for start in range(0, rows, CHUNK):
            shipments, revisions, current, links = [], [], [], []
            for n in range(start, min(rows, start + CHUNK)):
                source_id = first_source + n % 50
                history = _history(n, shape, rng, now)
                for revision in history:
                    revision.update(id=next_rev, shipment_id=base + 1 + n)
                    links.append({"revision_id": next_rev, "source_id": source_id})
                    next_rev += 1
                shipments.append(
                    {
                        "id": base + 1 + n,
                        "created_by": "bench",
                        "created_at": history[0]["recorded_at"],
                    }
                )
                revisions.extend(history)
                if history[-1]["action"] != "retract":
                    current.append(
                        current_shipment_row(
                            shipment_id=base + 1 + n,
                            revision_id=history[-1]["id"],
                            facts=SimpleNamespace(**history[-1]),
                            source_ids=[source_id],
                        )
                    )
            db.execute(insert(Shipment.__table__), shipments)  # type: ignore[attr-defined]
            db.execute(insert(ShipmentRevision.__table__), revisions)  # type: ignore[attr-defined]
            if current:
                db.execute(insert(CurrentShipment.__table__), current)  # type: ignore[attr-defined]
            db.execute(insert(RevisionSourceLink.__table__), links)  # type: ignore[attr-defined]
        if shape.claims:
            _add_claims(db, shape, rng, now)
        if engine.dialect.name == "postgresql":
            for table in ("shipment", "shipment_revision", "claim", "claim_reading"):
                db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
        if engine.dialect.name == "sqlite":
            db.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # As autovacuum would soon after a bulk load: statistics, and the visibility map that
        # lets the covering indexes answer without reading the table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.execute(text("VACUUM ANALYZE"))


def _add_sources(db: Any, url: str, count: int, now: datetime) -> int:
    """Add ``count`` sources (``url`` formatted with 0..count-1); return the first one's id."""
    before = db.execute(text("SELECT COALESCE(MAX(id), 0) FROM source")).scalar_one()
    db.execute(
        insert(Source.__table__),  # type: ignore[attr-defined]
        [
            {
                "publisher": "Bench",
                "title": f"Report {n}",
                "url": url.format(n),
                "kind": "report",
                "recorded_by": "bench",
                "recorded_at": now,
            }
            for n in range(count)
        ],
    )
    return int(before) + 1


def _history(n: int, shape: Shape, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """Return shipment ``n``'s revisions, oldest first, each superseded when the next came."""
    event_date = START + timedelta(days=(n * 7919) % DAYS)
    if shape.spread:
        # Recorded 1 to 60 days after the event, in working hours.
        recorded_at = datetime.combine(event_date, time(8), UTC) + timedelta(
            days=1 + n % 60, minutes=(n * 31) % 600
        )
    else:
        recorded_at = now
    first = {
        "revision": 1,
        "action": "append",
        "reason": None,
        "event_date": event_date,
        "date_means": "sent" if n % 2 else "received",
        "donor": DONORS[n % 10],
        "recipient": RECIPIENTS[(n // 10) % 8],
        "cargo": CARGO[(n // 80) % 6],
        "cargo_description": None,
        "note": rng.choice(NOTES) if rng.random() * 100 < shape.notes_pct else None,
        "mass_kg": 1_000 + (n * 37) % 99_000,
        "recorded_by": "bench",
        "recorded_at": recorded_at,
        "superseded_at": None,
    }
    history = [first]
    if rng.random() * 100 < shape.corrections_pct:
        corrected = {**first, "action": "correct", "reason": rng.choice(CORRECTION_REASONS)}
        kind = rng.random()
        if kind < 0.9:  # the mass, alone or with the date
            corrected["mass_kg"] = max(
                1, first["mass_kg"] + rng.choice((-1, 1)) * rng.randint(1, 900) * 10
            )
        if kind >= 0.6:  # the date, alone or with the mass
            corrected["event_date"] = event_date + timedelta(
                days=rng.choice((-1, 1)) * rng.randint(1, 30)
            )
        history.append(corrected)
    if rng.random() * 100 < shape.retractions_pct:
        retracted = {**history[-1], "action": "retract", "reason": rng.choice(RETRACTION_REASONS)}
        history.append(retracted)
    for number, (earlier, later) in enumerate(pairwise(history), start=2):
        later["revision"] = number
        later["recorded_at"] = min(
            earlier["recorded_at"]
            + timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 600)),
            now - timedelta(seconds=len(history) - number + 1),
        )
        later["superseded_at"] = None
        earlier["superseded_at"] = later["recorded_at"]
    return history


def _add_claims(db: Any, shape: Shape, rng: random.Random, now: datetime) -> None:
    """Add ``shape.claims`` claims holding ``shape.readings`` readings in all."""
    counts = [1] * shape.claims
    for _ in range(max(0, shape.readings - shape.claims)):
        counts[rng.choice([i for i, c in enumerate(counts) if c < 4])] += 1
    sources = max(1, shape.claims // 4)
    first_source = _add_sources(db, "https://bench.example/claims/{}", sources, now)
    claims = [_claim(rng, count, first_source + rng.randrange(sources), now) for count in counts]
    claims.sort(key=lambda pair: pair[0]["recorded_at"])  # ids in the order they were recorded
    base = db.execute(text("SELECT COALESCE(MAX(id), 0) FROM claim")).scalar_one()
    base_reading = db.execute(text("SELECT COALESCE(MAX(id), 0) FROM claim_reading")).scalar_one()
    claim_rows, reading_rows = [], []
    for number, (claim, readings) in enumerate(claims, start=1):
        claim_rows.append({**claim, "id": base + number})
        for position, reading in enumerate(readings, start=1):
            base_reading += 1
            reading_rows.append(
                {**reading, "id": base_reading, "claim_id": base + number, "position": position}
            )
    db.execute(insert(Claim.__table__), claim_rows)  # type: ignore[attr-defined]
    db.execute(insert(ClaimReading.__table__), reading_rows)  # type: ignore[attr-defined]


def _claim(
    rng: random.Random, readings: int, source_id: int, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return one claim about a year of the ledger, and its ``readings`` readings."""
    year = rng.randint(2014, 2024)
    specs = [_reading(rng, year) for _ in range(readings)]
    stated_on = max(s["end"] for s in specs) + timedelta(days=rng.randint(1, 60))
    metric = "tonnes" if rng.random() < 0.85 else "deliveries"
    if metric == "tonnes":
        value = f"{rng.randint(10, 400_000)}.{rng.randint(0, 999):03d}".rstrip("0").rstrip(".")
    else:
        value = str(rng.randint(1, 20_000))
    qualifier = rng.choices(("exact", "approximately", "at_least", "at_most"), (50, 40, 5, 5))[0]
    claim = {
        "claimant": rng.choice(CLAIMANTS),
        "stated_on": stated_on,
        "quote": f"We delivered {value} {'t' if metric == 'tonnes' else 'shipments'} in {year}.",
        "metric": metric,
        "value": value,
        "qualifier": qualifier,
        "tolerance_pct": 5 if qualifier == "approximately" and rng.random() < 0.5 else None,
        "note": "stated at a press conference" if rng.random() < 0.1 else None,
        "source_id": source_id,
        "recorded_by": "bench",
        "recorded_at": min(
            datetime.combine(stated_on, time(10), UTC) + timedelta(days=rng.randint(0, 30)),
            now,
        ),
    }
    return claim, specs


def _reading(rng: random.Random, year: int) -> dict[str, Any]:
    """Return one reading of a claim about ``year``: a scope, its dates, filters and basis."""
    scope = rng.choices(("cumulative", "before", "single", "period"), (35, 15, 15, 35))[0]
    end = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    start: date | None = None
    if scope == "single":
        start = end
    elif scope == "period":
        start = date(year, rng.randint(1, end.month), 1)

    def name(names: list[str], chance: float) -> str | None:
        if rng.random() >= chance:
            return None
        chosen = rng.choice(names)
        return chosen.lower() if rng.random() < 0.05 else chosen  # as people type them

    return {
        "scope": "cumulative" if scope == "before" else scope,
        "start": start,
        "end": end,
        "inclusive": scope != "before",
        "donor": name(DONORS, 0.5),
        "recipient": name(RECIPIENTS, 0.5),
        "cargo": name(CARGO, 0.4),
        "basis": rng.choices((None, "received", "sent"), (85, 10, 5))[0],
    }


def check(url: str, as_of: str = MIDDLE) -> list[str]:
    """Return what is wrong with a generated ledger (nothing: an empty list).

    current_shipment holds exactly the standing revision of each shipment not retracted (and its
    facts), every revision but the last of each shipment says when the next one came, and
    reconciliation gives the same figures in one pass as with a query per reading.
    """
    from shipments.db import session_scope
    from shipments.reconcile import reconcile

    problems = []
    engine = make_engine(url)
    with engine.connect() as db:
        for label, query in CHECKS.items():
            count = db.execute(text(query)).scalar_one()
            if count:
                problems.append(f"{label}: {count}")
    with session_scope(engine) as session:
        one_pass = reconcile(session=session, list_ids=False).claims
        queries = reconcile(session=session, list_ids=False, one_pass_from=10**9).claims
        # Read from the history (recorded_at <= T < superseded_at), not from current_shipment.
        later = datetime.now(UTC) + timedelta(days=1)
        history = reconcile(session=session, as_of=later, list_ids=False).claims
        if one_pass != queries:
            problems.append("reconcile now: one pass differs from a query per reading")
        if queries != history:
            problems.append("reconcile: as of tomorrow (history) differs from now (current)")
        middle = datetime.fromisoformat(as_of)
        if not reconcile(session=session, as_of=middle, list_ids=False).claims:
            problems.append(f"no claim recorded by {as_of}")
    engine.dispose()
    return problems


CHECKS = {
    "current_shipment rows that are not their shipment's standing revision": """
        SELECT COUNT(*) FROM current_shipment c JOIN shipment_revision r ON r.id = c.revision_id
        WHERE r.shipment_id <> c.shipment_id OR r.superseded_at IS NOT NULL
           OR r.action = 'retract' OR r.event_date <> c.event_date OR r.mass_kg <> c.mass_kg
           OR r.donor <> c.donor OR r.recipient <> c.recipient OR r.cargo <> c.cargo""",
    "shipments standing, not retracted, missing from current_shipment": """
        SELECT COUNT(*) FROM shipment_revision r
        WHERE r.superseded_at IS NULL AND r.action <> 'retract'
          AND NOT EXISTS (SELECT 1 FROM current_shipment c WHERE c.shipment_id = r.shipment_id)""",
    "revisions without the next one's recorded_at as superseded_at": """
        SELECT COUNT(*) FROM shipment_revision r
        LEFT JOIN shipment_revision later
          ON later.shipment_id = r.shipment_id AND later.revision = r.revision + 1
        WHERE (later.id IS NULL AND r.superseded_at IS NOT NULL)
           OR (later.id IS NOT NULL AND (r.superseded_at IS NULL
               OR r.superseded_at <> later.recorded_at OR later.recorded_at <= r.recorded_at))""",
    "shipments standing twice": """
        SELECT COUNT(*) FROM (SELECT shipment_id FROM shipment_revision
        WHERE superseded_at IS NULL GROUP BY shipment_id HAVING COUNT(*) > 1) AS twice""",
}


def main() -> None:
    """Create or extend a ledger with N generated shipments."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--plain", action="store_true", help="the shape measured before issue 16")
    parser.add_argument("--claims", type=int, default=Shape.claims)
    parser.add_argument("--readings", type=int, help="readings in all (default: 1.5 per claim)")
    parser.add_argument("--corrections-pct", type=float, default=Shape.corrections_pct)
    parser.add_argument("--retractions-pct", type=float, default=Shape.retractions_pct)
    parser.add_argument("--notes-pct", type=float, default=Shape.notes_pct)
    parser.add_argument("--check", action="store_true", help="then check the ledger it made")
    args = parser.parse_args()
    shape = PLAIN
    if not args.plain:
        shape = Shape(
            claims=args.claims,
            readings=args.readings if args.readings is not None else args.claims * 3 // 2,
            corrections_pct=args.corrections_pct,
            retractions_pct=args.retractions_pct,
            notes_pct=args.notes_pct,
        )
    engine = make_engine(args.database_url)
    prepare_database(engine)
    fill(engine, args.rows, shape)
    print(f"added {args.rows:,} shipments to {engine.url.render_as_string(hide_password=True)}")
    if args.check:
        problems = check(args.database_url)
        print("\n".join(problems) or "checked: the ledger is consistent")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
