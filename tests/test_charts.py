"""Chart builders: the data each figure carries, not only that a figure comes back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from shipments.ui.charts import (
    VERDICT_COLOURS,
    claim_hover,
    claims_frame,
    cumulative_series,
    cumulative_step,
    deliveries_bar,
)
from shipments.ui.placement import ClaimPoint


def daily_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_date": [
                date(2019, 5, 13),
                date(2019, 3, 29),
                date(2019, 5, 27),
                date(2019, 5, 16),
            ],
            "tonnes": [71.0, 65.0, 69.0, 64.0],
            "shipments": [1, 1, 1, 1],
        }
    )


def point(**overrides: object) -> ClaimPoint:
    fields: dict[str, object] = {
        "claim_id": 1,
        "claimant": "Ministry",
        "stated_on": date(2019, 5, 27),
        "quote": "269 Toneladas",
        "source_publisher": "Cancillería",
        "source_url": "https://pic.twitter.com/CzSceB9L4f",
        "value": Decimal("269"),
        "qualifier": "exact",
        "low": Decimal("268.5"),
        "high": Decimal("269.5"),
        "verdict": "consistent",
        "reading": "cumulative to 2019-05-27 (inclusive)",
        "scope": "cumulative",
        "date": date(2019, 5, 27),
        "ledger_value": Decimal("269.000"),
        "difference_pct": Decimal("0.0"),
    }
    fields.update(overrides)
    return ClaimPoint(**fields)  # type: ignore[arg-type]


def test_cumulative_series_is_a_running_total_in_date_order():
    series = cumulative_series(daily_frame())
    assert list(series["event_date"]) == [
        date(2019, 3, 29),
        date(2019, 5, 13),
        date(2019, 5, 16),
        date(2019, 5, 27),
    ]
    assert list(series["cumulative_tonnes"]) == [65.0, 136.0, 200.0, 269.0]


def test_cumulative_series_starts_from_what_came_before():
    later = daily_frame()[daily_frame()["event_date"] >= date(2019, 5, 1)]
    assert list(cumulative_series(later, opening=65.0)["cumulative_tonnes"]) == [
        136.0,
        200.0,
        269.0,
    ]


def test_cumulative_step_draws_the_ledger_as_steps_and_claims_with_tolerance():
    claims = claims_frame(
        [
            point(),
            point(
                claim_id=4,
                value=Decimal("200"),
                qualifier="approximately",
                low=Decimal("190"),
                high=Decimal("210"),
                date=date(2019, 5, 26),
                verdict="inconsistent",
            ),
        ]
    )
    figure = cumulative_step(daily_frame(), claims)
    line = figure.data[0]
    assert line.line.shape == "hv"
    assert list(line.y) == [65.0, 136.0, 200.0, 269.0]
    markers = {trace.name: trace for trace in figure.data[1:]}
    assert set(markers) == {
        "claim, running total: consistent",
        "claim, running total: inconsistent",
    }
    consistent = markers["claim, running total: consistent"]
    assert (list(consistent.x), list(consistent.y)) == ([date(2019, 5, 27)], [269.0])
    assert list(consistent.error_y.array) == [0.5]
    assert list(consistent.error_y.arrayminus) == [0.5]
    assert consistent.marker.color == VERDICT_COLOURS["consistent"]
    inconsistent = markers["claim, running total: inconsistent"]
    assert list(inconsistent.error_y.array) == [10.0]
    assert inconsistent.marker.color == VERDICT_COLOURS["inconsistent"]
    assert figure.layout.yaxis.title.text == "Cumulative tonnes (t)"
    assert figure.layout.xaxis.tickformat == "%Y-%m-%d"


def test_one_sided_claims_have_a_one_sided_error_bar():
    claims = claims_frame([point(qualifier="at_least", low=Decimal("269"), high=None)])
    [marker] = cumulative_step(daily_frame(), claims).data[1:]
    assert (list(marker.error_y.array), list(marker.error_y.arrayminus)) == ([0.0], [0.0])


def test_deliveries_bar_has_one_bar_per_date_and_only_one_day_claims():
    claims = claims_frame(
        [
            point(),
            point(
                claim_id=3,
                value=Decimal("69"),
                low=Decimal("68.5"),
                high=Decimal("69.5"),
                scope="single",
                reading="delivery on 2019-05-27",
            ),
        ]
    )
    figure = deliveries_bar(daily_frame(), claims)
    bars = figure.data[0]
    assert bars.type == "bar"
    assert list(bars.y) == [71.0, 65.0, 69.0, 64.0]
    assert list(bars.customdata) == [1, 1, 1, 1]
    [marker] = figure.data[1:]
    assert (marker.name, list(marker.y)) == ("claim, one day: consistent", [69.0])
    assert figure.layout.yaxis.title.text == "Tonnes delivered (t)"


def test_charts_without_claims_hold_only_the_ledger():
    assert len(cumulative_step(daily_frame()).data) == 1
    assert len(deliveries_bar(daily_frame()).data) == 1


@pytest.mark.parametrize(
    "quote",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "![x](https://evil.example/x.png)",
    ],
)
def test_hover_text_escapes_what_users_typed(quote: str):
    hover = claim_hover(point(quote=quote, claimant="<b>Ministry</b>"))
    assert "<script>" not in hover
    assert "<img" not in hover
    assert "&lt;b&gt;Ministry&lt;/b&gt;" in hover
    # Plotly decodes &amp; &lt; &gt; but not &quot; or &#x27;: quotes stay as typed.
    assert "&quot;" not in hover
    assert "&#x27;" not in hover
    assert "269 t (exact, 268.5 to 269.5 t)" in hover
