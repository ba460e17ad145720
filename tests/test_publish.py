"""python -m shipments publish DIR: a static snapshot, its text inert, written whole or not at all.

The browser's view of it (charts drawn, nothing runs) is in tests/test_e2e_publish.py.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_shipment
from sqlalchemy import Engine
from test_reconcile import make_claim

from shipments.audit import ledger_version
from shipments.claims import parse_reading_spec, record_claim
from shipments.cli import main
from shipments.db import session_scope
from shipments.errors import InvalidInput
from shipments.exchange.package import verify_package
from shipments.ledger import append_shipment
from shipments.publish import folder as snapshot_folder
from shipments.publish import pages
from shipments.publish.address import SNAPSHOT_SETTING, snapshot_url
from shipments.publish.folder import MANIFEST, staged
from shipments.publish.html import link, text

# One payload per field a page shows: markup that would run, break out of an attribute or load
# an image if it were written into the page as it is.
FIELDS = ("donor", "recipient", "claimant", "quote", "note", "publisher", "title")
JAVASCRIPT_URL = "javascript:alert(document.domain)"


def payload(field: str) -> str:
    return f'<script>alert("{field}")</script>"><img src=x onerror=alert("{field}")>'


def add_hostile_records(engine: Engine) -> None:
    """Add a shipment and a claim whose every shown field holds markup, and a claim whose
    source is a javascript: URL (refused by every input path: written past the rules, as a
    database edited by hand would hold it)."""
    claim = make_claim(
        claimant=payload("claimant"),
        quote=payload("quote") + " 12 t",
        note=payload("note"),
        stated_on="2019-06-01",
        value="12",
        readings=[parse_reading_spec(f"single:2019-06-01,donor={payload('donor')}")],
        source={
            "url": "https://example.org/hostile",
            "title": payload("title"),
            "publisher": payload("publisher"),
        },
    )
    claim = claim.model_copy(
        update={"source": claim.source.model_copy(update={"url": JAVASCRIPT_URL})}
    )
    shipment = make_shipment(
        event_date="2019-06-01", donor=payload("donor"), recipient=payload("recipient"), tonnes="12"
    )
    with session_scope(engine) as session:
        append_shipment(session=session, shipment_in=shipment, by="ana", via="cli")
        record_claim(session=session, claim_in=claim, by="ana", via="cli")


def publish(url: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    code = main(["--database-url", url, "publish", str(folder)], stdout=out)
    return code, out.getvalue(), capsys.readouterr().err


def pages_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in folder.rglob("*.html")}


def test_the_seed_snapshot_shows_the_overview_and_the_claims(
    seeded_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "snapshot"
    code, out, err = publish(database_url, folder, capsys)
    assert (code, err) == (0, "")
    assert re.fullmatch(
        r"wrote 3 pages and 15 files \([\d,]+ bytes, of which plotly\.js [\d,]+\) to "
        + re.escape(str(folder))
        + r": ledger version \d+\n",
        out,
    )
    index = (folder / "index.html").read_text("utf-8")
    assert '<div class="value">269.000 t</div>' in index
    assert '<div class="value">7 / 0</div>' in index
    for claim in range(1, 8):
        section = index[index.index(f'id="claim-{claim}"') :]
        assert re.match(r'id="claim-\d"><h3>Claim \d: [^<]+: <span[^>]*>consistent</span>', section)
    assert index.count('data-chart="chart-') == 2  # no period claim on the seed: two charts
    # The dashboard's captions, without what a click would show: a click opens nothing here.
    assert "Each bar is one delivery date&#x27;s total.</p>" in index
    assert not re.search(r"\bclick (it|a bar)|Click", index)
    assert '<a href="donor/china.html">China</a>' in index
    assert '<a href="recipient/venezuela.html">Venezuela</a>' in index
    donor = (folder / "donor" / "china.html").read_text("utf-8")
    assert '<script src="../plotly.min.js"' in donor
    assert "269.000 t" in donor
    # plotly.js once, in the snapshot: no page loads anything from elsewhere.
    assert [p.name for p in folder.rglob("plotly*.js")] == ["plotly.min.js"]
    for page in pages_of(folder).values():
        assert not re.search(r'src="(https?:)?//', page)
    with session_scope(seeded_engine) as session:
        version = ledger_version(session=session)
    assert f"from ledger version {version}, latest write at " in index
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    assert manifest["ledger_version"] == version
    assert set(manifest["files"]) == set(snapshot_folder.files_in(folder)) - {MANIFEST}
    assert verify_package(folder / "data") == []


def test_every_shown_field_is_inert_text(
    seeded_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_hostile_records(seeded_engine)
    folder = tmp_path / "snapshot"
    assert publish(database_url, folder, capsys)[0] == 0
    shown = pages_of(folder)
    index = shown["index.html"]
    missing = [f for f in FIELDS if html.escape(payload(f), quote=True) not in index]
    assert missing == []
    for name, page in shown.items():
        assert "<script>alert" not in page, name
        assert "<img" not in page, name
        assert "javascript:" not in page.replace(text(JAVASCRIPT_URL), ""), name
        # Every script tag is plotly.js, snapshot.js or a JSON data block; none runs inline.
        tags = re.findall(r"<script[^>]*>", page)
        assert all("src=" in t or 'type="application/json"' in t for t in tags), name
        for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
            json.loads(block)  # whole: nothing in a figure's text ended its block early
            assert "<" not in block
            assert ">" not in block
    assert f"Source: {text(JAVASCRIPT_URL)}</p>" in index  # shown, not linked
    donor_pages = [n for n in shown if n.startswith("donor/") and n != "donor/china.html"]
    assert donor_pages == ["donor/script-alert-donor-script-img-src-x-onerror-alert-donor.html"]
    assert f"<h1>Donor: {text(payload('donor'))}</h1>" in shown[donor_pages[0]]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (JAVASCRIPT_URL, text(JAVASCRIPT_URL)),
        ("data:text/html,<b>x</b>", "data:text/html,&lt;b&gt;x&lt;/b&gt;"),
        ("//example.org/x", "//example.org/x"),
        (
            'https://example.org/?q="><b>',
            '<a href="https://example.org/?q=&quot;&gt;&lt;b&gt;" rel="nofollow noopener '
            'noreferrer">https://example.org/?q=&quot;&gt;&lt;b&gt;</a>',
        ),
    ],
)
def test_only_an_http_address_becomes_a_link(url: str, expected: str) -> None:
    assert link(url) == expected


def test_a_folder_that_is_not_a_snapshot_is_refused_and_left_alone(
    seeded_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "my-documents"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    code, out, err = publish(database_url, mine, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: folder: {mine} exists and is not a snapshot")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = publish(database_url, a_file, capsys)
    assert (code, err) == (2, f"error: folder: {a_file} is a file, not a folder\n")


def test_an_earlier_snapshot_is_replaced_whole_but_not_a_file_added_to_it(
    seeded_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "snapshot"
    assert publish(database_url, folder, capsys)[0] == 0
    (folder / "donor" / "china.html").write_text("stale", encoding="utf-8")
    (folder / "donor" / "gone.html").write_text("listed, then gone", encoding="utf-8")
    listed = json.loads((folder / MANIFEST).read_text("utf-8"))
    listed["files"].append("donor/gone.html")
    (folder / MANIFEST).write_text(json.dumps(listed), encoding="utf-8")
    assert publish(database_url, folder, capsys)[0] == 0
    assert "269.000 t" in (folder / "donor" / "china.html").read_text("utf-8")
    assert not (folder / "donor" / "gone.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    (folder / "CNAME").write_text("ledger.example.org", encoding="utf-8")
    code, _, err = publish(database_url, folder, capsys)
    assert code == 2
    assert "holds 'CNAME', which the earlier snapshot did not write" in err
    assert (folder / "CNAME").read_text("utf-8") == "ledger.example.org"


def test_a_failure_leaves_the_earlier_snapshot_and_no_temporary_folder(tmp_path: Path) -> None:
    folder = tmp_path / "snapshot"
    with staged(folder) as work:
        (work / "index.html").write_text("first", encoding="utf-8")
        snapshot_folder.write_manifest(work, {})

    def fail_halfway() -> None:
        with staged(folder) as work:
            (work / "index.html").write_text("half", encoding="utf-8")
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        fail_halfway()
    assert (folder / "index.html").read_text("utf-8") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snapshot"]


def test_the_snapshot_is_readable_by_others_as_a_folder_made_by_hand(tmp_path: Path) -> None:
    with staged(tmp_path / "snapshot"):
        pass
    (tmp_path / "by-hand").mkdir()
    assert (tmp_path / "snapshot").stat().st_mode == (tmp_path / "by-hand").stat().st_mode


@pytest.mark.parametrize("destination", ["link", "empty"])
def test_a_symbolic_link_is_refused_and_an_empty_folder_taken(
    tmp_path: Path, destination: str
) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    if destination == "link":
        (tmp_path / "snapshot").symlink_to(target)
        with pytest.raises(InvalidInput, match="is a symbolic link"):
            snapshot_folder.check_destination(tmp_path / "snapshot")
    else:
        snapshot_folder.check_destination(target)


def test_names_past_the_limit_get_no_page_and_pages_never_share_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "MAX_PAGES", 4)
    named = pages.named_pages("donor", ["Zed", "A b", "a-b", "Россия", "../etc/passwd", "Ümit"])
    assert [(p.name, p.path) for p in named] == [
        ("../etc/passwd", "donor/etc-passwd.html"),
        ("A b", "donor/a-b.html"),
        ("a-b", f"donor/a-b-{hashlib.sha256(b'a-b').hexdigest()[:8]}.html"),
        ("Zed", "donor/zed.html"),
        ("Ümit", None),
        ("Россия", None),
    ]
    assert pages.slugify("Ümit") == "umit"
    assert pages.slugify("Россия") == ""
    monkeypatch.setattr(pages, "MAX_PAGES", 10)
    named = pages.named_pages("donor", ["A b", "a-b", "Россия"])
    paths = [p.path for p in named]
    assert paths[0] == "donor/a-b.html"
    assert len(set(paths)) == 3
    assert all(re.fullmatch(r"donor/[a-z0-9-]+\.html", str(p)) for p in paths)


def test_the_index_lists_the_names_left_without_a_page(
    seeded_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    with session_scope(seeded_engine) as session:
        shipment = make_shipment(donor="Russia", tonnes="5")
        append_shipment(session=session, shipment_in=shipment, by="ana", via="cli")
    monkeypatch.setattr(pages, "MAX_PAGES", 1)
    code, _, err = publish(database_url, tmp_path / "snapshot", capsys)
    assert code == 0
    assert err == (
        "note: 1 donors have no page of their own (at most 1 a snapshot, the first in"
        " alphabetical order); the index lists them\n"
    )
    index = (tmp_path / "snapshot" / "index.html").read_text("utf-8")
    assert "1 more have no page of their own" in index
    assert '<p class="caption">Russia</p>' in index
    assert not (tmp_path / "snapshot" / "donor" / "russia.html").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        (" https://snapshots.example.org/ledger/ ", "https://snapshots.example.org/ledger/"),
    ],
)
def test_the_snapshot_address_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv(SNAPSHOT_SETTING, value)
    assert snapshot_url() == expected


def test_a_snapshot_address_that_is_no_http_address_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SNAPSHOT_SETTING, JAVASCRIPT_URL)
    with pytest.raises(InvalidInput) as caught:
        snapshot_url()
    [problem] = caught.value.problems
    assert problem.field == SNAPSHOT_SETTING
    assert problem.rule.startswith("must be an http:// or https:// address")


def test_the_snapshot_library_imports_no_streamlit() -> None:
    code = "import sys, shipments.publish.snapshot; print('streamlit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert result.stdout == "False\n"


def test_a_write_while_the_snapshot_is_cut_is_said(
    seeded_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with session_scope(seeded_engine) as session:
        version = ledger_version(session=session)
    # A write that lands between the first read and the last: the version read at the end.
    monkeypatch.setattr("shipments.publish.snapshot.ledger_version", lambda *, session: version + 1)
    code, _, err = publish(database_url, tmp_path / "snapshot", capsys)
    assert code == 0
    assert err == (
        f"note: the ledger was written to while the snapshot was cut (version {version} to"
        f" {version + 1}); publish again for a snapshot of one version\n"
    )
    index = (tmp_path / "snapshot" / "index.html").read_text("utf-8")
    assert f"(version {version} to {version + 1}): figures may mix the two" in index
    manifest = json.loads((tmp_path / "snapshot" / MANIFEST).read_text("utf-8"))
    assert (manifest["ledger_version"], manifest["ledger_version_at_end"]) == (version, version + 1)
