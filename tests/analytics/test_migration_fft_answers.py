"""The monthly FFT answer counts of months before they were counted are filled by migrating."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from analytics.models import MonthlyStat
from analytics.stats import stats_rebuild
from feedback.choices import Channel
from feedback.clocks import LONDON
from tests.factories import FeedbackFactory

pytestmark = pytest.mark.django_db

FFT_FIELDS = ("fft_1", "fft_2", "fft_3", "fft_4", "fft_5", "fft_6")
MIGRATION = "0005_fill_monthly_fft_answers"


def _fft_counts() -> dict[tuple[object, ...], tuple[int, ...]]:
    return {
        (r.month, r.organisation_id, r.service_type, r.kind): tuple(
            getattr(r, f) for f in FFT_FIELDS
        )
        for r in MonthlyStat.objects.all()
        if any(getattr(r, f) for f in FFT_FIELDS)
    }


def test_migrating_fills_the_fft_counts_of_past_months(trust, other_trust, cqc):
    loader = MigrationLoader(connection)
    node = loader.graph.node_map[("analytics", MIGRATION)]
    assert ("analytics", "0004_monthly_fft_answers") in {p.key for p in node.parents}

    months = [
        dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 6, 10, tzinfo=LONDON),
    ]
    for n, rating in enumerate([1, 1, 2, 4, 5, 6, 3, 2]):
        FeedbackFactory(
            provider=trust,
            handled_by=trust if n % 3 else cqc,  # some routed to the CQC
            channel=Channel.FFT_IMPORT,
            fft_rating=rating,
            received_at=months[n % 2],
            analysis_state="done",
        )
    FeedbackFactory(provider=other_trust, handled_by=other_trust, received_at=months[1])
    stats_rebuild()
    expected = _fft_counts()
    assert expected  # there is something to fill
    # As the database was before the FFT counts existed: every other figure there, these zero.
    MonthlyStat.objects.update(**{f: 0 for f in FFT_FIELDS})

    migration = importlib.import_module(f"analytics.migrations.{MIGRATION}")
    migration.fill_fft_answers(apps, None)

    assert _fft_counts() == expected
    # Run again (a migration re-run after a failure), nothing is counted twice.
    migration.fill_fft_answers(apps, None)
    assert _fft_counts() == expected
