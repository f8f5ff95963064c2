"""The response target, counted the same way on every page: responses due in a period were
answered on time, answered late, or are still open past their due date (which counts against the
target); and the days taken, added up as histograms in the database."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from analytics.dashboard.tables import share
from analytics.models import MonthlyStat
from analytics.stats import CLOCKED_KINDS
from feedback.choices import CLOCK_RUNNING_STATUSES
from feedback.models import Feedback


@dataclass
class Due:
    """Responses due: answered on time, answered late, and still open past the due date."""

    on_time: int = 0
    late: int = 0
    overdue: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def compliance(self) -> float | None:
        """The share answered within target, as a percentage; None when nothing was due."""
        return share(self.on_time, self.due)

    @classmethod
    def total(cls, parts: Iterable[Due]) -> Due:
        whole = cls()
        for part in parts:
            whole.on_time += part.on_time
            whole.late += part.late
            whole.overdue += part.overdue
        return whole


def open_past_due(
    items: QuerySet[Feedback], today: dt.date, since: dt.date | None = None
) -> QuerySet[Feedback]:
    """Complaints and concerns whose clock runs (open, not paused) and whose response was due
    before ``today`` (and on or after ``since``, if given)."""
    overdue = items.filter(
        status__in=CLOCK_RUNNING_STATUSES, kind__in=CLOCKED_KINDS, response_due__lt=today
    )
    if since is not None:
        overdue = overdue.filter(response_due__gte=since)
    return overdue


def median_of(histogram: Counter[int]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2
    seen, low_value = 0, None
    for days in sorted(histogram):
        count = histogram[days]
        if low_value is None and seen + count > lower:
            low_value = days
        if seen + count > upper:
            return (low_value + days) / 2 if low_value is not None else float(days)
        seen += count
    return None  # pragma: no cover - the loop always returns


def histogram_sums(
    rows: QuerySet[MonthlyStat], column: str, by_organisation: bool = False
) -> dict[int, Counter[int]]:
    """The histograms in ``column`` of ``rows`` added up, in the database: {organisation id (or
    0): {days: items}}. Summing JSON in Python cost 100 ms at a million items; this costs a few."""
    if column not in ("response_days", "resolution_days"):
        raise ValueError(column)
    each = "jsonb_each_text" if connection.vendor == "postgresql" else "json_each"
    subquery, params = rows.values("pk").query.sql_with_params()
    owner = "s.organisation_id" if by_organisation else "0"
    # Every piece put in is a constant of this function or SQL compiled by Django with its
    # parameters kept apart; nothing a user typed.
    sql = (
        f"SELECT {owner}, CAST(h.key AS integer), SUM(CAST(h.value AS integer)) "  # noqa: S608
        f"FROM analytics_monthlystat s CROSS JOIN {each}(s.{column}) h "
        f"WHERE s.id IN ({subquery}) GROUP BY 1, 2"
    )
    sums: dict[int, Counter[int]] = defaultdict(Counter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for owner_id, days, count in cursor.fetchall():
            sums[owner_id][days] += count
    return sums
