"""CSV export: columns, exact tonnes, spreadsheet formulas made inert, rows streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from factories import make_shipment

from shipments.csvio import SHIPMENT_COLUMNS, neutralise, shipment_rows, write_csv
from shipments.ledger import append_shipment, iter_current_shipments


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("China", "China"),
        ("a=b", "a=b"),
        (64, 64),
        (-64, -64),
        ("", ""),
    ],
)
def test_neutralise(value: Any, expected: Any):
    assert neutralise(value) == expected


def test_export_of_a_formula_looking_donor(session):
    append_shipment(
        session=session,
        shipment_in=make_shipment(donor='=HYPERLINK("http://evil.example","x")', tonnes="64"),
        by="ana",
    )
    out = io.StringIO()
    assert write_csv(shipment_rows(iter_current_shipments(session=session)), out) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["donor"] == '\'=HYPERLINK("http://evil.example","x")'
    assert (row["tonnes"], row["kilograms"]) == ("64.000", "64000")


def test_header_is_the_documented_columns(session):
    out = io.StringIO()
    write_csv(shipment_rows(iter_current_shipments(session=session)), out)
    assert out.getvalue() == ",".join(SHIPMENT_COLUMNS) + "\n"


def test_writer_consumes_rows_one_at_a_time():
    seen: list[int] = []

    def rows() -> Iterator[dict[str, Any]]:
        for n in range(3):
            seen.append(n)
            yield {"id": n}

    class Probe(io.StringIO):
        def write(self, text: str) -> int:
            lines_so_far = self.getvalue().count("\n")
            assert len(seen) <= lines_so_far + 1, "rows were gathered before writing"
            return super().write(text)

    out = Probe()
    assert write_csv(rows(), out, columns=("id",)) == 3
    assert out.getvalue() == "id\n0\n1\n2\n"


def test_iter_current_shipments_spans_batches(session):
    for day in range(1, 8):
        append_shipment(
            session=session, shipment_in=make_shipment(event_date=f"2019-06-0{day}"), by="ana"
        )
    streamed = list(iter_current_shipments(session=session, batch_size=3))
    assert [s.event_date.day for s in streamed] == [1, 2, 3, 4, 5, 6, 7]
    assert all(len(s.sources) == 1 for s in streamed)
