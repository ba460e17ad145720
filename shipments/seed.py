"""Create or upgrade the database and load the committed seed data into an empty ledger.

Seeding runs once per database: a marker row is inserted in the same transaction as the seed
rows, so a second start (or a second server starting at the same moment) adds nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shipments.db import REPO_ROOT, migrate, session_scope, startup_lock
from shipments.errors import InvalidInput, Problem
from shipments.ledger import add_shipment
from shipments.models import SeedMarker, Shipment, ShipmentCreate, SourceCreate, parse, utcnow

T = TypeVar("T", ShipmentCreate, SourceCreate)

SEED_DIR = REPO_ROOT / "data" / "seed"
SEED_ACTOR = "seed"
SHIPMENTS_MARKER = "shipments"


def prepare_database(engine: Engine, *, seed_dir: Path = SEED_DIR) -> int:
    """Upgrade the schema to the latest revision and seed an empty ledger; return rows seeded."""
    with startup_lock(engine):
        migrate(engine)
        with session_scope(engine) as session:
            return seed_ledger(session=session, seed_dir=seed_dir)


def seed_ledger(*, session: Session, seed_dir: Path = SEED_DIR) -> int:
    """Load the seed shipments once, in one transaction; return how many were added."""
    if session.get(SeedMarker, SHIPMENTS_MARKER) is not None:
        return 0
    already_used = session.exec(select(func.count()).select_from(Shipment)).one() > 0
    try:
        session.add(SeedMarker(name=SHIPMENTS_MARKER, applied_at=utcnow()))
        session.flush()
        added = 0
        if not already_used:
            for shipment_in in read_seed_shipments(seed_dir):
                add_shipment(session=session, shipment_in=shipment_in, by=SEED_ACTOR)
                added += 1
        session.commit()
    except IntegrityError:
        session.rollback()
        return 0
    except BaseException:
        session.rollback()
        raise
    return added


def read_seed_shipments(seed_dir: Path = SEED_DIR) -> Iterator[ShipmentCreate]:
    """Yield the seed shipments, each validated like any other input, with its sources."""
    sources = {s.url: s for s in _read_sources(seed_dir / "sources.csv")}
    path = seed_dir / "shipments.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            urls = (row.pop("source_urls", "") or "").split()
            missing = [url for url in urls if url not in sources]
            if missing:
                raise InvalidInput(
                    [Problem(f"{path.name} line {line}: source_urls", f"unknown source {missing}")]
                )
            data: dict[str, object] = {k: (v or None) for k, v in row.items()}
            data["sources"] = [sources[url] for url in urls]
            yield _parse_line(ShipmentCreate, data, path, line)


def _read_sources(path: Path) -> Iterator[SourceCreate]:
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            yield _parse_line(SourceCreate, {k: (v or None) for k, v in row.items()}, path, line)


def _parse_line(model: type[T], data: dict[str, object], path: Path, line: int) -> T:
    try:
        return parse(model, data)
    except InvalidInput as exc:
        raise InvalidInput(
            Problem(f"{path.name} line {line}: {p.field}", p.rule) for p in exc.problems
        ) from None
