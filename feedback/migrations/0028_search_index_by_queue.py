"""Staff search reads one queue: the GIN index of migration 0015 held only the words, so a broad
search ("waited hours") found every matching item of every organisation (thousands at 1,000,000
items) before narrowing them to the handler's queue. One GIN index of the queue (``handled_by``,
through btree_gin, PostgreSQL's own extension) and the words finds the queue's matches alone;
PostgreSQL uses a multicolumn GIN index for a condition on any of its columns, so a search with
no queue (a superuser's) still uses it, and the words-only index goes (one GIN index to keep up
on every insert, not two). bench/results/search.md measures it. SQLite (`make run`) has neither.
"""

from django.db import migrations

OLD = "feedback_search_gin"
NEW = "feedback_queue_search_gin"
CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX {NEW} ON feedback_feedback USING gin (handled_by_id, search_vector);
DROP INDEX IF EXISTS {OLD};
"""
REVERSE = f"""
CREATE INDEX {OLD} ON feedback_feedback USING gin (search_vector);
DROP INDEX IF EXISTS {NEW};
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0027_correspondence_language")]

    operations = [migrations.RunPython(create, reverse)]
