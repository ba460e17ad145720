"""The export as of a moment: the database's line over the revisions standing then writes the
bytes the Python rows wrote (``export_rows``, the way an as-of export was written before), at
every moment of a history that changes every column, on both backends."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from factories import make_shipment
from sqlmodel import Session
from test_reconcile import make_claim

from shipments.claims import parse_reading_spec, record_claim
from shipments.exchange import reading
from shipments.exchange.csvfiles import write_csv
from shipments.exchange.export import SHIPMENTS, export_rows, write_shipments
from shipments.ledger import (
    ShipmentFilter,
    append_shipment,
    correct_shipment,
    link_consignment,
    retract_shipment,
    unlink_consignment,
)
from shipments.models import ConsignmentCreate, ShipmentCorrection
from shipments.rules import parse, utcnow

OTHER = {"url": "https://example.org/b", "title": '=Two, "quoted"', "publisher": "B, Inc."}
THIRD = {"url": "https://example.org/c", "title": "Plain\\path", "publisher": "C"}


def python_export(session: Session, as_of: datetime, *, hxl: bool, filters: Any = None) -> str:
    """Return the export as of ``as_of`` written the way it was before: a Python row a shipment."""
    out = io.StringIO()
    rows = export_rows(session=session, as_of=as_of, filters=filters)
    write_csv(rows, out, SHIPMENTS.header(hxl=hxl), hxl=SHIPMENTS.hashtags() if hxl else None)
    return out.getvalue()


def changing_ledger(session: Session) -> list[datetime]:
    """Record a history in steps (cells to quote and make inert, corrections, a retraction, new
    sources, a consignment linked and unlinked, a claim adding a publisher); return a moment
    before the first step, after each step, and far ahead."""
    moments = [utcnow()]

    def step() -> None:
        time.sleep(0.002)
        moments.append(utcnow())
        time.sleep(0.002)

    def add(**overrides: Any) -> int:
        shipment_in = make_shipment(**overrides)
        added = append_shipment(
            session=session, shipment_in=shipment_in, by="ana", via="cli", confirm_duplicate=True
        )
        step()
        return added.id

    def correct(shipment_id: int, **changes: Any) -> None:
        correction_in = parse(ShipmentCorrection, {"reason": "checked", **changes})
        correct_shipment(
            session=session,
            shipment_id=shipment_id,
            correction_in=correction_in,
            by="bo",
            via="cli",
        )
        step()

    def consignment(action: Any, first: int, second: int) -> None:
        link_in = parse(ConsignmentCreate, {"first_id": first, "second_id": second, "reason": "r"})
        action(session=session, link_in=link_in, by="ana", via="cli")
        step()

    formula = add(event_date="2019-06-01", donor="=1+1", note='Said "about 200", then\nmore')
    plain = add(event_date="2019-06-02", note="C:\\temp\\new\ttab")
    sourced = add(event_date="2019-06-03", sources=[THIRD, OTHER], cargo_description="-rations")
    gone = add(event_date="2019-06-04", recipient="+Venezuela")
    sent = add(event_date="2019-06-05", date_means="sent", tonnes="65")
    received = add(event_date="2019-06-08", date_means="received", tonnes="65")
    correct(formula, note='-corrected, "twice"\nend', tonnes="70.5")
    correct(plain, add_sources=[OTHER])
    consignment(link_consignment, sent, received)
    retract_shipment(session=session, shipment_id=gone, reason="duplicate", by="ana", via="cli")
    step()
    claim_in = make_claim(
        source={"url": "https://claims.example/m", "title": "M", "publisher": "Ministry"},
        value="68",
        readings=[parse_reading_spec("single:2019-06-03")],
    )
    record_claim(session=session, claim_in=claim_in, by="ana", via="cli")
    step()
    consignment(unlink_consignment, received, sent)
    correct(sourced, event_date="2019-06-13", note="@moved")
    consignment(link_consignment, sent, received)
    moments.append(utcnow() + timedelta(days=365))
    return moments


@pytest.mark.parametrize("batch_size", [1, 3, 5000])
@pytest.mark.parametrize("hxl", [False, True], ids=["csv", "hxl"])
def test_the_export_as_of_every_moment_is_the_python_rows_byte_for_byte(
    session: Session, hxl: bool, batch_size: int
) -> None:
    moments = changing_ledger(session)
    seen = set()
    for as_of in moments:
        out = io.StringIO()
        count = write_shipments(
            session=session, file=out, as_of=as_of, hxl=hxl, batch_size=batch_size
        )
        assert out.getvalue() == python_export(session, as_of, hxl=hxl), as_of
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        assert count == len(rows) - (2 if hxl else 1)
        seen.add(out.getvalue())
    # The moments differ: each step changed the export (else the test would compare little).
    assert len(seen) == len(moments) - 1


def test_what_the_export_as_of_a_moment_holds(session: Session) -> None:
    moments = changing_ledger(session)
    out = io.StringIO()
    write_shipments(session=session, file=out, as_of=moments[-2])
    rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert sorted(rows) == [1, 2, 3, 5, 6]  # the fourth was retracted
    assert rows[1]["donor"] == "'=1+1"
    assert rows[1]["note"] == '\'-corrected, "twice"\nend'
    assert (rows[1]["revision"], rows[1]["tonnes"], rows[1]["kilograms"]) == (
        "2",
        "70.500",
        "70500",
    )
    assert rows[2]["note"] == "C:\\temp\\new\ttab"
    assert rows[2]["sources"] == 'Example News: Almost 70 tonnes arrive; B, Inc.: =Two, "quoted"'
    assert rows[3]["cargo_description"] == "'-rations"
    assert rows[3]["note"] == "'@moved"
    assert rows[3]["source_urls"] == "https://example.org/c https://example.org/b"
    assert (rows[5]["same_consignment_as"], rows[6]["same_consignment_as"]) == ("6", "5")

    # The claim of 68 t on 3 June adds the Ministry to that shipment's two publishers from when
    # it was recorded until the shipment was moved to the 13th.
    def corroborating(at: datetime) -> str:
        text = io.StringIO()
        write_shipments(session=session, file=text, as_of=at)
        [third] = [r for r in csv.DictReader(io.StringIO(text.getvalue())) if r["id"] == "3"]
        return third["corroborating_sources"]

    assert [corroborating(moments[n]) for n in (10, 11, 12, 13)] == ["2", "3", "3", "2"]
    # While unlinked, neither record names the other.
    unlinked = io.StringIO()
    write_shipments(session=session, file=unlinked, as_of=moments[12])
    then = {int(r["id"]): r for r in csv.DictReader(io.StringIO(unlinked.getvalue()))}
    assert (then[5]["same_consignment_as"], then[6]["same_consignment_as"]) == ("", "")
    assert then[3]["event_date"] == "2019-06-03"


@pytest.mark.parametrize(
    "filters",
    [
        ShipmentFilter(sources_at_least=2),
        ShipmentFilter(donors=("China",), date_from=datetime(2019, 6, 2).date()),
    ],
    ids=["sources_at_least", "donor_and_date"],
)
def test_the_export_as_of_a_moment_applies_the_view_filter(session: Session, filters) -> None:
    moments = changing_ledger(session)
    for as_of in moments:
        out = io.StringIO()
        write_shipments(session=session, file=out, as_of=as_of, filters=filters)
        assert out.getvalue() == python_export(session, as_of, hxl=False, filters=filters)


def test_sources_past_the_read_ahead_limit_are_found_while_the_lines_stream(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL the lines hold the connection (COPY): sources not read before it are read
    # through a session of their own. With the limit at 0, every source is found that way.
    moments = changing_ledger(session)
    expected = [python_export(session, as_of, hxl=False) for as_of in (moments[8], moments[-1])]
    monkeypatch.setattr(reading, "_KNOWN_SOURCES_LIMIT", 0)
    for as_of, python in zip((moments[8], moments[-1]), expected, strict=True):
        out = io.StringIO()
        write_shipments(session=session, file=out, as_of=as_of, batch_size=2)
        assert out.getvalue() == python
    now = io.StringIO()
    write_shipments(session=session, file=now)
    assert now.getvalue() == expected[-1]
