"""What a client asked for: ``ExportFilters``, and the queryset narrowed to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from feedback.choices import RiskFlag
from feedback.clocks import LONDON
from feedback.models import Feedback, FeedbackTheme, Organisation

RISK_FIELDS = {
    RiskFlag.SAFEGUARDING: "risk_safeguarding",
    RiskFlag.MENTAL_HEALTH_ACT: "risk_mental_health_act",
    RiskFlag.SERIOUS_RISK: "risk_serious",
}


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight in England at the start of ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


@dataclass(frozen=True)
class ExportFilters:
    """What a client asked for. Dates are days in England, both ends included."""

    received_from: dt.date | None = None
    received_to: dt.date | None = None
    organisation: Organisation | None = None
    route: str = ""
    kind: str = ""
    status: str = ""
    sentiment: int | None = None
    sentiment_label: str = ""
    theme: str = ""
    risk: str = ""

    def for_audit(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "received_from": self.received_from.isoformat() if self.received_from else None,
            "received_to": self.received_to.isoformat() if self.received_to else None,
            "organisation": self.organisation.ods_code if self.organisation else None,
            "route": self.route,
            "kind": self.kind,
            "status": self.status,
            "sentiment": self.sentiment,
            "sentiment_label": self.sentiment_label,
            "theme": self.theme,
            "risk": self.risk,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


def feedback_filter(items: QuerySet[Feedback], filters: ExportFilters) -> QuerySet[Feedback]:
    if filters.received_from is not None:
        items = items.filter(received_at__gte=start_of_day(filters.received_from))
    if filters.received_to is not None:
        items = items.filter(
            received_at__lt=start_of_day(filters.received_to + dt.timedelta(days=1))
        )
    if filters.organisation is not None:
        org_id = filters.organisation.pk
        items = items.filter(Q(provider_id=org_id) | Q(handled_by_id=org_id))
    for name in ("route", "kind", "status", "sentiment_label"):
        value = getattr(filters, name)
        if value:
            items = items.filter(**{name: value})
    if filters.sentiment is not None:
        items = items.filter(sentiment=filters.sentiment)
    if filters.theme:
        items = items.filter(
            Exists(FeedbackTheme.objects.filter(feedback_id=OuterRef("pk"), theme=filters.theme))
        )
    if filters.risk:
        items = items.filter(**{RISK_FIELDS[RiskFlag(filters.risk)]: True})
    return items
