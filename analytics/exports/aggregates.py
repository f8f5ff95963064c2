"""Aggregates for the regulator API: counts and four-week compliance, grouped as asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics.exports.filters import ExportFilters, feedback_filter
from analytics.exports.scoping import feedback_visible_to_token
from analytics.models import ApiToken
from feedback.choices import Status
from feedback.clocks import KINDS_WITH_CLOCKS, LONDON
from feedback.models import Organisation
from feedback.selectors import answered_on_time_q

CLOCKED_KINDS = tuple(KINDS_WITH_CLOCKS)

AGGREGATE_DIMENSIONS: dict[str, Any] = {
    "organisation": "handled_by_id",
    "month": TruncMonth("received_at", tzinfo=LONDON),
    "kind": "kind",
    "theme": "themes__theme",
    "sentiment": "sentiment",
    "route": "route",
}
DEFAULT_GROUP_BY = ("organisation", "month")


def feedback_aggregates(
    token: ApiToken,
    filters: ExportFilters,
    group_by: Sequence[str],
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Counts and four-week compliance, grouped as asked.

    ``compliance`` is the share of complaints and concerns whose response was due or sent that
    were answered by their due date: responded on time / (responded + still open past the due
    date). Items not yet due and not yet answered do not count either way, nor do duplicates
    merged into another item (answered with it). ``count`` counts every item received, a merged
    duplicate included; ``merged_duplicates`` says how many of them were merged into another, so
    ``count - merged_duplicates`` counts a complaint sent twice once, as the KO41 return does.
    With ``theme`` in the grouping an item counts once under each of its themes (items without a
    theme under null).
    """
    today = today or timezone.localdate()
    dims = [d for d in AGGREGATE_DIMENSIONS if d in group_by] or list(DEFAULT_GROUP_BY)
    keys = {f"g_{dim}": AGGREGATE_DIMENSIONS[dim] for dim in dims}
    # A complaint merged into another (its duplicate) is answered by that one's response: it
    # counts among the items, not again in compliance.
    clocked = Q(kind__in=CLOCKED_KINDS, response_due__isnull=False, duplicate_of__isnull=True)
    responded = clocked & Q(responded_at__isnull=False)
    on_time = clocked & answered_on_time_q()
    overdue = (
        clocked & Q(responded_at__isnull=True, response_due__lt=today) & ~Q(status=Status.WITHDRAWN)
    )
    grouped = (
        feedback_filter(feedback_visible_to_token(token), filters)
        .annotate(**{k: F(v) if isinstance(v, str) else v for k, v in keys.items()})
        .values(*keys)
        .annotate(
            n=Count("id"),
            n_clocked=Count("id", filter=clocked),
            n_responded=Count("id", filter=responded),
            n_on_time=Count("id", filter=on_time),
            n_overdue=Count("id", filter=overdue),
            n_merged=Count("id", filter=Q(duplicate_of__isnull=False)),
        )
        .order_by(*keys)
    )
    orgs = {
        pk: (ods, name)
        for pk, ods, name in Organisation.objects.values_list("pk", "ods_code", "name")
    }
    result = []
    for group in grouped:
        row: dict[str, Any] = {}
        for dim in dims:
            value = group[f"g_{dim}"]
            if dim == "organisation":
                ods, name = orgs.get(value, (None, None)) if value else (None, None)
                row["organisation_ods_code"] = ods
                row["organisation_name"] = name
            elif dim == "month":
                row["month"] = value.astimezone(LONDON).strftime("%Y-%m") if value else None
            else:
                row[dim] = value if value != "" else None
        decided = group["n_responded"] + group["n_overdue"]
        row.update(
            count=group["n"],
            merged_duplicates=group["n_merged"],
            with_response_clock=group["n_clocked"],
            responded=group["n_responded"],
            responded_within_target=group["n_on_time"],
            open_past_target=group["n_overdue"],
            compliance=round(group["n_on_time"] / decided, 4) if decided else None,
        )
        result.append(row)
    return result
