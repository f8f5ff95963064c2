"""Attachments from the pages: a handler attaches and downloads on the item page, the patient adds
a photo from the tracking link, and what each of them may not do."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from feedback.choices import Role, Status
from feedback.models import Attachment, AuditEvent, Identity
from feedback.services.attachments import attachment_add
from tests.attachment_files import EXE, PDF, png, stored_files, upload
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture
def item(trust):
    return FeedbackFactory(provider=trust, handled_by=trust, route="trust")


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust, role=Role.HANDLER)


@pytest.fixture
def staff(handler) -> Client:
    client = Client()
    client.force_login(handler)
    return client


def test_a_handler_attaches_a_letter_and_downloads_it(attachment_storage, staff, item, handler):
    page = f"/staff/items/{item.pk}/"
    assert "No files attached." in staff.get(page).content.decode()
    sent = staff.post(f"{page}attachments/", {"file": upload("Reply from the ward.pdf", PDF)})
    assert sent.status_code == 302 and sent["Location"] == f"{page}#attachments"

    shown = staff.get(page).content.decode()
    assert "Attached: Reply from the ward.pdf." in shown
    attachment = Attachment.objects.get(feedback=item)
    link = f"{page}attachments/{attachment.pk}/"
    assert f'href="{link}"' in shown
    assert "PDF" in shown and handler.username in shown

    download = staff.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="Reply from the ward.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    cache = {part.strip() for part in download["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    event = AuditEvent.objects.get(feedback=item, action="attachment_downloaded")
    assert event.actor == handler and event.to_value == "Reply from the ward.pdf"
    assert "Attached file downloaded (Reply from the ward.pdf)" in staff.get(page).content.decode()


def test_a_program_named_as_a_pdf_is_refused_with_the_reason(attachment_storage, staff, item):
    refused = staff.post(
        f"/staff/items/{item.pk}/attachments/", {"file": upload("letter.pdf", EXE)}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "There is a problem" in page
    assert 'href="#attach-file">Attach a PDF, JPEG, PNG, Word document or plain text file' in page
    assert 'aria-describedby="attach-file-hint attach-file-error"' in page
    assert not Attachment.objects.exists() and stored_files(attachment_storage) == []


def test_a_file_too_large_is_refused_naming_the_limit(attachment_storage, staff, item):
    big = PDF + bytes(int(12.3 * MB) - len(PDF))
    refused = staff.post(f"/staff/items/{item.pk}/attachments/", {"file": upload("scan.pdf", big)})
    assert refused.status_code == 400
    assert "The file is 12.3 MB: attach files of 10 MB or less" in refused.content.decode()
    assert stored_files(attachment_storage) == []


def test_sending_the_form_without_a_file_asks_for_one(attachment_storage, staff, item):
    refused = staff.post(f"/staff/items/{item.pk}/attachments/", {})
    assert refused.status_code == 400
    assert "Choose a file to attach" in refused.content.decode()


def test_a_file_far_too_large_is_stopped_before_it_is_read(settings, staff, item):
    settings.UPLOAD_REQUEST_MAX_BYTES = 2 * MB
    big = PDF + bytes(3 * MB)
    refused = staff.post(f"/staff/items/{item.pk}/attachments/", {"file": upload("a.pdf", big)})
    assert refused.status_code == 413
    assert "attach files of 10 MB or less" in refused.content.decode()


def test_another_trusts_handler_gets_404_for_the_page_and_the_download(
    attachment_storage, item, handler, other_trust
):
    attachment = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    client = Client()
    client.force_login(UserFactory(organisation=other_trust, role=Role.MANAGER))
    before = AuditEvent.objects.count()
    assert client.get(f"/staff/items/{item.pk}/").status_code == 404
    assert client.get(f"/staff/items/{item.pk}/attachments/{attachment.pk}/").status_code == 404
    sent = client.post(f"/staff/items/{item.pk}/attachments/", {"file": upload("b.pdf", PDF)})
    assert sent.status_code == 404
    assert AuditEvent.objects.count() == before
    assert Attachment.objects.count() == 1


def test_an_attachment_is_reached_only_through_its_own_item(
    attachment_storage, trust, item, handler, staff
):
    other_item = FeedbackFactory(provider=trust, handled_by=trust)
    attachment = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    wrong = staff.get(f"/staff/items/{other_item.pk}/attachments/{attachment.pk}/")
    assert wrong.status_code == 404


def test_signed_out_nobody_downloads_anything(attachment_storage, item, handler):
    attachment = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    response = Client().get(f"/staff/items/{item.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


# --- The patient, from the tracking link ---------------------------------------------------------


def test_the_patient_attaches_a_photo_and_the_handler_sees_it(
    attachment_storage, client, item, staff
):
    url = f"/track/{item.tracking_token}/"
    page = client.get(url).content.decode()
    assert "Add a letter or photo" in page and 'enctype="multipart/form-data"' in page
    sent = client.post(f"{url}attachments/", {"file": upload("IMG_0042.png", png(), "image/png")})
    assert sent.status_code == 302
    assert sent["Location"] == f"{url}?attached=1#attachments"

    page = client.get(sent["Location"]).content.decode()
    assert "We have passed your file on" in page
    attachment = Attachment.objects.get(feedback=item)
    assert attachment.by_patient and attachment.content_type == "image/png"
    # Nothing about them was given, so nothing needs proving: the patient downloads it.
    assert "IMG_0042.png" in page
    download = client.get(f"{url}attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == png()
    assert download["Content-Disposition"] == 'attachment; filename="IMG_0042.png"'
    assert AuditEvent.objects.filter(action="attachment_downloaded", actor=None).count() == 1

    staff_page = staff.get(f"/staff/items/{item.pk}/").content.decode()
    assert "IMG_0042.png" in staff_page and "The patient (tracking page)" in staff_page


def test_a_patient_who_gave_an_email_sees_their_files_after_the_emailed_code(
    attachment_storage, client, item
):
    Identity.objects.create(feedback=item, name="Pat Smith", email="pat@example.com")
    url = f"/track/{item.tracking_token}/"
    client.post(f"{url}attachments/", {"file": upload("Letter to Pat Smith.pdf", PDF)})
    attachment = Attachment.objects.get()
    page = client.get(url).content.decode()
    assert "You have added 1 file" in page and "Pat Smith" not in page
    assert client.get(f"{url}attachments/{attachment.pk}/").status_code == 404

    client.post(f"{url}response/", {"action": "send"})
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    checked = client.post(f"{url}response/", {"code": code})
    assert checked["Location"] == f"{url}#attachments"
    assert "Letter to Pat Smith.pdf" in client.get(url).content.decode()
    assert client.get(f"{url}attachments/{attachment.pk}/").status_code == 200
    # Another browser with the same link still needs the code.
    assert Client().get(f"{url}attachments/{attachment.pk}/").status_code == 404


def test_the_patient_sees_only_their_own_files_of_their_own_item(
    attachment_storage, client, trust, item, handler
):
    staff_file = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    other = FeedbackFactory(provider=trust, handled_by=trust)
    others_file = attachment_add(
        feedback=other, uploaded_file=upload("b.pdf", PDF), by_patient=True
    )
    url = f"/track/{item.tracking_token}/"
    assert "a.pdf" not in client.get(url).content.decode()
    assert client.get(f"{url}attachments/{staff_file.pk}/").status_code == 404
    assert client.get(f"{url}attachments/{others_file.pk}/").status_code == 404
    assert (
        client.get(f"/track/not-a-real-token-at-all/attachments/{staff_file.pk}/").status_code
        == 404
    )
    assert not AuditEvent.objects.filter(action="attachment_downloaded").exists()


def test_a_patient_cannot_attach_to_a_closed_item(attachment_storage, client, item):
    item.status = Status.CLOSED
    item.save()
    url = f"/track/{item.tracking_token}/"
    assert "Add a letter or photo" not in client.get(url).content.decode()
    refused = client.post(f"{url}attachments/", {"file": upload("photo.png", png(), "image/png")})
    assert refused.status_code == 400
    assert "This feedback is closed: you cannot add to it here." in refused.content.decode()
    assert not Attachment.objects.exists() and stored_files(attachment_storage) == []


def test_the_patient_is_told_what_is_wrong_with_a_file(attachment_storage, client, item):
    url = f"/track/{item.tracking_token}/"
    refused = client.post(f"{url}attachments/", {"file": upload("letter.pdf", EXE)})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "There is a problem" in page
    assert 'href="#attach-file">Attach a PDF, JPEG, PNG, Word document or plain text file' in page
