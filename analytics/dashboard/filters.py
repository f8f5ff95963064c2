"""Filters: the scope, the period (a run of whole months) and the service type and kind chosen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from analytics.dashboard.scopes import Scope
from analytics.models import MonthlyStat
from analytics.stats import ALL, month_of
from feedback.models import Feedback

PERIODS = {
    "this_month": ("This month", 1),
    "3_months": ("Last 3 months", 3),
    "12_months": ("Last 12 months", 12),
    "24_months": ("Last 24 months", 24),
}
DEFAULT_PERIOD = "12_months"


def months_back(today: dt.date, count: int) -> tuple[dt.date, ...]:
    months = [month_of(today)]
    while len(months) < count:
        months.insert(0, month_of(months[0] - dt.timedelta(days=1)))
    return tuple(months)


@dataclass(frozen=True)
class Filters:
    scope: Scope
    period: str
    months: tuple[dt.date, ...]  # first days of the months covered, oldest first
    service_type: str = ""
    kind: str = ""

    @property
    def first(self) -> dt.date:
        return self.months[0]

    @property
    def last(self) -> dt.date:
        return self.months[-1]

    @property
    def period_label(self) -> str:
        return PERIODS[self.period][0]

    def stats(self, model: Any = MonthlyStat, by_kind: bool = False) -> QuerySet[Any]:
        """Aggregate rows for the filters: an organisation's totals rows when nothing narrows
        by service or kind (and no grouping by kind is wanted), else the detailed rows."""
        rows = self.in_period(model.objects.all())
        if model is MonthlyStat and self.scope.organisation_ids is not None:
            rows = self.totals_or_detail(rows, by_kind=by_kind)
        return self.narrow(rows)

    def in_period(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """Aggregate rows of the months covered."""
        return rows.filter(month__gte=self.first, month__lte=self.last)

    def totals_or_detail(self, rows: QuerySet[Any], by_kind: bool = False) -> QuerySet[Any]:
        """Of organisations' MonthlyStat rows, those to add up: the totals rows (kind ALL) when
        nothing narrows by service or kind and no grouping by kind is wanted, else the detailed
        rows (never both, which would count every item twice)."""
        if self.service_type or self.kind or by_kind:
            return rows.exclude(kind=ALL)
        return rows.filter(kind=ALL)

    def narrow(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """Rows of the scope; for aggregates of England, the rows holding England's totals."""
        org_field = "handled_by_id" if rows.model is Feedback else "organisation_id"
        if self.scope.organisation_ids is not None:
            rows = rows.filter(**{f"{org_field}__in": self.scope.organisation_ids})
        elif rows.model is not Feedback:
            rows = rows.filter(organisation__isnull=True)
        return self.of_service_and_kind(rows)

    def of_service_and_kind(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """Items or aggregate rows of the service type and kind chosen, if any."""
        if self.service_type:
            rows = rows.filter(service_type=self.service_type)
        if self.kind:
            rows = rows.filter(kind=self.kind)
        return rows

    def items(self) -> QuerySet[Feedback]:
        return self.narrow(self.scope.items())
