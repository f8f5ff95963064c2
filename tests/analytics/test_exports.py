"""Export internals: CSV injection, chunked reading with flat memory, and the cell encoding."""

import csv
import datetime as dt
import io
import json
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.exports import streaming
from analytics.exports.cells import csv_line, csv_safe
from analytics.exports.filters import ExportFilters
from analytics.exports.query import EXPORT_COLUMNS, feedback_export_values
from analytics.exports.rows import ExportRowBuilder
from analytics.exports.streaming import iterate_values, stream_csv_lines
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
        rows = [tuple(r.values()) for r in builder.records(iterate_values(values, chunk_size=4))]
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
    lines = ExportRowBuilder().csv_lines(feedback_export_values(token, ExportFilters()))
    text = b"".join(stream_csv_lines(lines, audit=audit)).decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["risk_flags"] == "safeguarding;serious_risk"
    assert row["needs_review"] == "false"
    assert row["sentiment"] == ""
    assert row["text"] == feedback.text
    audit.refresh_from_db()
    assert audit.row_count == 1 and audit.completed


# The encoding the streamed exports must reproduce exactly: the csv module over cells with lists
# joined by ";", booleans as true/false and formula-like text neutralised; the json module.
_LISTS = ("themes", "risk_flags", "ko41_subjects", "communication_needs")
_BOOLEANS = ("responded_within_target", "needs_review", "on_behalf")
_TEXTS = (
    "interpreter_language",
    "provider_ods_code",
    "provider_name",
    "handled_by_ods_code",
    "handled_by_name",
    "icb_ods_code",
    "icb_name",
    "model_version",
    "route_rule",
    "question",
    "text",
)


def _reference_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        cells = dict(zip(EXPORT_COLUMNS, row, strict=True))
        for name in _LISTS:
            cells[name] = csv_safe(";".join(cells[name]))
        for name in _BOOLEANS:
            if cells[name] is not None:
                cells[name] = "true" if cells[name] else "false"
        for name in _TEXTS:
            if cells[name]:
                cells[name] = csv_safe(cells[name])
        writer.writerow(cells.values())
    return out.getvalue()


@pytest.fixture
def awkward(trust, cqc):
    """Items whose every free-text field needs care: commas, quotes, line breaks, formulas."""
    trust.name = '=Barking, Havering and Redbridge "University" Hospitals'
    trust.save()
    plain = item(provider=trust, handled_by=trust, text="Fine.", sentiment_confidence=0.5)
    made = [
        plain,
        item(
            provider=trust,
            handled_by=trust,
            text='He said "no", then left.\nNext day: worse,\r\nand worse',
            question="@What, if anything?",
            model_version="=cmd|' /C calc'!A0",
            risk_safeguarding=True,
            risk_serious=True,
            needs_review=True,
            sentiment_confidence=1e-05,
            fft_rating=5,
            ko41_subjects=["waiting_times", "communications"],
            communication_needs=["large_print", "interpreter"],
            interpreter_language="Chinese (Cantonese)",
            complainant_status="on_behalf",
            relationship="other",
            relationship_other="=neighbour, friend",
            consent="to_be_sought",
            acknowledged_at=plain.received_at + dt.timedelta(days=1),
            responded_at=plain.received_at + dt.timedelta(days=40),
            response_due=plain.received_at.date() + dt.timedelta(days=28),
        ),
        item(provider=trust, handled_by=trust, text="  =1+1", route_rule="odd, rule"),
        item(provider=None, handled_by=cqc, route="cqc", text="-2", question=" +3"),
    ]
    FeedbackTheme.objects.create(feedback=made[1], theme="parking", score=0.4)
    FeedbackTheme.objects.create(feedback=made[1], theme="-staff_manner", score=0.9)
    Identity.objects.create(feedback=made[1], name="Jane Smith", phone="07700 900123")
    return made


@pytest.mark.django_db
def test_the_streamed_csv_is_what_the_csv_module_writes(awkward, cqc):
    token, _ = issue(cqc)
    audit = ExportAudit.objects.create(token=token, organisation=cqc, endpoint="feedback_csv")
    values = feedback_export_values(token, ExportFilters())
    rows = [tuple(r.values()) for r in ExportRowBuilder().records(iterate_values(values))]
    expected = _reference_csv(rows)
    fused = ExportRowBuilder().csv_lines(iterate_values(values, chunk_size=2))
    assert b"".join(stream_csv_lines(fused, audit=audit)).decode() == expected
    # The generic line (csv_lines' fallback) gives the same.
    assert "".join(csv_line(row) + "\r\n" for row in rows) == expected.split("\r\n", 1)[1]
    # Django's own iterator (dicts) gives the same as the raw cursor.
    assert (
        "".join(line + "\r\n" for line in ExportRowBuilder().csv_lines(values))
        == (expected.split("\r\n", 1)[1])
    )
    parsed = list(csv.DictReader(io.StringIO(expected)))
    assert parsed[1]["ko41_subjects"] == "waiting_times;communications"
    assert parsed[1]["themes"] == "'-staff_manner;parking"
    assert parsed[1]["risk_flags"] == "safeguarding;serious_risk"
    assert parsed[1]["communication_needs"] == "large_print;interpreter"
    assert parsed[1]["interpreter_language"] == "Chinese (Cantonese)"
    assert [row["on_behalf"] for row in parsed] == ["", "true", "", ""]
    assert (parsed[1]["relationship"], parsed[1]["consent"]) == ("other", "to_be_sought")
    assert "neighbour" not in expected  # a representative's own words stay in the service
    assert [row["fft_rating"] for row in parsed] == ["", "5", "", ""]
    assert parsed[1]["provider_name"].startswith("'=Barking, Havering")


@pytest.mark.django_db
def test_the_streamed_ndjson_is_what_the_json_module_writes(awkward, cqc):
    token, _ = issue(cqc)
    audit = ExportAudit.objects.create(token=token, organisation=cqc, endpoint="feedback_ndjson")
    values = feedback_export_values(token, ExportFilters())
    records = list(ExportRowBuilder().records(iterate_values(values)))
    assert [tuple(r) for r in records] == [EXPORT_COLUMNS] * len(records)
    rows = [tuple(r.values()) for r in records]
    expected = "".join(
        json.dumps(
            dict(zip(EXPORT_COLUMNS, row, strict=True)), ensure_ascii=False, separators=(",", ":")
        )
        + "\n"
        for row in rows
    )
    assert b"".join(streaming.stream_ndjson(iter(rows), audit=audit)).decode() == expected
    assert b"".join(streaming.stream_ndjson(iter(records), audit=audit)).decode() == expected
    lines = [json.loads(line) for line in expected.splitlines()]
    assert lines[1]["ko41_subjects"] == ["waiting_times", "communications"]
    assert lines[1]["sentiment_confidence"] == 1e-05
    assert '"sentiment_confidence":1e-05' in expected


def test_the_reader_thread_hands_over_every_chunk_then_stops():
    chunks = [[1, 2], [3], []]
    read = streaming._read_ahead(lambda size: chunks.pop(0), 2)
    assert list(read) == [[1, 2], [3]]


def test_a_failed_read_reaches_the_caller_and_an_early_stop_ends_the_reader():
    def failing(size):
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError, match="connection lost"):
        list(streaming._read_ahead(failing, 2))

    endless = streaming._read_ahead(lambda size: [0] * size, 3)
    assert next(endless) == [0, 0, 0]
    endless.close()
    assert not [t for t in threading.enumerate() if t.name == "export-reader"]


@pytest.mark.django_db
def test_the_stored_redaction_is_exported_and_an_unread_item_is_exported_without_its_text(
    trust, cqc
):
    """Exports stream what the worker stored; an item the worker has not read yet goes out
    without its text and question (never unredacted), and its analysis state says why."""
    read = item(
        provider=trust,
        handled_by=trust,
        text="Call Jane Smith on 07700 900123.",
        question="What could we do better, Jane?",
        text_redacted="Call [NAME] on [PHONE].",
        question_redacted="What could we do better, [NAME]?",
    )
    unread = item(
        provider=trust,
        handled_by=trust,
        text="Call Ravi Patel on 07700 900456.",
        question="Anything else, Ravi?",
        analysis_state="queued",
    )
    token, _ = issue(cqc)
    rows = list(ExportRowBuilder().records(feedback_export_values(token, ExportFilters())))
    by_state = {r["analysis_state"]: r for r in rows}
    assert by_state["done"]["text"] == "Call [NAME] on [PHONE]."
    assert by_state["done"]["question"] == "What could we do better, [NAME]?"
    assert by_state["queued"]["text"] is None and by_state["queued"]["question"] is None
    audit = ExportAudit.objects.create(token=token, organisation=cqc, endpoint="feedback_csv")
    lines = ExportRowBuilder().csv_lines(feedback_export_values(token, ExportFilters()))
    text = b"".join(stream_csv_lines(lines, audit=audit)).decode()
    assert "Ravi" not in text and "900456" not in text and "Jane" not in text
    assert "Call [NAME] on [PHONE]." in text
    assert read.pk and unread.pk


@pytest.mark.django_db
def test_communication_needs_are_exported_and_an_odd_language_is_made_safe(trust, cqc):
    needs = item(
        provider=trust,
        handled_by=trust,
        text="Fine.",
        communication_needs=["bsl", "interpreter"],
        # Never let in by intake (a language is letters), but the cell is made safe all the same.
        interpreter_language='=Farsi, "Dari"',
    )
    none = item(provider=trust, handled_by=trust, text="Fine.")
    token, _ = issue(cqc)
    values = feedback_export_values(token, ExportFilters())
    records = {r["id"]: r for r in ExportRowBuilder().records(iterate_values(values))}
    builder = ExportRowBuilder()
    assert records[builder.pseudonym(needs.pk)]["communication_needs"] == ["bsl", "interpreter"]
    assert records[builder.pseudonym(needs.pk)]["interpreter_language"] == '=Farsi, "Dari"'
    assert records[builder.pseudonym(none.pk)]["communication_needs"] == []
    assert records[builder.pseudonym(none.pk)]["interpreter_language"] is None
    parsed = list(
        csv.DictReader(
            io.StringIO(
                "\r\n".join([",".join(EXPORT_COLUMNS), *builder.csv_lines(iterate_values(values))])
            )
        )
    )
    by_id = {row["id"]: row for row in parsed}
    assert by_id[builder.pseudonym(needs.pk)]["communication_needs"] == "bsl;interpreter"
    assert by_id[builder.pseudonym(needs.pk)]["interpreter_language"] == '\'=Farsi, "Dari"'
    assert by_id[builder.pseudonym(none.pk)]["communication_needs"] == ""
