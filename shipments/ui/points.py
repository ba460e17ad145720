"""Points' data as plotly takes them fast, and figures sealed once built.

Plotly checks a list element by element, and copies it deeply, each time a figure is built; an
array it copies whole. At a million shipments (4,000 days, 1,000 claims) that was two thirds of
building the Overview's figures. No streamlit here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

ONE_DAY_MS = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
NO_VALUE = None  # pads a point's customdata to its chart's widest (``padded_table``)


class SealedFigure(go.Figure):  # type: ignore[misc]
    """A finished figure that hands out one dictionary of itself; nothing may change it.

    st.plotly_chart asks a figure for its dictionary on every rerun, and plotly deep-copies
    every point to make it: most of a warm rerun at a million shipments (bench/RESULTS.md).
    The Overview's figures are cached and only read once built, so the copy is made once.
    """

    _sealed: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the figure as a dictionary: the one made when it was sealed."""
        return self._sealed


TEMPLATE = "plotly_white"  # the look of every figure the Overview shows


def sealed(figure: go.Figure) -> SealedFigure:
    """Seal a finished figure in place (``SealedFigure``): building it again would validate
    every point again. Its dictionary gets the ``TEMPLATE``: set on the figure, plotly copies
    and checks the whole template, 18 ms a figure."""
    as_dict = _listed(figure.to_dict())
    as_dict.setdefault("layout", {})["template"] = copy.deepcopy(_template())
    figure.__class__ = SealedFigure
    figure._sealed = as_dict
    return figure  # type: ignore[no-any-return]


@cache
def _template() -> dict[str, Any]:
    return pio.templates[TEMPLATE].to_plotly_json()  # type: ignore[no-any-return]


def _listed(value: Any) -> Any:
    """Return a figure's dictionary with its arrays of objects as lists, each row without its
    padding (``padded_table``): plotly's JSON writer takes a list of strings and numbers twenty
    times as fast, and the padding is not sent (numbers and dates stay arrays)."""
    if isinstance(value, dict):
        return {k: _listed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listed(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype == object:
        if value.ndim == 2:
            return [[v for v in row if v is not NO_VALUE] for row in value.tolist()]
        return value.tolist()
    return value


def padded_table(rows: Iterable[list[Any]]) -> np.ndarray:
    """Rows of differing lengths as one array of objects, the short ones padded with None
    (``NO_VALUE``, which the page drops when it reads a clicked point back)."""
    listed = list(rows)
    table = np.full((len(listed), max(map(len, listed), default=0)), NO_VALUE, dtype=object)
    for n, row in enumerate(listed):
        table[n, : len(row)] = row
    return table


def text_array(texts: Iterable[Any]) -> np.ndarray:
    """Labels as one array of strings."""
    return np.array([str(t) for t in texts], dtype=object)


def day_array(dates: Iterable[date]) -> np.ndarray:
    """Dates as a numpy array of days: Streamlit copies and encodes each figure on every rerun,
    and an array goes through that far faster than a list of dates (bench/RESULTS.md, "Warm rerun").
    """
    ordinals = np.fromiter((d.toordinal() for d in dates), dtype=np.int64)
    # 0.2 ms for 4,000 days, where numpy converting the date objects itself took 4.5 ms
    return (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")


def middle_times(starts: Iterable[date], ends: Iterable[date]) -> np.ndarray:
    """The middle moment of each span of whole days, where its bar stands."""
    first = day_array(starts).astype("datetime64[ms]")
    after = day_array(ends).astype("datetime64[ms]") + np.timedelta64(ONE_DAY_MS, "ms")
    middles: np.ndarray = first + (after - first) // 2
    return middles


def bar_widths_ms(starts: Iterable[date], ends: Iterable[date]) -> np.ndarray:
    """Each span's bar width in milliseconds, nine tenths of its days."""
    days = (day_array(ends) - day_array(starts)).astype("int64") + 1
    widths: np.ndarray = (days * ONE_DAY_MS * 0.9).astype("float64")  # a gap between bars
    return widths
