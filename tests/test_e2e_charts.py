"""The Overview's charts in a browser: hover and click every claim, click bars, fit a phone.

A real `streamlit run` over the seeded ledger plus a period claim whose words hold quotes and
markup, driven by headless Chromium (the session's ``browser`` fixture). Points are found from
plotly's own calculated data in the page, so a test hovers or clicks exactly where a viewer would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server import serve_dashboard
from sqlalchemy import Engine
from test_reconcile import make_claim

from shipments.claims import parse_reading_spec, record_claim
from shipments.db import session_scope

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PERIOD_QUOTE = 'The ministry said "204 t" came in May & <b>more</b> <script>alert(1)</script>'
SCREENSHOTS = Path("/tmp/ledger-chart-screenshots")  # to look at, outside the repository

# Every clickable point of every chart: its chart, pixel position in the page and customdata.
POINTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((g, chart) => {
    const box = g.getBoundingClientRect(), size = g._fullLayout._size;
    return g.calcdata.flatMap((cd, trace) => {
        const full = g._fullData[trace], xa = g._fullLayout.xaxis, ya = g._fullLayout.yaxis;
        return cd.map((d, i) => ({
            chart, trace, type: full.type, symbol: (full.marker || {}).symbol || null,
            custom: (full.customdata || [])[i] || null,
            x: box.left + size.l + xa.c2p(d.p !== undefined && full.type === 'bar' ? d.p : d.x),
            y: box.top + size.t + ya.c2p(full.type === 'bar' ? d.s / 2 : d.y),
        }));
    });
})"""
HOVER_JS = """(chart) => {
    const layer = document.querySelectorAll('.js-plotly-plot')[chart].querySelector('.hoverlayer');
    return layer ? layer.textContent : '';
}"""


@pytest.fixture
def dashboard(seeded_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Serve the seeded ledger plus claim 8, about May as a period, in words full of markup."""
    claim = make_claim(
        claimant='Health "Ministry" <i>',
        quote=PERIOD_QUOTE,
        value="204",
        readings=[parse_reading_spec("period:2019-05-01:2019-05-31,donor=China")],
    )
    with session_scope(seeded_engine) as session:
        record_claim(session=session, claim_in=claim, by="ana", via="cli")
    seeded_engine.dispose()
    with serve_dashboard(database_url, tmp_path) as served:
        yield served.base


def open_overview(browser: Any, base: str, width: int = 1400, height: int = 900) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(base)
    page.locator(".js-plotly-plot").nth(2).wait_for(timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(g => g.calcdata)"
    )
    return page


def points(page: Any, chart: int) -> list[dict[str, Any]]:
    """Scroll a chart into view; return its points where they now are."""
    page.locator('[data-testid="stPlotlyChart"]').nth(chart).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return [p for p in page.evaluate(POINTS_JS) if p["chart"] == chart]


def claim_points(page: Any) -> dict[int, tuple[int, int]]:
    """Return each claim's marker (not a ledger bar or dash) as (chart, trace index)."""
    found = {}
    for p in page.evaluate(POINTS_JS):
        custom, symbol = p["custom"], p["symbol"]
        marker = p["type"] == "scatter" and symbol not in (None, "line-ew")
        if marker and custom and custom[0] == "claim":
            found[int(custom[1])] = (p["chart"], p["trace"])
    return found


def claim_point(page: Any, claim_id: int) -> dict[str, Any]:
    chart, _ = claim_points(page)[claim_id]
    [point] = [
        p
        for p in points(page, chart)
        if p["type"] == "scatter"
        and p["custom"] == ["claim", claim_id]
        and p["symbol"] not in (None, "line-ew")
    ]
    return point


def click(page: Any, point: dict[str, Any]) -> None:
    """Point at a point, then click it: plotly clicks the point its hover found."""
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])


def squeeze(text: str) -> str:
    """Text without whitespace: a hover label breaks a quote into lines."""
    return re.sub(r"\s+", "", text)


def panel(page: Any, heading: str) -> Any:
    """Return the bordered box under a chart that a click opened, found by its first line."""
    box = page.locator('[data-testid="stVerticalBlock"]', has_text=heading).last
    box.wait_for(timeout=30_000)
    return box


def click_open(page: Any, point: dict[str, Any], heading: str) -> Any:
    """Click a point until the box it opens, starting with ``heading``, shows; return the box.

    A click landing while the page's first runs are still redrawing the chart can be lost
    (seen about one time in three right after a server starts), so it is tried up to 3 times.
    """
    box = page.locator('[data-testid="stVerticalBlock"]', has_text=heading).last
    for _ in range(3):
        click(page, point)
        try:
            box.wait_for(timeout=10_000)
            return box
        except Exception:  # Playwright's TimeoutError: try again
            continue
    return panel(page, heading)


def test_clicking_a_bar_lists_that_days_shipments(browser: Any, dashboard: str):
    page = open_overview(browser, dashboard)
    [bar] = [p for p in points(page, 1) if p["type"] == "bar" and p["custom"][1] == "2019-05-13"]
    box = click_open(page, bar, "Shipments on 2019-05-13: 1")
    cells = box.locator('[role="gridcell"]')
    cells.first.wait_for(state="attached", timeout=30_000)
    # The grid's cells carry raw values (71) while drawing them formatted (71.000).
    assert [c.text_content() for c in cells.all()][:6] == [
        "2",
        "2019-05-13",
        "China",
        "Venezuela",
        "medicine",
        "71",
    ]
    page.context.close()


def test_clicking_a_claim_shows_its_readings_quote_and_source(browser: Any, dashboard: str):
    page = open_overview(browser, dashboard)
    ministry = claim_point(page, 1)  # 269 t, exactly on the ledger's 27 May point
    box = click_open(
        page, ministry, "Claim 1: Ministry of Foreign Affairs of Venezuela, 2019-05-27: consistent"
    )
    for reading in ("cumulative to 2019-05-27", "delivery on 2019-05-27"):
        box.locator('[role="gridcell"]', has_text=reading).first.wait_for(
            state="attached", timeout=30_000
        )
    text = box.inner_text()
    assert "269 Toneladas de medicamentos" in text
    assert "https://pic.twitter.com/CzSceB9L4f" in text
    assert box.get_by_role("link", name="Open the source").count() == 1

    period = claim_point(page, 8)
    box = click_open(page, period, "Claim 8: Health")
    box.locator('[role="gridcell"]', has_text="period 2019-05-01 to 2019-05-31").first.wait_for(
        state="attached", timeout=30_000
    )
    assert PERIOD_QUOTE in box.inner_text()  # shown as typed: no tag became an element
    assert box.locator("b, script, i").count() == 0
    page.context.close()


def test_every_claims_quote_shows_on_hover_or_click(browser: Any, dashboard: str):
    page = open_overview(browser, dashboard)
    quotes = {
        1: "#HOY | Arriba a Venezuela la cuarta entrega",
        3: "On May 27th, Venezuela received 69 tons",
        4: "in addition to approximately 200 tons",
        5: "The first similar shipment was sent on March 29",
        6: "On May 13 and 16, respectively 71 and 64",
        7: "On May 13 and 16, respectively 71 and 64",
        8: PERIOD_QUOTE,
    }
    assert set(claim_points(page)) == set(quotes)  # every tonnes claim has a marker
    by_hover, labels = [], []
    for claim_id, quote in quotes.items():
        point = claim_point(page, claim_id)
        page.mouse.move(point["x"], point["y"])
        page.wait_for_timeout(400)
        label = page.evaluate(HOVER_JS, point["chart"])
        labels.append(label)
        if squeeze(quote[:40]) in squeeze(label):
            by_hover.append(claim_id)
            continue
        assert quote in click_open(page, point, f"Claim {claim_id}:").inner_text(), claim_id
    # Those on a ledger point too (1 on the running total, 5 on the 29 March bar).
    assert {1, 5} <= set(by_hover)
    for label in labels:
        assert "&quot;" not in label
        assert "&amp;" not in label
    assert squeeze('"204 t" came in May & <b>more</b>') in squeeze(labels[-1])
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_the_toolbar_never_covers_a_legend(browser: Any, dashboard: str, width: int, height: int):
    page = open_overview(browser, dashboard, width, height)
    SCREENSHOTS.mkdir(exist_ok=True)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for n in range(charts.count()):
        chart = charts.nth(n)
        chart.scroll_into_view_if_needed()
        chart.hover()  # the toolbar shows while the pointer is over the chart
        page.wait_for_timeout(300)
        modebar = chart.locator(".modebar").bounding_box()
        legend = chart.locator(".legend").bounding_box()
        assert modebar is not None
        assert legend is not None
        apart = (
            modebar["y"] + modebar["height"] <= legend["y"]
            or legend["y"] + legend["height"] <= modebar["y"]
            or modebar["x"] + modebar["width"] <= legend["x"]
            or legend["x"] + legend["width"] <= modebar["x"]
        )
        assert apart, (n, modebar, legend)
        plot = chart.bounding_box()
        assert legend["x"] + legend["width"] <= plot["x"] + plot["width"] + 1  # not cut off
        chart.screenshot(path=str(SCREENSHOTS / f"chart{n}-{width}x{height}.png"))
    page.screenshot(path=str(SCREENSHOTS / f"overview-{width}x{height}.png"))
    page.context.close()
