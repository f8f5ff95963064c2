"""Fill the monthly FFT answer counts (fft_1 ... fft_6, added by 0004) of every month already
counted, so the dashboards' FFT percentages cover the months before the counts existed without
anyone running ``rebuild_stats`` by hand (docs/adr/0017, amendment).

One aggregate query over the items (grouped by month in England, organisation, service type,
kind: an answer counts for the provider that gave the care, else for its handler, as
``analytics.stats`` counts it), then the aggregate rows written in bulk: the organisations'
detailed rows, their totals rows (kind and service "*") and England's (no organisation). It
sets the counts rather than adding to them, so running it again changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from django.db import migrations
from django.db.models import Count, DateField, F, IntegerField, Q
from django.db.models.functions import Coalesce, TruncMonth

LONDON = ZoneInfo("Europe/London")
FFT_FIELDS = ("fft_1", "fft_2", "fft_3", "fft_4", "fft_5", "fft_6")
ALL = "*"  # analytics.stats.ALL, as it was written then
BATCH = 2000


def _counts(feedback: Any) -> dict[tuple[Any, ...], Counter[str]]:
    """{(month, organisation or None, service type, kind): Counter(fft_n=answers)}: the
    organisations' detailed rows, their totals rows and England's."""
    rows = (
        feedback.objects.filter(handled_by__isnull=False, fft_rating__isnull=False)
        .annotate(
            month=TruncMonth("received_at", output_field=DateField(), tzinfo=LONDON),
            org=Coalesce(F("provider_id"), F("handled_by_id"), output_field=IntegerField()),
        )
        .order_by()
        .values("month", "org", "service_type", "kind")
        .annotate(
            **{
                field: Count("pk", filter=Q(fft_rating=number))
                for number, field in enumerate(FFT_FIELDS, start=1)
            }
        )
    )
    counts: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for row in rows:
        answers = Counter({field: row[field] for field in FFT_FIELDS})
        month, org, service, kind = row["month"], row["org"], row["service_type"], row["kind"]
        counts[(month, org, service, kind)].update(answers)
        counts[(month, org, ALL, ALL)].update(answers)
        counts[(month, None, service, kind)].update(answers)
    return counts


def fill_fft_answers(apps: Any, schema_editor: Any) -> None:
    feedback = apps.get_model("feedback", "Feedback")
    monthly_stat = apps.get_model("analytics", "MonthlyStat")
    counts = _counts(feedback)
    monthly_stat.objects.exclude(**{field: 0 for field in FFT_FIELDS}).update(
        **{field: 0 for field in FFT_FIELDS}
    )
    if not counts:
        return
    months = {key[0] for key in counts}
    existing: list[Any] = []
    for pk, *key in monthly_stat.objects.filter(month__in=months).values_list(
        "pk", "month", "organisation_id", "service_type", "kind"
    ):
        answers = counts.pop(tuple(key), None)
        if answers is not None:
            existing.append(monthly_stat(pk=pk, **{f: answers[f] for f in FFT_FIELDS}))
    monthly_stat.objects.bulk_update(existing, FFT_FIELDS, batch_size=BATCH)
    # Months and organisations with answers but no row yet (a provider whose answers were all
    # handled by others): rows of their own, every other figure zero.
    monthly_stat.objects.bulk_create(
        (
            monthly_stat(
                month=month,
                organisation_id=org,
                service_type=service,
                kind=kind,
                **{f: answers[f] for f in FFT_FIELDS},
            )
            for (month, org, service, kind), answers in counts.items()
        ),
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_monthly_fft_answers"),
        ("feedback", "0007_fft_rating"),
    ]

    operations = [migrations.RunPython(fill_fft_answers, migrations.RunPython.noop)]
