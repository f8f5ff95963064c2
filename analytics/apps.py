from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


def _sqlite_triggers_off(*, using: str = "default", **_: Any) -> None:
    """SQLite rebuilds a table to add a NOT NULL column; the change triggers on and around
    ``feedback_feedback`` would break that rebuild, so they are dropped for the migration and
    made again after it (``_sqlite_triggers_on``). PostgreSQL alters tables in place."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    from analytics import db_triggers as stat_triggers

    with connection.cursor() as cursor:
        for name in stat_triggers.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _sqlite_triggers_on(*, using: str = "default", **_: Any) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    from django.db.migrations.recorder import MigrationRecorder

    from analytics import db_triggers as stat_triggers

    applied = MigrationRecorder(connection).applied_migrations()
    if ("analytics", stat_triggers.MIGRATION) not in applied:
        return
    with connection.cursor() as cursor:
        for name in stat_triggers.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in stat_triggers.SQLITE:
            cursor.execute(statement)


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        pre_migrate.connect(_sqlite_triggers_off, sender=self)
        post_migrate.connect(_sqlite_triggers_on, sender=self)
