"""Many new shipments at once (an import's batches), written at the database's speed.

The same rows as ``write.add_shipment`` writes one at a time: the shipment, its first revision,
its source links, its ``current_shipment`` row, its audit event and, when it names one, its link
with the other record of its consignment. The ids of shipments and revisions are reserved
first, so every table's rows are built as plain tuples and written in one pass each through
``shipments.rows`` (``COPY`` on PostgreSQL, ``executemany`` on SQLite), with no ORM object and
nothing read back.
"""

from __future__ import annotations

from collections.abc import Sequence

from shipments.ledger.consignments import SENT, insert_link
from shipments.ledger.read import describe_shipment
from shipments.ledger.sources import source_ids
from shipments.models import (
    CurrentShipment,
    RevisionSourceLink,
    Shipment,
    ShipmentCreate,
    ShipmentRevision,
)
from shipments.models.consignments import LINK
from shipments.rows import bind_value, converter, insert_rows, reserve_ids
from shipments.transaction import Transaction

_SHIPMENT = Shipment.__table__  # type: ignore[attr-defined]
_REVISION = ShipmentRevision.__table__  # type: ignore[attr-defined]
_CURRENT = CurrentShipment.__table__  # type: ignore[attr-defined]
_SOURCE_LINK = RevisionSourceLink.__table__  # type: ignore[attr-defined]
SHIPMENT_COLUMNS = ("id", "created_by", "created_at", "import_batch_id", "import_line")
REVISION_COLUMNS = (
    "id",
    "shipment_id",
    "revision",
    "action",
    "reason",
    "event_date",
    "date_means",
    "donor",
    "recipient",
    "cargo",
    "cargo_description",
    "note",
    "mass_kg",
    "recorded_by",
    "recorded_at",
)
CURRENT_COLUMNS = (
    "shipment_id",
    "revision_id",
    "event_date",
    "donor",
    "recipient",
    "cargo",
    "mass_kg",
    "donor_key",
    "recipient_key",
    "cargo_key",
    "source_ids",
)


def add_shipments(
    *,
    tx: Transaction,
    items: Sequence[tuple[ShipmentCreate, int | None]],
    import_batch_id: int | None = None,
) -> list[int]:
    """Add many new shipments (each with its file line) to the write ``tx``; return their ids.

    The caller checks beforehand what ``add_shipment`` would refuse: duplicates
    (``find_duplicates``), sources described otherwise, and links (the importer's checks).
    """
    if not items:
        return []
    connection = tx.session.connection()
    tx.write_events()  # the events recorded before these stay before them in the audit trail
    shipment_ids = reserve_ids(connection, _SHIPMENT, len(items))
    revision_ids = reserve_ids(connection, _REVISION, len(items))
    at = bind_value(connection, _REVISION.c.recorded_at, tx.at)
    as_date = converter(connection, _REVISION.c.event_date) or (lambda day: day)
    days = [as_date(facts.event_date) for facts, _ in items]
    insert_rows(
        connection,
        _SHIPMENT,
        SHIPMENT_COLUMNS,
        (
            (shipment_id, tx.actor, at, import_batch_id, line)
            for shipment_id, (_, line) in zip(shipment_ids, items, strict=True)
        ),
    )
    insert_rows(
        connection,
        _REVISION,
        REVISION_COLUMNS,
        (
            (
                revision_id,
                shipment_id,
                1,
                "append",
                None,
                day,
                f.date_means,
                f.donor,
                f.recipient,
                f.cargo,
                f.cargo_description,
                f.note,
                f.mass_kg,
                tx.actor,
                at,
            )
            for revision_id, shipment_id, day, (f, _) in zip(
                revision_ids, shipment_ids, days, items, strict=True
            )
        ),
    )
    ids_by_url = source_ids(tx, [s for facts, _ in items for s in facts.sources])
    linked = [sorted({ids_by_url[s.url] for s in facts.sources}) for facts, _ in items]
    insert_rows(
        connection,
        _CURRENT,
        CURRENT_COLUMNS,
        (
            (
                shipment_id,
                revision_id,
                day,
                f.donor,
                f.recipient,
                f.cargo,
                f.mass_kg,
                f.donor.casefold(),
                f.recipient.casefold(),
                f.cargo.casefold(),
                " ".join(map(str, sources)),
            )
            for shipment_id, revision_id, day, sources, (f, _) in zip(
                shipment_ids, revision_ids, days, linked, items, strict=True
            )
        ),
    )
    insert_rows(
        connection,
        _SOURCE_LINK,
        ("revision_id", "source_id"),
        (
            (revision_id, source_id)
            for revision_id, sources in zip(revision_ids, linked, strict=True)
            for source_id in sources
        ),
    )
    tx.record_many(
        "shipment.append",
        (
            (f"shipment {shipment_id}", describe_shipment(facts))
            for shipment_id, (facts, _) in zip(shipment_ids, items, strict=True)
        ),
    )
    for shipment_id, (facts, _) in zip(shipment_ids, items, strict=True):
        if (other := facts.same_consignment_as) is not None:
            # Checked by the importer against the ledger and the file's earlier lines.
            pair = (shipment_id, other) if facts.date_means == SENT else (other, shipment_id)
            insert_link(tx, *pair, LINK, None)
    return shipment_ids
