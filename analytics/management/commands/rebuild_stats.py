"""Recount the dashboards' monthly aggregates from the items.

manage.py rebuild_stats            # everything, from scratch (after a bulk load)
manage.py rebuild_stats --pending  # only the changes not yet counted (what the worker does)
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from analytics.stats import stats_rebuild, stats_refresh


class Command(BaseCommand):
    help = "Recount the dashboards' monthly aggregates from the feedback items."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pending", action="store_true", help="Count only the changes waiting to be counted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["pending"]:
            result = stats_refresh()
            summary = f"{result.changes} changes in {result.buckets} month-organisation buckets"
        else:
            result = stats_rebuild()
            summary = "every item"
        self.stdout.write(
            f"Counted {summary}: {result.rows} aggregate rows in "
            f"{time.perf_counter() - started:.1f} s."
        )
