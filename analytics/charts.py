"""Server-rendered SVG charts drawn from a dashboard table.

No JavaScript, nothing fetched, nothing the content security policy has to allow: the page
carries the chart as SVG elements with presentation attributes, and the same numbers as a table
beside it (the chart is an image with a text alternative; the table is the accessible form).
Colours are the NHS identity palette; text and bars meet WCAG contrast on white.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from analytics.dashboard import Table

WIDTH = 640
TEXT = "#212b32"
GRID = "#d8dde0"
SERIES_COLOURS = ("#005eb8", "#768692", "#d5281b", "#007f3b", "#330072")
STACK_COLOURS = ("#007f3b", "#768692", "#d5281b")  # positive, neutral, negative


@dataclass
class Chart:
    width: int
    height: int
    label: str
    rects: list[dict[str, Any]] = field(default_factory=list)
    texts: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _format(value: float, percent: bool) -> str:
    return f"{value:.0f}%" if percent else f"{value:,.0f}"


def chart_for(table: Table) -> Chart | None:
    if not table.chart or not table.rows:
        return None
    if table.chart == "bars":
        return _bars(table)
    return _columns(table, stacked=table.chart == "stacked")


def _describe(table: Table) -> str:
    return f"Chart: {table.title}. The same figures are in the table below."


def _columns(table: Table, *, stacked: bool) -> Chart:
    left, right, top, bottom, height = 56, 12, 16, 44, 260
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    indexes = [table.columns.index(name) for name in table.series]
    rows = table.rows
    values = [[_number(row[i]) for i in indexes] for row in rows]
    peak = max((sum(v) if stacked else max(v, default=0)) for v in values) if values else 0
    ceiling = 100.0 if table.percent else nice_ceiling(peak)
    chart = Chart(WIDTH, height, _describe(table))
    for step in range(5):
        value = ceiling * step / 4
        y = top + plot_h - plot_h * step / 4
        chart.lines.append({"x1": left, "x2": WIDTH - right, "y1": y, "y2": y, "stroke": GRID})
        chart.texts.append(
            {"x": left - 6, "y": y + 4, "anchor": "end", "text": _format(value, table.percent)}
        )
    slot = plot_w / max(len(rows), 1)
    series_count = 1 if stacked else len(indexes)
    bar_w = slot * 0.7 / series_count
    label_every = max(1, math.ceil(len(rows) / max(1, plot_w // 64)))
    colours = STACK_COLOURS if stacked else SERIES_COLOURS
    for n, (row, row_values) in enumerate(zip(rows, values, strict=True)):
        x0 = left + n * slot + slot * 0.15
        base = 0.0
        for s, value in enumerate(row_values):
            h = plot_h * min(value, ceiling) / ceiling if ceiling else 0
            if stacked:
                x, y = x0, top + plot_h - plot_h * (base + value) / ceiling
                base += value
            else:
                x, y = x0 + s * bar_w, top + plot_h - h
            chart.rects.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "width": round(bar_w, 1),
                    "height": round(h, 1),
                    "fill": colours[s % len(colours)],
                }
            )
        if n % label_every == 0:
            chart.texts.append(
                {
                    "x": round(x0 + slot * 0.35, 1),
                    "y": top + plot_h + 18,
                    "anchor": "middle",
                    "text": str(row[table.label_column]),
                }
            )
    chart.lines.append(
        {"x1": left, "x2": WIDTH - right, "y1": top + plot_h, "y2": top + plot_h, "stroke": TEXT}
    )
    if stacked or len(indexes) > 1:
        chart.legend = [(name, colours[s % len(colours)]) for s, name in enumerate(table.series)]
    return chart


def _bars(table: Table) -> Chart:
    label_w, value_w, row_h, top = 220, 70, 28, 8
    index = table.columns.index(table.series[0])
    values = [_number(row[index]) for row in table.rows]
    ceiling = 100.0 if table.percent else nice_ceiling(max(values, default=0))
    plot_w = WIDTH - label_w - value_w
    height = top * 2 + row_h * len(table.rows)
    chart = Chart(WIDTH, height, _describe(table))
    for n, (row, value) in enumerate(zip(table.rows, values, strict=True)):
        y = top + n * row_h
        label = str(row[table.label_column])
        chart.texts.append(
            {
                "x": label_w - 8,
                "y": y + row_h / 2 + 5,
                "anchor": "end",
                "text": label if len(label) <= 32 else label[:31] + "…",
            }
        )
        chart.rects.append(
            {
                "x": label_w,
                "y": y + 4,
                "width": round(plot_w * value / ceiling, 1) if ceiling else 0,
                "height": row_h - 8,
                "fill": SERIES_COLOURS[0],
            }
        )
        chart.texts.append(
            {
                "x": label_w + (plot_w * value / ceiling if ceiling else 0) + 6,
                "y": y + row_h / 2 + 5,
                "anchor": "start",
                "text": _format(value, table.percent),
            }
        )
    return chart
