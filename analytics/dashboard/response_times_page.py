"""The response times page: complaints and concerns answered within their target, by month due;
open items by age; the overdue and the paused items.

Totals come from the monthly aggregates; what depends on today (open items by age, overdue and
paused items, and the open items past due that count against the target) from the items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics.dashboard.filters import Filters
from analytics.dashboard.scopes import Scope
from analytics.dashboard.tables import Table, month_label, share
from analytics.dashboard.targets import Due, histogram_sums, median_of, open_past_due
from analytics.stats import CLOCKED_KINDS, month_start
from feedback.choices import OPEN_STATUSES, Status
from feedback.clocks import LONDON
from feedback.models import Feedback, User

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Up to 7 days", 0, 7),
    ("8 to 14 days", 8, 14),
    ("15 to 28 days", 15, 28),
    ("29 days to 3 months", 29, 91),
    ("3 to 6 months", 92, 182),
    ("Over 6 months", 183, None),
)


@dataclass
class Headline:
    label: str
    value: str
    detail: str


def response_times(filters: Filters, user: User, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    by_month = {
        row["month"]: row
        for row in filters.stats()
        .values("month")
        .annotate(
            on_time=Sum("due_on_time"),
            late=Sum("due_late"),
            ack_on_time=Sum("acknowledged_on_time"),
            ack_late=Sum("acknowledged_late"),
        )
    }
    response_hist = histogram_sums(filters.stats(), "response_days")[0]
    resolution_hist = histogram_sums(filters.stats(), "resolution_days")[0]
    overdue_by_month = _open_overdue_by_month(filters, today)
    unacknowledged_late = (
        filters.items()
        .filter(
            kind__in=CLOCKED_KINDS,
            status=Status.RECEIVED,
            acknowledge_due__lt=today,
            received_at__gte=month_start(filters.first),
        )
        .count()
    )

    trend = Table(
        "response-trend",
        "Complaints and concerns answered within their target, by month due",
        ["Month", "Answered on time", "Answered late", "Open past due", "Within target (%)"],
        chart="columns",
        percent=True,
        series=["Within target (%)"],
    )
    monthly: list[Due] = []
    ack_on_time = ack_late = 0
    for month in filters.months:
        row = by_month.get(month, {})
        due = Due(row.get("on_time") or 0, row.get("late") or 0, overdue_by_month.get(month, 0))
        monthly.append(due)
        ack_on_time += row.get("ack_on_time") or 0
        ack_late += row.get("ack_late") or 0
        trend.rows.append([month_label(month), due.on_time, due.late, due.overdue, due.compliance])
    this_month, period = monthly[-1], Due.total(monthly)
    ack_decided = ack_on_time + ack_late + unacknowledged_late

    headlines = [
        Headline(
            "Answered within target this month",
            _percent(this_month.compliance),
            f"{this_month.on_time} of {this_month.due} due in {month_label(filters.last)}",
        ),
        Headline(
            f"Answered within target, {filters.period_label.lower()}",
            _percent(period.compliance),
            f"{period.on_time} of {period.due} due",
        ),
        Headline(
            "Acknowledged within 3 working days",
            _percent(share(ack_on_time, ack_decided)),
            f"{ack_on_time} of {ack_decided} received",
        ),
        Headline(
            "Median days to response",
            _days(median_of(response_hist)),
            f"{sum(response_hist.values())} responses sent",
        ),
        Headline(
            "Median days to resolution",
            _days(median_of(resolution_hist)),
            f"{sum(resolution_hist.values())} resolved",
        ),
    ]

    open_items = filters.items().filter(status__in=OPEN_STATUSES, kind__in=CLOCKED_KINDS)
    ages = open_items.aggregate(
        **{
            f"band{i}": Count("received_at", filter=_age_band_q(today, low, high))
            for i, (_, low, high) in enumerate(AGE_BANDS)
        }
    )
    age_table = Table(
        "open-by-age",
        "Open complaints and concerns by age",
        ["Age since received", "Open items"],
        chart="bars",
        series=["Open items"],
    )
    for i, (label, _, _) in enumerate(AGE_BANDS):
        age_table.rows.append([label, ages[f"band{i}"]])

    overdue_items = open_past_due(filters.items(), today).order_by("response_due", "pk")
    overdue_count = overdue_items.count()
    paused_items = (
        filters.items()
        .filter(status=Status.AWAITING_COMPLAINANT, kind__in=CLOCKED_KINDS)
        .order_by("paused_at", "pk")
    )
    paused_count = paused_items.count()
    overdue_table = _item_table(
        "overdue",
        "Overdue complaints and concerns, oldest due date first",
        _first(overdue_items, 50),
        filters.scope,
        user,
        today,
    )
    paused_table = _item_table(
        "paused",
        "Paused: waiting for the complainant",
        _first(paused_items, 50),
        filters.scope,
        user,
        today,
    )
    return {
        "headlines": headlines,
        "tables": [trend, age_table, overdue_table, paused_table],
        "overdue_count": overdue_count,
        "paused_count": paused_count,
    }


def _open_overdue_by_month(filters: Filters, today: dt.date) -> dict[dt.date, int]:
    """Open items past due (counted against the target) by month due, from the period's start."""
    rows = (
        open_past_due(filters.items(), today, since=filters.first)
        .annotate(m=TruncMonth("response_due"))
        .values("m")
        .annotate(n=Count("*"))
    )
    return {_as_date(r["m"]): r["n"] for r in rows}


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _first(items: QuerySet[Feedback], count: int) -> list[Feedback]:
    """The first ``count`` items in order: ids from the open-items index alone, then the rows."""
    ids = list(items.values_list("pk", flat=True)[:count])
    found = Feedback.objects.select_related("handled_by").in_bulk(ids)
    return [found[pk] for pk in ids]


def _age_band_q(today: dt.date, low: int, high: int | None) -> Q:
    newest = _day_start(today - dt.timedelta(days=low - 1)) if low else None
    query = Q()
    if newest is not None:
        query &= Q(received_at__lt=newest)
    if high is not None:
        query &= Q(received_at__gte=_day_start(today - dt.timedelta(days=high)))
    return query


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def _item_table(
    slug: str, title: str, items: Iterable[Feedback], scope: Scope, user: User, today: dt.date
) -> Table:
    table = Table(
        slug,
        title,
        ["Item", "Organisation", "Received", "Response due", "Days overdue", "Status"],
    )
    for item in items:
        link = f"/staff/items/{item.pk}/" if scope.can_open(user, item.handled_by_id) else ""
        days_over = (today - item.response_due).days if item.response_due else None
        table.rows.append(
            [
                {"text": f"{item.get_kind_display()} {item.pk}", "href": link},
                item.handled_by.name if item.handled_by else "",
                item.received_at.date().isoformat(),
                item.response_due.isoformat() if item.response_due else "",
                days_over if days_over and days_over > 0 else 0,
                item.get_status_display(),
            ]
        )
    return table


def _percent(value: float | None) -> str:
    return "No items due" if value is None else f"{value:.0f}%"


def _days(value: float | None) -> str:
    return "None yet" if value is None else f"{value:g} days"
