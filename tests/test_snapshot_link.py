"""The Downloads page links the latest static snapshot when LEDGER_SNAPSHOT_URL is set."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard import DASHBOARD, open_page

from shipments.ui.common import plain


def downloads(database_url: str, monkeypatch: pytest.MonkeyPatch, setting: str | None) -> AppTest:
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    if setting is None:
        monkeypatch.delenv("LEDGER_SNAPSHOT_URL", raising=False)
    else:
        monkeypatch.setenv("LEDGER_SNAPSHOT_URL", setting)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.run()
    return open_page(app, "downloads")


@pytest.mark.parametrize(
    ("setting", "links"),
    [
        ("https://snapshots.example.org/ledger/", ["https://snapshots.example.org/ledger/"]),
        (None, []),
    ],
)
def test_the_downloads_page_links_the_snapshot_when_set(
    seeded_engine: object, database_url: str, monkeypatch: pytest.MonkeyPatch, setting, links
) -> None:
    app = downloads(database_url, monkeypatch, setting)
    assert not app.exception
    shown = [b.proto.url for b in app.get("link_button") if b.proto.label == "Static snapshot"]
    assert shown == links


def test_a_snapshot_setting_that_is_no_http_address_is_named_not_linked(
    seeded_engine: object, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = downloads(database_url, monkeypatch, "javascript:alert(1)")
    assert not app.exception
    assert "Static snapshot" not in [b.proto.label for b in app.get("link_button")]
    rule = "must be an http:// or https:// address (got 'javascript:alert(1)')"
    assert [w.value for w in app.warning] == [plain(f"LEDGER_SNAPSHOT_URL is ignored: it {rule}")]
