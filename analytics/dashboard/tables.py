"""Tables: every chart's data, as a table and downloadable as CSV; their figures' format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    chart: str = ""  # "columns", "stacked", "bars" or "" for a table alone
    percent: bool = False  # the chart's values are percentages
    series: list[str] = field(default_factory=list)  # columns drawn, for charts
    label_column: int = 0
    note: str = ""

    def display_rows(self) -> list[list[tuple[str, str, str, bool]]]:
        """Each cell as (column, text, link or "", whether the figure is missing)."""
        return [
            [(column, *_display(cell)) for column, cell in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]


def _display(cell: Any) -> tuple[str, str, bool]:
    if cell is None:
        return "\u2013", "", True  # an en dash, with "no figure" for screen readers
    if isinstance(cell, dict):
        return str(cell["text"]), str(cell.get("href") or ""), False
    if isinstance(cell, float):
        return f"{cell:g}", "", False
    return str(cell), "", False


def table_by_slug(tables: Sequence[Table], slug: str) -> Table | None:
    return next((t for t in tables if t.slug == slug), None)


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def month_label(month: dt.date) -> str:
    return month.strftime("%b %Y")
