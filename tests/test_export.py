"""CSV export: one column table, exact tonnes, spreadsheet formulas made inert, rows streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from factories import history_unlocked, make_shipment
from sqlalchemy import delete, update
from sqlmodel import col, select

from shipments.corroboration import claim_publishers
from shipments.exchange.csvfiles import neutralise, write_csv
from shipments.exchange.export import (
    SHIPMENT_COLUMNS,
    SHIPMENTS,
    Column,
    ExportTable,
    shipment_rows,
    write_shipments,
)
from shipments.exchange.reading import iter_export_rows
from shipments.ledger import (
    ShipmentFilter,
    append_shipment,
    correct_shipment,
    iter_current_shipments,
    retract_shipment,
)
from shipments.models import (
    CurrentShipment,
    RevisionSourceLink,
    ShipmentCorrection,
    ShipmentRevision,
)
from shipments.rules import parse


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (" =1+1", "' =1+1"),
        ("  @cmd", "'  @cmd"),
        ('"=HYPERLINK(""x"")', '\'"=HYPERLINK(""x"")'),
        ("'-1", "''-1"),
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
        via="cli",
    )
    out = io.StringIO()
    rows = shipment_rows(iter_current_shipments(session=session), claims={})
    assert write_csv(rows, out, SHIPMENT_COLUMNS) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["donor"] == '\'=HYPERLINK("http://evil.example","x")'
    assert (row["tonnes"], row["kilograms"]) == ("64.000", "64000")


def test_header_is_the_documented_columns(session):
    out = io.StringIO()
    write_csv(
        shipment_rows(iter_current_shipments(session=session), claims={}), out, SHIPMENT_COLUMNS
    )
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
            session=session,
            shipment_in=make_shipment(event_date=f"2019-06-0{day}"),
            by="ana",
            via="cli",
        )
    streamed = list(iter_current_shipments(session=session, batch_size=3))
    assert [s.event_date.day for s in streamed] == [1, 2, 3, 4, 5, 6, 7]
    assert all(len(s.sources) == 1 for s in streamed)


def test_hxl_export_has_the_hashtag_row_and_one_row_per_shipment(seeded_session):
    out = io.StringIO()
    rows = shipment_rows(
        iter_current_shipments(session=seeded_session),
        claims=claim_publishers(session=seeded_session),
    )
    count = write_csv(rows, out, tuple(SHIPMENTS.hashtags()), hxl=SHIPMENTS.hashtags())
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert count == 4
    assert lines[0] == list(SHIPMENTS.hashtags())
    assert lines[1] == [
        "#meta+id",
        "#meta+revision",
        "#date+occurred",
        "#meta+date_means",
        "#org+funder+name",
        "#country+dest",
        "#item+type",
        "#item+name",
        "#item+num",
        "#item+unit",
        "#meta+source",
        "#meta+url",
        "#meta+sources+num",
        "#description+notes",
        "#meta+consignment",
        "#meta+recorded_by",
        "#date+recorded",
    ]
    assert not any(tag.startswith("#value") for tag in lines[1])
    body = [dict(zip(lines[0], line, strict=True)) for line in lines[2:]]
    assert [(r["event_date"], r["tonnes"], r["unit"]) for r in body] == [
        ("2019-03-29", "65.000", "t"),
        ("2019-05-13", "71.000", "t"),
        ("2019-05-16", "64.000", "t"),
        ("2019-05-27", "69.000", "t"),
    ]


def test_negative_differences_are_written_as_numbers(seeded_session):
    from shipments.exchange.reports import RECONCILIATION_COLUMNS, reconciliation_rows
    from shipments.ledger import correct_shipment
    from shipments.models import ShipmentCorrection
    from shipments.reconcile import reconcile
    from shipments.rules import parse

    correct_shipment(
        session=seeded_session,
        shipment_id=3,
        by="ana",
        via="cli",
        correction_in=parse(ShipmentCorrection, {"tonnes": "46", "reason": "t"}),
    )
    out = io.StringIO()
    write_csv(reconciliation_rows(reconcile(session=seeded_session)), out, RECONCILIATION_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (rows[0]["difference"], rows[0]["difference_pct"]) == ("-18.000", "-6.7")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "shipments_2026-11-29.csv"),
        ({"hxl": True}, "shipments_2026-11-29_hxl.csv"),
        (
            {"filters": {"date_from": "2019-05-01", "donors": ("China", "Côte d'Ivoire")}},
            "shipments_2019-05-01-to-now_donor-China+Côte-d-Ivoire_2026-11-29.csv",
        ),
        (
            {"as_of": "2026-01-31T12:00:00+00:00"},
            "shipments_as-of-2026-01-31T120000Z_2026-11-29.csv",
        ),
        (
            {
                "filters": {
                    "date_from": "2019-05-01",
                    "donors": tuple(f"Donor {n:03}" for n in range(40)),
                },
                "hxl": True,
            },
            "LONG",
        ),
    ],
)
def test_download_names_carry_the_filter_and_the_date(kwargs, expected):
    from datetime import date, datetime

    from shipments.exchange.csvfiles import download_name
    from shipments.ledger import ShipmentFilter

    if "filters" in kwargs:
        f = kwargs["filters"]
        kwargs["filters"] = ShipmentFilter(
            date_from=date.fromisoformat(f["date_from"]), donors=f["donors"]
        )
    if "as_of" in kwargs:
        kwargs["as_of"] = datetime.fromisoformat(kwargs["as_of"])
    name = download_name("shipments", on=date(2026, 11, 29), **kwargs)
    if expected == "LONG":
        assert len(name) <= 154
        assert name.startswith("shipments_2019-05-01-to-now_donor-Donor-000+")
        assert name.endswith("_etc_2026-11-29_hxl.csv")
    else:
        assert name == expected


def _reference_export(session, *, hxl: bool = False, filters=None) -> str:
    """The export written the slow way, a pydantic-free Python row per shipment."""
    out = io.StringIO()
    columns = tuple(SHIPMENTS.hashtags()) if hxl else SHIPMENT_COLUMNS
    rows = shipment_rows(iter_export_rows(session=session, filters=filters), claims={})
    write_csv(rows, out, columns, hxl=SHIPMENTS.hashtags() if hxl else None)
    return out.getvalue()


def _tricky_ledger(session) -> None:
    """Shipments whose cells need quoting or neutralising, between plain ones."""
    second = {"url": "https://example.org/b", "title": '=Two, "quoted"', "publisher": "B, Inc."}
    third = {"url": "https://example.org/c", "title": "Plain", "publisher": "C"}
    variants: list[dict[str, Any]] = [
        {},
        {"donor": "Ministry, Health", "note": 'Said "about 200"'},
        {},
        {"donor": "=1+1", "cargo_description": "-rations", "note": "line one\nline two"},
        {"recipient": "+Venezuela", "note": "@someone"},
        {},
        {"note": "tab\tinside", "cargo_description": "tents, 40"},
        {"sources": [third, second]},
        {"tonnes": "0.001"},
        {"tonnes": "100000"},
        {"tonnes": "1234.5", "note": "a = b"},
        {"donor": "Unsourced"},
        {},
    ]
    ids = []
    for n, overrides in enumerate(variants):
        shipment_in = make_shipment(event_date=f"2019-06-{n + 1:02d}", **overrides)
        ids.append(append_shipment(session=session, shipment_in=shipment_in, by="ana", via="cli"))
    correct_shipment(
        session=session,
        shipment_id=ids[2].id,
        correction_in=parse(ShipmentCorrection, {"note": "-corrected", "reason": "note"}),
        by="ana",
        via="cli",
    )
    retract_shipment(
        session=session, shipment_id=ids[5].id, reason="duplicate", by="ana", via="cli"
    )
    # Every input path requires a source; a ledger filled another way may hold a row without.
    unsourced = session.exec(
        select(ShipmentRevision.id).where(col(ShipmentRevision.shipment_id) == ids[11].id)
    ).one()
    with history_unlocked(session):
        session.execute(
            delete(RevisionSourceLink).where(col(RevisionSourceLink.revision_id) == unsourced)
        )
        session.execute(
            update(CurrentShipment)
            .where(col(CurrentShipment.revision_id) == unsourced)
            .values(source_ids="")
        )
        # A time on the whole second: written with six zero microseconds by both ways.
        session.execute(
            update(ShipmentRevision)
            .where(col(ShipmentRevision.shipment_id) == ids[0].id)
            .values(recorded_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        )


@pytest.mark.parametrize("batch_size", [1, 3, 5000])
@pytest.mark.parametrize("hxl", [False, True])
def test_fast_export_writes_the_same_bytes_as_the_python_rows(session, hxl, batch_size):
    _tricky_ledger(session)
    out = io.StringIO()
    count = write_shipments(session=session, file=out, hxl=hxl, batch_size=batch_size)
    assert count == 12
    assert out.getvalue() == _reference_export(session, hxl=hxl)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))[1 if hxl else 0 :]
    by_note = {row["note"]: row for row in rows}
    assert by_note["line one\nline two"]["donor"] == "'=1+1"
    assert by_note["line one\nline two"]["cargo_description"] == "'-rations"
    assert by_note["'@someone"]["recipient"] == "'+Venezuela"
    assert by_note["'-corrected"]["revision"] == "2"
    assert {row["recorded_at"] for row in rows if row["id"] == "1"} == {
        "2026-01-02T03:04:05.000000+00:00"
    }
    [unsourced] = [row for row in rows if row["donor"] == "Unsourced"]
    assert (unsourced["sources"], unsourced["source_urls"]) == ("", "")
    [two] = [row for row in rows if "B, Inc." in row["sources"]]
    # Sources in the order they were first recorded (by id), as everywhere in the ledger.
    assert two["sources"] == 'C: Plain; B, Inc.: =Two, "quoted"'
    assert two["source_urls"] == "https://example.org/c https://example.org/b"


def test_a_batch_with_lines_that_need_care_goes_out_in_one_piece(session, monkeypatch):
    """Nearly every batch of a real ledger holds a line that needs quoting (a note with a
    comma): its other lines are written together, not one by one, and the bytes are the same."""
    from shipments.exchange import lines

    _tricky_ledger(session)
    checked: list[int] = []
    plain_text = lines._plain_text

    def counted(batch, *args):
        checked.append(len(batch))
        return plain_text(batch, *args)

    monkeypatch.setattr(lines, "_plain_text", counted)
    out = io.StringIO()
    assert write_shipments(session=session, file=out, batch_size=5000) == 12
    assert out.getvalue() == _reference_export(session)
    assert checked == [6]  # the six plain lines of twelve, checked and written at once


def test_fast_export_applies_the_view_filter(session):
    _tricky_ledger(session)
    wanted = ShipmentFilter(date_from=date(2019, 6, 4), donors=("China", "=1+1"))
    out = io.StringIO()
    assert write_shipments(session=session, file=out, filters=wanted) == 8
    assert out.getvalue() == _reference_export(session, filters=wanted)


def test_fast_export_keeps_a_stored_record_separator(session):
    _tricky_ledger(session)
    # The character that joins a batch's lines while they are checked stays inside its cell.
    with history_unlocked(session):
        session.execute(
            update(ShipmentRevision)
            .where(col(ShipmentRevision.shipment_id) == 2)
            .values(donor="line\x1ehere")
        )
    out = io.StringIO()
    write_shipments(session=session, file=out)
    assert out.getvalue() == _reference_export(session)
    assert "line\x1ehere" in out.getvalue()


@pytest.mark.parametrize("stored", ["split\x1fhere", "mark\x1dhere"])
def test_fast_export_refuses_a_stored_control_character(session, stored):
    _tricky_ledger(session)
    # Validation keeps control characters out; a row written around it must not shift cells.
    with history_unlocked(session):
        session.execute(
            update(ShipmentRevision)
            .where(col(ShipmentRevision.shipment_id) == 2)
            .values(donor=stored)
        )
    with pytest.raises(ValueError, match="shipment 2: a stored text holds a control character"):
        write_shipments(session=session, file=io.StringIO())


def _fixed_times(session) -> None:
    """Give every revision a known recording time, so an export can be written out in full."""
    base = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    revision_ids = [revision_id for (revision_id,) in session.execute(select(ShipmentRevision.id))]
    with history_unlocked(session):
        for revision_id in revision_ids:
            session.execute(
                update(ShipmentRevision)
                .where(col(ShipmentRevision.id) == revision_id)
                .values(recorded_at=base.replace(microsecond=revision_id * 1001))
            )


HEADER = (
    "id,revision,event_date,date_means,donor,recipient,cargo,cargo_description,tonnes,{unit},"
    "sources,source_urls,corroborating_sources,note,same_consignment_as,recorded_by,recorded_at\n"
)
HASHTAGS = (
    "#meta+id,#meta+revision,#date+occurred,#meta+date_means,#org+funder+name,#country+dest,"
    "#item+type,#item+name,#item+num,#item+unit,#meta+source,#meta+url,#meta+sources+num,"
    "#description+notes,#meta+consignment,#meta+recorded_by,#date+recorded\n"
)
ROWS = (
    "1,1,2019-06-01,received,China,Venezuela,medicine,,68.000,{first},"
    "Example News: Almost 70 tonnes arrive,https://example.org/report,1,,,ana,"
    "2026-01-02T03:04:05.001001+00:00\n"
    '2,2,2019-06-02,received,"Ministry, Health",Venezuela,medicine,\'-rations,0.001,{second},'
    '"C: Plain; B, Inc.: =Two, ""quoted""",https://example.org/c https://example.org/b,2,\'=1+1,,'
    "ana,2026-01-02T03:04:05.003003+00:00\n"
)
EXPECTED_CSV = HEADER.format(unit="kilograms") + ROWS.format(first="68000", second="1")
EXPECTED_HXL = HEADER.format(unit="unit") + HASHTAGS + ROWS.format(first="t", second="t")


@pytest.mark.parametrize("as_of", [None, datetime(2030, 1, 1, tzinfo=UTC)], ids=["now", "as_of"])
@pytest.mark.parametrize(("hxl", "expected"), [(False, EXPECTED_CSV), (True, EXPECTED_HXL)])
def test_the_bytes_of_an_export(session, hxl, expected, as_of):
    first = make_shipment(event_date="2019-06-01")
    append_shipment(session=session, shipment_in=first, by="ana", via="cli")
    sources = [
        {"url": "https://example.org/c", "title": "Plain", "publisher": "C"},
        {"url": "https://example.org/b", "title": '=Two, "quoted"', "publisher": "B, Inc."},
    ]
    second = make_shipment(
        event_date="2019-06-02", donor="Ministry, Health", tonnes="2", sources=sources
    )
    added = append_shipment(session=session, shipment_in=second, by="ana", via="cli")
    correct_shipment(
        session=session,
        shipment_id=added.id,
        correction_in=parse(
            ShipmentCorrection,
            {"tonnes": "0.001", "note": "=1+1", "cargo_description": "-rations", "reason": "r"},
        ),
        by="ana",
        via="cli",
    )
    _fixed_times(session)
    out = io.StringIO()
    assert write_shipments(session=session, file=out, hxl=hxl, as_of=as_of) == 2
    assert out.getvalue() == expected


# A column to add to a copy of the table: the shipment's id and revision, as "id-revision".
_ID_AND_REVISION = (col(ShipmentRevision.shipment_id), col(ShipmentRevision.revision))
KEY = Column(
    "key",
    "#meta+key",
    lambda s: f"{s.id}-{s.revision}",
    {"sqlite": ("%d-%d", _ID_AND_REVISION), "postgresql": ("%s-%s", _ID_AND_REVISION)},
)


def _with(column: Column, after: str | None) -> ExportTable:
    """Return the export's table with ``column`` after the column named ``after`` (None: first)."""
    columns = list(SHIPMENTS.columns)
    at = 0 if after is None else [c.name for c in columns].index(after) + 1
    return ExportTable((*columns[:at], column, *columns[at:]))


def _python_export(session, table: ExportTable, *, hxl: bool) -> str:
    out = io.StringIO()
    rows = table.rows(iter_export_rows(session=session), claims={})
    write_csv(rows, out, table.header(hxl=hxl), hxl=table.hashtags() if hxl else None)
    return out.getvalue()


@pytest.mark.parametrize("after", [None, "revision", "corroborating_sources", "recorded_at"])
@pytest.mark.parametrize("hxl", [False, True])
def test_a_column_added_to_the_table_is_in_every_part_of_the_export(session, hxl, after):
    _tricky_ledger(session)
    table = _with(KEY, after)
    # The header and the HXL row.
    header = list(SHIPMENTS.header(hxl=hxl))
    header.insert(0 if after is None else header.index(after) + 1, "key")
    assert table.header(hxl=hxl) == tuple(header)
    assert table.hashtags() == {
        name: SHIPMENTS.hashtags().get(name, "#meta+key") for name in table.header(hxl=True)
    }
    # The Python rows.
    rows = list(table.rows(iter_export_rows(session=session), claims={}))
    assert [row["key"] for row in rows] == [f"{row['id']}-{row['revision']}" for row in rows]
    # The database's line: it writes the same bytes as the Python rows.
    assert table.separators(hxl=hxl) == SHIPMENTS.separators(hxl=hxl) + 1
    out = io.StringIO()
    assert write_shipments(session=session, file=out, hxl=hxl, table=table, batch_size=5) == 12
    assert out.getvalue() == _python_export(session, table, hxl=hxl)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    if hxl:
        assert lines[1][header.index("key")] == "#meta+key"
    body = [dict(zip(header, line, strict=True)) for line in lines[2 if hxl else 1 :]]
    assert [row["key"] for row in body] == [f"{row['id']}-{row['revision']}" for row in body]
    # Every other column is as it was.
    plain = list(csv.reader(io.StringIO(_reference_export(session, hxl=hxl))))
    keep = [i for i, name in enumerate(header) if name != "key"]
    assert [[line[i] for i in keep] for line in lines] == plain


# A column on a stored field that no column reads yet: the current revision's reason.
REASON = Column(
    "reason",
    "#meta+reason",
    lambda s: s.reason,
    dict.fromkeys(("sqlite", "postgresql"), ("%s", (col(ShipmentRevision.reason),))),
)


@pytest.mark.parametrize("hxl", [False, True])
def test_a_column_on_a_field_not_yet_exported_is_one_edit(session, hxl):
    _tricky_ledger(session)
    table = _with(REASON, "note")
    out = io.StringIO()
    write_shipments(session=session, file=out, hxl=hxl, table=table, batch_size=5)
    assert out.getvalue() == _python_export(session, table, hxl=hxl)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    header = lines[0]
    assert header[header.index("note") + 1] == "reason"
    body = [dict(zip(header, line, strict=True)) for line in lines[2 if hxl else 1 :]]
    assert sorted(row["reason"] for row in body) == [""] * 11 + ["note"]


@pytest.mark.parametrize("descriptions", [("-rations", "tents", "+blank"), ("tents", "-rations")])
@pytest.mark.parametrize("batch_size", [1, 5000])
def test_a_text_column_first_is_made_inert_like_any_other(session, batch_size, descriptions):
    for day, description in enumerate(descriptions, start=1):
        shipment_in = make_shipment(event_date=f"2019-06-0{day}", cargo_description=description)
        append_shipment(session=session, shipment_in=shipment_in, by="ana", via="cli")
    # The table with cargo_description moved to the front: no cell of a line precedes it.
    first = [c for c in SHIPMENTS.columns if c.name == "cargo_description"]
    table = ExportTable((*first, *(c for c in SHIPMENTS.columns if c not in first)))
    out = io.StringIO()
    write_shipments(session=session, file=out, table=table, batch_size=batch_size)
    assert out.getvalue() == _python_export(session, table, hxl=False)
    assert [line.split(",")[0] for line in out.getvalue().splitlines()] == [
        "cargo_description",
        *(neutralise(d) for d in descriptions),
    ]


@pytest.mark.parametrize("description", ["'+rations", "'@cmd", "plain"])
def test_a_formula_behind_a_quote_is_made_inert_by_both_export_paths(session, description):
    shipment_in = make_shipment(cargo_description=description)
    append_shipment(session=session, shipment_in=shipment_in, by="ana", via="cli")
    out = io.StringIO()
    write_shipments(session=session, file=out)
    assert out.getvalue() == _python_export(session, SHIPMENTS, hxl=False)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["cargo_description"] == neutralise(description)
    assert row["cargo_description"].startswith("''") != (description == "plain")


def test_the_reconciliation_has_one_set_of_columns_in_both_renderings():
    from shipments.exchange.reports import RECONCILIATION_COLUMNS, RECONCILIATION_HXL

    assert tuple(RECONCILIATION_HXL) == RECONCILIATION_COLUMNS
