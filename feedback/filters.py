"""Queue filters, shared by the staff pages and the staff API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from analytics.ml.language import ENGLISH, LANGUAGE_NAMES
from analytics.themes import THEMES
from feedback.choices import CLOCK_RUNNING_STATUSES, Kind, RiskCheck, RiskFlag, Status
from feedback.models import Feedback
from feedback.selectors import SEARCH_MAX_LENGTH, feedback_search

RISK_FIELDS = {
    RiskFlag.SAFEGUARDING: "risk_safeguarding",
    RiskFlag.MENTAL_HEALTH_ACT: "risk_mental_health_act",
    RiskFlag.SERIOUS_RISK: "risk_serious",
}


class UrgentFirstOrdering(django_filters.OrderingFilter):
    """The chosen order within urgent items (the CQC's, and possible risks to check), then the
    rest: urgent items lead every queue, whatever it is sorted by."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        return qs.order_by("urgent", *(self.get_ordering_value(param) for param in value))


class QueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        help_text=(
            "Words from the feedback or the response, or an item's number; a search matching "
            "more than 1,000 items gives the 1,000 most recent, best match first"
        ),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
    )
    status = django_filters.ChoiceFilter(choices=Status.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    sentiment = django_filters.NumberFilter(min_value=1, max_value=5)
    sentiment_label = django_filters.ChoiceFilter(
        choices=[("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative")]
    )
    theme = django_filters.ChoiceFilter(
        choices=[(t.slug, t.label) for t in THEMES], method="filter_theme"
    )
    risk = django_filters.ChoiceFilter(choices=RiskFlag.choices, method="filter_risk")
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="A username, 'me' or 'none'."
    )
    due = django_filters.ChoiceFilter(
        choices=[("overdue", "Overdue"), ("this_week", "Due within 7 days")],
        method="filter_due",
    )
    check = django_filters.ChoiceFilter(
        label="Possible risk",
        choices=[("pending", "To check")],
        method="filter_check",
    )
    language = django_filters.ChoiceFilter(
        label="Language",
        help_text="The language the feedback is written in; the model reads English only",
        choices=[
            ("other", "Not in English: needs a reader"),
            *((code, name) for code, name in LANGUAGE_NAMES.items() if code != ENGLISH),
        ],
        method="filter_language",
    )
    ordering = UrgentFirstOrdering(
        fields=(("received_at", "received"), ("response_due", "due"), ("sentiment", "sentiment"))
    )

    class Meta:
        model = Feedback
        fields: list[str] = []

    # The search runs after every other filter and before the order: a broad search keeps its
    # most recent matches (feedback_search), which must be the most recent of what was asked.
    LAST = ("q", "ordering")

    def filter_queryset(self, queryset: QuerySet[Feedback]) -> QuerySet[Feedback]:
        data = self.form.cleaned_data
        names = [n for n in data if n not in self.LAST] + [n for n in self.LAST if n in data]
        for name in names:
            queryset = self.filters[name].filter(queryset, data[name])
        return queryset

    def filter_search(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        return feedback_search(queryset, value) if value else queryset

    def filter_theme(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        return queryset.filter(themes__theme=value) if value else queryset

    def filter_risk(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        return queryset.filter(**{RISK_FIELDS[RiskFlag(value)]: True}) if value else queryset

    def filter_check(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        return queryset.filter(risk_check=RiskCheck.PENDING) if value else queryset

    def filter_language(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        if value == "other":
            return queryset.exclude(text_language__in=("", ENGLISH))
        return queryset.filter(text_language=value) if value else queryset

    def filter_assignee(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(assigned_to=self.request.user if self.request else None)
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        return queryset.filter(assigned_to__username=value) if value else queryset

    def filter_due(self, queryset: QuerySet[Feedback], name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        running = queryset.filter(status__in=CLOCK_RUNNING_STATUSES)
        if value == "overdue":
            return running.filter(response_due__lt=today)
        if value == "this_week":
            return running.filter(
                Q(response_due__gte=today) & Q(response_due__lte=today + dt.timedelta(days=7))
            )
        return queryset
