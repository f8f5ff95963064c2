"""FFT uploads as the patient experience team uses them: the staff page and the staff API.

The worker's task runs in the test (as the worker would, once the upload is committed); the
analysis messages it sends are recorded, not sent.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.ml.analyser import ModelUnavailable
from feedback.choices import (
    AnalysisState,
    Channel,
    FftUploadStatus,
    Kind,
    OrganisationKind,
    Role,
)
from feedback.clocks import LONDON
from feedback.models import AuditEvent, Feedback, FftUpload
from feedback.services import fft_rows, fft_uploads
from tests.factories import FeedbackFactory, UserFactory
from tests.fft_files import (
    ENCRYPTED_XLSX,
    PDF,
    QUESTION,
    ROWS,
    XLS,
    as_dates,
    csv_bytes,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks, attachment_storage) -> Any:
    """Runs each upload's task when its upload is committed; records the analysis messages
    (queue, first item) instead of sending them."""
    from feedback import tasks

    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(
        tasks.process_fft_upload,
        "apply_async",
        lambda args, **options: tasks.process_fft_upload.apply(args),
    )
    monkeypatch.setattr(
        tasks.analyse_feedback,
        "apply_async",
        lambda args, queue=None, **options: sent.append((queue, args[0])),
    )

    class Worker:
        messages = sent

        @staticmethod
        def run(action: Any, *args: Any, **kwargs: Any) -> Any:
            with django_capture_on_commit_callbacks(execute=True):
                return action(*args, **kwargs)

    return Worker


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust, role=Role.HANDLER)


@pytest.fixture
def browser(handler) -> Client:
    client = Client()
    client.force_login(handler)
    return client


@pytest.fixture
def api(handler) -> APIClient:
    client = APIClient()
    client.force_login(handler)
    return client


def post_page(worker: Any, client: Client, name: str, content: bytes) -> Any:
    return worker.run(client.post, "/staff/fft-uploads/", {"file": upload(name, content)})


def post_api(worker: Any, client: APIClient, name: str, content: bytes) -> Any:
    return worker.run(
        client.post, "/api/v1/fft-uploads/", {"file": upload(name, content)}, format="multipart"
    )


def routed_by_rules(monkeypatch) -> list[int]:
    """What the worker does with the items queued (by the routing rules: no model loaded)."""
    from feedback.services import analysis

    def unavailable() -> Any:
        raise ModelUnavailable("not loaded in this test")

    monkeypatch.setattr(analysis, "reader", unavailable)
    done: list[int] = []
    while batch := analysis.feedback_analyse_batch():
        done.extend(batch)
    return done


# --- Taking an export in ---------------------------------------------------------------------


def test_a_csv_export_becomes_fft_feedback_of_the_trust_queued_for_analysis(
    worker, browser, handler, trust, icb, attachment_storage
):
    assert (
        "Upload Friends and Family Test answers"
        in browser.get("/staff/fft-uploads/").content.decode()
    )

    response = post_page(worker, browser, "FFT October 2026.csv", csv_bytes())
    upload_row = FftUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/fft-uploads/{upload_row.pk}/"
    page = browser.get(response["Location"]).content.decode()
    assert "Done: 6 of 6 rows added as new FFT feedback; 0 were held already" in page
    assert "FFT October 2026.csv" in page

    items = list(Feedback.objects.order_by("received_at", "pk"))
    assert len(items) == 6
    assert {i.channel for i in items} == {Channel.FFT_IMPORT}
    assert {i.provider for i in items} == {trust} and {i.area for i in items} == {icb}
    assert {i.analysis_state for i in items} == {AnalysisState.QUEUED}
    assert [i.fft_rating for i in items] == [1, 2, 4, 5, 6, 3]
    # FFT comments are not complaints: no response clock, whatever the rating.
    assert [i.kind for i in items] == [Kind.COMPLIMENT, Kind.COMPLIMENT] + [Kind.SUGGESTION] * 4
    assert items[0].received_at == dt.datetime(2026, 10, 1, tzinfo=LONDON)
    assert items[0].question == QUESTION
    assert items[0].text == "The nurses on ward 7 were kind and quick."
    assert items[4].text == ""  # a rating on its own is an answer too
    assert {i.service_type for i in items} == {"acute", ""}
    # One analysis message for the batch, on the bulk queue: not one per row.
    assert worker.messages == [("analysis_bulk", items[0].pk)]

    upload_row.refresh_from_db()
    assert (upload_row.status, upload_row.rows_total, upload_row.rows_added) == ("done", 6, 6)
    assert upload_row.uploaded_by == handler and upload_row.file_format == "csv"
    assert upload_row.stored_as == ""  # the file is not kept once read
    assert not list(Path(attachment_storage).rglob("*.csv"))
    received = AuditEvent.objects.get(action="fft_upload_received")
    assert received.actor == handler and received.detail["fft_upload"] == upload_row.pk
    assert AuditEvent.objects.filter(action="fft_upload_done").count() == 1
    submitted = AuditEvent.objects.filter(action="submitted", feedback__in=items)
    assert submitted.count() == 6
    assert {e.detail["fft_upload"] for e in submitted} == {upload_row.pk}


def test_a_workbook_over_the_api_is_taken_the_same_way(worker, api, trust):
    content = xlsx_bytes(as_dates(ROWS), title_rows=["Friends and Family Test: October 2026"])
    response = post_api(worker, api, "fft.xlsx", content)
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/v1/fft-uploads/{body['id']}/"
    result = api.get(body["url"]).json()
    assert result["status"] == "done"
    assert result["file_format"] == "xlsx"
    assert (result["rows_total"], result["rows_added"], result["rows_duplicate"]) == (6, 6, 0)
    assert result["row_errors"] == [] and result["problem"] == ""
    assert Feedback.objects.filter(provider=trust, channel=Channel.FFT_IMPORT).count() == 6
    listed = api.get("/api/v1/fft-uploads/").json()
    assert [u["id"] for u in listed] == [body["id"]]


def test_an_icb_uploads_the_answers_about_services_it_commissions(worker, icb):
    client = Client()
    client.force_login(UserFactory(organisation=icb))
    content = csv_bytes([("01/10/2026", "", "Good", "Nice practice nurse", "GP")])
    post_page(worker, client, "gp-fft.csv", content)
    item = Feedback.objects.get()
    assert (item.provider, item.area, item.service_type) == (None, icb, "gp")


# --- Nothing half-saved ----------------------------------------------------------------------


def test_an_export_with_bad_rows_saves_nothing_and_lists_them_by_line(worker, browser, api):
    rows = [
        ("01/10/2026", "", "Very good", "Fine", ""),
        ("02/10/2026", "", "Excellent", "Fine", ""),
        ("03/10/2026", "", "Good", "Fine", ""),
        ("31/09/2026", "", "Good", "Fine", ""),
        ("01/01/2099", "", "Poor", "x" * 5001, ""),
    ]
    response = post_page(worker, browser, "october.csv", csv_bytes(rows))
    page = browser.get(response["Location"]).content.decode()
    assert not Feedback.objects.exists()
    assert "Nothing was saved: 3 rows of 5 have a problem." in page
    assert "Rows to correct" in page
    assert "The rating “Excellent” is not an FFT answer" in page
    # The date cell is not quoted back (it may hold anything): the column and the rule are.
    assert "The date is not a date that can be read" in page and "(column “Date”)" in page
    assert "31/09/2026" not in page
    assert "is in the future" in page and "The free text is 5,001 characters" in page
    result = api.get(f"/api/v1/fft-uploads/{FftUpload.objects.get().pk}/").json()
    assert result["status"] == "rejected"
    assert [(e["line"], len(e["messages"])) for e in result["row_errors"]] == [
        (3, 1),
        (5, 1),
        (6, 2),
    ]
    assert result["row_error_count"] == 3
    assert worker.messages == []


def test_a_long_list_of_bad_rows_is_cut_and_counted(worker, browser, settings):
    settings.FFT_UPLOAD_ERRORS_KEPT = 2
    rows = [("01/10/2026", "", "Superb", "Fine", "")] * 5
    response = post_page(worker, browser, "october.csv", csv_bytes(rows))
    page = browser.get(response["Location"]).content.decode()
    assert "The first 2 are listed; 3 more rows have problems too (5 in all)." in page
    assert page.count("is not an FFT answer") == 2


# --- Never twice -----------------------------------------------------------------------------


def test_the_same_file_twice_adds_nothing_the_second_time(worker, browser):
    content = csv_bytes()
    post_page(worker, browser, "october.csv", content)
    response = post_page(worker, browser, "october (1).csv", content)
    second = FftUpload.objects.order_by("-pk").first()
    assert (second.status, second.rows_added, second.rows_duplicate) == ("done", 0, 6)
    assert Feedback.objects.count() == 6
    page = browser.get(response["Location"]).content.decode()
    assert "Done: 0 of 6 rows added as new FFT feedback; 6 were held already" in page
    assert "The same file was uploaded on" in page


def test_an_overlapping_export_adds_only_the_new_answers(worker, api):
    post_api(worker, api, "to 3 october.csv", csv_bytes(ROWS[:4]))
    response = post_api(worker, api, "from 2 october.csv", csv_bytes(ROWS[2:]))
    result = api.get(response.json()["url"]).json()
    assert (result["rows_total"], result["rows_added"], result["rows_duplicate"]) == (4, 2, 2)
    assert Feedback.objects.count() == 6


def test_identical_answers_of_different_patients_all_count(worker, api):
    """Two patients rating "Very good" on the same day without a comment are two answers; an
    export repeating them is still recognised."""
    same = ("01/10/2026", "", "Very good", "", "Inpatient")
    post_api(worker, api, "two.csv", csv_bytes([same, same]))
    assert Feedback.objects.count() == 2
    post_api(worker, api, "two again.csv", csv_bytes([same, same, ROWS[1]]))
    assert Feedback.objects.count() == 3
    post_api(worker, api, "three.csv", csv_bytes([same, same, same]))
    assert Feedback.objects.count() == 4


def test_a_redelivered_message_does_nothing_twice(worker, api):
    from feedback.tasks import process_fft_upload

    response = post_api(worker, api, "october.csv", csv_bytes())
    assert process_fft_upload.apply((response.json()["id"],)).get() == "nothing to do"
    assert Feedback.objects.count() == 6


def test_an_upload_whose_worker_died_is_handed_out_again_and_counted_right(
    worker, handler, attachment_storage
):
    # Received (the task not sent: the worker that takes it dies).
    received = fft_uploads.fft_upload_receive(
        actor=handler, uploaded_file=ContentFile(csv_bytes(), name="october.csv")
    )
    upload_row = fft_uploads._claim(received.pk)
    assert upload_row is not None
    with default_storage.open(upload_row.stored_as, "rb") as file, tempfile.TemporaryFile() as t:
        fft_rows.fft_export_check(
            file=file, file_format="csv", organisation_id=upload_row.organisation_id, checked=t
        )
        first_two = next(fft_rows.read_chunks(t))[:2]
    # It saved two rows, then died while saving.
    worker.run(fft_rows.fft_rows_save, upload=upload_row, rows=first_two)
    FftUpload.objects.filter(pk=upload_row.pk).update(
        status=FftUploadStatus.SAVING, claimed_at=timezone.now() - dt.timedelta(hours=1)
    )

    later = timezone.now() + dt.timedelta(minutes=5)
    assert worker.run(fft_uploads.fft_uploads_requeue, now=later) == [upload_row.pk]
    worker.run(fft_uploads.fft_upload_process, upload_id=upload_row.pk)
    upload_row.refresh_from_db()
    assert (upload_row.status, upload_row.attempts) == ("done", 2)
    # The two saved the first time were added by this upload, not held before it.
    assert (upload_row.rows_added, upload_row.rows_duplicate) == (6, 0)
    assert Feedback.objects.count() == 6
    assert AuditEvent.objects.filter(action="fft_upload_queued").count() == 1


# --- Files refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.csv", b"", "The file is empty"),
        ("locked.xlsx", ENCRYPTED_XLSX, "The workbook is password-protected (encrypted)"),
        ("old.xls", XLS, "Excel 97-2003 workbook (.xls)"),
        ("export.csv", PDF, "The file is not a CSV or Excel file (PDF)"),
    ],
)
def test_files_that_are_not_an_export_are_refused_at_once(
    worker, browser, api, name, content, words, attachment_storage
):
    page = post_page(worker, browser, name, content)
    assert page.status_code == 400
    assert words in page.content.decode()
    assert "There is a problem" in page.content.decode()
    response = post_api(worker, api, name, content)
    assert response.status_code == 400
    assert words in response.json()["file"][0]
    assert not FftUpload.objects.exists()
    assert not [p for p in Path(attachment_storage).rglob("*") if p.is_file()]


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(worker, api, settings):
    settings.FFT_UPLOAD_MAX_BYTES = 200
    response = post_api(worker, api, "big.csv", csv_bytes())
    assert response.status_code == 400
    assert "upload exports of 0.1 MB or less" in response.json()["file"][0]
    # Far over it, the request itself is refused before anything reads it.
    response = post_api(worker, api, "huge.csv", csv_bytes() + b"x" * (1024 * 1024 + 300))
    assert response.status_code == 413
    assert "upload FFT exports of 0 MB or less" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            csv_bytes([("01/10/2026", "Good")], header=("When", "Score")),
            "The file has no free text column",
        ),
        (csv_bytes(ROWS), "The file has more than 3 rows, the most one upload can take"),
        (csv_bytes([]), "The file has a header but no rows under it"),
    ],
)
def test_an_export_the_worker_cannot_take_is_rejected_with_the_reason(
    worker, browser, settings, content, words
):
    settings.FFT_UPLOAD_MAX_ROWS = 3
    response = post_page(worker, browser, "export.csv", content)
    page = browser.get(response["Location"]).content.decode()
    assert "Nothing was saved." in page and words in page
    assert FftUpload.objects.get().status == "rejected"
    assert not Feedback.objects.exists()


def test_a_required_column_missing_is_named(worker, api):
    content = csv_bytes([("Good", "Fine")], header=("FFT response", "Comments"))
    result = api.get(post_api(worker, api, "x.csv", content).json()["url"]).json()
    assert result["problem"].startswith("The file has no date column: name it “Date”")


# --- Who sees what ---------------------------------------------------------------------------


def test_another_organisations_staff_see_neither_the_upload_nor_its_items(
    worker, api, other_trust, trust, cqc, monkeypatch
):
    upload_id = post_api(worker, api, "october.csv", csv_bytes()).json()["id"]
    routed = routed_by_rules(monkeypatch)
    assert len(routed) == 6
    items = list(Feedback.objects.all())
    assert {i.handled_by for i in items} == {trust}

    other = UserFactory(organisation=other_trust, role=Role.MANAGER)
    for client in (Client(), APIClient()):
        client.force_login(other)
        assert client.get(f"/staff/fft-uploads/{upload_id}/").status_code == 404
        assert client.get(f"/api/v1/fft-uploads/{upload_id}/").status_code == 404
        assert "october.csv" not in client.get("/staff/fft-uploads/").content.decode()
        assert client.get("/api/v1/fft-uploads/").json() == []
        for item in items:
            assert client.get(f"/staff/items/{item.pk}/").status_code == 404
            assert client.get(f"/api/v1/queue/{item.pk}/").status_code == 404
    # The trust's own staff find them in their queue.
    assert api.get(f"/api/v1/queue/{items[0].pk}/").status_code == 200


def test_the_signed_out_and_organisations_without_fft_cannot_upload(worker, cqc):
    assert Client().get("/staff/fft-uploads/").status_code == 302
    assert APIClient().get("/api/v1/fft-uploads/").status_code in (401, 403)
    response = post_api(worker, APIClient(), "x.csv", csv_bytes())
    assert response.status_code in (401, 403)

    cqc_staff = UserFactory(organisation=cqc, role=Role.MANAGER)
    assert cqc.kind == OrganisationKind.CQC
    browser = Client()
    browser.force_login(cqc_staff)
    page = browser.get("/staff/fft-uploads/").content.decode()
    assert "FFT exports are uploaded by NHS trusts and integrated care boards" in page
    assert post_page(worker, browser, "x.csv", csv_bytes()).status_code == 403
    api = APIClient()
    api.force_login(cqc_staff)
    assert post_api(worker, api, "x.csv", csv_bytes()).status_code == 403
    assert not FftUpload.objects.exists()


# --- Progress --------------------------------------------------------------------------------


def test_the_page_shows_progress_while_it_runs(browser, api, handler, trust):
    upload_row = FftUpload.objects.create(
        organisation=trust,
        uploaded_by=handler,
        file_name="october.csv",
        file_format="csv",
        file_size=100,
        file_digest="0" * 64,
        status=FftUploadStatus.CHECKING,
        rows_checked=25_000,
    )
    page = browser.get(f"/staff/fft-uploads/{upload_row.pk}/").content.decode()
    assert "Checking the rows: 25,000 checked so far." in page
    assert f'data-fft-upload-status="/api/v1/fft-uploads/{upload_row.pk}/"' in page
    assert "fft-upload-progress.js" in page
    FftUpload.objects.filter(pk=upload_row.pk).update(
        status=FftUploadStatus.SAVING, rows_total=60_000, rows_saved=4000, rows_added=3000,
        rows_duplicate=1000,
    )  # fmt: skip
    progress = api.get(f"/api/v1/fft-uploads/{upload_row.pk}/").json()["progress"]
    assert progress == (
        "Saving the rows: 4,000 of 60,000 saved so far (3,000 new, 1,000 held already)."
    )


# --- Counted in the dashboards ---------------------------------------------------------------


def test_the_dashboard_shows_the_ffts_percentages_positive_and_negative(
    worker, api, browser, monkeypatch, trust, cqc
):
    from analytics.stats import stats_refresh

    today = timezone.localdate()
    day = today.replace(day=1).strftime("%d/%m/%Y")
    ratings = ["Very good"] * 5 + ["Good"] * 3 + ["Neither good nor poor", "Poor"]
    ratings += ["Don't know"] * 2
    rows = [(day, "", rating, f"Answer {n}", "") for n, rating in enumerate(ratings)]
    post_api(worker, api, "this month.csv", csv_bytes(rows))
    routed_by_rules(monkeypatch)
    # Feedback of other kinds, without an FFT answer, counts in neither.
    FeedbackFactory(provider=trust, handled_by=trust, route="trust", analysis_state="done")
    stats_refresh()
    page = browser.get("/staff/dashboard/feedback/?period=this_month")
    fft = page.context["fft"]
    # NHS England's method: of all 12 answers, Don't know included.
    assert fft == {"positive": 66.7, "negative": 8.3, "answers": 12}
    text = page.content.decode()
    assert "66.7% positive" in text and "8.3% negative" in text and "of 12 answers" in text
    table = next(t for t in page.context["tables"] if t.slug == "fft")
    assert table.rows[-1][1:] == [66.7, 8.3, 12]


def test_answers_left_unanalysed_are_sent_again_on_the_bulk_queue(worker, api, trust, monkeypatch):
    """A lost message or a dead worker: the periodic requeue sends an upload's answers back to
    the bulk queue, and a patient's item to the analysis queue, as each was first sent."""
    from feedback import tasks

    post_api(worker, api, "october.csv", csv_bytes())
    patient = FeedbackFactory(
        provider=trust, received_at=timezone.now() - dt.timedelta(hours=1), analysis_state="queued"
    )
    worker.messages.clear()
    # delay() sends on the task's own route (CELERY_TASK_ROUTES: analysis).
    monkeypatch.setattr(
        tasks.analyse_feedback, "delay", lambda pk: worker.messages.append(("analysis", pk))
    )
    tasks.requeue_unanalysed.apply()
    fft = list(Feedback.objects.filter(channel=Channel.FFT_IMPORT).order_by("received_at", "pk"))
    assert sorted(worker.messages) == [("analysis", patient.pk), ("analysis_bulk", fft[0].pk)]


def test_the_schema_describes_the_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    upload = schema["paths"]["/api/v1/fft-uploads/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert set(upload["responses"]) >= {"202", "400", "403", "413"}
    output = schema["components"]["schemas"]["FftUploadOutput"]["properties"]
    assert {"status", "progress", "rows_added", "rows_duplicate", "row_errors", "url"} <= set(
        output
    )
    assert "get" in schema["paths"]["/api/v1/fft-uploads/{id}/"]


# --- Only the FFT question counts as a rating (review, item 1) -------------------------------

RECOMMEND = "How likely are you to recommend our ward to friends and family?"
DIGNITY = "Were you treated with dignity?"
CLEAN = "How clean was the ward?"


def test_answers_to_other_questions_are_kept_as_feedback_but_never_counted_as_fft_ratings(
    worker, browser, api, monkeypatch, trust, cqc
):
    """A survey system's one-row-per-question export: only the rows answering the FFT question
    (or a recognised wording of it) count in the FFT percentages; the other questions' comments
    are still read, and the result page says how many rows were which."""
    from analytics.stats import stats_refresh

    day = timezone.localdate().replace(day=1).strftime("%d/%m/%Y")
    rows = [
        (day, QUESTION, "Very good", "Kind staff throughout.", "Inpatient"),
        (day, "Overall, how was your experience of our ward?", "Poor", "", "Inpatient"),
        (day, RECOMMEND, "Extremely likely", "Would send my mum here.", "Inpatient"),
        (day, DIGNITY, "Yes, always", "", "Inpatient"),
        (day, CLEAN, "Very good", "Spotless bathrooms.", "Inpatient"),
    ]
    response = post_page(worker, browser, "survey.csv", csv_bytes(rows))
    upload_row = FftUpload.objects.get()
    assert upload_row.status == "done", (upload_row.problem, upload_row.row_errors)
    items = {i.text: i for i in Feedback.objects.all()}
    assert set(items) == {
        "Kind staff throughout.",
        "",
        "Would send my mum here.",
        "Spotless bathrooms.",
    }
    assert items["Kind staff throughout."].fft_rating == 1
    assert items[""].fft_rating == 4
    assert items["Would send my mum here."].fft_rating is None
    assert items["Would send my mum here."].question == RECOMMEND
    assert items["Spotless bathrooms."].fft_rating is None

    page = browser.get(response["Location"]).content.decode()
    assert "Answers to the FFT question</dt>" in page and ">2</dd>" in page
    assert "Comments on other questions (kept as feedback, no FFT rating)" in page
    assert "Rows of other questions without a comment (not taken)" in page

    routed_by_rules(monkeypatch)
    stats_refresh()
    fft = browser.get("/staff/dashboard/feedback/?period=this_month").context["fft"]
    assert fft == {"positive": 50.0, "negative": 50.0, "answers": 2}


# --- Row identity (review, item 2) -----------------------------------------------------------

WARD_HEADER = ("Date", "Rating", "Free text", "Ward")


def test_two_wards_identical_answers_uploaded_apart_both_count(worker, api):
    post_api(
        worker,
        api,
        "ward 7.csv",
        csv_bytes([("01/10/2026", "Good", "", "Ward 7")], header=WARD_HEADER),
    )
    post_api(
        worker,
        api,
        "ward 9.csv",
        csv_bytes([("01/10/2026", "Good", "", "Ward 9")], header=WARD_HEADER),
    )
    assert Feedback.objects.count() == 2
    post_api(
        worker,
        api,
        "ward 9 again.csv",
        csv_bytes([("01/10/2026", "Good", "", "Ward 9")], header=WARD_HEADER),
    )
    assert Feedback.objects.count() == 2


def test_a_response_id_tells_answers_apart_and_recognises_them_again(worker, api):
    header = ("Response ID", "Date", "Rating", "Free text")
    post_api(worker, api, "a.csv", csv_bytes([("R-1", "01/10/2026", "Good", "")], header=header))
    post_api(worker, api, "b.csv", csv_bytes([("R-2", "01/10/2026", "Good", "")], header=header))
    assert Feedback.objects.count() == 2
    # A later export of the same response, its time written to the minute: the same answer.
    again = [("R-1", "01/10/2026 09:15", "Good", ""), ("R-2", "01/10/2026", "Good", "")]
    response = post_api(worker, api, "again.csv", csv_bytes(again, header=header))
    assert api.get(response.json()["url"]).json()["rows_duplicate"] == 2
    assert Feedback.objects.count() == 2


@pytest.mark.parametrize(
    ("csv_time", "xlsx_time"),
    [
        ("01/10/2026 14:32", dt.datetime(2026, 10, 1, 14, 32, 17)),
        ("01/10/2026", dt.datetime(2026, 10, 1, 14, 32, 17)),
        ("2026-10-01 14:32:17", 46296.6058912037),  # a serial day number, float noise and all
    ],
)
def test_the_same_answers_as_csv_and_as_workbook_count_once(worker, api, csv_time, xlsx_time):
    rows = [(csv_time, "Good", "Quick and kind."), (csv_time, "Good", "Quick and kind.")]
    post_api(worker, api, "october.csv", csv_bytes(rows, header=("Date", "Rating", "Comments")))
    assert Feedback.objects.count() == 2
    cells = [(xlsx_time, "Good", "Quick and kind.")] * 2
    response = post_api(
        worker, api, "october.xlsx", xlsx_bytes(cells, header=("Date", "Rating", "Comments"))
    )
    result = api.get(response.json()["url"]).json()
    assert (result["status"], result["rows_added"], result["rows_duplicate"]) == ("done", 0, 2)
    assert Feedback.objects.count() == 2


# --- Counted under the provider (review, item 3) ---------------------------------------------


def test_an_answer_routed_to_another_organisation_still_counts_in_the_trusts_fft(
    worker, api, browser, monkeypatch, trust, cqc, icb
):
    from analytics.models import MonthlyStat
    from analytics.stats import stats_refresh

    day = timezone.localdate().replace(day=1).strftime("%d/%m/%Y")
    rows = [
        (day, "", rating, f"Answer {n}", "")
        for n, rating in enumerate(
            ["Very good", "Very good", "Good", "Poor", "Very poor", "Don't know"]
        )
    ]
    post_api(worker, api, "this month.csv", csv_bytes(rows))
    items = list(Feedback.objects.order_by("pk"))
    # Triage sends two straight to the CQC (a safeguarding concern) and one to the ICB.
    Feedback.objects.filter(pk__in=[items[0].pk, items[4].pk]).update(handled_by=cqc, route="cqc")
    routed_by_rules(monkeypatch)
    Feedback.objects.filter(pk=items[3].pk).update(handled_by=icb, route="icb")
    stats_refresh()
    fft = browser.get("/staff/dashboard/feedback/?period=this_month").context["fft"]
    assert fft == {"positive": 50.0, "negative": 33.3, "answers": 6}
    # England counts each answer once.
    england = MonthlyStat.objects.filter(organisation__isnull=True)
    assert sum(r.fft_1 + r.fft_2 + r.fft_4 + r.fft_5 + r.fft_6 for r in england) == 6


# --- Patient words are not kept in row errors (review, item 5) -------------------------------


def test_row_problems_name_the_column_and_rule_but_never_quote_a_patients_words(
    worker, browser, api
):
    long_text = "Mrs Jane Smith of 4 Elm Road was left alone. " * 120
    rows = [
        ("Jane Smith 07700900123", "", "Good", "Fine", ""),
        ("01/10/2026", "", "Excellentt", "Fine", ""),
        ("01/10/2026", "", "My name is John Smith and I was angry", "Fine", ""),
        ("01/10/2026", "", "Good", long_text, ""),
        ("03/02/1961", "", "Good", "Fine", ""),
    ]
    response = post_page(worker, browser, "october.csv", csv_bytes(rows))
    upload_row = FftUpload.objects.get()
    assert upload_row.status == "rejected"
    stored = str(upload_row.row_errors) + str(
        list(AuditEvent.objects.values_list("detail", flat=True))
    )
    for words in ("Jane", "Smith", "07700900123", "Elm Road", "angry", "1961"):
        assert words not in stored
    page = browser.get(response["Location"]).content.decode()
    for words in ("Jane", "Smith", "07700900123", "Elm Road", "angry", "1961"):
        assert words not in page
    messages = {e["line"]: " ".join(e["messages"]) for e in upload_row.row_errors}
    assert "date" in messages[2] and "Date" in messages[2]
    assert "“Excellentt” is not an FFT answer" in messages[3]
    assert "“My name is John Smi…”" not in messages[4] and "Rating" in messages[4]
    assert "5,000" in messages[5] and "Free text" in messages[5]
    assert "before the Friends and Family Test began" in messages[6]


def test_row_problems_are_cleared_once_past_their_retention(worker, browser, settings):
    from feedback.tasks import anonymise_after_retention

    rows = [("01/10/2026", "", "Excellentt", "Fine", "")]
    post_page(worker, browser, "old.csv", csv_bytes(rows))
    response = post_page(worker, browser, "new.csv", csv_bytes(rows * 2))
    old, new = FftUpload.objects.order_by("pk")
    days = settings.FFT_UPLOAD_ROW_ERRORS_DAYS
    FftUpload.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - dt.timedelta(days=days + 1)
    )
    anonymise_after_retention.apply()
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.row_errors, old.row_error_count) == ([], 1)
    assert len(new.row_errors) == 2
    page = browser.get(f"/staff/fft-uploads/{old.pk}/").content.decode()
    assert f"removed {days} days after the upload" in page
    assert "Excellentt" in browser.get(response["Location"]).content.decode()
