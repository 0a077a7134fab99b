"""Plotly figures (plain dicts) from plain series: pure functions, no ORM and no Prometheus.

Every figure has its unit on the value axis and in the hover text, times in
UTC, and the same color for a deployment in every panel (the color follows its
`namespace/name`, not its position in a list). A figure without data says so
in place, with the reason the caller gives.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# A plotly figure as plain data ({"data": [traces], "layout": {...}}), which plotly.js
# draws as is. Built as dicts rather than plotly.graph_objects: those validate and copy
# every value on construction, which cost more than the rest of a fleet render.
# Tests check the dicts against plotly's schema (plotly.graph_objects.Figure(fig)).
Figure = dict[str, Any]

# Okabe-Ito and Tableau colors: distinguishable, and readable on white.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#4E79A7",
    "#F28E2B",
    "#59A14F",
    "#B07AA1",
    "#9C755F",
    "#76B7B2",
    "#EDC948",
    "#E15759",
    "#BAB0AC",
)
GRID = "#e5e7eb"
MUTED = "#6b7280"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
HEIGHT = 330


@dataclass(frozen=True)
class Unit:
    """How a panel's values read: axis title suffix, hover format, fixed range if any."""

    symbol: str
    hover: str = ".3g"
    range: tuple[float, float] | None = None
    integer: bool = False


PERCENT = Unit("%", ".1f", (0, 100))
GIB = Unit("GiB", ".2f")
SECONDS = Unit("s", ".3g")
PER_SECOND = Unit("req/s", ".3g")
REPLICAS = Unit("replicas", "d", integer=True)
GPUS = Unit("GPUs", "d", integer=True)


@dataclass(frozen=True)
class Line:
    """One line of a time-series chart; `key` (e.g. "dev-nlp/llama-3-8b") decides its color."""

    name: str
    key: str
    x: Sequence[float]  # unix seconds
    y: Sequence[float | None]
    dash: str = "solid"


@dataclass(frozen=True)
class Bar:
    """One bar: label, color key, value, and extra hover lines."""

    label: str
    key: str
    value: float
    hover: str = ""
    highlight: bool = False


@dataclass(frozen=True)
class Row:
    """One row of a heatmap: label, and a value per column (None: no data)."""

    label: str
    values: Sequence[float | None] = field(default_factory=list)


def color_for(key: str) -> str:
    """The color of `key`, the same on every page and panel (a stable hash, not an index)."""
    return PALETTE[zlib.crc32(key.encode()) % len(PALETTE)]


def _ms(ts: Sequence[float]) -> list[int]:
    # Plotly reads numbers on a date axis as milliseconds since the epoch, in UTC.
    return [int(t * 1000) for t in ts]


def _base_layout(title: str, height: int = HEIGHT) -> dict:
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 64, "r": 16, "t": 40, "b": 76},
        "font": {"family": FONT, "size": 12, "color": "#111827"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0},
    }


def _value_axis(unit: Unit, title: str, largest: float = 0.0) -> dict:
    axis = {"title": {"text": f"{title} ({unit.symbol})"}, "gridcolor": GRID, "zeroline": False}
    if unit.range:
        axis["range"] = list(unit.range)
    if unit.integer:
        # Whole ticks only: plotly would otherwise label 0.5 steps as "0, 1, 1, 2".
        axis["tickformat"] = "d"
        axis["dtick"] = max(1, math.ceil(largest / 8))
        axis["rangemode"] = "tozero"
    return axis


def _largest(values: Iterable[float | None]) -> float:
    return max((v for v in values if v is not None), default=0.0)


def empty(title: str, message: str, height: int = HEIGHT) -> Figure:
    """A figure with no data that says so, and why, in its middle."""
    layout = _base_layout(title, height)
    layout.update(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": _wrap(message),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 13, "color": MUTED},
            }
        ],
    )
    return {"data": [], "layout": layout}


def _wrap(text: str, width: int = 70) -> str:
    """Plotly does not wrap annotation text; break it at spaces with <br>."""
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "<br>".join(lines)


def time_series(
    title: str, unit: Unit, value_title: str, lines: Sequence[Line], empty_message: str
) -> Figure:
    """Lines over time, one color per deployment key, the unit in axis and hover."""
    if not any(any(v is not None for v in line.y) for line in lines):
        return empty(title, empty_message)
    data = [
        {
            "type": "scatter",
            "x": _ms(line.x),
            "y": list(line.y),
            "name": line.name,
            "mode": "lines",
            "line": {"color": color_for(line.key), "dash": line.dash, "width": 2},
            "connectgaps": False,
            "hovertemplate": (
                f"<b>{line.name}</b><br>%{{x|%Y-%m-%d %H:%M:%S}} UTC<br>"
                f"%{{y:{unit.hover}}} {unit.symbol}<extra></extra>"
            ),
        }
        for line in lines
    ]
    layout = _base_layout(title)
    layout.update(
        # Times are UTC (the hover says so); no axis title, which the legend would cover.
        xaxis={"type": "date", "gridcolor": GRID},
        yaxis=_value_axis(unit, value_title, _largest(v for line in lines for v in line.y)),
        hovermode="closest",
        showlegend=True,
    )
    return {"data": data, "layout": layout}


def heatmap(
    title: str,
    unit: Unit,
    value_title: str,
    x: Sequence[float],
    rows: Sequence[Row],
    empty_message: str,
    footnote: str = "",
) -> Figure:
    """Rows (e.g. deployments) by time, colored by value: many series at a glance.

    `footnote` (e.g. how many rows are left out) is written under the chart.
    """
    if not rows or not any(v is not None for row in rows for v in row.values):
        return empty(title, empty_message)
    # Row labels are readable up to a few dozen rows (each labelled, 16 px apart);
    # beyond that the hover names them.
    labelled = len(rows) <= 60
    height = max(HEIGHT, min(1100, 150 + 16 * len(rows)))
    zmin, zmax = unit.range or (None, None)
    trace = {
        "type": "heatmap",
        "x": _ms(x),
        "y": [row.label for row in rows],
        "z": [list(row.values) for row in rows],
        "colorscale": "Viridis",
        "colorbar": {"title": {"text": unit.symbol}},
        "hoverongaps": False,
        "hovertemplate": (
            f"<b>%{{y}}</b><br>%{{x|%Y-%m-%d %H:%M}} UTC<br>"
            f"{value_title}: %{{z:{unit.hover}}} {unit.symbol}<extra></extra>"
        ),
    }
    if zmin is not None:
        trace.update(zmin=zmin, zmax=zmax)
    layout = _base_layout(title, height)
    layout.update(
        xaxis={"type": "date"},
        yaxis={
            "autorange": "reversed",
            "showticklabels": labelled,
            "automargin": True,
            **({"dtick": 1} if labelled else {}),
        },
    )
    if footnote:
        _add_note(layout, footnote)
    return {"data": [trace], "layout": layout}


def _add_note(layout: dict, text: str) -> None:
    """`text` in small grey letters between the title and the plot."""
    layout["annotations"] = [
        {
            "text": _wrap(text, 150),
            "align": "left",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "bottom",
            "yshift": 6,
            "showarrow": False,
            "font": {"size": 12, "color": MUTED},
        }
    ]
    layout["margin"] = {**layout["margin"], "t": 64}


def bars(
    title: str,
    unit: Unit,
    value_title: str,
    items: Sequence[Bar],
    empty_message: str,
    reference: Sequence[float | None] | None = None,
    reference_name: str = "",
) -> Figure:
    """Horizontal bars, largest first, colored per key; optional reference marks (e.g. quota)."""
    if not items:
        return empty(title, empty_message)
    labels = [item.label for item in items]
    data = [
        {
            "type": "bar",
            "x": [item.value for item in items],
            "y": labels,
            "orientation": "h",
            "name": value_title,
            "marker": {
                "color": [color_for(item.key) for item in items],
                "line": {
                    "color": ["#111827" if item.highlight else "rgba(0,0,0,0)" for item in items],
                    "width": 2,
                },
            },
            "customdata": [item.hover for item in items],
            "hovertemplate": (
                f"<b>%{{y}}</b><br>{value_title}: %{{x:{unit.hover}}} {unit.symbol}"
                "%{customdata}<extra></extra>"
            ),
        }
    ]
    if reference is not None:
        data.append(_reference_marks(unit, labels, reference, reference_name))
    height = max(HEIGHT, 80 + 28 * len(items))
    layout = _base_layout(title, height)
    layout.update(
        xaxis=_value_axis(
            unit, value_title, _largest([*(i.value for i in items), *(reference or [])])
        ),
        yaxis={"autorange": "reversed", "automargin": True},
        showlegend=reference is not None,
        bargap=0.3,
    )
    return {"data": data, "layout": layout}


def _reference_marks(
    unit: Unit, labels: list[str], reference: Sequence[float | None], name: str
) -> dict[str, Any]:
    """A tick on each bar at its reference value (e.g. the team's quota)."""
    return {
        "type": "scatter",
        "x": list(reference),
        "y": labels,
        "mode": "markers",
        "name": name,
        "marker": {"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#111827"}},
        "hovertemplate": (
            f"<b>%{{y}}</b><br>{name}: %{{x:{unit.hover}}} {unit.symbol}<extra></extra>"
        ),
    }


def to_json(fig: Figure) -> str:
    """The figure as JSON, safe inside a <script type="application/json"> element."""
    try:
        text = json.dumps(fig, separators=(",", ":"), allow_nan=False)
    except ValueError:
        # NaN and infinities are not JSON (JSON.parse refuses them): drawn as gaps.
        text = json.dumps(_finite(fig), separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
