"""Counts drawn as a horizontal bar chart on the server (SVG, no script), for the public
moderation log's numbers (`/moderation`).

One row per item: its label on the left, a bar as long as its share of the largest count,
and the count as text after the bar. Every label with its count, written out as one
sentence, is the chart's <desc>, so a screen reader reads every number (the template marks
the svg role="img" and labels it with its <title> and <desc>).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 420
LABEL_WIDTH = 170
BAR_AREA = 200
ROW = 20
BAR_HEIGHT = 12
TOP = 4
LABEL_CHARACTERS = 26  # longer labels are cut (the full text is in the <desc>)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    summary: str  # every label with its count, for the chart's <desc>

    @property
    def bar_x(self) -> int:
        return LABEL_WIDTH

    @property
    def count_x(self) -> int:
        return LABEL_WIDTH + BAR_AREA + 6


def chart(items: list[tuple[str, int]]) -> Chart:
    largest = max((count for _, count in items), default=0) or 1
    bars = [
        Bar(
            label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…",
            count,
            TOP + index * ROW,
            round(count * BAR_AREA / largest, 2),
        )
        for index, (label, count) in enumerate(items)
    ]
    summary = "; ".join(f"{label}: {count}" for label, count in items)
    return Chart(WIDTH + 40, TOP * 2 + ROW * max(len(bars), 1), bars, summary)
