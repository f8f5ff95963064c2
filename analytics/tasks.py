"""Celery tasks of the analytics app: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from analytics.stats import stats_refresh

# One refresh recounts at most this many changes; the rest wait for the next minute's.
REFRESH_MAX_CHANGES = 50_000


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    time_limit=300,
)
def refresh_stats() -> int:
    """Count the items changed since the last refresh into the dashboards' aggregates."""
    return stats_refresh(wait=False, max_changes=REFRESH_MAX_CHANGES).changes
