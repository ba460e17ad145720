"""How the Overview's bars add up the days: one bar a day, or a week, month or year a bar.

A bar narrower than a 62nd of the chart is a hairline on a phone (about 5 px of 320), too thin
to see or click: past ``MAX_BARS`` days in view the bars add up weeks (from Monday), then
months, then years, and the chart says so (``bar_caption``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
BAR_WORDS = {DAY: "delivery date", WEEK: "week", MONTH: "month", YEAR: "year"}
MAX_BARS = 62


def bar_period(dates: list[date]) -> str:
    """Return how bars add up the days: by day, week, month or year, the first under MAX_BARS."""
    if not dates:
        return DAY
    first, last = min(dates), max(dates)
    if (last - first).days + 1 <= MAX_BARS:
        return DAY
    if (_week_start(last) - _week_start(first)).days // 7 + 1 <= MAX_BARS:
        return WEEK
    if (last.year - first.year) * 12 + last.month - first.month + 1 <= MAX_BARS:
        return MONTH
    return YEAR


def bar_totals(daily: pd.DataFrame, period: str) -> pd.DataFrame:
    """Add the daily rows up by ``period``: ``start``, ``end``, ``tonnes``, ``shipments``."""
    starts = [_period_start(d, period) for d in daily["event_date"]]
    frame = pd.DataFrame(
        {"start": starts, "tonnes": daily["tonnes"], "shipments": daily["shipments"]}
    )
    summed = frame.groupby("start", sort=True, as_index=False).agg(
        tonnes=("tonnes", "sum"), shipments=("shipments", "sum")
    )
    summed["tonnes"] = summed["tonnes"].round(3)
    summed.insert(1, "end", [_period_end(s, period) for s in summed["start"]])
    return summed


def bar_caption(period: str, days: int) -> str:
    """Say what a bar adds up, and why when it is more than a day."""
    if period == DAY:
        return "Each bar is one delivery date's total; click it for that day's shipments."
    return (
        f"Each bar adds up a {BAR_WORDS[period]}: the view spans {days:,} days, over which "
        "one bar a day would be too thin to see or click. Click a bar for its shipments."
    )


def span_days(dates: list[date]) -> int:
    """Return how many days the dates span, first and last included (0 for none)."""
    return (max(dates) - min(dates)).days + 1 if dates else 0


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _period_start(day: date, period: str) -> date:
    if period == WEEK:
        return _week_start(day)
    if period == MONTH:
        return day.replace(day=1)
    if period == YEAR:
        return day.replace(month=1, day=1)
    return day


def _period_end(start: date, period: str) -> date:
    if period == WEEK:
        return start + timedelta(days=6)
    if period == MONTH:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    if period == YEAR:
        return start.replace(month=12, day=31)
    return start
