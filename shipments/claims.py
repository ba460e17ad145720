"""Claims: record a reported figure with its source and readings, list them, read reading specs.

The reconciliation engine that checks them against the ledger is ``shipments.reconcile``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel

from shipments.errors import InvalidInput
from shipments.ledger import ShipmentFilter, get_or_add_source, source_public
from shipments.models import (
    Claim,
    ClaimBase,
    ClaimCreate,
    ClaimPublic,
    ClaimReading,
    ClaimReadingBase,
    ClaimReadingPublic,
    Source,
    SourcePublic,
)
from shipments.rules import NAME_FIELDS
from shipments.transaction import Transaction, run_write


def parse_reading_spec(spec: str) -> dict[str, Any]:
    """Turn ``scope:dates[,name=value...]`` into reading fields.

    ``cumulative:2019-05-27`` counts up to and including the date, ``cumulative-before:2019-05-27``
    excludes it, ``single:2019-05-27`` is the deliveries of that day and
    ``period:2019-05-01:2019-05-31`` a range; ``,donor=China,recipient=Venezuela,cargo=medicine``
    filters any of them, and ``,basis=received`` (or ``sent``) says which record of a linked
    consignment counts (without it, the claim's wording decides: ``implied_basis``).
    """
    head, *filters = [part.strip() for part in spec.split(",")]
    scope, _, dates = head.partition(":")
    scope = scope.strip().lower()
    fields: dict[str, Any] = {}
    if scope == "cumulative-before":
        fields.update(scope="cumulative", inclusive=False, end=dates)
    elif scope == "period":
        start, _, end = dates.partition(":")
        fields.update(scope="period", start=start or None, end=end or None)
    else:
        fields.update(scope=scope, end=dates or None)
    for item in filters:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or name not in (*NAME_FIELDS, "basis"):
            raise InvalidInput.single(
                "readings", f"filter {item!r} must be donor=, recipient=, cargo= or basis="
            )
        if not value:
            raise InvalidInput.single("readings", f"filter {name}= needs a value")
        if name in fields:
            raise InvalidInput.single("readings", f"filter {name}= is given twice in {spec!r}")
        fields[name] = value
    return fields


def reading_spec(reading: ClaimReadingBase) -> str:
    """Write a reading back as the spec ``parse_reading_spec`` reads."""
    end = reading.end.isoformat()
    if reading.scope == "period":
        head = f"period:{reading.start.isoformat() if reading.start else ''}:{end}"
    elif reading.scope == "cumulative" and not reading.inclusive:
        head = f"cumulative-before:{end}"
    else:
        head = f"{reading.scope}:{end}"
    named = [(name, getattr(reading, name)) for name in (*NAME_FIELDS, "basis")]
    return ",".join([head, *(f"{name}={value}" for name, value in named if value)])


# Words that say a figure counts cargo as it arrived, or as it left, in the languages of the
# ledger's sources (English, Spanish, French, Portuguese); matched at the start of a word.
_RECEIVED_WORDS = re.compile(
    r"\b(receiv|arriv|arrib|lleg|recib|reçu|recu|chegou|recebe|delivered to|entregad)",
    re.IGNORECASE,
)
_SENT_WORDS = re.compile(
    r"\b(sent|send|ship|dispatch|despach|envi|envoy|expédi|donat|don[oó]|doa[dç])", re.IGNORECASE
)


def implied_basis(claim: ClaimBase) -> str:
    """Return the record of a consignment the claim's wording counts: received or sent.

    ``received`` when its quote speaks only of arriving or receiving ("Arriba a Venezuela ..."),
    else ``sent`` (a quote speaking of both, or of neither, counts what was sent).
    """
    quote = claim.quote
    if _RECEIVED_WORDS.search(quote) and not _SENT_WORDS.search(quote):
        return "received"
    return "sent"


def record_claim(*, session: Session, claim_in: ClaimCreate, by: str, via: str) -> ClaimPublic:
    """Record a reported figure with its source and readings, as editor ``by``; return it."""
    return run_write(
        session=session,
        by=by,
        via=via,
        write=lambda tx: add_claim(tx=tx, claim_in=claim_in),
    )


def add_claim(*, tx: Transaction, claim_in: ClaimCreate) -> ClaimPublic:
    """Add a claim with its source and readings to the write ``tx`` (record_claim's, the seed's)."""
    source = get_or_add_source(tx=tx, source_in=claim_in.source, field="source")
    assert source.id is not None
    claim = Claim(
        **claim_in.model_dump(exclude={"source", "readings"}),
        source_id=source.id,
        recorded_by=tx.actor,
        recorded_at=tx.at,
    )
    tx.session.add(claim)
    tx.session.flush()
    assert claim.id is not None
    readings = [
        ClaimReading(**reading.model_dump(), claim_id=claim.id, position=position)
        for position, reading in enumerate(claim_in.readings, start=1)
    ]
    tx.session.add_all(readings)
    tx.record(
        "claim.add",
        f"claim {claim.id}",
        f"{claim.claimant}: {claim.value} {claim.metric} ({claim.qualifier})",
    )
    tx.session.flush()
    return _claim_public(claim, source, readings)


def list_claims(*, session: Session, as_of: datetime | None = None) -> list[ClaimPublic]:
    """Return every claim (recorded by ``as_of``, if given) with its source and readings, in the
    order they were recorded."""
    claim = Claim.__table__  # type: ignore[attr-defined]
    reading = ClaimReading.__table__  # type: ignore[attr-defined]
    source = Source.__table__  # type: ignore[attr-defined]
    # Table rows, not ORM objects, and public models built without validating again what the
    # database already holds: a thousand claims cost a tenth of the time (bench/RESULTS.md).
    connection = session.connection()
    recorded = None if as_of is None else claim.c.recorded_at <= as_of
    claims = _dicts(connection, claim, ClaimPublic, ("source_id",), recorded, claim.c.id)
    if not claims:
        return []
    wanted = source.c.id.in_({c["source_id"] for c in claims})
    sources = {
        row["id"]: SourcePublic.model_construct(**row)
        for row in _dicts(connection, source, SourcePublic, (), wanted, source.c.id)
    }
    readings: dict[int, list[ClaimReadingPublic]] = {}
    order = (reading.c.claim_id, reading.c.position)
    for row in _dicts(connection, reading, ClaimReadingPublic, ("claim_id",), None, *order):
        claim_id = row.pop("claim_id")
        readings.setdefault(claim_id, []).append(ClaimReadingPublic.model_construct(**row))
    found = []
    for row in claims:
        source_id = row.pop("source_id")
        found.append(
            ClaimPublic.model_construct(
                **row, source=sources[source_id], readings=readings.get(row["id"], [])
            )
        )
    return found


def reading_in_view(reading: ClaimReadingBase, filters: ShipmentFilter) -> bool:
    """Return True when a reading falls inside a view's filters.

    Its end date lies in the date range, and for each of donor, recipient and cargo the filter
    names, the reading is itself limited to one of those names (case-insensitively).
    """
    if filters.date_from is not None and reading.end < filters.date_from:
        return False
    if filters.date_to is not None and reading.end > filters.date_to:
        return False
    for field, wanted in filters.by_name():
        value = getattr(reading, field)
        if wanted and (value is None or value.casefold() not in {w.casefold() for w in wanted}):
            return False
    return True


def _claim_public(claim: Claim, source: Source, readings: list[ClaimReading]) -> ClaimPublic:
    data = claim.model_dump()
    data["source"] = source_public(source)
    data["readings"] = [
        ClaimReadingPublic.model_validate(r, from_attributes=True) for r in readings
    ]
    return ClaimPublic.model_validate(data)


def _dicts(
    connection: Connection,
    table: Any,
    model: type[SQLModel],
    extra: tuple[str, ...],
    where: Any,
    *order: Any,
) -> list[dict[str, Any]]:
    """Return the table's rows as dicts of the model's fields it holds (and the ``extra``
    columns), as plain tuples zipped with names: a thousand mappings cost a tenth of a second."""
    names = [n for n in model.model_fields if n in table.c] + list(extra)
    query = sa_select(*(table.c[n] for n in names)).order_by(*order)
    if where is not None:
        query = query.where(where)
    return [dict(zip(names, row, strict=True)) for row in connection.execute(query)]
