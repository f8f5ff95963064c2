"""The change triggers made again: a change to an item handled by another organisation than its
provider also notes the provider's month, for its FFT answer counts there (analytics.stats)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from analytics.db_triggers import POSTGRESQL, POSTGRESQL_REVERSE


def replace_triggers(apps: Any, schema_editor: Any) -> None:
    # SQLite's are made after every migrate from analytics.db_triggers (analytics.apps).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
        schema_editor.execute(POSTGRESQL)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_fill_monthly_fft_answers")]

    operations = [migrations.RunPython(replace_triggers, migrations.RunPython.noop)]
