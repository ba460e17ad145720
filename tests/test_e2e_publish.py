"""A published snapshot in Chromium, served as a static host serves it: the charts drawn, the
seed's figures and claims shown, and ledger text full of markup shown as text, running nothing.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from test_publish import JAVASCRIPT_URL, add_hostile_records, payload

from shipments.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def snapshot(seeded_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Publish the seed plus a shipment and claims full of markup; serve the folder over HTTP."""
    add_hostile_records(seeded_engine)
    seeded_engine.dispose()
    folder = tmp_path / "snapshot"
    assert main(["--database-url", database_url, "publish", str(folder)], stdout=io.StringIO()) == 0
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def open_page(browser: Any, url: str) -> tuple[Any, list[str], list[str]]:
    """Open a page, wait for its charts; return it, its console errors and any dialogs."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_function(
        "() => { const g = [...document.querySelectorAll('.js-plotly-plot')];"
        " return g.length >= 2 && g.every(c => c.calcdata && c.querySelector('.main-svg')); }",
        timeout=30_000,
    )
    page.wait_for_timeout(300)  # an injected script or image would have run or failed by now
    return page, errors, dialogs


def test_the_donor_page_shows_the_seed_and_the_index_links_it(browser: Any, snapshot: str) -> None:
    index, errors, dialogs = open_page(browser, snapshot)
    assert (errors, dialogs) == ([], [])
    assert index.locator(".metric .value").first.inner_text() == "281.000 t"  # the seed + 12 t
    index.get_by_role("link", name="China", exact=True).click()
    index.wait_for_url("**/donor/china.html")
    page, errors, dialogs = open_page(browser, index.url)
    assert (errors, dialogs) == ([], [])
    values = page.locator(".metric .value").all_inner_texts()
    assert values == ["269.000 t", "4", "2019-05-27", "7 / 0"]
    headings = page.locator("section.claim h3").all_inner_texts()
    assert len(headings) == 7
    assert all(h.startswith(f"Claim {n}: ") for n, h in enumerate(headings, start=1))
    assert all(h.endswith(": consistent") for h in headings)
    assert page.locator(".js-plotly-plot").count() == 2


def test_ledger_text_full_of_markup_is_shown_as_text_and_runs_nothing(
    browser: Any, snapshot: str
) -> None:
    index, errors, dialogs = open_page(browser, snapshot)
    donor = index.get_by_role("link", name=payload("donor"), exact=True)
    href = donor.get_attribute("href")
    page, page_errors, page_dialogs = open_page(browser, snapshot + href)
    for opened in (index, page):
        assert opened.locator("img").count() == 0
        assert opened.locator('a[href^="javascript:"]').count() == 0
        inline = "script:not([src]):not([type='application/json'])"
        assert opened.locator(inline).count() == 0
    assert (errors + page_errors, dialogs + page_dialogs) == ([], [])
    assert page.locator("h1").inner_text() == f"Donor: {payload('donor')}"
    claim = page.locator("section.claim").last
    assert claim.locator("h3").inner_text().startswith(f"Claim 8: {payload('claimant')}, ")
    assert claim.locator("blockquote").inner_text() == payload("quote") + " 12 t"
    assert f"Source: {JAVASCRIPT_URL}" in claim.inner_text()
    assert claim.locator("a").count() == 0  # the source is no http(s) address: no link
