"""Exports that prove themselves: the CSV with its Data Package descriptor, validated by the
`frictionless` package, and `verify` telling a whole file from an altered one."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from frictionless import validate
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from shipments import __version__
from shipments.cli import main
from shipments.db import head_revision
from shipments.exchange.export import write_shipments
from shipments.exchange.package import DESCRIPTOR, verify_package, write_package
from shipments.web import data, routes


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), stdout=out), out.getvalue()


@pytest.mark.parametrize("hxl", [False, True])
def test_a_package_holds_the_export_and_says_what_it_is(
    seeded_session: Session, tmp_path: Path, hxl: bool
):
    path = write_package(session=seeded_session, folder=tmp_path, hxl=hxl)
    exported = io.StringIO()
    write_shipments(session=seeded_session, file=exported, hxl=hxl)
    assert path.read_bytes() == exported.getvalue().encode("utf-8")
    descriptor = json.loads((tmp_path / DESCRIPTOR).read_text(encoding="utf-8"))
    [resource] = descriptor["resources"]
    assert resource["path"] == path.name
    assert (descriptor["ledger"]["rows"], descriptor["ledger"]["total_kg"]) == (4, 269_000)
    assert descriptor["ledger"]["software"] == {
        "name": "shipments",
        "version": __version__,
        "schema": head_revision(),
    }
    assert descriptor["ledger"]["latest_write"]["version"] > 0
    types = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    assert (types["id"], types["event_date"], types["tonnes"], types["recorded_at"]) == (
        "integer",
        "date",
        "number",
        "datetime",
    )
    report = validate(str(tmp_path / DESCRIPTOR))
    assert report.valid, report.flatten(["type", "note"])
    assert verify_package(tmp_path) == []


def test_the_view_it_was_cut_with_is_recorded(seeded_session: Session, tmp_path: Path):
    from datetime import UTC, datetime

    moment = datetime(2030, 1, 1, tzinfo=UTC)
    write_package(session=seeded_session, folder=tmp_path, as_of=moment)
    view = json.loads((tmp_path / DESCRIPTOR).read_text())["ledger"]["view"]
    assert view["as_of"] == "2030-01-01T00:00:00+00:00"
    assert (view["from"], view["donor"]) == (None, [])


@pytest.mark.parametrize(
    ("alter", "differs"),
    [
        (lambda text: text.replace("China", "Chine", 1), ["SHA-256"]),
        (lambda text: "".join(text.splitlines(keepends=True)[:-1]), ["SHA-256", "bytes", "rows"]),
        (lambda text: text.replace("event_date", "date", 1), ["SHA-256", "bytes", "columns"]),
    ],
)
def test_verify_names_what_an_altered_file_no_longer_matches(
    seeded_session: Session, tmp_path: Path, alter, differs: list[str]
):
    path = write_package(session=seeded_session, folder=tmp_path)
    path.write_text(alter(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    problems = verify_package(tmp_path)
    assert [p.split(": ", 1)[1].split(" ")[0] for p in problems][: len(differs)] == [
        d.split(" ")[0] for d in differs
    ]
    assert not validate(str(tmp_path / DESCRIPTOR)).valid  # frictionless sees it too


def test_the_command_line_writes_and_verifies_a_package(
    seeded_session: Session, database_url: str, tmp_path: Path
):
    folder = tmp_path / "package"
    code, out = cli("--database-url", database_url, "export", "--package", str(folder))
    assert code == 0
    [csv_file] = folder.glob("*.csv")
    assert out == f"wrote {csv_file} and {folder / DESCRIPTOR}\n"
    assert cli("verify", str(folder)) == (
        0,
        f"{folder}: whole and unaltered (as its {DESCRIPTOR} says)\n",
    )
    csv_file.write_bytes(csv_file.read_bytes().replace(b"64.000", b"65.000"))
    code, out = cli("verify", str(folder))
    assert code == 1
    assert out.startswith(f"differs: {csv_file.name}: SHA-256 sha256:")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--output", "x.csv"], "error: package: writes a folder"),
        (["--format", "xlsx"], "error: package: writes a folder"),
    ],
)
def test_the_command_line_refuses_a_package_it_cannot_write(
    seeded_session: Session,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
):
    folder = tmp_path / "package"
    code, _ = cli("--database-url", database_url, "export", "--package", str(folder), *args)
    assert code == 2
    assert said in capsys.readouterr().err
    assert not folder.exists()


def test_verify_needs_a_descriptor_and_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert cli("verify", str(tmp_path))[0] == 2
    assert f"error: folder (FOLDER): no {DESCRIPTOR} in {tmp_path}" in capsys.readouterr().err


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    monkeypatch.delenv("LEDGER_PUBLIC_URL", raising=False)
    data._engine.cache_clear()
    with TestClient(Starlette(routes=routes.routes(), middleware=routes.middleware())) as test:
        yield test
    data._engine.cache_clear()


def test_the_data_url_describes_the_csv_its_view_serves(
    seeded_session: Session, client: TestClient
):
    answer = client.get("/data/shipments.datapackage.json?donor=China&from=2019-05-01")
    assert answer.status_code == 200
    descriptor = answer.json()
    [resource] = descriptor["resources"]
    path = resource["path"]
    assert path == "http://testserver/data/shipments.csv?from=2019-05-01&donor=China"
    served = client.get(path.removeprefix("http://testserver")).content
    assert resource["hash"] == "sha256:" + hashlib.sha256(served).hexdigest()
    assert resource["bytes"] == len(served)
    assert (descriptor["ledger"]["rows"], descriptor["ledger"]["total_kg"]) == (3, 204_000)
    assert descriptor["ledger"]["view"]["donor"] == ["China"]
    refused = client.get("/data/shipments.datapackage.json?from=notadate")
    assert (refused.status_code, refused.json()["parameter"]) == (400, "from")
