"""Create or upgrade the database and load the committed seed data into an empty ledger.

Each seed set (shipments, claims) loads once per database: a marker row is inserted in the same
transaction as its rows, so a second start (or a second server starting at the same moment) adds
nothing, and a database from before claims existed gets the claims on its next start.

Which seed a start loads: the report's four deliveries (``data/seed/``) unless the setting
``LEDGER_SEED`` names another folder laid out the same way, or ``none`` for a ledger of one's
own; ``python -m shipments init --empty`` / ``--seed DIR`` choose once, for that database. A
ledger started empty stays so: its markers are set, and no later start seeds it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from shipments.claims import add_claim, parse_reading_spec
from shipments.db import REPO_ROOT, migrate, session_scope, startup_lock
from shipments.errors import InvalidInput, Problem
from shipments.ledger import add_shipment
from shipments.models import Claim, ClaimCreate, SeedMarker, Shipment, ShipmentCreate, SourceCreate
from shipments.rules import parse
from shipments.transaction import SEED_ACTOR, Transaction, run_write, seeding

T = TypeVar("T", ShipmentCreate, SourceCreate, ClaimCreate)

SEED_DIR = REPO_ROOT / "data" / "seed"
SHIPMENTS_MARKER = "shipments"
CLAIMS_MARKER = "claims"


SEED_SETTING = "LEDGER_SEED"
SEED_FILES = ("shipments.csv", "sources.csv", "claims.csv")
NO_SEED = "none"


def configured_seed(value: str | None = None, *, field: str = SEED_SETTING) -> Path | None:
    """Return the seed folder a start loads into an empty ledger, or None for no seed.

    ``value`` (else the ``LEDGER_SEED`` setting) names a folder laid out like ``data/seed/``, or
    ``none``; unset, it is ``data/seed/``. A folder without the seed files is refused, naming
    ``field``.
    """
    text = (os.environ.get(SEED_SETTING, "") if value is None else value).strip()
    if not text:
        return SEED_DIR
    if text.lower() == NO_SEED:
        return None
    folder = Path(text).expanduser()
    missing = [name for name in SEED_FILES if not (folder / name).is_file()]
    if missing:
        raise InvalidInput.single(
            field,
            f"{text!r} is not a seed folder: it has no {', '.join(missing)} (lay it out like"
            f" data/seed/, see data/seed/README.md), or say {NO_SEED!r} for an empty ledger",
        )
    return folder


@dataclass(frozen=True)
class Seeded:
    """How many rows a start loaded from the seed files (zero when already seeded)."""

    shipments: int = 0
    claims: int = 0


def prepare_database(
    engine: Engine, *, seed_dir: Path | Literal["configured"] | None = "configured"
) -> Seeded:
    """Upgrade the schema to the latest revision and seed what is still empty.

    ``seed_dir`` is the seed folder (None: none, the ledger starts empty); by default the one
    ``configured_seed`` names.
    """
    chosen = configured_seed() if seed_dir == "configured" else seed_dir
    with startup_lock(engine):
        migrate(engine)
        with session_scope(engine) as session:
            return seed_ledger(session=session, seed_dir=chosen)


def seed_ledger(*, session: Session, seed_dir: Path | None = SEED_DIR) -> Seeded:
    """Load each seed set once, each in one transaction; return how many rows were added.

    With no ``seed_dir`` the markers alone are set: the ledger starts, and stays, unseeded.
    """

    def shipments(tx: Transaction) -> int:
        if seed_dir is None:
            return 0
        added = 0
        for shipment_in in read_seed_shipments(seed_dir):
            add_shipment(tx=tx, shipment_in=shipment_in)
            added += 1
        return added

    def claims(tx: Transaction) -> int:
        if seed_dir is None:
            return 0
        added = 0
        for claim_in in read_seed_claims(seed_dir):
            add_claim(tx=tx, claim_in=claim_in)
            added += 1
        return added

    with seeding():
        return Seeded(
            shipments=_seed_once(session, SHIPMENTS_MARKER, Shipment, shipments),
            claims=_seed_once(session, CLAIMS_MARKER, Claim, claims),
        )


def _seed_once(
    session: Session, marker: str, table: type[SQLModel], load: Callable[[Transaction], int]
) -> int:
    """Run ``load`` unless ``marker`` is set or ``table`` already has rows; set the marker.

    A process seeding at the same moment inserts the same marker first: this one's insert fails
    on its key, ``run_write`` tries again, and the marker is then found set.
    """

    def write(tx: Transaction) -> int:
        if tx.session.get(SeedMarker, marker) is not None:
            return 0
        already_used = tx.session.exec(select(func.count()).select_from(table)).one() > 0
        tx.session.add(SeedMarker(name=marker, applied_at=tx.at))
        tx.session.flush()
        return 0 if already_used else load(tx)

    return run_write(session=session, by=SEED_ACTOR, via="seed", write=write)


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


def read_seed_claims(seed_dir: Path = SEED_DIR) -> Iterator[ClaimCreate]:
    """Yield the seed claims, each validated like any other input, with its source."""
    sources = {s.url: s for s in _read_sources(seed_dir / "sources.csv")}
    path = seed_dir / "claims.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            url = row.pop("source_url", "")
            if url not in sources:
                raise InvalidInput(
                    [Problem(f"{path.name} line {line}: source_url", f"unknown source {url!r}")]
                )
            specs = [spec for spec in (row.pop("readings", "") or "").split(" | ") if spec]
            data: dict[str, object] = {k: (v or None) for k, v in row.items()}
            data["source"] = sources[url]
            try:
                data["readings"] = [parse_reading_spec(spec) for spec in specs]
            except InvalidInput as exc:
                raise _at_line(exc, path, line) from None
            yield _parse_line(ClaimCreate, data, path, line)


def _read_sources(path: Path) -> Iterator[SourceCreate]:
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            yield _parse_line(SourceCreate, {k: (v or None) for k, v in row.items()}, path, line)


def _parse_line(model: type[T], data: dict[str, object], path: Path, line: int) -> T:
    try:
        return parse(model, data)
    except InvalidInput as exc:
        raise _at_line(exc, path, line) from None


def _at_line(exc: InvalidInput, path: Path, line: int) -> InvalidInput:
    return InvalidInput(
        Problem(f"{path.name} line {line}: {p.field}", p.rule) for p in exc.problems
    )
