"""Staff search (feedback.selectors.feedback_search) on PostgreSQL: a stored, generated tsvector
of what the patient wrote and the response, with a GIN index. Stored so that ranking many matches
reads it instead of parsing every matching text again. SQLite (`make run`) searches without it;
the column is the database's own, not a model field (no other database has the type)."""

from django.db import migrations

COLUMN = "search_vector"
INDEX = "feedback_search_gin"
# Must match feedback.selectors.SEARCH_CONFIG.
CREATE = f"""
ALTER TABLE feedback_feedback ADD COLUMN {COLUMN} tsvector GENERATED ALWAYS AS (
    to_tsvector('english'::regconfig, coalesce(text, '') || ' ' || coalesce(response_text, ''))
) STORED;
CREATE INDEX {INDEX} ON feedback_feedback USING gin ({COLUMN});
"""
DROP = f"DROP INDEX IF EXISTS {INDEX}; ALTER TABLE feedback_feedback DROP COLUMN IF EXISTS {COLUMN};"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0014_ko41_patient_age_and_complainant_status")]

    operations = [migrations.RunPython(create, drop)]
