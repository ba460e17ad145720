"""Figures for the dashboard: pure functions from DataFrames to plotly Figures.

``daily`` frames have one row per event date: ``event_date`` (date), ``tonnes`` (float) and
``shipments`` (int). ``claims`` frames have one row per claim to draw: ``claim_id``, ``date``
(the last day its reading covers), ``start`` (a period's first day, else None), ``value``,
``low``, ``high`` (None when unbounded), ``ledger`` (the ledger's figure for the same reading,
None without data), ``verdict``, ``scope`` and ``hover`` (escaped text).

Each kind of reading goes to the chart where its value means something (``SCOPE_CHARTS``):
running totals beside the ledger's running total, one day's deliveries beside the bars, and a
period's total beside the ledger's total for that same period. Every point a viewer can click
carries ``customdata`` tagged with what it is (``CLAIM`` and an id, or ``SHIPMENTS`` and the
first and last day it covers), which the page reads back from the chart's selection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from shipments.ui.bars import BAR_WORDS, DAY, bar_period, bar_totals, span_days
from shipments.ui.markers import CLAIM_COLUMNS
from shipments.ui.points import (
    ONE_DAY_MS,
    bar_widths_ms,
    day_array,
    middle_times,
    padded_table,
    sealed,
    text_array,
)

VERDICT_COLOURS = {"consistent": "#2e7d32", "inconsistent": "#c62828", "no data": "#757575"}
SCOPE_SYMBOLS = {"cumulative": "circle", "single": "diamond", "period": "square"}
SCOPE_LABELS = {"cumulative": "running total", "single": "one day", "period": "period"}
RUNNING, BARS, PERIODS = "running", "bars", "periods"
SCOPE_CHARTS = {"cumulative": RUNNING, "single": BARS, "period": PERIODS}
CHART_TITLES = {
    RUNNING: "Running total and reported running totals",
    BARS: "Tonnes delivered, with reported single deliveries",
    PERIODS: "Reported totals for periods, beside the ledger's",
}
LEDGER_DAY_SYMBOL = "line-ew"  # the ledger's figure for a one-day claim, over aggregated bars
SYMBOL_WORDS = {
    "circle": "circles",
    "diamond": "diamonds",
    "square": "squares",
    "line-ew": "dashes",
}
BAR_COLOUR = "#1f6f8b"
DATE_FORMAT = "%Y-%m-%d"

CLAIM, SHIPMENTS = "claim", "shipments"  # the tags of a clickable point's customdata

DAILY_COLUMNS = ("event_date", "tonnes", "shipments")
# The plotly toolbar stays (top right); the legend sits under the x axis, so they never meet.
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


@dataclass(frozen=True)
class OverviewFigures:
    """The Overview's figures for one view, and how its bars add up the days."""

    running: go.Figure
    bars: go.Figure
    periods: go.Figure | None
    bar_period: str
    span_days: int


def overview_figures(
    daily: pd.DataFrame, claims: pd.DataFrame, *, opening: float = 0.0
) -> OverviewFigures:
    """Build the Overview's figures: running total, bars, and periods when any claim has one."""
    period_claims = claims_on(claims, PERIODS)
    dates = list(daily["event_date"])
    return OverviewFigures(
        running=sealed(cumulative_step(daily, claims, opening=opening)),
        bars=sealed(deliveries_bar(daily, claims)),
        periods=sealed(periods_chart(period_claims)) if len(period_claims) else None,
        bar_period=bar_period(dates),
        span_days=span_days(dates),
    )


def claims_on(claims: pd.DataFrame | None, chart: str) -> pd.DataFrame:
    """Return the claims whose reading belongs on ``chart`` (``SCOPE_CHARTS``)."""
    if claims is None:
        return pd.DataFrame(columns=list(CLAIM_COLUMNS))
    return claims[claims["scope"].map(SCOPE_CHARTS) == chart]


def cumulative_series(daily: pd.DataFrame, opening: float = 0.0) -> pd.DataFrame:
    """Return ``daily`` with a ``cumulative_tonnes`` column, in date order.

    ``opening`` is what the ledger held before the first date shown (when a view starts at a
    date), so the line shows the true running total that claims are compared with.
    """
    ordered = daily.sort_values("event_date").reset_index(drop=True)
    ordered["cumulative_tonnes"] = (opening + ordered["tonnes"].cumsum()).round(3)
    return ordered


def deliveries_bar(daily: pd.DataFrame, claims: pd.DataFrame | None = None) -> go.Figure:
    """Bar chart of tonnes per delivery date (or week, month, year: ``bar_period``), with
    one-day claims as markers and, over added-up bars, the ledger's figure for their day."""
    period = bar_period(list(daily["event_date"]))
    totals = bar_totals(daily, period)
    custom = _shipment_data(totals["start"], totals["end"], totals["shipments"])
    if period == DAY:
        bar = go.Bar(
            x=day_array(totals["start"]),
            hovertemplate="%{x|" + DATE_FORMAT + "}: %{y:,.3f} t in %{customdata[3]} "
            "shipment(s)<extra></extra>",
        )
        if len(totals) == 1:
            # Plotly sizes bars by the gaps between them: one bar alone, on an axis that claims
            # widen to weeks, would be a hairline. A day's width, then.
            bar.update(width=bar_widths_ms(totals["start"], totals["end"]))
    else:
        bar = go.Bar(
            x=middle_times(totals["start"], totals["end"]),
            width=bar_widths_ms(totals["start"], totals["end"]),
            hovertemplate=f"{BAR_WORDS[period]} %{{customdata[1]}} to %{{customdata[2]}}: "
            "%{y:,.3f} t in %{customdata[3]} shipment(s)<extra></extra>",
        )
    bar.update(
        y=totals["tonnes"].to_numpy(dtype="float64"),
        name=f"ledger, per {BAR_WORDS[period]}",
        marker_color=BAR_COLOUR,
        customdata=custom,
    )
    figure = go.Figure(bar)
    singles = claims_on(claims, BARS)
    if period != DAY:
        _add_ledger_days(figure, singles)
    _add_claim_traces(figure, singles)
    _layout(
        figure,
        title=CHART_TITLES[BARS],
        y_title="Tonnes delivered (t)",
        # The claims' days widen the axis too: ticks are chosen for all of it.
        dates=[*totals["start"], *totals["end"], *singles["date"]],
    )
    return figure


def cumulative_step(
    daily: pd.DataFrame, claims: pd.DataFrame | None = None, *, opening: float = 0.0
) -> go.Figure:
    """Step chart of the running total, with running-total claims and their tolerance.

    A claim often sits exactly on a ledger point (a true running total does), where plotly
    may show the point's label instead of the claim's: so a ledger point's label also holds
    the label of every claim on its date, and its customdata their ids, and neither hover nor
    click can hide a claim.
    """
    series = cumulative_series(daily, opening)
    days = list(series["event_date"])
    running = claims_on(claims, RUNNING)
    on_day: dict[date, list[tuple[int, str]]] = {}
    for day, claim_id, hover in zip(
        running["date"], running["claim_id"], running["hover"], strict=True
    ):
        on_day.setdefault(day, []).append((int(claim_id), str(hover)))
    totals = series["cumulative_tonnes"].to_numpy(dtype="float64")
    figure = go.Figure(
        go.Scatter(
            x=day_array(days),
            y=totals,
            mode="lines+markers",
            line_shape="hv",
            name="ledger, running total",
            line={"color": BAR_COLOUR, "width": 2},
            marker={"size": 5, "color": BAR_COLOUR},
            customdata=padded_table(
                [
                    SHIPMENTS,
                    d.isoformat(),
                    d.isoformat(),
                    int(n),
                    *(i for i, _ in on_day.get(d, [])),
                ]
                for d, n in zip(days, series["shipments"], strict=True)
            ),
            # The day and total from the point itself, and only a claim's day carries text: a
            # label per point was a third of the figure every new viewer is sent (load_bench).
            text=text_array("".join("<br><br>" + h for _, h in on_day.get(d, [])) for d in days),
            hovertemplate="%{x|" + DATE_FORMAT + "}: %{y:,.3f} t in all%{text}<extra></extra>",
        )
    )
    _add_claim_traces(figure, running)
    _layout(
        figure,
        title=CHART_TITLES[RUNNING],
        y_title="Cumulative tonnes (t)",
        dates=days,
    )
    return figure


def periods_chart(claims: pd.DataFrame) -> go.Figure:
    """Each period claim as a square at its period's middle, over a bar spanning the period at
    the ledger's total for the same reading (its days and its donor, recipient, cargo)."""
    claims = claims_on(claims, PERIODS)
    starts, ends = list(claims["start"]), list(claims["date"])
    ledger = claims["ledger"].astype(float)
    figure = go.Figure(
        go.Bar(
            x=middle_times(starts, ends),
            width=bar_widths_ms(starts, ends),
            y=ledger.fillna(0).to_numpy(dtype="float64"),
            name="ledger, the same period",
            marker={"color": BAR_COLOUR, "opacity": 0.45},
            customdata=_claim_ids(claims["claim_id"]),
            hovertext=text_array(
                f"ledger, {s.isoformat()} to {e.isoformat()}: "
                + ("no shipments" if pd.isna(v) else f"{v:,.3f} t")
                + f" (claim {int(i)}'s reading; click for the claim)"
                for s, e, v, i in zip(starts, ends, ledger, claims["claim_id"], strict=True)
            ),
            hoverinfo="text",
        )
    )
    _add_claim_traces(figure, claims)
    _layout(
        figure,
        title=CHART_TITLES[PERIODS],
        y_title="Tonnes in the period (t)",
        dates=[*starts, *ends],
    )
    # Room either side, so that one period does not fill the chart from edge to edge.
    first, last = min(starts), max(ends) + timedelta(days=1)
    pad = max(timedelta(days=1), (last - first) / 8)
    figure.update_xaxes(range=[(first - pad).isoformat(), (last + pad).isoformat()])
    return figure


def marker_caption() -> str:
    """Explain every marker the charts may draw: colours, error bars and each shape."""
    shapes = "; ".join(
        f"{SYMBOL_WORDS[SCOPE_SYMBOLS[scope]]} {_SCOPE_WORDS[scope]}" for scope in SCOPE_SYMBOLS
    )
    return (
        "Markers are reported figures, coloured by verdict (green consistent, red inconsistent, "
        f"grey no data), with their tolerance as error bars: {shapes}. Where bars add up several "
        f"days, {SYMBOL_WORDS[LEDGER_DAY_SYMBOL]} mark the ledger's figure for a one-day "
        "claim's own day. Hover over a marker, or click it, for its readings, quote and source; "
        "click a bar for its shipments."
    )


_SCOPE_WORDS = {
    "cumulative": "are running totals, on the running-total chart",
    "single": "are one day's deliveries, on the bar chart",
    "period": "are totals for a period, on the periods chart beside the ledger's total for it",
}


def _shipment_data(
    starts: Iterable[date], ends: Iterable[date], counts: Iterable[int]
) -> np.ndarray:
    return padded_table(
        [SHIPMENTS, s.isoformat(), e.isoformat(), int(n)]
        for s, e, n in zip(starts, ends, counts, strict=True)
    )


def _claim_ids(ids: Iterable[Any]) -> np.ndarray:
    return padded_table([CLAIM, int(i)] for i in ids)


def _add_ledger_days(figure: go.Figure, singles: pd.DataFrame) -> None:
    known = singles[singles["ledger"].notna()]
    if not len(known):
        return
    figure.add_trace(
        go.Scatter(
            x=day_array(known["date"]),
            y=known["ledger"].astype(float).to_numpy(dtype="float64"),
            mode="markers",
            name="ledger, a one-day claim's day",
            marker={
                "symbol": LEDGER_DAY_SYMBOL,
                "size": 18,
                "line": {"color": "#111111", "width": 3},
            },
            customdata=_claim_ids(known["claim_id"]),
            hovertext=[
                f"ledger, {d.isoformat()}: {v:,.3f} t (claim {int(i)}'s day; click for the claim)"
                for d, v, i in zip(known["date"], known["ledger"], known["claim_id"], strict=True)
            ],
            hoverinfo="text",
        )
    )


def _add_claim_traces(figure: go.Figure, claims: pd.DataFrame) -> None:
    for (verdict, scope), group in claims.groupby(["verdict", "scope"], sort=True):
        value = group["value"].astype(float)
        high = group["high"].astype(float)
        low = group["low"].astype(float)
        x: Any = (
            middle_times(group["start"], group["date"])
            if scope == "period"
            else day_array(group["date"])
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=value.to_numpy(dtype="float64"),
                mode="markers",
                name=f"claim, {SCOPE_LABELS.get(str(scope), str(scope))}: {verdict}",
                marker={
                    "color": VERDICT_COLOURS.get(str(verdict), "#757575"),
                    "symbol": SCOPE_SYMBOLS.get(str(scope), "circle"),
                    "size": 13,
                    "line": {"color": "white", "width": 1},
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (high - value).fillna(0).to_numpy(dtype="float64"),
                    "arrayminus": (value - low).fillna(0).to_numpy(dtype="float64"),
                    "color": VERDICT_COLOURS.get(str(verdict), "#757575"),
                    "thickness": 2,
                    "width": 6,
                },
                customdata=_claim_ids(group["claim_id"]),
                hovertext=text_array(group["hover"]),
                hoverinfo="text",
            )
        )


def _layout(figure: go.Figure, *, title: str, y_title: str, dates: list[date]) -> None:
    if span_days(dates) < 8:
        # Few days in view: one tick a day, or plotly repeats each date at sub-day ticks.
        figure.update_xaxes(dtick=ONE_DAY_MS)
    figure.update_layout(
        meta={"title": title},
        xaxis={"tickformat": DATE_FORMAT, "type": "date"},
        yaxis={"title": {"text": y_title}, "rangemode": "tozero", "tickformat": ",.0f"},
        # Under the plot, where the toolbar (top right) cannot cover it at any width.
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
            "xanchor": "left",
        },
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hoverlabel={"align": "left"},
        # A click picks the one point under the pointer, the one its hover label describes.
        hovermode="closest",
    )  # the template ("plotly_white") comes with sealing (points.sealed)
