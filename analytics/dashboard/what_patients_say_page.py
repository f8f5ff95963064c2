"""The what patients say page: feedback received by month, kind, channel, sentiment, theme and
route; the risk flags raised and the possible risks a person checked."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from analytics.dashboard.filters import Filters, months_back
from analytics.dashboard.tables import Table, month_label, share
from analytics.models import MonthlyThemeStat
from analytics.stats import month_start
from analytics.themes import THEMES
from feedback.choices import Channel, Kind, RiskCheck, Route

THEME_LABELS = {t.slug: t.label for t in THEMES}

SENTIMENT_FIELDS = ("sentiment_1", "sentiment_2", "sentiment_3", "sentiment_4", "sentiment_5")
# The answers to the FFT question, 1 very good ... 5 very poor, 6 don't know (FftRating).
FFT_FIELDS = ("fft_1", "fft_2", "fft_3", "fft_4", "fft_5", "fft_6")
FFT_NOTE = (
    "As NHS England publishes the Friends and Family Test: the share of all answers that were "
    "Very good or Good (positive) and Poor or Very poor (negative). Don't know counts in the "
    "answers, in neither share. Only answers to the FFT question count, each for the provider "
    "that gave the care, wherever it was routed. Counted once the answers' free text is read and "
    "routed."
)
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
            *FFT_FIELDS,
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
    fft = Table(
        "fft",
        "Friends and Family Test answers by month",
        ["Month", "Positive (%)", "Negative (%)", "Answers"],
        chart="columns",
        percent=True,
        series=["Positive (%)", "Negative (%)"],
        note=FFT_NOTE,
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
        fft.rows.append([month_label(month), *fft_shares([row.get(f) or 0 for f in FFT_FIELDS])])

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
    fft_positive, fft_negative, fft_answers = fft_shares([totals[f] for f in FFT_FIELDS])
    return {
        "received": received,
        "fft": {"positive": fft_positive, "negative": fft_negative, "answers": fft_answers},
        "risk_total": sum(totals[name] for name in RISK_FIELDS),
        "checks_pending": pending,
        "tables": [volume, kinds, channels, sentiment, fft, top, rising, routes, risks, checks],
    }


def fft_shares(answers: list[int]) -> tuple[float | None, float | None, int]:
    """Percentages positive and negative of FFT answers counted by rating (1 very good ... 6
    don't know), and how many answers: NHS England's method, every answer in the denominator,
    Don't know included (in neither numerator)."""
    total = sum(answers)
    very_good, good, _neither, poor, very_poor, _dont_know = answers
    return share(very_good + good, total), share(poor + very_poor, total), total


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
        .filter(received_at__gte=month_start(filters.first))
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
