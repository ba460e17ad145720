"""A page of the ledger now reads current_shipment's date index from its nearer end: every page,
first to last, holds exactly the shipments the plain ordered listing puts there."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import make_shipment
from sqlmodel import Session

from shipments.corroboration import resolve
from shipments.ledger import (
    ShipmentFilter,
    add_shipments,
    current_page,
    current_shipments,
    link_consignment,
    retract_shipment,
)
from shipments.models import ConsignmentCreate
from shipments.rules import parse
from shipments.transaction import run_write

PAGE = 7


@pytest.fixture
def ledger(seeded_session: Session) -> Session:
    """The seed and 60 more shipments on 20 days (several a day: the id decides within a day),
    two publishers, one retraction and one linked consignment."""
    items = []
    for n in range(60):
        source = {
            "url": f"https://example.org/{n % 3}",
            "title": f"Report {n % 3}",
            "publisher": "Other News" if n % 3 == 2 else "Example News",
        }
        items.append(
            (
                make_shipment(
                    event_date=(date(2019, 6, 1) + timedelta(days=n % 20)).isoformat(),
                    donor="Cuba" if n % 2 else "China",
                    tonnes=str(10 + n),
                    date_means="sent" if n % 4 else "received",
                    sources=[source],
                ),
                None,
            )
        )
    run_write(
        session=seeded_session,
        by="ana",
        via="cli",
        write=lambda tx: add_shipments(tx=tx, items=items),
    )
    retract_shipment(session=seeded_session, shipment_id=9, reason="test", by="ana", via="cli")
    # The seed's 29 March (sent, 65 t) and a received record of it on 2 April.
    [received] = run_write(
        session=seeded_session,
        by="ana",
        via="cli",
        write=lambda tx: add_shipments(
            tx=tx, items=[(make_shipment(event_date="2019-04-02", tonnes="65"), None)]
        ),
    )
    link_consignment(
        session=seeded_session,
        link_in=parse(ConsignmentCreate, {"first_id": 1, "second_id": received}),
        by="ana",
        via="cli",
    )
    return seeded_session


@pytest.mark.parametrize(
    "filters",
    [
        None,
        ShipmentFilter(donors=("Cuba",)),
        ShipmentFilter(date_from=date(2019, 6, 5), date_to=date(2019, 6, 15)),
        ShipmentFilter(sources_at_least=1),
    ],
    ids=["all", "donor", "dates", "sources"],
)
def test_every_page_holds_what_the_ordered_listing_puts_there(ledger: Session, filters):
    filters = resolve(session=ledger, filters=filters)
    listing = [s.id for s in current_shipments(session=ledger, filters=filters)]
    assert len(listing) > 3 * PAGE
    pages = []
    for offset in range(0, len(listing) + PAGE, PAGE):
        page = current_page(session=ledger, filters=filters, limit=PAGE, offset=offset)
        assert [s.id for s in page] == listing[offset : offset + PAGE], offset
        pages.extend(page)
    assert [s.id for s in pages] == listing
    full = {s.id: s for s in current_shipments(session=ledger, filters=filters)}
    assert all(s == full[s.id] for s in pages)  # the same facts, sources and links
