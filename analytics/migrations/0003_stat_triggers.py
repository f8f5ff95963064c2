"""Database triggers that note every change to an item or its themes (see analytics.db_triggers)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from analytics.db_triggers import (
    POSTGRESQL,
    POSTGRESQL_REVERSE,
    SQLITE_TRIGGERS,
)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        # Made after every migrate instead (analytics.apps): SQLite rebuilds feedback_feedback
        # to add a NOT NULL column, which triggers on and around it would break.
        pass
    else:  # pragma: no cover - the project runs on PostgreSQL and, for `make run`, SQLite
        raise NotImplementedError(f"No change triggers for {vendor}")


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    else:
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_monthly_stats")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
