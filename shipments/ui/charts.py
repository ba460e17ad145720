"""Figures for the dashboard: pure functions from DataFrames to plotly Figures.

``daily`` frames have one row per event date: ``event_date`` (date), ``tonnes`` (float) and
``shipments`` (int). ``claims`` frames have one row per claim to draw: ``date``, ``value``,
``low``, ``high`` (None when unbounded), ``verdict``, ``scope`` and ``hover`` (escaped text).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import date
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from shipments.ui.placement import ClaimPoint

VERDICT_COLOURS = {"consistent": "#2e7d32", "inconsistent": "#c62828", "no data": "#757575"}
SCOPE_SYMBOLS = {"cumulative": "circle", "single": "diamond", "period": "square"}
SCOPE_LABELS = {"cumulative": "running total", "single": "one day", "period": "period"}
BAR_COLOUR = "#1f6f8b"
DATE_FORMAT = "%Y-%m-%d"
ONE_DAY_MS = 86_400_000

DAILY_COLUMNS = ("event_date", "tonnes", "shipments")
CLAIM_COLUMNS = ("date", "value", "low", "high", "verdict", "scope", "hover")


def cumulative_series(daily: pd.DataFrame, opening: float = 0.0) -> pd.DataFrame:
    """Return ``daily`` with a ``cumulative_tonnes`` column, in date order.

    ``opening`` is what the ledger held before the first date shown (when a view starts at a
    date), so the line shows the true running total that claims are compared with.
    """
    ordered = daily.sort_values("event_date").reset_index(drop=True)
    ordered["cumulative_tonnes"] = (opening + ordered["tonnes"].cumsum()).round(3)
    return ordered


def deliveries_bar(daily: pd.DataFrame, claims: pd.DataFrame | None = None) -> go.Figure:
    """Bar chart of tonnes delivered per event date, with one-day claims as markers."""
    figure = go.Figure(
        go.Bar(
            x=_days(daily["event_date"]),
            y=daily["tonnes"].to_numpy(dtype="float64"),
            name="ledger",
            marker_color=BAR_COLOUR,
            customdata=daily["shipments"].to_numpy(dtype="int64"),
            hovertemplate="%{x|" + DATE_FORMAT + "}: %{y:,.3f} t in %{customdata} shipment(s)"
            "<extra></extra>",
        )
    )
    if claims is not None:
        _add_claim_traces(figure, claims[claims["scope"] == "single"])
    _layout(
        figure,
        title="Tonnes per delivery date",
        y_title="Tonnes delivered (t)",
        dates=list(daily["event_date"]),
    )
    return figure


def cumulative_step(
    daily: pd.DataFrame, claims: pd.DataFrame | None = None, *, opening: float = 0.0
) -> go.Figure:
    """Step chart of the running total, with every claim drawn as a marker and its tolerance."""
    series = cumulative_series(daily, opening)
    figure = go.Figure(
        go.Scatter(
            x=_days(series["event_date"]),
            y=series["cumulative_tonnes"].to_numpy(dtype="float64"),
            mode="lines+markers",
            line_shape="hv",
            name="ledger, running total",
            line={"color": BAR_COLOUR, "width": 2},
            marker={"size": 5, "color": BAR_COLOUR},
            hovertemplate="%{x|" + DATE_FORMAT + "}: %{y:,.3f} t in all<extra></extra>",
        )
    )
    if claims is not None:
        _add_claim_traces(figure, claims)
    _layout(
        figure,
        title="Running total and reported figures",
        y_title="Cumulative tonnes (t)",
        dates=list(series["event_date"]),
    )
    return figure


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as a numpy array of days: Streamlit copies and encodes each figure on every rerun,
    and an array goes through that far faster than a list of dates (bench/RESULTS.md, "Warm rerun").
    """
    return np.array(dates.tolist(), dtype="datetime64[D]")


def _add_claim_traces(figure: go.Figure, claims: pd.DataFrame) -> None:
    for (verdict, scope), group in claims.groupby(["verdict", "scope"], sort=True):
        value = group["value"].astype(float)
        high = group["high"].astype(float)
        low = group["low"].astype(float)
        figure.add_trace(
            go.Scatter(
                x=list(group["date"]),
                y=list(value),
                mode="markers",
                name=f"claim, {SCOPE_LABELS.get(str(scope), str(scope))}: {verdict}",
                marker={
                    "color": VERDICT_COLOURS.get(str(verdict), "#757575"),
                    "symbol": SCOPE_SYMBOLS.get(str(scope), "circle"),
                    "size": 12,
                    "line": {"color": "white", "width": 1},
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": list((high - value).fillna(0)),
                    "arrayminus": list((value - low).fillna(0)),
                    "color": VERDICT_COLOURS.get(str(verdict), "#757575"),
                    "thickness": 2,
                    "width": 6,
                },
                hovertext=list(group["hover"]),
                hoverinfo="text",
            )
        )


def _layout(figure: go.Figure, *, title: str, y_title: str, dates: list[date]) -> None:
    span = (max(dates) - min(dates)).days if dates else 0
    if span < 7:
        # Few days in view: one tick a day, or plotly repeats each date at sub-day ticks.
        figure.update_xaxes(dtick=ONE_DAY_MS)
    figure.update_layout(
        meta={"title": title},
        xaxis={"title": {"text": "Date"}, "tickformat": DATE_FORMAT, "type": "date"},
        yaxis={"title": {"text": y_title}, "rangemode": "tozero", "tickformat": ",.0f"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hoverlabel={"align": "left"},
        template="plotly_white",
    )


def claims_frame(points: Iterable[ClaimPoint]) -> pd.DataFrame:
    """Turn claim points into the ``claims`` frame the charts take, with escaped hover text."""
    rows = [
        {
            "date": p.date,
            "value": float(p.value),
            "low": None if p.low is None else float(p.low),
            "high": None if p.high is None else float(p.high),
            "verdict": p.verdict,
            "scope": p.scope,
            "hover": claim_hover(p),
        }
        for p in points
    ]
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))


def claim_hover(point: ClaimPoint) -> str:
    """Describe a claim for its hover label; every user-entered text is made inert.

    Plotly reads a hover label as a small subset of HTML and decodes only a few entities
    (``&amp;``, ``&lt;``, ``&gt;``, not ``&quot;``): ``<``, ``>`` and ``&`` are escaped, quotes are
    left as they are (no attribute is ever built from the text), so none shows as an entity.
    """
    stated = point.stated_on.isoformat() if point.stated_on else "date not stated"
    bounds = _bounds(point)
    ledger = (
        "no shipments match"
        if point.ledger_value is None
        else f"{point.ledger_value:,.3f} t ({point.difference_pct:+} %)"
    )
    quote = "<br>".join(_inert(line) for line in textwrap.wrap(f'"{point.quote}"', 70)[:6])
    lines = [
        f"<b>{_inert(point.claimant)}</b>, {stated}",
        f"claimed {point.value} t ({point.qualifier.replace('_', ' ')}{bounds})",
        f"reading: {_inert(point.reading)}",
        f"ledger: {ledger}: <b>{point.verdict}</b>",
        quote,
        f"source: {_inert(point.source_publisher)}, {_inert(point.source_url)}",
    ]
    return "<br>".join(lines)


def _inert(text: str) -> str:
    return escape(text, quote=False)


def _bounds(point: ClaimPoint) -> str:
    if point.low is not None and point.high is not None:
        return f", {point.low:g} to {point.high:g} t"
    if point.low is not None:
        return f", at least {point.low:g} t"
    if point.high is not None:
        return f", at most {point.high:g} t"
    return ""
