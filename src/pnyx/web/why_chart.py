"""A ranked post's score drawn as a small bar chart, made on the server (SVG, no script).

One bar per term, its length weight x value on a shared scale around a zero line (terms can
be negative: `diverse` ranks by -1 x the page a post falls on), the term's name on the left
and "weight × value = product" on the right as text. The same numbers, written out as one
sentence, are the chart's <desc>, so a screen reader reads every number (the template marks
the svg role="img" and labels it with its <title> and <desc>).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 360
LABEL_WIDTH = 90  # the term's name
BAR_AREA = 120  # the bars, around the zero line
ROW = 20  # height of one term's row
BAR_HEIGHT = 12
TOP = 4


def number(value: float) -> str:
    """A number as people read it: no trailing zeros, at most 4 decimals."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Bar:
    name: str
    text: str  # "weight × value = product"
    x: float
    y: float
    width: float
    negative: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    zero_x: float
    bars: list[Bar]
    score: str
    summary: str  # every term's numbers as text, for the chart's <desc>

    @property
    def text_x(self) -> int:
        return LABEL_WIDTH + BAR_AREA + 6


def chart(reason: dict[str, Any]) -> Chart:
    """The chart of one ranked reason (`core.why_shown`'s JSON: score and terms)."""
    terms = reason["terms"]
    largest = max((abs(t["product"]) for t in terms), default=0.0) or 1.0
    has_negative = any(t["product"] < 0 for t in terms)
    has_positive = any(t["product"] > 0 for t in terms)
    if has_negative and has_positive:
        zero = LABEL_WIDTH + BAR_AREA / 2
        scale = (BAR_AREA / 2) / largest
    elif has_negative:
        zero = LABEL_WIDTH + BAR_AREA
        scale = BAR_AREA / largest
    else:
        zero = LABEL_WIDTH
        scale = BAR_AREA / largest
    bars = []
    for index, term in enumerate(terms):
        length = abs(term["product"]) * scale
        negative = term["product"] < 0
        bars.append(
            Bar(
                term["name"],
                f"{number(term['weight'])} × {number(term['value'])} = {number(term['product'])}",
                round(zero - length if negative else zero, 2),
                TOP + index * ROW,
                round(length, 2),
                negative,
            )
        )
    summary = "; ".join(f"{b.name}: {b.text}" for b in bars)
    height = TOP * 2 + ROW * max(len(bars), 1)
    return Chart(WIDTH, height, zero, bars, number(reason["score"]), summary)
