"""Dashboard pages for staff: thin views that read the filters, call analytics.dashboard, render.

Every chart's table downloads as CSV from the same address with ``?download=<table>``.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from analytics import dashboard
from analytics.charts import chart_for
from analytics.exports.cells import csv_safe
from analytics.stats import stats_pending
from analytics.tasks import refresh_stats
from feedback.choices import Kind, ServiceType
from feedback.models import User

logger = logging.getLogger(__name__)

# A dashboard says how many changes are still waiting to be counted, up to this many ("more
# than 500" beyond), and asks the worker to count them now rather than at its next minute: a
# read never writes, and a manager sees what their team just did within seconds.
REFRESH_ON_VIEW_LIMIT = 500
# At most one such request in this many seconds, however many managers are looking.
REFRESH_REQUEST_EVERY_SECONDS = 10


class DashboardFilterForm(forms.Form):
    scope = forms.ChoiceField(label="Organisation", required=False)
    period = forms.ChoiceField(
        label="Period",
        required=False,
        choices=[(key, label) for key, (label, _) in dashboard.PERIODS.items()],
    )
    service_type = forms.ChoiceField(
        label="Service type", required=False, choices=[("", "All services"), *ServiceType.choices]
    )
    kind = forms.ChoiceField(
        label="Kind of feedback", required=False, choices=[("", "All kinds"), *Kind.choices]
    )

    def __init__(self, data: Any, *, scopes: list[dashboard.Scope]) -> None:
        # Always bound, with the defaults filled in: the controls show the period and scope the
        # figures are for, and a filter applied later keeps the others as they were.
        defaults = {"scope": scopes[0].key, "period": dashboard.DEFAULT_PERIOD}
        merged = {**defaults, **{k: v for k, v in (data or {}).items() if v not in ("", None)}}
        super().__init__(merged)
        self.scopes = {scope.key: scope for scope in scopes}
        scope_field = cast(forms.ChoiceField, self.fields["scope"])
        scope_field.choices = [(s.key, s.label) for s in scopes]
        if len(scopes) == 1:
            self.fields["scope"].widget = forms.HiddenInput()

    def filters(self) -> dashboard.Filters:
        """The filters asked for; each invalid one falls back to its default alone."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        scope = self.scopes.get(data.get("scope") or "", next(iter(self.scopes.values())))
        period = data.get("period") or dashboard.DEFAULT_PERIOD
        months = dashboard.months_back(timezone.localdate(), dashboard.PERIODS[period][1])
        return dashboard.Filters(
            scope=scope,
            period=period,
            months=months,
            service_type=data.get("service_type") or "",
            kind=data.get("kind") or "",
        )


PAGES: dict[str, tuple[str, str]] = {
    "response-times": ("Response times", "staff-dashboard"),
    "what-patients-say": ("What patients say", "staff-dashboard-feedback"),
    "peers": ("Peers", "staff-dashboard-peers"),
}


def _viewer(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.organisation_id is None:
        raise Http404("Your account does not belong to an organisation.")
    return user


def _ask_for_a_refresh() -> None:
    """Ask the worker to count the waiting changes now, at most once in a while. The page never
    waits on it: with the cache or the broker down, the minute's refresh still comes."""
    try:
        if cache.add("dashboard-refresh-requested", 1, REFRESH_REQUEST_EVERY_SECONDS):
            # No publish retries: a broker that is down must not hold a web worker for seconds.
            refresh_stats.apply_async(retry=False)
    except Exception:
        logger.warning("could not ask the worker to refresh the dashboards", exc_info=True)


def _dashboard(
    request: HttpRequest,
    page: str,
    build: Callable[[dashboard.Filters, User], dict[str, Any]],
) -> HttpResponse:
    user = _viewer(request)
    pending = stats_pending(limit=REFRESH_ON_VIEW_LIMIT + 1)
    if pending:
        _ask_for_a_refresh()
    form = DashboardFilterForm(request.GET.dict(), scopes=dashboard.scopes_for(user))
    filters = form.filters()
    context = build(filters, user)
    tables = context["tables"]
    download = request.GET.get("download")
    if download:
        table = dashboard.table_by_slug(tables, download)
        if table is None:
            raise Http404("No such table on this page.")
        return _csv(table, filters)
    query = request.GET.copy()
    query.pop("download", None)
    context.update(
        page=page,
        pages=[(key, label, name) for key, (label, name) in PAGES.items()],
        title=PAGES[page][0],
        form=form,
        filters=filters,
        pending=pending,
        refresh_limit=REFRESH_ON_VIEW_LIMIT,
        query=query.urlencode(),
        charts=[(table, chart_for(table)) for table in tables],
    )
    return render(request, "staff/dashboard.html", context)


def _csv(table: dashboard.Table, filters: dashboard.Filters) -> HttpResponse:
    name = f"{table.slug}-{filters.scope.key.replace(':', '-')}-{filters.period}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(
            [
                csv_safe(cell["text"] if isinstance(cell, dict) else str(cell))
                if cell is not None
                else ""
                for cell in row
            ]
        )
    return response


@login_required
def response_times(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "response-times", lambda f, u: dashboard.response_times(f, u))


@login_required
def what_patients_say(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "what-patients-say", lambda f, u: dashboard.what_patients_say(f))


@login_required
def peers(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, "peers", lambda f, u: dashboard.peers(f))
