"""The dashboards' monthly aggregates: counted from the items, kept correct as items change.

Database triggers (migrations 0003, 0006) write a :class:`StatChange` row, in the same
transaction, for every insert, delete or relevant update of an item or its themes: the
organisation and the dates that place the item in a month before and after the change (and the
item's provider, when another organisation handles it: its FFT answer counts for the provider).
:func:`stats_refresh` takes the changes committed so far, recounts the (month, organisation)
buckets they touch from the items themselves, and deletes exactly the change rows it has
counted. A change committed while a refresh runs leaves a row the refresh did not see, so the
next refresh counts it; nothing is lost and nothing is counted from a stale copy.

Refreshes run one at a time: on PostgreSQL under a transaction-level advisory lock, on SQLite
behind the database's single writer (the refresh starts with a write). The worker runs
one every minute (``refresh_stats``); a dashboard that finds changes waiting asks the worker for
one at once (the read itself writes nothing), so a manager sees their own actions within seconds.
``rebuild_stats`` recounts everything.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q, Sum

from analytics.models import MonthlyStat, MonthlyThemeStat, StatChange
from feedback.clocks import KINDS_WITH_CLOCKS, LONDON, answered_on_time
from feedback.models import Feedback, FeedbackTheme

# Kinds with a response clock: the four-week target applies to them only (feedback.clocks).
CLOCKED_KINDS = tuple(KINDS_WITH_CLOCKS)
# An arbitrary constant naming the refresh's advisory lock on PostgreSQL.
REFRESH_LOCK_KEY = 5_170_422
# A refresh recounts at most this many buckets per query.
BUCKETS_PER_QUERY = 40

# Each organisation's month also gets a row of its totals over every service type and kind,
# marked with this in both columns (no real service type or kind is "*"): the peer tables read
# one row per organisation and month instead of one per service type and kind.
ALL = "*"

Bucket = tuple[dt.date, int]  # (first day of the month, organisation id)
Slot = tuple[dt.date, int, str, str]  # bucket + service type + kind


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def month_start(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(month, dt.time.min, tzinfo=LONDON)


@dataclass
class Counts:
    """The measures of one MonthlyStat row while they are being counted."""

    numbers: Counter[str] = field(default_factory=Counter)
    response_days: Counter[int] = field(default_factory=Counter)
    resolution_days: Counter[int] = field(default_factory=Counter)

    def as_fields(self) -> dict[str, Any]:
        return {
            **self.numbers,
            "responded": sum(self.response_days.values()),
            "response_days": {str(k): v for k, v in sorted(self.response_days.items())},
            "resolved": sum(self.resolution_days.values()),
            "resolution_days": {str(k): v for k, v in sorted(self.resolution_days.items())},
        }


ITEM_FIELDS = (
    "handled_by_id",
    "service_type",
    "kind",
    "channel",
    "received_at",
    "sentiment",
    "fft_rating",
    "route",
    "risk_safeguarding",
    "risk_mental_health_act",
    "risk_serious",
    "acknowledge_due",
    "acknowledged_at",
    "response_due",
    "responded_at",
    "resolved_at",
    "provider_id",
)


def count_items(rows: Iterable[tuple[Any, ...]], wanted: set[Bucket] | None) -> dict[Slot, Counts]:
    """Count items, each under the month of each of its events; only buckets in ``wanted``."""
    counts: dict[Slot, Counts] = defaultdict(Counts)

    def slot(day: dt.date, org: int, service: str, kind: str) -> Counts | None:
        month = month_of(day)
        if wanted is not None and (month, org) not in wanted:
            return None
        return counts[(month, org, service, kind)]

    for (
        org,
        service,
        kind,
        channel,
        received_at,
        sentiment,
        fft_rating,
        route,
        safeguarding,
        mha,
        serious,
        acknowledge_due,
        acknowledged_at,
        response_due,
        responded_at,
        resolved_at,
        provider,
    ) in rows:
        received = local_day(received_at)
        responded = local_day(responded_at) if responded_at else None
        c = slot(received, org, service, kind)
        if c is not None:
            n = c.numbers
            n["received"] += 1
            n[f"channel_{channel}"] += 1
            if sentiment:
                n[f"sentiment_{sentiment}"] += 1
            if route:
                n[f"route_{route}"] += 1
            n["risk_safeguarding"] += safeguarding
            n["risk_mental_health_act"] += mha
            n["risk_serious"] += serious
            if kind in CLOCKED_KINDS and acknowledge_due and acknowledged_at:
                on_time = answered_on_time(local_day(acknowledged_at), acknowledge_due)
                n["acknowledged_on_time" if on_time else "acknowledged_late"] += 1
        if fft_rating:
            # An FFT answer counts for the provider that gave the care, wherever triage sent
            # the item (the CQC, an ICB...); one with no provider known, for its handler.
            c = slot(received, provider or org, service, kind)
            if c is not None:
                c.numbers[f"fft_{fft_rating}"] += 1
        if kind in CLOCKED_KINDS and response_due and responded:
            c = slot(response_due, org, service, kind)
            if c is not None:
                c.numbers[
                    "due_on_time" if answered_on_time(responded, response_due) else "due_late"
                ] += 1
        if responded:
            c = slot(responded, org, service, kind)
            if c is not None:
                c.response_days[(responded - received).days] += 1
        if resolved_at:
            resolved = local_day(resolved_at)
            c = slot(resolved, org, service, kind)
            if c is not None:
                c.resolution_days[(resolved - received).days] += 1
    return counts


def count_themes(
    rows: Iterable[tuple[Any, ...]], wanted: set[Bucket] | None
) -> dict[tuple[dt.date, int, str, str, str], Counter[str]]:
    counts: dict[tuple[dt.date, int, str, str, str], Counter[str]] = defaultdict(Counter)
    for org, service, kind, received_at, sentiment, theme in rows:
        month = month_of(local_day(received_at))
        if wanted is not None and (month, org) not in wanted:
            continue
        c = counts[(month, org, service, kind, theme)]
        c["items"] += 1
        if sentiment in (4, 5):
            c["negative"] += 1
    return counts


def _bucket_filter(buckets: Iterable[Bucket], prefix: str = "") -> Q:
    """Items that may count in any of the buckets: one of their event dates falls in its month,
    or (an FFT answer, counted for its provider) it was received in the month."""
    query = Q()
    for month, org in buckets:
        start, end = month_start(month), month_start(next_month(month))
        query |= Q(
            **{
                f"{prefix}provider_id": org,
                f"{prefix}fft_rating__isnull": False,
                f"{prefix}received_at__gte": start,
                f"{prefix}received_at__lt": end,
            }
        )
        query |= Q(**{f"{prefix}handled_by_id": org}) & (
            Q(**{f"{prefix}received_at__gte": start, f"{prefix}received_at__lt": end})
            | Q(
                **{
                    f"{prefix}response_due__gte": month,
                    f"{prefix}response_due__lt": next_month(month),
                }
            )
            | Q(**{f"{prefix}responded_at__gte": start, f"{prefix}responded_at__lt": end})
            | Q(**{f"{prefix}resolved_at__gte": start, f"{prefix}resolved_at__lt": end})
        )
    return query


def _theme_filter(buckets: Iterable[Bucket]) -> Q:
    query = Q()
    for month, org in buckets:
        query |= Q(
            feedback__handled_by_id=org,
            feedback__received_at__gte=month_start(month),
            feedback__received_at__lt=month_start(next_month(month)),
        )
    return query


def _chunks(items: list[Bucket], size: int) -> Iterator[list[Bucket]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recount(buckets: set[Bucket] | None) -> int:
    """Replace the aggregates of ``buckets`` (every bucket when None) with fresh counts.

    Returns the number of aggregate rows written. Call inside a transaction.
    """
    items = Feedback.objects.filter(handled_by__isnull=False)
    themes = FeedbackTheme.objects.filter(feedback__handled_by__isnull=False)
    if buckets is None:
        MonthlyStat.objects.filter(organisation__isnull=False).delete()
        MonthlyThemeStat.objects.filter(organisation__isnull=False).delete()
        groups: Iterable[list[Bucket] | None] = [None]
    else:
        groups = _chunks(sorted(buckets), BUCKETS_PER_QUERY)
    written = 0
    for group in groups:
        wanted = None if group is None else set(group)
        item_rows = items if group is None else items.filter(_bucket_filter(group))
        theme_rows = themes if group is None else themes.filter(_theme_filter(group))
        if group is not None:
            bucket_q = Q()
            for month, org in group:
                bucket_q |= Q(month=month, organisation_id=org)
            MonthlyStat.objects.filter(bucket_q).delete()
            MonthlyThemeStat.objects.filter(bucket_q).delete()
        stats = count_items(
            item_rows.values_list(*ITEM_FIELDS).order_by().iterator(chunk_size=5000), wanted
        )
        totals: dict[Slot, Counts] = defaultdict(Counts)
        for (month, org, _, _), c in stats.items():
            total = totals[(month, org, ALL, ALL)]
            total.numbers.update(c.numbers)
            total.response_days.update(c.response_days)
            total.resolution_days.update(c.resolution_days)
        stats.update(totals)
        MonthlyStat.objects.bulk_create(
            (
                MonthlyStat(
                    month=month,
                    organisation_id=org,
                    service_type=service,
                    kind=kind,
                    **c.as_fields(),
                )
                for (month, org, service, kind), c in stats.items()
            ),
            batch_size=2000,
        )
        theme_stats = count_themes(
            theme_rows.values_list(
                "feedback__handled_by_id",
                "feedback__service_type",
                "feedback__kind",
                "feedback__received_at",
                "feedback__sentiment",
                "theme",
            )
            .order_by()
            .iterator(chunk_size=5000),
            wanted,
        )
        MonthlyThemeStat.objects.bulk_create(
            (
                MonthlyThemeStat(
                    month=month,
                    organisation_id=org,
                    service_type=service,
                    kind=kind,
                    theme=theme,
                    items=c["items"],
                    negative=c["negative"],
                )
                for (month, org, service, kind, theme), c in theme_stats.items()
            ),
            batch_size=2000,
        )
        written += len(stats) + len(theme_stats)
    return written


def _measure_fields() -> list[str]:
    return [
        f.name for f in MonthlyStat._meta.get_fields() if isinstance(f, models.PositiveIntegerField)
    ]


def recount_england(months: set[dt.date] | None) -> int:
    """Replace England's rows (no organisation) for ``months`` (every month when None) with the
    sums of the organisations' rows. Call inside a transaction, after :func:`recount`."""
    detail = MonthlyStat.objects.filter(organisation__isnull=False).exclude(kind=ALL)
    england = MonthlyStat.objects.filter(organisation__isnull=True)
    theme_detail = MonthlyThemeStat.objects.filter(organisation__isnull=False)
    theme_england = MonthlyThemeStat.objects.filter(organisation__isnull=True)
    if months is not None:
        detail, england = detail.filter(month__in=months), england.filter(month__in=months)
        theme_detail = theme_detail.filter(month__in=months)
        theme_england = theme_england.filter(month__in=months)
    england.delete()
    theme_england.delete()
    measures = _measure_fields()
    key = ("month", "service_type", "kind")
    totals = {
        tuple(row[k] for k in key): row
        for row in detail.values(*key).annotate(**{f"sum_{m}": Sum(m) for m in measures})
    }
    histograms: dict[tuple[Any, ...], tuple[Counter[int], Counter[int]]] = defaultdict(
        lambda: (Counter(), Counter())
    )
    for month, service, kind, response, resolution in detail.values_list(
        *key, "response_days", "resolution_days"
    ).iterator(chunk_size=5000):
        response_total, resolution_total = histograms[(month, service, kind)]
        response_total.update({int(d): n for d, n in response.items()})
        resolution_total.update({int(d): n for d, n in resolution.items()})
    MonthlyStat.objects.bulk_create(
        (
            MonthlyStat(
                month=k[0],
                organisation=None,
                service_type=k[1],
                kind=k[2],
                **{m: row[f"sum_{m}"] or 0 for m in measures},
                response_days={str(d): n for d, n in sorted(histograms[k][0].items())},
                resolution_days={str(d): n for d, n in sorted(histograms[k][1].items())},
            )
            for k, row in totals.items()
        ),
        batch_size=2000,
    )
    theme_rows = theme_detail.values(*key, "theme").annotate(
        n=Sum("items"), negative_n=Sum("negative")
    )
    MonthlyThemeStat.objects.bulk_create(
        (
            MonthlyThemeStat(
                month=row["month"],
                organisation=None,
                service_type=row["service_type"],
                kind=row["kind"],
                theme=row["theme"],
                items=row["n"],
                negative=row["negative_n"],
            )
            for row in theme_rows
        ),
        batch_size=2000,
    )
    return len(totals)


def _buckets_of(changes: Iterable[tuple[Any, ...]]) -> set[Bucket]:
    buckets: set[Bucket] = set()
    for org, received_at, response_due, responded_at, resolved_at in changes:
        for moment in (received_at, responded_at, resolved_at):
            if moment is not None:
                buckets.add((month_of(local_day(moment)), org))
        if response_due is not None:
            buckets.add((month_of(response_due), org))
    return buckets


def _lock(wait: bool) -> bool:
    """Take the refresh lock for the current transaction; False if busy and not waiting."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # SQLite has one writer at a time: a write first makes this transaction it, and
            # holds every other refresh (and every other write) until it commits.
            cursor.execute("DELETE FROM analytics_statchange WHERE id < 0")
            return True
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
        return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class RefreshResult:
    changes: int
    buckets: int
    rows: int
    skipped: bool = False


def stats_pending(limit: int | None = None) -> int:
    """Changes not yet counted; at most ``limit`` (an index scan that stops there)."""
    pending = StatChange.objects.order_by("id")
    return pending[:limit].count() if limit is not None else pending.count()


def stats_refresh(*, wait: bool = True, max_changes: int | None = None) -> RefreshResult:
    """Count the changes committed so far into the aggregates.

    ``wait=False`` returns at once (``skipped``) when another refresh holds the lock;
    ``max_changes`` bounds the work of one call (the oldest changes first).
    """
    with transaction.atomic():
        if not _lock(wait):
            return RefreshResult(0, 0, 0, skipped=True)
        pending = StatChange.objects.order_by("id")
        if max_changes is not None:
            pending = pending[:max_changes]
        ids: list[int] = []
        changes: list[tuple[Any, ...]] = []
        for pk, *change in pending.values_list(
            "id", "organisation_id", "received_at", "response_due", "responded_at", "resolved_at"
        ):
            ids.append(pk)
            changes.append(tuple(change))
        if not ids:
            return RefreshResult(0, 0, 0)
        # Delete exactly what was read: a change committed meanwhile keeps its row.
        for start in range(0, len(ids), 5000):
            StatChange.objects.filter(id__in=ids[start : start + 5000]).delete()
        buckets = _buckets_of(changes)
        rows = recount(buckets)
        rows += recount_england({month for month, _ in buckets})
        return RefreshResult(len(ids), len(buckets), rows)


def stats_rebuild() -> RefreshResult:
    """Recount every aggregate from the items (after a bulk load, or to check)."""
    with transaction.atomic():
        _lock(wait=True)
        last = StatChange.objects.order_by("-id").values_list("id", flat=True).first()
        if last is not None:
            StatChange.objects.filter(id__lte=last).delete()
        rows = recount(None)
        rows += recount_england(None)
        return RefreshResult(0, 0, rows)
