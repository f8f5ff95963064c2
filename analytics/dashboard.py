"""Dashboards: the four-week response target and what patients say, scoped to the viewer.

Reads only. Time series and totals come from the monthly aggregates (analytics.stats); the
figures that depend on today (open items by age, overdue items, paused items, and the open items
whose due date has passed, which count against the target) come from the items themselves
through the indexes on (status, response_due) and (status, received_at).

Who sees what: a trust's staff see their trust; an ICB's staff their own queue and their trusts';
the CQC's staff every organisation. Peer tables show other organisations' aggregate figures
only, never an item.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics.models import MonthlyStat, MonthlyThemeStat
from analytics.stats import ALL, CLOCKED_KINDS, month_of, month_start
from analytics.themes import THEMES
from feedback.choices import (
    CLOCK_RUNNING_STATUSES,
    OPEN_STATUSES,
    Channel,
    Kind,
    OrganisationKind,
    RiskCheck,
    Route,
    Status,
    TrustType,
)
from feedback.clocks import LONDON
from feedback.models import Feedback, Organisation, User

THEME_LABELS = {t.slug: t.label for t in THEMES}
RUNNING = CLOCK_RUNNING_STATUSES
OPEN = OPEN_STATUSES
# An organisation is ranked among its peers once this many responses were due in the period.
MIN_TO_RANK = 10
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Up to 7 days", 0, 7),
    ("8 to 14 days", 8, 14),
    ("15 to 28 days", 15, 28),
    ("29 days to 3 months", 29, 91),
    ("3 to 6 months", 92, 182),
    ("Over 6 months", 183, None),
)
PERIODS = {
    "this_month": ("This month", 1),
    "3_months": ("Last 3 months", 3),
    "12_months": ("Last 12 months", 12),
    "24_months": ("Last 24 months", 24),
}
DEFAULT_PERIOD = "12_months"


# ---------------------------------------------------------------------------------------------
# Scope: the organisations a view covers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A set of queues: one organisation's, an ICB's and its trusts', or every one (None)."""

    key: str
    label: str
    organisation_ids: frozenset[int] | None
    subject: Organisation | None = None  # the trust or ICB in focus; None for England

    @property
    def level(self) -> str:
        if self.subject is None:
            return "national"
        if self.subject.kind == OrganisationKind.ICB and self.key.startswith("icb:"):
            return "icb"
        return "organisation"

    def items(self) -> QuerySet[Feedback]:
        items = Feedback.objects.filter(handled_by__isnull=False)
        if self.organisation_ids is not None:
            items = items.filter(handled_by_id__in=self.organisation_ids)
        return items

    def can_open(self, user: User, item_organisation_id: int) -> bool:
        return user.organisation_id == item_organisation_id


def _organisation_scope(org: Organisation) -> Scope:
    return Scope(f"org:{org.ods_code}", org.name, frozenset([org.pk]), org)


def _system_scope(icb: Organisation, trusts: Iterable[Organisation]) -> Scope:
    ids = frozenset([icb.pk, *(t.pk for t in trusts)])
    return Scope(f"icb:{icb.ods_code}", f"{icb.name} and its trusts", ids, icb)


NATIONAL = Scope("england", "Every organisation in England", None)


def scopes_for(user: User) -> list[Scope]:
    """The scopes the user may choose, the default first (one query for the directory)."""
    org = user.organisation
    if org is None:
        return []
    if org.kind == OrganisationKind.TRUST:
        return [_organisation_scope(org)]
    directory = list(Organisation.objects.order_by("name"))
    trusts_of: dict[int, list[Organisation]] = defaultdict(list)
    for other in directory:
        if other.kind == OrganisationKind.TRUST and other.icb_id is not None:
            trusts_of[other.icb_id].append(other)
    if org.kind == OrganisationKind.ICB:
        return [
            _system_scope(org, trusts_of[org.pk]),
            Scope(f"org:{org.ods_code}", f"{org.name} (its own queue)", frozenset([org.pk]), org),
            *(_organisation_scope(t) for t in trusts_of[org.pk]),
        ]
    scopes = [NATIONAL, _organisation_scope(org)]
    scopes += [
        _system_scope(icb, trusts_of[icb.pk])
        for icb in directory
        if icb.kind == OrganisationKind.ICB
    ]
    scopes += [_organisation_scope(t) for t in directory if t.kind == OrganisationKind.TRUST]
    return scopes


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


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
        rows = model.objects.filter(month__gte=self.first, month__lte=self.last)
        if model is MonthlyStat and self.scope.organisation_ids is not None:
            if self.service_type or self.kind or by_kind:
                rows = rows.exclude(kind=ALL)
            else:
                rows = rows.filter(kind=ALL)
        return self.narrow(rows, prefix="")

    def narrow(self, rows: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
        """Rows of the scope; for aggregates of England, the rows holding England's totals."""
        org_field = "handled_by_id" if rows.model is Feedback else "organisation_id"
        if self.scope.organisation_ids is not None:
            rows = rows.filter(**{f"{org_field}__in": self.scope.organisation_ids})
        elif rows.model is not Feedback:
            rows = rows.filter(organisation__isnull=True)
        if self.service_type:
            rows = rows.filter(service_type=self.service_type)
        if self.kind:
            rows = rows.filter(kind=self.kind)
        return rows

    def items(self) -> QuerySet[Feedback]:
        return self.narrow(self.scope.items())


def months_back(today: dt.date, count: int) -> tuple[dt.date, ...]:
    months = [month_of(today)]
    while len(months) < count:
        months.insert(0, month_of(months[0] - dt.timedelta(days=1)))
    return tuple(months)


# ---------------------------------------------------------------------------------------------
# Tables: every chart's data, shown as a table and downloadable as CSV
# ---------------------------------------------------------------------------------------------


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


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


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


def month_label(month: dt.date) -> str:
    return month.strftime("%b %Y")


# ---------------------------------------------------------------------------------------------
# Response times
# ---------------------------------------------------------------------------------------------


def _open_overdue_by_month(filters: Filters, today: dt.date) -> dict[dt.date, int]:
    """Running (not paused) complaints and concerns past their due date, by month due."""
    rows = (
        filters.items()
        .filter(
            status__in=RUNNING,
            kind__in=CLOCKED_KINDS,
            response_due__lt=today,
            response_due__gte=filters.first,
        )
        .annotate(m=TruncMonth("response_due"))
        .values("m")
        .annotate(n=Count("*"))
    )
    return {_as_date(r["m"]): r["n"] for r in rows}


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


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
    totals = Counter[str]()
    for month in filters.months:
        row = by_month.get(month, {})
        on_time, late = row.get("on_time") or 0, row.get("late") or 0
        overdue = overdue_by_month.get(month, 0)
        totals.update(on_time=on_time, late=late, overdue=overdue)
        totals.update(ack_on_time=row.get("ack_on_time") or 0, ack_late=row.get("ack_late") or 0)
        trend.rows.append(
            [month_label(month), on_time, late, overdue, share(on_time, on_time + late + overdue)]
        )
    this_month = trend.rows[-1]
    decided = totals["on_time"] + totals["late"] + totals["overdue"]
    ack_decided = totals["ack_on_time"] + totals["ack_late"] + unacknowledged_late
    median_response = median_of(response_hist)
    median_resolution = median_of(resolution_hist)

    headlines = [
        Headline(
            "Answered within target this month",
            _percent(this_month[4]),
            f"{this_month[1]} of {this_month[1] + this_month[2] + this_month[3]} due in "
            f"{this_month[0]}",
        ),
        Headline(
            f"Answered within target, {filters.period_label.lower()}",
            _percent(share(totals["on_time"], decided)),
            f"{totals['on_time']} of {decided} due",
        ),
        Headline(
            "Acknowledged within 3 working days",
            _percent(share(totals["ack_on_time"], ack_decided)),
            f"{totals['ack_on_time']} of {ack_decided} received",
        ),
        Headline(
            "Median days to response",
            _days(median_response),
            f"{sum(response_hist.values())} responses sent",
        ),
        Headline(
            "Median days to resolution",
            _days(median_resolution),
            f"{sum(resolution_hist.values())} resolved",
        ),
    ]

    open_items = filters.items().filter(status__in=OPEN, kind__in=CLOCKED_KINDS)
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

    overdue_items = (
        filters.items()
        .filter(status__in=RUNNING, kind__in=CLOCKED_KINDS, response_due__lt=today)
        .order_by("response_due", "pk")
    )
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
        user,
        today,
    )
    paused_table = _item_table(
        "paused",
        "Paused: waiting for the complainant",
        _first(paused_items, 50),
        user,
        today,
    )
    return {
        "headlines": headlines,
        "tables": [trend, age_table, overdue_table, paused_table],
        "overdue_count": overdue_count,
        "paused_count": paused_count,
    }


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
    slug: str, title: str, items: Iterable[Feedback], user: User, today: dt.date
) -> Table:
    table = Table(
        slug,
        title,
        ["Item", "Organisation", "Received", "Response due", "Days overdue", "Status"],
    )
    for item in items:
        link = f"/staff/items/{item.pk}/" if user.organisation_id == item.handled_by_id else ""
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


# ---------------------------------------------------------------------------------------------
# What patients say
# ---------------------------------------------------------------------------------------------

SENTIMENT_FIELDS = ("sentiment_1", "sentiment_2", "sentiment_3", "sentiment_4", "sentiment_5")
CHANNEL_FIELDS = {f"channel_{value}": label for value, label in Channel.choices}
ROUTE_FIELDS = {f"route_{value}": label for value, label in Route.choices}
RISK_FIELDS = {
    "risk_safeguarding": "Safeguarding concern",
    "risk_mental_health_act": "Mental Health Act",
    "risk_serious": "Serious risk to safety",
}


def what_patients_say(filters: Filters) -> dict[str, Any]:
    sums = {
        name: Sum(name)
        for name in (
            "received",
            *SENTIMENT_FIELDS,
            *CHANNEL_FIELDS,
            *ROUTE_FIELDS,
            *RISK_FIELDS,
        )
    }
    monthly = {row["month"]: row for row in filters.stats().values("month").annotate(**sums)}
    by_kind = {
        row["kind"]: row["n"]
        for row in filters.stats(by_kind=True).values("kind").annotate(n=Sum("received"))
    }
    totals: Counter[str] = Counter()
    for row in monthly.values():
        totals.update({k: v or 0 for k, v in row.items() if k != "month"})

    volume = Table(
        "volume",
        "Feedback received by month",
        ["Month", "Items received"],
        chart="columns",
        series=["Items received"],
    )
    sentiment = Table(
        "sentiment",
        "Sentiment by month (share of analysed items)",
        ["Month", "Positive (%)", "Neutral or mixed (%)", "Negative (%)", "Analysed items"],
        chart="stacked",
        percent=True,
        series=["Positive (%)", "Neutral or mixed (%)", "Negative (%)"],
    )
    risks = Table(
        "risks",
        "Risk flags raised by month",
        ["Month", *RISK_FIELDS.values()],
    )
    for month in filters.months:
        row = monthly.get(month, {})
        counts = [row.get(name) or 0 for name in SENTIMENT_FIELDS]
        analysed = sum(counts)
        volume.rows.append([month_label(month), row.get("received") or 0])
        sentiment.rows.append(
            [
                month_label(month),
                share(counts[0] + counts[1], analysed),
                share(counts[2], analysed),
                share(counts[3] + counts[4], analysed),
                analysed,
            ]
        )
        risks.rows.append([month_label(month), *(row.get(name) or 0 for name in RISK_FIELDS)])

    received = totals["received"]
    kinds = Table(
        "kinds",
        "Feedback by kind",
        ["Kind", "Items", "Share (%)"],
        chart="bars",
        series=["Items"],
    )
    for value, label in Kind.choices:
        kinds.rows.append([label, by_kind.get(value, 0), share(by_kind.get(value, 0), received)])
    channels = Table(
        "channels",
        "Feedback by channel",
        ["Channel", "Items", "Share (%)"],
        chart="bars",
        series=["Items"],
    )
    for name, label in CHANNEL_FIELDS.items():
        channels.rows.append([label, totals[name], share(totals[name], received)])
    routes = Table(
        "routes",
        "Where feedback was routed",
        ["Queue", "Items", "Share (%)"],
        chart="bars",
        series=["Items"],
    )
    for name, label in ROUTE_FIELDS.items():
        routes.rows.append([label, totals[name], share(totals[name], received)])

    top, rising = _themes(filters)
    checks, pending = _risk_checks(filters)
    return {
        "received": received,
        "risk_total": sum(totals[name] for name in RISK_FIELDS),
        "checks_pending": pending,
        "tables": [volume, kinds, channels, sentiment, top, rising, routes, risks, checks],
    }


def _risk_checks(filters: Filters) -> tuple[Table, int]:
    """Possible risks the reader was unsure of, by month received: how many, what people decided,
    and how long the check took (hours from routing to the decision). Few items are flagged, so
    they are read from the items themselves (a partial index holds only them)."""
    table = Table(
        "risk_checks",
        "Possible risks checked by a person, by month received",
        ["Month", "Flagged", "Confirmed (sent to the CQC)", "Dismissed", "Still to check",
         "Median hours to check"],
    )  # fmt: skip
    flagged = (
        filters.items()
        .exclude(risk_check="")
        .filter(received_at__gte=_day_start(filters.first))
        .values_list("received_at", "risk_check", "routed_at", "risk_checked_at")
    )
    by_month: dict[dt.date, list[Any]] = {month: [] for month in filters.months}
    for received_at, outcome, routed_at, checked_at in flagged:
        month = timezone.localtime(received_at).date().replace(day=1)
        if month in by_month:
            by_month[month].append((outcome, routed_at, checked_at))
    pending = 0
    for month, rows in by_month.items():
        hours = sorted(
            (checked - routed).total_seconds() / 3600
            for _, routed, checked in rows
            if routed is not None and checked is not None
        )
        waiting = sum(outcome == RiskCheck.PENDING for outcome, _, _ in rows)
        pending += waiting
        table.rows.append(
            [
                month_label(month),
                len(rows),
                sum(outcome == RiskCheck.CONFIRMED for outcome, _, _ in rows),
                sum(outcome == RiskCheck.DISMISSED for outcome, _, _ in rows),
                waiting,
                round(statistics.median(hours), 1) if hours else None,
            ]
        )
    return table, pending


def _themes(filters: Filters) -> tuple[Table, Table]:
    by_theme: dict[str, Counter[str]] = defaultdict(Counter)
    recent, earlier = _rising_windows(filters)
    window_rows = (
        filters.narrow(
            MonthlyThemeStat.objects.filter(month__gte=earlier[0], month__lte=recent[-1])
        )
        .values("month", "theme")
        .annotate(n=Sum("items"))
    )
    windows: dict[str, Counter[str]] = {"recent": Counter(), "earlier": Counter()}
    for row in window_rows:
        window = "recent" if row["month"] >= recent[0] else "earlier"
        windows[window][row["theme"]] += row["n"]
    for row in (
        filters.stats(MonthlyThemeStat)
        .values("theme")
        .annotate(n=Sum("items"), negative=Sum("negative"))
    ):
        by_theme[row["theme"]].update(items=row["n"], negative=row["negative"])
    top = Table(
        "themes",
        "Top themes",
        ["Theme", "Items", "Of which negative (%)"],
        chart="bars",
        series=["Items"],
    )
    for theme, counts in sorted(by_theme.items(), key=lambda kv: (-kv[1]["items"], kv[0]))[:10]:
        top.rows.append(
            [
                THEME_LABELS.get(theme, theme),
                counts["items"],
                share(counts["negative"], counts["items"]),
            ]
        )
    span = len(recent)
    rising = Table(
        "rising-themes",
        f"Themes rising fastest: the last {span} month{'s' if span > 1 else ''} against the "
        f"{span} before",
        ["Theme", "Items before", "Items now", "Increase"],
        note="Themes with at least 5 items now, ordered by the increase.",
    )
    changes = []
    for theme in set(windows["recent"]) | set(windows["earlier"]):
        now, before = windows["recent"][theme], windows["earlier"][theme]
        if now >= 5 and now > before:
            changes.append((now - before, theme, before, now))
    for increase, theme, before, now in sorted(changes, key=lambda c: (-c[0], c[1]))[:10]:
        rising.rows.append([THEME_LABELS.get(theme, theme), before, now, increase])
    return top, rising


def _rising_windows(filters: Filters) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    span = 3 if len(filters.months) >= 3 else 1
    recent = filters.months[-span:]
    earlier = months_back(recent[0] - dt.timedelta(days=1), span)
    return recent, earlier


# ---------------------------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------------------------


@dataclass
class PeerFigures:
    organisation: Organisation
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    received: int = 0
    histogram: Counter[int] = field(default_factory=Counter)

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def compliance(self) -> float | None:
        return share(self.on_time, self.due)


@dataclass
class OrganisationFigures:
    """Every organisation's figures for the period, read once for all the peer tables."""

    sums: dict[int, Any]
    histograms: dict[int, Counter[int]]
    overdue: dict[int, int]


def organisation_figures(filters: Filters) -> OrganisationFigures:
    rows = MonthlyStat.objects.filter(
        month__gte=filters.first, month__lte=filters.last, organisation__isnull=False
    )
    if filters.service_type or filters.kind:
        rows = rows.exclude(kind=ALL)
        if filters.service_type:
            rows = rows.filter(service_type=filters.service_type)
        if filters.kind:
            rows = rows.filter(kind=filters.kind)
    else:
        rows = rows.filter(kind=ALL)
    sums = {
        row["organisation_id"]: row
        for row in rows.values("organisation_id").annotate(
            on_time=Sum("due_on_time"), late=Sum("due_late"), received_n=Sum("received")
        )
    }
    overdue = Feedback.objects.filter(
        status__in=RUNNING,
        kind__in=CLOCKED_KINDS,
        response_due__lt=timezone.localdate(),
        response_due__gte=filters.first,
        handled_by__isnull=False,
    )
    if filters.service_type:
        overdue = overdue.filter(service_type=filters.service_type)
    if filters.kind:
        overdue = overdue.filter(kind=filters.kind)
    return OrganisationFigures(
        sums=sums,
        histograms=histogram_sums(rows, "response_days", by_organisation=True),
        overdue={
            row["handled_by_id"]: row["n"]
            for row in overdue.values("handled_by_id").annotate(n=Count("*"))
        },
    )


def _peer_figures(
    figures_by_org: OrganisationFigures,
    groups: dict[int, Organisation],
    key_of: dict[int, int],
) -> list[PeerFigures]:
    """Figures per peer; ``key_of`` maps each counted organisation to the peer it counts for."""
    figures = {pk: PeerFigures(org) for pk, org in groups.items()}
    for org_id, peer_id in key_of.items():
        peer = figures[peer_id]
        row = figures_by_org.sums.get(org_id)
        if row is not None:
            peer.on_time += row["on_time"] or 0
            peer.late += row["late"] or 0
            peer.received += row["received_n"] or 0
        peer.histogram.update(figures_by_org.histograms.get(org_id, Counter()))
        peer.overdue += figures_by_org.overdue.get(org_id, 0)
    return list(figures.values())


def _ranked_table(slug: str, title: str, peers: list[PeerFigures], subject_id: int | None) -> Table:
    ranked = sorted(
        peers,
        key=lambda p: (
            p.due < MIN_TO_RANK,
            -(p.compliance or 0),
            p.organisation.name,
        ),
    )
    table = Table(
        slug,
        title,
        [
            "Rank",
            "Organisation",
            "Responses due",
            "Within target (%)",
            "Median days to response",
            "Items received",
        ],
        note=f"Ranked by the share answered within target; organisations with fewer than "
        f"{MIN_TO_RANK} responses due are listed last, unranked.",
    )
    rank = 0
    for peer in ranked:
        rankable = peer.due >= MIN_TO_RANK
        rank += rankable
        name = peer.organisation.name + (" (you)" if peer.organisation.pk == subject_id else "")
        table.rows.append(
            [
                rank if rankable else "Not ranked",
                name,
                peer.due,
                peer.compliance,
                median_of(peer.histogram),
                peer.received,
            ]
        )
    return table


def _learn_from(peers: list[PeerFigures], subject_id: int | None) -> list[PeerFigures]:
    ranked = [p for p in peers if p.due >= MIN_TO_RANK and p.organisation.pk != subject_id]
    return sorted(ranked, key=lambda p: (-(p.compliance or 0), p.organisation.name))[:3]


def peers(filters: Filters) -> dict[str, Any]:
    """Comparable organisations, ranked, for the scope's subject."""
    subject = filters.scope.subject
    organisations = {o.pk: o for o in Organisation.objects.filter(is_active=True)}
    groups: list[tuple[str, str, dict[int, Organisation], dict[int, int]]] = []
    if subject is not None and subject.kind == OrganisationKind.TRUST:
        same_icb = {pk: o for pk, o in organisations.items() if o.icb_id == subject.icb_id}
        icb_name = organisations[subject.icb_id].name if subject.icb_id else "no ICB"
        groups.append(("peers-icb", f"Trusts in {icb_name}", same_icb, {pk: pk for pk in same_icb}))
        if subject.trust_type:
            same_type = {
                pk: o
                for pk, o in organisations.items()
                if o.kind == OrganisationKind.TRUST and o.trust_type == subject.trust_type
            }
            label = TrustType(subject.trust_type).label.lower()
            groups.append(
                (
                    "peers-type",
                    f"Other {label} trusts in England",
                    same_type,
                    {pk: pk for pk in same_type},
                )
            )
    elif subject is not None and subject.kind == OrganisationKind.ICB:
        icbs = {
            pk: o
            for pk, o in organisations.items()
            if o.kind == OrganisationKind.ICB and o.region_id == subject.region_id
        }
        groups.append(
            (
                "peers-icbs",
                "Integrated care boards in the same region, each with its trusts",
                icbs,
                _systems(organisations, icbs),
            )
        )
        trusts = {pk: o for pk, o in organisations.items() if o.icb_id == subject.pk}
        groups.append(
            ("peers-trusts", f"Trusts in {subject.name}", trusts, {pk: pk for pk in trusts})
        )
    else:
        icbs = {pk: o for pk, o in organisations.items() if o.kind == OrganisationKind.ICB}
        groups.append(
            (
                "peers-icbs",
                "Integrated care boards in England, each with its trusts",
                icbs,
                _systems(organisations, icbs),
            )
        )
        trusts = {pk: o for pk, o in organisations.items() if o.kind == OrganisationKind.TRUST}
        groups.append(("peers-trusts", "NHS trusts in England", trusts, {pk: pk for pk in trusts}))
    subject_id = subject.pk if subject is not None else None
    by_org = organisation_figures(filters)
    tables, learn = [], []
    for slug, title, members, key_of in groups:
        figures = _peer_figures(by_org, members, key_of)
        tables.append(_ranked_table(slug, title, figures, subject_id))
        learn.append((title, _learn_from(figures, subject_id)))
    return {"tables": tables, "learn_from": learn}


def _systems(
    organisations: dict[int, Organisation], icbs: dict[int, Organisation]
) -> dict[int, int]:
    """Each ICB and each of its trusts, mapped to the ICB."""
    key_of = {pk: pk for pk in icbs}
    for pk, org in organisations.items():
        if org.icb_id in icbs:
            key_of[pk] = org.icb_id
    return key_of


def table_by_slug(tables: Sequence[Table], slug: str) -> Table | None:
    return next((t for t in tables if t.slug == slug), None)
