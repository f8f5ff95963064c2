"""Export internals: CSV injection, chunked reading with flat memory, and the cell encoding."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.exports import (
    EXPORT_COLUMNS,
    ExportFilters,
    ExportRowBuilder,
    csv_safe,
    feedback_export_values,
    iterate_values,
    stream_csv,
)
from analytics.models import ExportAudit
from feedback.models import FeedbackTheme, Identity
from tests.analytics.regulator import issue, item


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1", "'+44 1"),
        ("-2", "'-2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("  =cmd", "'  =cmd"),
        ("", ""),
        ("   ", "   "),
        ("a = b", "a = b"),
        ("2026-10-01", "2026-10-01"),
        ("The nurse", "The nurse"),
    ],
)
def test_csv_safe(cell, expected):
    assert csv_safe(cell) == expected


@pytest.mark.django_db
def test_an_export_is_one_query_read_a_chunk_at_a_time(trust, cqc, django_assert_max_num_queries):
    made = [item(provider=trust, handled_by=trust) for _ in range(10)]
    FeedbackTheme.objects.create(feedback=made[0], theme="parking", score=0.5)
    FeedbackTheme.objects.create(feedback=made[0], theme="staff_manner", score=0.9)
    Identity.objects.create(feedback=made[1], name="Ada Lovelace")
    made[1].text = "Ada was here"
    made[1].save()
    token, _ = issue(cqc)
    values = feedback_export_values(token, ExportFilters())
    # The organisation directory, then the rows: no query per chunk or per row.
    with CaptureQueriesContext(connection) as queries:
        builder = ExportRowBuilder()
        rows = list(builder.rows(iterate_values(values, chunk_size=4)))
    statements = [q["sql"] for q in queries.captured_queries]
    assert len([q for q in statements if not q.startswith(("SAVEPOINT", "RELEASE"))]) == 2
    assert len(rows) == 10
    assert all(len(row) == len(EXPORT_COLUMNS) for row in rows)
    themes = [row[EXPORT_COLUMNS.index("themes")] for row in rows]
    assert themes.count(["staff_manner", "parking"]) == 1
    assert themes.count([]) == 9
    texts = [row[EXPORT_COLUMNS.index("text")] for row in rows]
    assert "[NAME] was here" in texts


@pytest.mark.django_db
def test_csv_cells_encode_lists_booleans_and_nulls(trust, cqc):
    feedback = item(provider=trust, handled_by=trust, risk_safeguarding=True, risk_serious=True)
    token, _ = issue(cqc)
    audit = ExportAudit.objects.create(token=token, organisation=cqc, endpoint="feedback_csv")
    rows = ExportRowBuilder().rows(feedback_export_values(token, ExportFilters()))
    text = b"".join(stream_csv(rows, audit=audit)).decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["risk_flags"] == "safeguarding;serious_risk"
    assert row["needs_review"] == "false"
    assert row["sentiment"] == ""
    assert row["text"] == feedback.text
    audit.refresh_from_db()
    assert audit.row_count == 1 and audit.completed
