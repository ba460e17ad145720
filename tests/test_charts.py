"""Chart builders: the data each figure carries, not only that a figure comes back."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from shipments.ui.bars import DAY, MAX_BARS, MONTH, WEEK, YEAR, bar_caption, bar_period, bar_totals
from shipments.ui.charts import (
    BARS,
    CLAIM,
    LEDGER_DAY_SYMBOL,
    PERIODS,
    RUNNING,
    SCOPE_CHARTS,
    SCOPE_SYMBOLS,
    SHIPMENTS,
    SYMBOL_WORDS,
    VERDICT_COLOURS,
    cumulative_series,
    cumulative_step,
    deliveries_bar,
    marker_caption,
    overview_figures,
    periods_chart,
)
from shipments.ui.markers import claim_hover, claims_frame
from shipments.ui.placement import ClaimPoint
from shipments.ui.points import NO_VALUE


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
    assert (days_of(consistent.x), list(consistent.y)) == (["2019-05-27"], [269.0])
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
    assert list(bars.y) == [65.0, 71.0, 64.0, 69.0]
    assert list(bars.customdata[0]) == [SHIPMENTS, "2019-03-29", "2019-03-29", 1]
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


def one_of_each() -> pd.DataFrame:
    """A running-total, a one-day and a period claim, as the seed's and a period report's."""
    return claims_frame(
        [
            point(),
            point(
                claim_id=5,
                value=Decimal("65"),
                low=Decimal("64.5"),
                high=Decimal("65.5"),
                scope="single",
                date=date(2019, 3, 29),
                reading="delivery on 2019-03-29",
                ledger_value=Decimal("65.000"),
            ),
            point(
                claim_id=8,
                value=Decimal("135"),
                low=Decimal("134.5"),
                high=Decimal("135.5"),
                scope="period",
                start=date(2019, 5, 1),
                date=date(2019, 5, 31),
                reading="period 2019-05-01 to 2019-05-31",
                ledger_value=Decimal("204.000"),
                verdict="inconsistent",
            ),
        ]
    )


def days_of(values) -> list[str]:
    """Return a trace's dates as text, whether plotly holds dates, strings or datetime64."""
    return [str(v)[:10] for v in values]


def tagged(customdata) -> list[list]:
    """Return each point's customdata as the page reads a clicked one back: the padding of
    points shorter than their chart's widest (``NO_VALUE``) dropped."""
    rows = [] if customdata is None else customdata
    return [[v for v in row if v is not NO_VALUE] for row in rows]


def claim_ids(figure) -> dict[str, list[int]]:
    """Return the claim ids of each claim trace of a figure, by the trace's marker symbol."""
    found: dict[str, list[int]] = {}
    for trace in figure.data:
        custom = tagged(trace.customdata)
        if trace.type == "scatter" and custom and custom[0][0] == CLAIM:
            found.setdefault(trace.marker.symbol, []).extend(c[1] for c in custom)
    return found


def test_every_reading_kind_has_a_chart_and_a_shape():
    assert set(SCOPE_CHARTS) == set(SCOPE_SYMBOLS)
    assert set(SCOPE_CHARTS.values()) == {RUNNING, BARS, PERIODS}


def test_each_kind_of_reading_is_drawn_on_its_own_chart():
    figures = overview_figures(daily_frame(), one_of_each())
    assert claim_ids(figures.running) == {"circle": [1]}
    assert claim_ids(figures.bars) == {"diamond": [5]}
    assert figures.periods is not None
    assert claim_ids(figures.periods) == {"square": [8]}


def test_without_a_period_claim_there_is_no_periods_chart():
    claims = one_of_each()
    assert overview_figures(daily_frame(), claims[claims["scope"] != "period"]).periods is None


def test_a_period_claim_sits_over_the_ledgers_total_for_the_same_period():
    figure = periods_chart(one_of_each())
    ledger, square = figure.data
    assert ledger.type == "bar"
    assert list(ledger.y) == [204.0]
    # The bar spans the period (31 days, less a gap), centred on it; the claim at its middle.
    assert list(ledger.width) == [31 * 86_400_000 * 0.9]
    assert list(ledger.x) == list(square.x)
    assert str(square.x[0]) == "2019-05-16T12:00:00.000"
    assert list(square.y) == [135.0]
    assert figure.layout.yaxis.title.text == "Tonnes in the period (t)"
    assert "2019-05-01 to 2019-05-31: 204.000 t" in ledger.hovertext[0]
    assert tuple(figure.layout.xaxis.range) == ("2019-04-28", "2019-06-04")  # room either side


def test_a_claim_on_a_ledger_point_is_in_that_points_label_and_click():
    figure = cumulative_step(daily_frame(), one_of_each())
    line = figure.data[0]
    # The point's own day and total, then the label of every claim on that day.
    assert line.hovertemplate == "%{x|%Y-%m-%d}: %{y:,.3f} t in all%{text}<extra></extra>"
    labels = dict(zip([str(x)[:10] for x in line.x], line.text, strict=True))
    totals = dict(zip([str(x)[:10] for x in line.x], line.y, strict=True))
    assert totals["2019-05-27"] == 269.0
    assert labels["2019-05-27"].startswith("<br><br>")
    assert '"269 Toneladas"' in labels["2019-05-27"]
    assert labels["2019-05-16"] == ""  # no claim that day: the day and total alone
    custom = {c[1]: c for c in tagged(line.customdata)}
    assert custom["2019-05-27"] == [SHIPMENTS, "2019-05-27", "2019-05-27", 1, 1]
    assert custom["2019-05-16"] == [SHIPMENTS, "2019-05-16", "2019-05-16", 1]


@pytest.mark.parametrize(
    ("first", "last", "period"),
    [
        (date(2019, 3, 29), date(2019, 3, 29), DAY),
        (date(2019, 3, 29), date(2019, 3, 29) + timedelta(days=MAX_BARS - 1), DAY),
        (date(2019, 3, 29), date(2019, 3, 29) + timedelta(days=MAX_BARS), WEEK),
        (date(2019, 3, 29), date(2019, 8, 20), WEEK),  # five months: 21 weeks
        (date(2019, 1, 7), date(2019, 1, 7) + timedelta(weeks=MAX_BARS - 1), WEEK),
        (date(2019, 1, 7), date(2019, 1, 7) + timedelta(weeks=MAX_BARS), MONTH),
        (date(2019, 1, 1), date(2024, 2, 28), MONTH),  # 62 months
        (date(2019, 1, 1), date(2024, 3, 1), YEAR),
    ],
)
def test_bars_add_up_days_only_when_one_a_day_would_be_too_thin(first, last, period):
    assert bar_period([last, first]) == period


def test_bar_totals_add_up_by_week_from_monday_and_by_month():
    weekly = bar_totals(daily_frame().sort_values("event_date"), WEEK)
    assert [(r.start, r.end, r.tonnes, r.shipments) for r in weekly.itertuples()] == [
        (date(2019, 3, 25), date(2019, 3, 31), 65.0, 1),
        (date(2019, 5, 13), date(2019, 5, 19), 135.0, 2),
        (date(2019, 5, 27), date(2019, 6, 2), 69.0, 1),
    ]
    monthly = bar_totals(daily_frame(), MONTH)
    assert [(r.start, r.end, r.tonnes) for r in monthly.itertuples()] == [
        (date(2019, 3, 1), date(2019, 3, 31), 65.0),
        (date(2019, 5, 1), date(2019, 5, 31), 204.0),
    ]
    leap = pd.DataFrame({"event_date": [date(2020, 2, 3)], "tonnes": [1.0], "shipments": [1]})
    assert bar_totals(leap, MONTH)["end"].tolist() == [date(2020, 2, 29)]


def test_added_up_bars_say_so_and_mark_a_one_day_claims_own_day():
    later = pd.DataFrame({"event_date": [date(2019, 8, 20)], "tonnes": [6.0], "shipments": [1]})
    daily = pd.concat([daily_frame(), later], ignore_index=True)
    figure = deliveries_bar(daily, one_of_each())
    bars, dash, diamond = figure.data
    assert bars.name == "ledger, per week"
    assert list(bars.y) == [65.0, 135.0, 69.0, 6.0]
    assert bars.hovertemplate.startswith("week %{customdata[1]} to %{customdata[2]}")
    assert [list(c)[:3] for c in bars.customdata][1] == [SHIPMENTS, "2019-05-13", "2019-05-19"]
    assert dash.marker.symbol == LEDGER_DAY_SYMBOL
    assert (list(dash.y), [list(c) for c in dash.customdata]) == ([65.0], [[CLAIM, 5]])
    assert diamond.marker.symbol == "diamond"
    assert "adds up a week" in bar_caption(WEEK, 145)
    assert "145 days" in bar_caption(WEEK, 145)
    assert "one delivery date" in bar_caption(DAY, 60)
    assert len(deliveries_bar(daily_frame(), one_of_each()).data) == 2  # days: no dash


def test_the_caption_names_every_marker_shape_the_charts_draw():
    later = pd.DataFrame({"event_date": [date(2019, 8, 20)], "tonnes": [6.0], "shipments": [1]})
    figures = overview_figures(pd.concat([daily_frame(), later]), one_of_each())
    drawn = {
        trace.marker.symbol
        for figure in (figures.running, figures.bars, figures.periods)
        for trace in figure.data
        if trace.type == "scatter" and trace.mode == "markers"
    }
    assert drawn == {*SCOPE_SYMBOLS.values(), LEDGER_DAY_SYMBOL}
    caption = marker_caption()
    for symbol in drawn:
        assert SYMBOL_WORDS[symbol] in caption
    for verdict in ("consistent", "inconsistent", "no data"):
        assert verdict in caption


def test_the_legend_sits_under_the_plot_where_the_toolbar_cannot_cover_it():
    figures = overview_figures(daily_frame(), one_of_each())
    for figure in (figures.running, figures.bars, figures.periods):
        assert figure is not None
        legend = figure.layout.legend
        assert (legend.yref, legend.yanchor, legend.y) == ("container", "bottom", 0)


def test_one_bar_alone_is_a_day_wide_not_a_hairline():
    """A view of one delivery day, with claims on other days widening the axis: plotly would
    size the lone bar by gaps it does not have; it gets a day's width (less a gap)."""
    from shipments.ui.points import ONE_DAY_MS

    only = daily_frame().iloc[[2]]  # 27 May alone
    march = point(
        claim_id=5, scope="single", reading="delivery on 2019-03-29", date=date(2019, 3, 29)
    )
    claims = claims_frame([point(), march])
    figure = deliveries_bar(only, claims)
    assert list(figure.data[0].width) == [ONE_DAY_MS * 0.9]
    # The claims span two months: not a tick a day (65 labels), which a lone day would get.
    assert figure.layout.xaxis.dtick is None
    assert deliveries_bar(only, None).layout.xaxis.dtick == ONE_DAY_MS
    several = deliveries_bar(daily_frame(), claims).data[0]
    assert several.width is None  # bars with gaps between them keep plotly's own widths


def test_a_clicked_points_padding_is_dropped_and_each_point_read_once():
    from shipments.ui.overview import _picked

    short = {"customdata": [SHIPMENTS, "2019-05-16", "2019-05-16", 1, None]}
    with_claim = {"customdata": [SHIPMENTS, "2019-05-27", "2019-05-27", 1, 1]}
    assert _picked([short, with_claim, short, {"customdata": None}]) == [
        (SHIPMENTS, "2019-05-16", "2019-05-16", 1),
        (SHIPMENTS, "2019-05-27", "2019-05-27", 1, 1),
    ]


def test_sealed_figures_carry_the_white_template_as_plotly_sets_it():
    import plotly.graph_objects as go

    figures = overview_figures(daily_frame(), one_of_each())
    white = go.Figure().update_layout(template="plotly_white").to_dict()["layout"]["template"]
    sent = [f.to_dict()["layout"]["template"] for f in (figures.running, figures.bars)]
    assert sent == [white, white]
    assert sent[0] is not sent[1]  # each figure its own: nothing one changes reaches another


def test_days_become_the_same_array_numpy_makes_before_1970_too():
    import numpy as np

    from shipments.ui.points import day_array

    days = [date(1900, 3, 1), date(1969, 12, 31), date(1970, 1, 1), date(2019, 5, 27)]
    expected = np.array(days, dtype="datetime64[D]")
    assert (day_array(days) == expected).all()
    assert (day_array(pd.Series(pd.to_datetime(days))) == expected).all()  # Timestamps
    assert day_array([]).dtype == expected.dtype
