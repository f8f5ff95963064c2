"""The paper pages as staff use them: print a batch (a PDF), upload scans (bad ones refused with
the reason, nothing kept), check a page beside its images and confirm it into feedback."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from feedback.choices import Channel
from feedback.models import Attachment, Feedback
from paper import services
from paper.models import PageStatus, PrintBatch, ScanPage, ScanUpload
from tests.attachment_files import EXE
from tests.factories import UserFactory
from tests.paper.scans import encrypted_pdf, generated, pdf_of, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(organisation=trust)


@pytest.fixture
def client(handler: Any) -> Client:
    client = Client()
    client.force_login(handler)
    return client


@pytest.fixture(autouse=True)
def _read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        services, "enqueue_reading", lambda pk: services.scan_upload_read(upload_id=pk)
    )
    monkeypatch.setattr("feedback.services.intake.enqueue_analysis", lambda pk: None)


def test_staff_print_a_batch_and_get_its_pdf(client, trust):
    response = client.post(
        "/staff/paper/",
        {"form": "complaint", "service_name": "Outpatients", "copies": "5", "large_print": "on"},
    )
    batch = PrintBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/paper/batches/{batch.pk}/pdf/"
    pdf = client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    assert batch.code in pdf["Content-Disposition"]
    assert (batch.copies, batch.large_print, batch.service_name) == (5, True, "Outpatients")
    page = client.get("/staff/paper/").content.decode()
    assert batch.code in page and "Outpatients" in page


def test_printing_too_many_copies_is_an_error_naming_the_limit(client):
    response = client.post("/staff/paper/", {"form": "fft", "copies": "1000"})
    assert response.status_code == 400
    assert "Print 200 copies or fewer at a time" in response.content.decode()
    assert not PrintBatch.objects.exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "Choose the scanned forms to upload"),
        ([upload("form.pdf", EXE)], "form.pdf is not a PDF, JPEG or PNG"),
        ([upload("locked.pdf", encrypted_pdf())], "locked.pdf is protected by a password"),
    ],
)
def test_bad_uploads_are_refused_on_the_page(client, files, message, attachment_storage):
    response = client.post("/staff/paper/uploads/", {"scans": files})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ScanUpload.objects.exists()


def test_a_request_far_too_large_is_refused_before_it_is_read(client, settings):
    settings.PAPER_UPLOAD_MAX_BYTES = 1024 * 1024
    body = b"%PDF-1.4\n" + bytes(2 * 1024 * 1024 + 10)
    response = client.post("/staff/paper/uploads/", {"scans": [upload("big.pdf", body)]})
    assert response.status_code == 413
    assert (
        "The files are larger than 2 MB: upload scans of 1 MB or less at a time"
        in response.content.decode()
    )
    assert not ScanUpload.objects.exists()


def test_a_file_just_too_large_gets_the_pages_own_error_naming_the_limit(client, settings):
    settings.PAPER_UPLOAD_MAX_BYTES = 1024 * 1024
    body = b"%PDF-1.4\n" + bytes(1024 * 1024 + 10)
    response = client.post("/staff/paper/uploads/", {"scans": [upload("big.pdf", body)]})
    assert response.status_code == 400
    assert "The files are 1.1 MB together: upload 1 MB or less at a time" in (
        response.content.decode()
    )
    assert not ScanUpload.objects.exists()


def _uploaded(client: Client, trust: Any, handler: Any, count: int = 2) -> ScanUpload:
    batch = services.print_batch_create(actor=handler, form="fft", copies=count)
    pages = generated(count, organisation_code=trust.ods_code, batch=batch.code, seed=4)
    response = client.post("/staff/paper/uploads/", {"scans": [upload("ward.pdf", pdf_of(pages))]})
    result = ScanUpload.objects.get()
    assert response["Location"] == f"/staff/paper/uploads/{result.pk}/"
    return result


def test_the_checking_screen_shows_each_field_beside_what_was_read(client, trust, handler):
    result = _uploaded(client, trust, handler)
    summary = client.get(f"/staff/paper/uploads/{result.pk}/").content.decode()
    assert "All 2 pages read: 2 to check" in summary
    page = result.pages.order_by("number").first()
    html = client.get(f"/staff/paper/pages/{page.pk}/").content.decode()
    assert html.count('src="data:image/png;base64,') >= len(page.fields)
    assert "What was read" in html and "Confirm: it becomes feedback" in html
    low = [name for name, f in page.fields.items() if f["confidence"] < 0.8]
    assert html.count("app-paper-low") == len(low)
    assert "QR code not read" not in html


def test_a_page_whose_qr_code_was_not_read_asks_for_the_organisation(client, trust, handler):
    result = _uploaded(client, trust, handler, count=1)
    page = result.pages.get()
    ScanPage.objects.filter(pk=page.pk).update(qr_text="", organisation=None, batch=None)
    html = client.get(f"/staff/paper/pages/{page.pk}/").content.decode()
    assert "QR code not read" in html
    response = client.post(
        f"/staff/paper/pages/{page.pk}/",
        {"organisation": "", "form": "fft", "fft_rating": "1", "kind": "compliment", "text": "x"},
    )
    assert response.status_code == 400
    assert "Enter the ODS code of the trust or ICB the form is about" in response.content.decode()
    response = client.post(
        f"/staff/paper/pages/{page.pk}/",
        {
            "organisation": trust.ods_code.lower(),
            "form": "fft",
            "fft_rating": "2",
            "kind": "compliment",
            "text": "Lovely staff.",
        },
    )
    assert response.status_code == 302
    item = Feedback.objects.get()
    assert (item.channel, item.provider, item.text) == (Channel.PAPER, trust, "Lovely staff.")
    assert Attachment.objects.filter(feedback=item).count() == 1


def test_confirming_moves_to_the_next_page_then_back_to_the_upload(client, trust, handler):
    result = _uploaded(client, trust, handler)
    first, second = result.pages.order_by("number")
    for page, following in ((first, f"/staff/paper/pages/{second.pk}/"), (second, None)):
        form = services.page_proposal(page)
        form.update(text="Written on the card.", fft_rating=form.get("fft_rating") or "6")
        form["kind"] = form.get("kind") or "suggestion"
        response = client.post(f"/staff/paper/pages/{page.pk}/", form)
        assert response.status_code == 302, response.context["form"].errors
        assert response["Location"] == (following or f"/staff/paper/uploads/{result.pk}/")
    assert Feedback.objects.filter(channel=Channel.PAPER).count() == 2
    done = client.get(f"/staff/paper/pages/{first.pk}/").content.decode()
    assert "It became" in done
    assert set(result.pages.values_list("status", flat=True)) == {PageStatus.CONFIRMED}


def test_a_missing_fft_rating_is_asked_for(client, trust, handler):
    page = _uploaded(client, trust, handler, count=1).pages.get()
    response = client.post(
        f"/staff/paper/pages/{page.pk}/",
        {"organisation": trust.ods_code, "form": "fft", "kind": "compliment", "text": "Good."},
    )
    assert response.status_code == 400
    assert "Choose the rating the person ticked" in response.content.decode()
    assert not Feedback.objects.exists()


def test_another_organisations_uploads_and_pages_do_not_exist(client, trust, handler, other_trust):
    result = _uploaded(client, trust, handler, count=1)
    page = result.pages.get()
    other = Client()
    other.force_login(UserFactory(organisation=other_trust))
    batch = PrintBatch.objects.get()
    for url in (
        f"/staff/paper/uploads/{result.pk}/",
        f"/staff/paper/pages/{page.pk}/",
        f"/staff/paper/batches/{batch.pk}/pdf/",
    ):
        assert other.get(url).status_code == 404
    assert other.post(f"/staff/paper/pages/{page.pk}/discard/").status_code == 404
    assert batch.code not in other.get("/staff/paper/").content.decode()
    assert "ward.pdf" not in other.get("/staff/paper/uploads/").content.decode()
