"""The ledger: shipments appended, corrected and retracted as revisions, and read back.

    write       append, correct, retract (each its own transaction through ``run_write``), the
                add_* steps that go inside another write (bulk imports, the seed), sources, and
                the duplicate finder
    read        the ledger now or as of a moment: shipments, history, retractions, totals,
                daily totals, filter options, and the queries other modules build on
    projection  keeps ``current_shipment`` in step with every write

Nothing updates or deletes a revision. The current ledger is the latest revision of every
shipment whose latest revision is not a retraction; "as of" a moment is the same, counting only
revisions recorded by then. Every public name is importable from ``shipments.ledger``.
"""

from collections.abc import Sequence

from sqlmodel import Session

from shipments.ledger.projection import current_shipment_row
from shipments.ledger.read import (
    DailyTotal,
    LedgerTotals,
    ShipmentFilter,
    current_revisions_query,
    current_shipments,
    daily_totals,
    distinct_values,
    filtered_revisions,
    find_source,
    get_shipment,
    iter_current_shipments,
    latest_revisions_query,
    ledger_totals,
    list_sources,
    retracted_shipments,
    shipment_history,
    source_public,
    totals_of,
)
from shipments.ledger.write import (
    add_shipment,
    add_shipments,
    append_shipment,
    correct_shipment,
    find_duplicates,
    get_or_add_source,
    retract_shipment,
)
from shipments.models import ShipmentCreate
from shipments.rules import utcnow
from shipments.transaction import Transaction, require_editor

__all__ = [
    "DailyTotal",
    "LedgerTotals",
    "ShipmentFilter",
    "add_shipment",
    "add_shipments",
    "add_shipments_bulk",
    "append_shipment",
    "correct_shipment",
    "current_revisions_query",
    "current_shipment_row",
    "current_shipments",
    "daily_totals",
    "distinct_values",
    "filtered_revisions",
    "find_duplicates",
    "find_duplicates_bulk",
    "find_source",
    "get_or_add_source",
    "get_shipment",
    "iter_current_shipments",
    "latest_revisions_query",
    "ledger_totals",
    "list_sources",
    "retract_shipment",
    "retracted_shipments",
    "shipment_history",
    "source_public",
    "totals_of",
]


# imports.py still commits by hand and calls these two; once its write runs through run_write
# (add_shipments inside, find_duplicates for the repeats) they go.
find_duplicates_bulk = find_duplicates


def add_shipments_bulk(
    *,
    session: Session,
    items: Sequence[tuple[ShipmentCreate, int | None]],
    by: str,
    via: str,
    import_batch_id: int | None = None,
) -> list[int]:
    """Add many new shipments to a transaction the caller commits (imports.py, for now)."""
    actor = require_editor(session=session, by=by, via=via)
    tx = Transaction(session=session, actor=actor, via=via, at=utcnow())
    ids = add_shipments(tx=tx, items=items, import_batch_id=import_batch_id)
    tx.write_events()
    return ids
