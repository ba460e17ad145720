"""The ledger: shipments appended, corrected and retracted as revisions, and read back.

    write       append, correct, retract (each its own transaction through ``run_write``), and
                add_shipment, the step that goes inside another write (the seed's)
    bulk        many new shipments at once (an import's batches), at the database's speed
    duplicates  the one finder of probable duplicates
    sources     each source URL recorded once, as first described; another description refused
    filters     which shipments a view shows (ShipmentFilter) and its SQL conditions
    read        the ledger now or as of a moment: shipments, history, retractions, totals,
                daily totals, filter options, and the queries other modules build on
    projection  keeps ``current_shipment`` in step with every write
    pages       a page of the ledger now, read from its nearer end
    standing    which revision stands for each shipment, now or as of a moment
    consignments  a sent and a received record linked as one consignment, counted once

Nothing updates or deletes a revision. The current ledger is the latest revision of every
shipment whose latest revision is not a retraction; "as of" a moment is the same, counting only
revisions recorded by then. Every public name is importable from ``shipments.ledger``.
"""

from shipments.ledger.bulk import add_shipments
from shipments.ledger.consignments import (
    DEFAULT_BASIS,
    LinkedRecord,
    add_link,
    check_pair,
    counted_out,
    current_facts,
    link_consignment,
    linked_records,
    list_consignments,
    standing_partners,
    unlink_consignment,
)
from shipments.ledger.duplicates import duplicate_key, find_duplicates
from shipments.ledger.filters import ShipmentFilter, filtered_revisions, view_facts
from shipments.ledger.pages import current_page
from shipments.ledger.projection import current_shipment_row
from shipments.ledger.read import (
    current_shipments,
    describe_shipment,
    distinct_values,
    find_source,
    first_recorded_at,
    get_shipment,
    iter_current_shipments,
    list_sources,
    public_shipments,
    retracted_shipments,
    shipment_history,
    source_public,
)
from shipments.ledger.sources import get_or_add_source, source_changes
from shipments.ledger.standing import current_revisions_query, latest_revisions_query
from shipments.ledger.totals import (
    DailyTotal,
    LedgerTotals,
    daily_totals,
    days_less,
    ledger_totals,
    left_out_of_totals,
    totals_of,
)
from shipments.ledger.write import (
    add_shipment,
    append_shipment,
    correct_shipment,
    retract_shipment,
)

__all__ = [
    "DEFAULT_BASIS",
    "DailyTotal",
    "LedgerTotals",
    "LinkedRecord",
    "ShipmentFilter",
    "add_link",
    "add_shipment",
    "add_shipments",
    "append_shipment",
    "check_pair",
    "correct_shipment",
    "counted_out",
    "current_facts",
    "current_page",
    "current_revisions_query",
    "current_shipment_row",
    "current_shipments",
    "daily_totals",
    "days_less",
    "describe_shipment",
    "distinct_values",
    "duplicate_key",
    "filtered_revisions",
    "find_duplicates",
    "find_source",
    "first_recorded_at",
    "get_or_add_source",
    "get_shipment",
    "iter_current_shipments",
    "latest_revisions_query",
    "ledger_totals",
    "left_out_of_totals",
    "link_consignment",
    "linked_records",
    "list_consignments",
    "list_sources",
    "public_shipments",
    "retract_shipment",
    "retracted_shipments",
    "shipment_history",
    "source_changes",
    "source_public",
    "standing_partners",
    "totals_of",
    "unlink_consignment",
    "view_facts",
]
