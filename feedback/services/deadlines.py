"""The daily warning to handlers: what is due within two days, and what is already overdue."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from feedback.choices import Role
from feedback.models import User
from feedback.selectors import feedback_open_with_clock

DUE_SOON_DAYS = 2


def deadline_warnings_send(*, today: dt.date | None = None) -> int:
    """Email each organisation's handlers and managers their due-soon and overdue lists."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    by_org: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"due": [], "overdue": []})
    for item in feedback_open_with_clock().filter(response_due__lte=soon).order_by("response_due"):
        bucket = "overdue" if item.response_due and item.response_due < today else "due"
        if item.handled_by_id is None:
            continue
        by_org[item.handled_by_id][bucket].append(
            f"#{item.pk} {item.get_kind_display()} due {item.response_due:%d %b %Y}"
        )
    sent = 0
    for org_id, lists in by_org.items():
        recipients = list(
            User.objects.filter(
                organisation_id=org_id,
                is_active=True,
                role__in=[Role.HANDLER, Role.MANAGER],
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if not recipients:
            continue
        body = [f"Responses due by {soon:%d %B %Y}:"] + (lists["due"] or ["none"])
        body += ["", "Overdue:"] + (lists["overdue"] or ["none"])
        send_mail(
            f"{len(lists['overdue'])} overdue, {len(lists['due'])} due within {DUE_SOON_DAYS} days",
            "\n".join(body),
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
        sent += 1
    return sent
