"""The model of a scoring run drawn on the server (SVG, no script), for /notes/about.

Two scatter charts of the fit `core.notes.scorer` made: every rater at (factor, intercept),
and every scored note at (factor, intercept), its status by colour and by shape (a filled
circle is helpful, a square not helpful, a ring needs more ratings: the shape tells them apart
without colour). The notes' chart draws the rules that decide a status: the helpful threshold
(intercept >= crh_threshold, a horizontal line), the factor limit (|factor| >= factor_threshold
is popular on one side only, two vertical lines) and the not-helpful boundary (intercept <=
crnh_threshold_intercept - |crnh_threshold_factor_multiplier| x |factor|, a V upside down).
The thresholds are the run's own parameters (each run keeps those it used), else the current
ones. The template writes the counts out as the chart's <desc> and its figure's caption, so a
screen reader has the numbers the dots show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pnyx.core.notes import scorer, vocabulary

WIDTH = 420
HEIGHT = 300
LEFT = 48  # the intercept's ticks
RIGHT = 12
TOP = 12
BOTTOM = 40  # the factor's ticks and its name
MAX_POINTS = 2_000  # beyond, every n-th point is drawn (the caption says so)
THRESHOLDS = (
    "crh_threshold",
    "factor_threshold",
    "crnh_threshold_intercept",
    "crnh_threshold_factor_multiplier",
)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    kind: str  # "rater", or a note's short status (`vocabulary.SHORT_STATUS`)


@dataclass(frozen=True)
class Tick:
    at: float  # position on its axis, in pixels
    text: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # "zero", "crh", "factor"


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    right: float  # the plot's right edge, in pixels
    bottom: float  # the plot's bottom edge
    points: list[Point]
    lines: list[Line]
    boundary: str  # the not-helpful boundary, as an SVG polyline's points ("" for raters)
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    total: int  # points in the run (all of them, drawn or not)
    drawn: int
    counts: dict[str, int]  # points of each kind
    x_range: tuple[str, str]
    y_range: tuple[str, str]


def number(value: float) -> str:
    """A number as people read it: no trailing zeros, at most 2 decimals."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def thresholds(params: Mapping[str, Any] | None) -> dict[str, float]:
    """The four numbers the notes' chart draws: the run's, else the scorer's current ones."""
    found = {}
    for name in THRESHOLDS:
        value = (params or {}).get(name, getattr(scorer.PARAMS, name, None))
        found[name] = float(value if value is not None else _DEFAULTS[name])
    return found


# X's published values, should the scorer's parameters ever lose one of these names.
_DEFAULTS = {
    "crh_threshold": 0.40,
    "factor_threshold": 0.5,
    "crnh_threshold_intercept": -0.05,
    "crnh_threshold_factor_multiplier": -0.8,
}


def _sample(points: list[Any]) -> list[Any]:
    if len(points) <= MAX_POINTS:
        return points
    step = math.ceil(len(points) / MAX_POINTS)
    return points[::step]


def _outward(value: float, step: float, up: bool) -> float:
    scaled = value / step
    return (math.ceil(scaled - 1e-9) if up else math.floor(scaled + 1e-9)) * step


def _not_helpful_at(limits: dict[str, float], factor: float) -> float:
    slope = abs(limits["crnh_threshold_factor_multiplier"])
    return limits["crnh_threshold_intercept"] - slope * abs(factor)


def _ranges(
    xs: Iterable[float], ys: Iterable[float], limits: dict[str, float] | None
) -> tuple[float, float, float]:
    """(largest |factor| shown, lowest and highest intercept shown)."""
    xs, ys = list(xs), list(ys)
    x_max = max([1.0, *(abs(x) * 1.05 for x in xs)])
    low = min([-0.2, *(y - 0.05 for y in ys)])  # a margin: no mark sits on the frame
    high = max([0.2, *(y + 0.05 for y in ys)])
    if limits is not None:
        x_max = max(x_max, limits["factor_threshold"] * 1.2)
        high = max(high, limits["crh_threshold"] + 0.1)
        low = min(low, _not_helpful_at(limits, _outward(x_max, 0.5, True)))
    x_max = _outward(x_max, 0.5, True)
    return x_max, _outward(low, 0.1, False), _outward(high, 0.1, True)


def chart(rows: list[Any], *, notes: bool, params: Mapping[str, Any] | None = None) -> Chart:
    """The chart of a run's raters (`notes=False`: rows with factor and intercept) or notes
    (rows with factor, intercept and status, and the thresholds drawn)."""
    rows = [r for r in rows if r.factor is not None and r.intercept is not None]
    limits = thresholds(params) if notes else None
    x_max, y_low, y_high = _ranges((r.factor for r in rows), (r.intercept for r in rows), limits)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + (x + x_max) / (2 * x_max) * (right - LEFT), 1)

    def py(y: float) -> float:
        return round(bottom - (y - y_low) / (y_high - y_low) * (bottom - TOP), 1)

    def kind(row: Any) -> str:
        if not notes:
            return "rater"
        return vocabulary.SHORT_STATUS.get(row.status, "needs_more_ratings")

    counts: dict[str, int] = {}
    for row in rows:
        counts[kind(row)] = counts.get(kind(row), 0) + 1
    drawn = [Point(px(r.factor), py(r.intercept), kind(r)) for r in _sample(rows)]
    lines = [Line(px(0), TOP, px(0), bottom, "zero")]
    if y_low < 0 < y_high:
        lines.append(Line(LEFT, py(0), right, py(0), "zero"))
    boundary = ""
    if limits is not None:
        helpful = py(limits["crh_threshold"])
        lines.append(Line(LEFT, helpful, right, helpful, "crh"))
        for side in (-1, 1):
            at = px(side * limits["factor_threshold"])
            lines.append(Line(at, TOP, at, bottom, "factor"))
        corners = (-x_max, 0.0, x_max)
        boundary = " ".join(f"{px(x)},{py(_not_helpful_at(limits, x))}" for x in corners)
    x_ticks = [Tick(px(x), number(x)) for x in _ticks(-x_max, x_max)]
    y_ticks = [Tick(py(y), number(y)) for y in _ticks(y_low, y_high)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=right,
        bottom=bottom,
        points=drawn,
        lines=lines,
        boundary=boundary,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        total=len(rows),
        drawn=len(drawn),
        counts=counts,
        x_range=_span(r.factor for r in rows),
        y_range=_span(r.intercept for r in rows),
    )


def _ticks(low: float, high: float) -> list[float]:
    """Round values from `low` to `high`, at most 7 of them."""
    step = next(
        (s for s in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0) if (high - low) / s <= 6), 10.0
    )
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(k * step, 6) for k in range(first, last + 1)]


def _span(values: Iterable[float]) -> tuple[str, str]:
    found = list(values)
    return (number(min(found)), number(max(found))) if found else ("0", "0")
