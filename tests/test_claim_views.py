"""Which claims a filtered view speaks of: one rule, so the Overview and the Claims page agree."""

from __future__ import annotations

from datetime import date

import pytest
from dashboard_pages import switch_page
from factories import make_shipment
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from shipments.db import REPO_ROOT, session_scope
from shipments.ledger import ShipmentFilter, append_shipment
from shipments.reconcile import reconcile

DASHBOARD = str(REPO_ROOT / "dashboard.py")


@pytest.mark.parametrize(
    ("filters", "claim_ids"),
    [
        (ShipmentFilter(), [1, 2, 3, 4, 5, 6, 7]),
        (ShipmentFilter(donors=("Russia",)), []),
        (ShipmentFilter(donors=("china",)), [1, 2, 3, 4, 5, 6, 7]),
        (ShipmentFilter(date_to=date(2019, 5, 20)), [5, 6, 7]),
        (ShipmentFilter(date_from=date(2019, 5, 27)), [1, 2, 3, 4]),
        (ShipmentFilter(cargos=("medicine",)), []),  # no seed reading names a cargo
    ],
)
def test_a_view_keeps_the_claims_with_a_reading_inside_it(
    seeded_session: Session, filters: ShipmentFilter, claim_ids: list[int]
):
    within = reconcile(session=seeded_session).within(filters)
    assert [item.claim.id for item in within.claims] == claim_ids


def overview_counts(app: AppTest) -> str:
    return {m.label: m.value for m in app.metric}["Claims consistent / inconsistent"]


def claims_page_counts(app: AppTest) -> str:
    shown = {m.label: m.value for m in app.metric}
    return f"{shown.get('Consistent', 0)} / {shown.get('Inconsistent', 0)}"


@pytest.mark.usefixtures("fresh_caches")
@pytest.mark.parametrize(
    "query",
    [{}, {"donor": "Russia"}, {"donor": "China"}, {"to": "2019-05-20"}, {"from": "2019-05-27"}],
)
def test_the_overview_counts_the_claims_the_claims_page_shows(
    seeded_engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, query: dict
):
    with session_scope(seeded_engine) as session:
        append_shipment(
            session=session,
            shipment_in=make_shipment(donor="Russia", event_date="2019-06-01", tonnes="68"),
            by="ana",
            via="cli",
        )
    seeded_engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    on_overview = overview_counts(app)
    switch_page(app, "/claims")
    app.run()
    assert not app.exception
    assert on_overview == claims_page_counts(app)
    expected = {"donor": {"Russia": "0 / 0", "China": "7 / 0"}, "to": {"2019-05-20": "3 / 0"}}
    for name, value in query.items():
        if value in expected.get(name, {}):
            assert on_overview == expected[name][value]
