"""Data at stable URLs: the Downloads page's files, streamed, revalidated, bad parameters refused.

They run in process through Starlette's test client on an app with the routes of
``dashboard.py``'s ``st.App``, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, TextIO

import anyio
import openpyxl
import pytest
from factories import make_shipment
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect
from starlette.testclient import TestClient

from shipments.audit import audit_events
from shipments.claims import list_claims
from shipments.exchange import xlsx
from shipments.exchange.csvfiles import download_name, restore, write_csv
from shipments.exchange.export import SHIPMENT_COLUMNS, write_shipments
from shipments.exchange.reports import (
    AUDIT_COLUMNS,
    CLAIM_COLUMNS,
    CLAIM_HXL,
    RECONCILIATION_COLUMNS,
    RECONCILIATION_HXL,
    SOURCE_COLUMNS,
    SOURCE_HXL,
    audit_rows,
    claim_rows,
    reconciliation_json,
    reconciliation_rows,
    source_rows,
)
from shipments.exchange.view_params import ViewQuery, data_url, parse_view_query
from shipments.ledger import ShipmentFilter, append_shipment, list_sources
from shipments.reconcile import reconcile
from shipments.rules import utcnow
from shipments.sessions import COOKIE, revoke_session, start_session
from shipments.web import auth, data, routes
from shipments.web.streaming import Streamed, stream

FORMULA_DONOR = '=HYPERLINK("http://evil.example","x")'


def make_app() -> Starlette:
    return Starlette(routes=routes.routes(), middleware=routes.middleware())


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    data._engine.cache_clear()
    with TestClient(make_app()) as test_client:
        yield test_client
    data._engine.cache_clear()


@pytest.fixture
def ledger(seeded_engine: Engine) -> Iterator[Session]:
    """The seeded ledger and a shipment whose donor starts like a spreadsheet formula."""
    with Session(seeded_engine, expire_on_commit=False) as session:
        append_shipment(
            session=session,
            shipment_in=make_shipment(donor=FORMULA_DONOR, event_date="2019-05-20", tonnes="5"),
            by="ana",
            via="cli",
        )
        yield session


def downloaded(session: Session, what: str, view: ViewQuery, *, hxl: bool) -> str:
    """Write a file as the Downloads page's download buttons did, from the library's writers."""
    out = io.StringIO()
    if what == "shipments":
        write_shipments(session=session, file=out, as_of=view.as_of, filters=view.filters, hxl=hxl)
        return out.getvalue()
    if what == "reconciliation":
        rows = reconciliation_rows(reconcile(session=session, as_of=view.as_of))
        columns, tags = RECONCILIATION_COLUMNS, RECONCILIATION_HXL
    elif what == "claims":
        rows = claim_rows(list_claims(session=session, as_of=view.as_of))
        columns, tags = CLAIM_COLUMNS, CLAIM_HXL
    else:
        rows = source_rows(list_sources(session=session))
        columns, tags = SOURCE_COLUMNS, SOURCE_HXL
    if hxl:
        write_csv(rows, out, tuple(tags), hxl=tags)
    else:
        write_csv(rows, out, columns)
    return out.getvalue()


VIEW = ViewQuery(
    filters=ShipmentFilter(date_from=date(2019, 5, 1), donors=("China", FORMULA_DONOR)),
    as_of=utcnow() + timedelta(days=1),
)


@pytest.mark.parametrize("what", ["shipments", "reconciliation", "claims", "sources"])
@pytest.mark.parametrize("hxl", [False, True], ids=["csv", "hxl"])
@pytest.mark.parametrize("view", [ViewQuery(), VIEW], ids=["now", "filtered-as-of"])
def test_each_file_is_the_bytes_and_name_of_the_download(
    ledger: Session, client: TestClient, what: str, hxl: bool, view: ViewQuery
):
    applies = {"shipments": view, "reconciliation": ViewQuery(as_of=view.as_of)}
    asked = applies.get(what, ViewQuery(as_of=view.as_of) if what == "claims" else ViewQuery())
    answer = client.get(data_url(f"{what}.{'hxl.csv' if hxl else 'csv'}", asked))
    assert answer.status_code == 200
    assert answer.content == downloaded(ledger, what, asked, hxl=hxl).encode()
    name = download_name(
        what,
        filters=asked.filters if what == "shipments" else None,
        as_of=asked.as_of if what in ("shipments", "reconciliation") else None,
        on=utcnow().date(),
        hxl=hxl,
    )
    assert answer.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"


def test_filters_and_formula_neutralising_apply(ledger: Session, client: TestClient):
    answer = client.get(data_url("shipments.csv", VIEW))
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["event_date"], r["donor"]) for r in rows] == [
        ("2019-05-13", "China"),
        ("2019-05-16", "China"),
        ("2019-05-27", "China"),
        ("2019-05-20", "'" + FORMULA_DONOR),
    ]


def test_as_of_leaves_out_what_was_written_later(ledger: Session, client: TestClient):
    [latest] = audit_events(session=ledger)[:1]
    before = ViewQuery(as_of=latest.at - timedelta(microseconds=1))
    ids = [r["id"] for r in csv.DictReader(io.StringIO(client.get(data_url("shipments.csv")).text))]
    then = client.get(data_url("shipments.csv", before)).text
    assert [r["id"] for r in csv.DictReader(io.StringIO(then))] == ids[:-1]


def test_shipments_json_holds_the_csv_rows_with_numbers_as_numbers(
    ledger: Session, client: TestClient
):
    answer = client.get(data_url("shipments.json", VIEW))
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-disposition"].startswith('inline; filename="shipments_')
    shipments = json.loads(answer.text)
    assert list(shipments[0]) == list(SHIPMENT_COLUMNS)
    assert [(s["donor"], s["tonnes"], s["kilograms"]) for s in shipments][-1] == (
        FORMULA_DONOR,
        5,
        5000,
    )
    assert '"tonnes": 5.000' in answer.text  # exactly as stored, not through a float


def test_an_empty_view_is_an_empty_json_array(ledger: Session, client: TestClient):
    nobody = ViewQuery(filters=ShipmentFilter(donors=("nobody",)))
    assert client.get(data_url("shipments.json", nobody)).json() == []


def test_reconciliation_json_is_what_the_cli_prints(ledger: Session, client: TestClient):
    answer = client.get(data_url("reconciliation.json"))
    expected = json.dumps(reconciliation_json(reconcile(session=ledger)), indent=2)
    assert answer.text == json.dumps(json.loads(expected), indent=2, ensure_ascii=False) + "\n"


def test_revalidation_answers_304_until_the_next_write(ledger: Session, client: TestClient):
    url = data_url("shipments.csv", VIEW)
    first = client.get(url)
    assert first.headers["cache-control"] == "no-cache"
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    other = client.get(data_url("shipments.csv"), headers={"If-None-Match": etag})
    assert other.status_code == 200  # another view is another file
    append_shipment(session=ledger, shipment_in=make_shipment(tonnes="7"), by="ana", via="cli")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert (
        client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code
        == 200
    )


def test_a_new_release_is_a_new_etag(
    ledger: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    url = data_url("shipments.csv", VIEW)
    etag = client.get(url).headers["etag"]
    monkeypatch.setattr(data, "_code_version", lambda: "9.9.9+0099")
    answer = client.get(url, headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert answer.headers["etag"] != etag


def test_head_answers_the_headers_without_writing_the_file(
    ledger: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    etag = client.get(data_url("shipments.csv")).headers["etag"]
    written: list[Any] = []
    monkeypatch.setattr(data, "stream", lambda write: written.append(write) or iter([b"x"]))
    answer = client.head(data_url("shipments.csv"))
    assert written == []
    assert (answer.status_code, answer.content) == (200, b"")
    assert answer.headers["etag"] == etag


def test_audit_needs_an_editor(ledger: Session, client: TestClient, monkeypatch):
    refused = client.get("/data/audit.csv")
    assert refused.status_code == 401
    assert refused.json() == {"error": "sign in as an editor to read this file"}
    monkeypatch.setattr(data, "editor_from_request", lambda request: "ana")
    answer = client.get("/data/audit.csv")
    out = io.StringIO()
    write_csv(audit_rows(audit_events(session=ledger)), out, AUDIT_COLUMNS)
    assert (answer.status_code, answer.text) == (200, out.getvalue())


def test_audit_csv_opens_with_a_real_editor_session_and_not_after_sign_out(
    ledger: Session, client: TestClient
):
    token = start_session(session=ledger, editor="ana")
    auth._engine.cache_clear()
    client.cookies.set(COOKIE, token)
    answer = client.get("/data/audit.csv")
    assert answer.status_code == 200
    assert answer.text.startswith(",".join(AUDIT_COLUMNS))
    revoke_session(session=ledger, token=token)
    assert client.get("/data/audit.csv").status_code == 401
    auth._engine.cache_clear()


def test_a_database_that_does_not_answer_gets_503_and_nothing_of_its_url(monkeypatch):
    url = "postgresql+psycopg://ledger:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=2"
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    data._engine.cache_clear()
    with TestClient(make_app()) as test_client:
        answer = test_client.get("/data/shipments.csv")
    data._engine.cache_clear()
    assert (answer.status_code, answer.json()) == (503, {"error": "the database does not answer"})
    for secret in ("ledger", "s3cret", "127.0.0.1", "nowhere"):
        assert secret not in answer.text


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(data: bytes) -> list[list[str]]:
    """Return a workbook's only sheet as the CSV writes its cells (see tests/test_xlsx.py)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) == 1
    rows = []
    for row in book.active.iter_rows():
        cells = []
        for cell in row:
            if cell.value is None:
                cells.append("")
            elif cell.is_date:
                cells.append(cell.value.date().isoformat())
            elif cell.data_type == "n" and cell.number_format.startswith("0."):
                cells.append(f"{cell.value:.{len(cell.number_format) - 2}f}")
            else:
                cells.append(str(cell.value))
        rows.append(cells)
    return rows


def csv_rows(text: str) -> list[list[str]]:
    return [[restore(cell) for cell in row] for row in csv.reader(io.StringIO(text))]


@pytest.mark.parametrize("what", ["shipments", "reconciliation", "claims", "sources"])
@pytest.mark.parametrize("hxl", [False, True], ids=["plain", "hxl"])
@pytest.mark.parametrize("view", [ViewQuery(), VIEW], ids=["now", "filtered-as-of"])
def test_each_workbook_holds_the_rows_of_its_csv(
    ledger: Session, client: TestClient, what: str, hxl: bool, view: ViewQuery
):
    stem = f"{what}.hxl" if hxl else what
    answer = client.get(data_url(f"{stem}.xlsx", view))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-length"] == str(len(answer.content))
    text = client.get(data_url(f"{stem}.csv", view))
    name = text.headers["content-disposition"].removesuffix('.csv"') + '.xlsx"'
    assert answer.headers["content-disposition"] == name
    assert sheet_rows(answer.content) == csv_rows(text.text)
    assert len(sheet_rows(answer.content)) > 1 + hxl


def test_the_workbook_keeps_a_formula_as_a_string(ledger: Session, client: TestClient):
    answer = client.get(data_url("shipments.xlsx", VIEW))
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    donors = [row[4] for row in sheet.iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in donors][-1] == (FORMULA_DONOR, "s")
    assert [row[8].value for row in sheet.iter_rows(min_row=2)] == [71, 64, 69, 5]
    totals = client.get(data_url("shipments.csv", VIEW)).text
    assert sum(float(r["tonnes"]) for r in csv.DictReader(io.StringIO(totals))) == 209


def test_the_audit_workbook_needs_an_editor(ledger: Session, client: TestClient, monkeypatch):
    assert client.get("/data/audit.xlsx").status_code == 401
    monkeypatch.setattr(data, "editor_from_request", lambda request: "ana")
    answer = client.get("/data/audit.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith('attachment; filename="audit-writes_')
    assert sheet_rows(answer.content) == csv_rows(client.get("/data/audit.csv").text)


def test_a_workbook_revalidates_like_a_csv(ledger: Session, client: TestClient, monkeypatch):
    first = client.get(data_url("shipments.xlsx", VIEW))
    etag = first.headers["etag"]
    assert etag != client.get(data_url("shipments.csv", VIEW)).headers["etag"]
    built: list[Any] = []
    monkeypatch.setattr(data, "_build", lambda *args: built.append(args))
    unchanged = client.get(data_url("shipments.xlsx", VIEW), headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    head = client.head(data_url("shipments.xlsx", VIEW))
    assert (head.status_code, head.headers["content-type"], head.content) == (200, XLSX, b"")
    assert built == []


def test_a_workbook_too_long_for_a_sheet_gets_422(
    ledger: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 3)
    answer = client.get("/data/shipments.xlsx")
    assert answer.status_code == 422
    assert "the most an Excel sheet holds" in answer.json()["error"]
    assert answer.headers["cache-control"] == "no-store"
    one_donor = ViewQuery(filters=ShipmentFilter(donors=(FORMULA_DONOR,)))
    assert client.get(data_url("shipments.xlsx", one_donor)).status_code == 200


def test_a_served_workbook_leaves_no_temporary_file(
    ledger: Session, client: TestClient, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert client.get("/data/shipments.xlsx").status_code == 200
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 3)
    assert client.get("/data/shipments.xlsx").status_code == 422
    assert list(scratch.iterdir()) == []


def test_a_workbook_stops_being_written_when_its_client_goes_away(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    import contextlib
    import tempfile

    from shipments.exchange.xlsx import write_xlsx
    from shipments.web.files import DataFile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(data, "database_url", lambda: "sqlite://")
    monkeypatch.setattr(data, "_latest_write", lambda engine: (1, None))
    monkeypatch.setattr(data, "session_scope", lambda engine: contextlib.nullcontext())
    monkeypatch.setattr(data, "WATCH_SECONDS", 0.01)
    written: list[int] = []

    def endless() -> Iterator[dict[str, Any]]:
        for _ in range(50_000):  # ends, so that a writer that does not stop ends too
            written.append(1)
            yield {"a": "a row nobody will read"}

    def book(session: Any, view: ViewQuery, out: Any, stop: threading.Event) -> None:
        write_xlsx(endless(), out, ("a",), sheet="x", stop=stop)

    messages = iter([{"type": "http.request", "body": b"", "more_body": False}])

    async def receive() -> dict[str, Any]:
        if len(written) < 1000:  # the client waits a while, then leaves
            await anyio.sleep(0.01)
        return next(messages, {"type": "http.disconnect"})

    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": "/data/x.xlsx",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    from starlette.requests import Request

    file = DataFile("x.xlsx", "x", book=book, media_type=xlsx.XLSX)
    answer = anyio.run(lambda: data.serve(Request(scope, receive), file=file))
    assert answer.status_code == data.GONE
    assert 1000 <= len(written) < 50_000
    assert list(scratch.iterdir()) == []


def test_at_most_two_workbooks_are_written_at_once(monkeypatch: pytest.MonkeyPatch):
    import contextlib
    import time
    from concurrent.futures import ThreadPoolExecutor

    from shipments.exchange.xlsx import write_xlsx
    from shipments.web.files import DataFile

    monkeypatch.setattr(data, "database_url", lambda: "sqlite://")
    monkeypatch.setattr(data, "_latest_write", lambda engine: (1, None))
    monkeypatch.setattr(data, "session_scope", lambda engine: contextlib.nullcontext())
    writing, most = [0], [0]
    lock = threading.Lock()

    def book(session: Any, view: ViewQuery, out: Any, stop: threading.Event) -> None:
        with lock:
            writing[0] += 1
            most[0] = max(most[0], writing[0])
        time.sleep(0.3)
        with lock:
            writing[0] -= 1
        write_xlsx([{"a": 1}], out, ("a",), sheet="x", stop=stop)

    file = DataFile("slow.xlsx", "slow", book=book, media_type=xlsx.XLSX)
    monkeypatch.setattr(data, "FILES", {"slow.xlsx": file})
    with TestClient(make_app()) as test_client, ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: test_client.get("/data/slow.xlsx"), range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert most[0] == data.WORKBOOKS_AT_ONCE == 2


@pytest.mark.parametrize("path", ["shipments.csv", "claims.hxl.csv", "sources.csv"])
def test_bom_starts_a_csv_with_a_byte_order_mark_only_when_asked(
    ledger: Session, client: TestClient, path: str
):
    plain = client.get(f"/data/{path}")
    marked = client.get(f"/data/{path}?bom=1")
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    assert marked.content == b"\xef\xbb\xbf" + plain.content
    assert client.get(f"/data/{path}?bom=0").content == plain.content
    assert marked.headers["content-disposition"] == plain.headers["content-disposition"]
    assert marked.headers["etag"] != plain.headers["etag"]
    revalidated = client.get(
        f"/data/{path}?bom=1", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert revalidated.status_code == 200  # the marked file is another file


def test_bom_keeps_the_filters(ledger: Session, client: TestClient):
    marked = client.get(data_url("shipments.csv", VIEW) + "&bom=1")
    assert marked.content.decode("utf-8-sig") == client.get(data_url("shipments.csv", VIEW)).text


BAD_BOM = [
    ("shipments.csv", "bom=yes", "must be 1 (start the file with a UTF-8 byte order mark) or 0"),
    ("shipments.csv", "bom=2", "(got '2')"),
    ("claims.hxl.csv", "bom=1&bom=1", "must be given once (got 2)"),
    ("audit.csv", "bom=%0A", "must be 1"),
    ("shipments.json", "bom=1", "applies to the CSV files only (.csv, .hxl.csv)"),
    ("shipments.xlsx", "bom=1", "applies to the CSV files only"),
    ("reconciliation.hxl.xlsx", "bom=0", "applies to the CSV files only"),
]


@pytest.mark.parametrize(("path", "query", "rule"), BAD_BOM)
def test_a_bad_bom_gets_400_naming_it(offline: TestClient, path: str, query: str, rule: str):
    answer = offline.get(f"/data/{path}?{query}")
    assert answer.status_code == 400
    assert answer.json()["parameter"] == "bom"
    assert rule in answer.json()["rule"]


def test_an_unknown_parameter_is_told_the_files_own(offline: TestClient):
    rule = offline.get("/data/shipments.csv?excel=1").json()["rule"]
    assert rule.endswith(
        "the parameters are from, to, donor, recipient, cargo, sources_at_least, as_of, bom"
    )
    rule = offline.get("/data/shipments.xlsx?excel=1").json()["rule"]
    assert rule.endswith(
        "the parameters are from, to, donor, recipient, cargo, sources_at_least, as_of"
    )


LONG = "x" * 201
BAD = [
    ("from=2019-13-01", "from", "must be a date as YYYY-MM-DD"),
    ("from=2019-02-30", "from", "must be a date as YYYY-MM-DD"),
    ("to=31/01/2019", "to", "must be a date as YYYY-MM-DD"),
    ("from=1800-01-01", "from", "must be from 1900-01-01 to 2099-12-31 (got 1800-01-01)"),
    ("to=2150-01-01", "to", "must be from 1900-01-01 to 2099-12-31"),
    ("from=20190101", "from", "must be a date as YYYY-MM-DD"),
    ("from=+99999-01-01", "from", "must be a date as YYYY-MM-DD"),
    ("from=2019-05-02&to=2019-05-01", "to", "must not be before from (2019-05-02)"),
    ("from=2019-01-01&from=2019-02-01", "from", "must be given once (got 2)"),
    ("as_of=now&as_of=2019-01-01", "as_of", "must be given once (got 2)"),
    ("as_of=last%20tuesday", "as_of", "must be an ISO 8601 timestamp"),
    ("as_of=9999-12-31T23:59:59-23:59", "as_of", "must be an ISO 8601 timestamp"),
    ("as_of=2019-01-01T25:00:00Z", "as_of", "must be an ISO 8601 timestamp"),
    (f"as_of={LONG}", "as_of", "must be at most 200 characters (got 201)"),
    (f"donor={LONG}", "donor", "must be at most 200 characters (got 201)"),
    ("donor=a%0Ab", "donor", "must not hold control characters"),
    ("cargo=%00", "cargo", "must not hold control characters"),
    ("recipient=" + "&recipient=".join(str(n) for n in range(101)), "recipient", "at most 100"),
    ("format=csv", "format", "is not a parameter here; the parameters are from, to, donor"),
    ("Donor=China", "Donor", "is not a parameter here"),
    ("x%27%3B+DROP+TABLE+shipment%3B--=1", "x'; DROP TABLE shipment;--", "is not a parameter"),
    ("from=2019-01-01%27%20OR%201%3D1", "from", "must be a date as YYYY-MM-DD"),
    ("as_of=%3Cscript%3E", "as_of", "must be an ISO 8601 timestamp"),
    ("sources_at_least=0", "sources_at_least", "must be a whole number from 1 to 100 (got 0)"),
    ("sources_at_least=2.5", "sources_at_least", "must be a whole number from 1 to 100"),
]
FAMILIES = [
    "shipments.csv",
    "shipments.hxl.csv",
    "shipments.json",
    "shipments.xlsx",
    "reconciliation.csv",
    "reconciliation.json",
    "reconciliation.hxl.xlsx",
    "claims.csv",
    "claims.xlsx",
    "sources.csv",
    "audit.csv",
    "audit.xlsx",
]


@pytest.fixture(scope="module")
def offline() -> Iterator[TestClient]:
    """A client whose database is never asked: a bad parameter is refused before it."""
    with TestClient(make_app()) as test_client:
        yield test_client


@pytest.mark.parametrize("path", FAMILIES)
@pytest.mark.parametrize(("query", "parameter", "rule"), BAD)
def test_a_bad_parameter_gets_400_naming_it(
    offline: TestClient, path: str, query: str, parameter: str, rule: str
):
    answer = offline.get(f"/data/{path}?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"parameter", "rule"}
    assert body["parameter"] == parameter
    assert rule in body["rule"]


@pytest.mark.usefixtures("fresh_caches")
def test_the_sidebar_and_the_data_urls_refuse_as_of_in_the_same_words(
    offline: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
):
    from streamlit.testing.v1 import AppTest

    from shipments.db import REPO_ROOT
    from shipments.ui.common import plain

    rule = offline.get("/data/shipments.csv?as_of=yesterday").json()["rule"]
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=60)
    app.query_params["as_of"] = "yesterday"
    app.run()
    [warning] = [w.value for w in app.warning if "as\\_of" in w.value]
    assert warning.endswith(plain(f"as_of: {rule}"))


@pytest.mark.parametrize(
    "view", [ViewQuery(), VIEW, ViewQuery(filters=ShipmentFilter(cargos=("a&b=c", "d e")))]
)
def test_a_view_reads_back_from_the_query_it_writes(view: ViewQuery):
    from urllib.parse import parse_qsl

    assert parse_view_query(parse_qsl(view.query_string())) == view


def test_now_and_empty_values_mean_no_filter():
    assert parse_view_query([("as_of", "now"), ("from", ""), ("donor", "")]) == ViewQuery()


def test_the_writer_stops_and_its_thread_ends_when_the_reader_goes_away():
    ended = threading.Event()

    def endless(out: TextIO) -> None:
        try:
            while True:
                out.write("x" * 1000)
        finally:
            ended.set()

    chunks = stream(endless)
    assert next(chunks).startswith(b"x")
    chunks.close()
    assert ended.is_set()
    assert not [t for t in threading.enumerate() if t.name == "data-url-writer"]


def test_a_writer_error_reaches_the_reader():
    def broken(out: TextIO) -> None:
        out.write("a,b\n")
        raise ValueError("shipment 7: a stored text holds a control character")

    with pytest.raises(ValueError, match="shipment 7"):
        list(stream(broken))


def test_the_response_closes_the_stream_when_the_client_goes_away():
    closed: list[bool] = []

    def endless() -> Iterator[bytes]:
        try:
            while True:
                yield b"1\n"
        finally:
            closed.append(True)

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 3:
            raise OSError("the client went away")

    async def receive() -> dict[str, Any]:
        raise AssertionError("not asked under ASGI 2.4")

    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    with pytest.raises(ClientDisconnect):
        anyio.run(Streamed(endless(), media_type="text/csv"), scope, receive, send)
    assert closed == [True]
