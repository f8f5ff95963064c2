"""Attachments against the real database and a real storage folder: what is accepted (by its
content), the limits and their messages, nothing half-saved, audit, and files gone with rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from feedback.choices import Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Attachment, AuditEvent, Feedback, Identity
from feedback.services import attachments, privacy, workflow
from feedback.services.attachments import (
    WRONG_TYPE,
    attachment_add,
    attachment_name,
    attachment_open,
    megabytes,
)
from tests.attachment_files import EXE, JPEG, PDF, TEXT, docx, plain_zip, png, stored_files, upload
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture
def item(trust):
    return FeedbackFactory(provider=trust, handled_by=trust, status=Status.ACKNOWLEDGED)


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


def test_a_handler_attaches_a_letter_kept_under_a_random_name_and_audited(
    attachment_storage, item, handler
):
    added = attachment_add(
        feedback=item, uploaded_file=upload("Letter from Pat Smith.pdf", PDF), actor=handler
    )
    assert (added.name, added.content_type, added.size) == (
        "Letter from Pat Smith.pdf",
        "application/pdf",
        len(PDF),
    )
    assert added.added_by == handler and not added.by_patient
    # Stored under attachments/<yyyy>/<mm>/ with a random name, never the patient's.
    now = timezone.now()
    assert re.fullmatch(rf"attachments/{now:%Y}/{now:%m}/[\w-]{{32}}\.pdf", added.file.name)
    assert "Smith" not in added.file.name
    [stored] = stored_files(attachment_storage)
    assert stored.read_bytes() == PDF
    event = AuditEvent.objects.get(feedback=item, action="attachment_added")
    assert event.actor == handler and event.to_value == "Letter from Pat Smith.pdf"
    assert event.detail["attachment"] == added.pk


@pytest.mark.parametrize(
    ("name", "content", "claimed", "kept_as", "kind"),
    [
        ("scan.pdf", PDF, "application/pdf", "scan.pdf", "application/pdf"),
        ("photo.JPEG", JPEG, "image/jpeg", "photo.jpeg", "image/jpeg"),
        # Named and claimed as something else: the content decides, and the name follows it.
        ("photo.png", JPEG, "image/png", "photo.jpg", "image/jpeg"),
        ("screenshot", png(), "application/octet-stream", "screenshot.png", "image/png"),
        (
            "form.docx",
            docx(),
            "application/msword",
            "form.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", TEXT, "text/plain", "notes.txt", "text/plain"),
        # Notepad's Windows-1252 (a pound sign) is plain text too.
        (
            "notes.txt",
            "Paid £20 for parking".encode("cp1252"),
            "text/plain",
            "notes.txt",
            "text/plain",
        ),
        ("letter.html", b"<p>Hello</p>", "text/html", "letter.txt", "text/plain"),
    ],
)
def test_accepted_files_are_told_by_their_content(
    attachment_storage, item, handler, name, content, claimed, kept_as, kind
):
    added = attachment_add(
        feedback=item, uploaded_file=upload(name, content, claimed), actor=handler
    )
    assert (added.name, added.content_type) == (kept_as, kind)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("letter.pdf", EXE),  # a program named as a letter
        ("form.docx", plain_zip()),  # a zip, not a Word document
        ("form.docx", docx(macros=True)),  # a macro-enabled document renamed .docx
        ("notes.txt", b"\x00\x01\x02binary\x00" * 10),
        ("photo.jpg", b"GIF89a" + bytes(40)),  # a GIF: a picture, but not one of the types
    ],
)
def test_other_content_is_refused_whatever_its_name_and_nothing_is_kept(
    attachment_storage, item, handler, name, content
):
    with pytest.raises(InvalidFeedback) as refused:
        attachment_add(feedback=item, uploaded_file=upload(name, content), actor=handler)
    assert refused.value.errors == {"file": WRONG_TYPE}
    assert WRONG_TYPE == "Attach a PDF, JPEG, PNG, Word document or plain text file"
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="attachment_added").exists()
    assert stored_files(attachment_storage) == []


def test_a_file_over_the_limit_is_refused_naming_its_size_and_the_limit(
    attachment_storage, item, handler
):
    big = PDF + bytes(int(12.3 * MB) - len(PDF))
    with pytest.raises(InvalidFeedback) as refused:
        attachment_add(feedback=item, uploaded_file=upload("scan.pdf", big), actor=handler)
    assert refused.value.errors == {"file": "The file is 12.3 MB: attach files of 10 MB or less"}
    assert stored_files(attachment_storage) == []
    # Exactly the limit is accepted.
    exact = PDF + bytes(10 * MB - len(PDF))
    assert attachment_add(feedback=item, uploaded_file=upload("a.pdf", exact), actor=handler).pk


def test_an_empty_file_is_refused(attachment_storage, item, handler):
    with pytest.raises(InvalidFeedback) as refused:
        attachment_add(feedback=item, uploaded_file=upload("a.pdf", b""), actor=handler)
    assert refused.value.errors["file"].startswith("The file is empty")


def test_an_item_takes_at_most_the_set_number_of_files(settings, attachment_storage, item, handler):
    settings.ATTACHMENTS_PER_ITEM = 2
    for n in range(2):
        attachment_add(feedback=item, uploaded_file=upload(f"{n}.pdf", PDF), actor=handler)
    with pytest.raises(InvalidFeedback) as refused:
        attachment_add(feedback=item, uploaded_file=upload("3.pdf", PDF), actor=handler)
    assert refused.value.errors == {
        "file": "An item can have up to 2 attached files, and this one has 2"
    }
    assert len(stored_files(attachment_storage)) == 2


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_a_patient_cannot_attach_to_a_closed_or_withdrawn_item(
    attachment_storage, item, handler, status
):
    item.status = status
    item.save()
    with pytest.raises(IllegalTransition):
        attachment_add(feedback=item, uploaded_file=upload("photo.png", png()), by_patient=True)
    assert stored_files(attachment_storage) == []
    # Staff still file a letter that came after it closed.
    assert attachment_add(feedback=item, uploaded_file=upload("late.pdf", PDF), actor=handler)


def test_a_patient_attaches_to_an_open_item(attachment_storage, item):
    added = attachment_add(feedback=item, uploaded_file=upload("p.png", png()), by_patient=True)
    assert added.by_patient and added.added_by is None
    event = AuditEvent.objects.get(action="attachment_added")
    assert event.actor is None and event.detail["by"] == "patient"


def test_when_the_row_cannot_be_saved_the_stored_file_is_removed(
    attachment_storage, item, handler, monkeypatch
):
    def failing_audit(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(attachments, "audit_record", failing_audit)
    with pytest.raises(RuntimeError):
        attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    assert not Attachment.objects.exists()
    assert stored_files(attachment_storage) == []


def test_opening_one_is_audited_with_who_opened_it(attachment_storage, item, handler):
    added = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    with attachment_open(attachment=added, actor=handler) as content:
        assert content.read() == PDF
    with attachment_open(attachment=added, actor=None) as content:
        assert content.read() == PDF
    downloads = AuditEvent.objects.filter(action="attachment_downloaded").order_by("pk")
    assert [(e.actor, e.detail["by"]) for e in downloads] == [(handler, "staff"), (None, "patient")]


@pytest.mark.parametrize(
    ("original", "content_type", "shown"),
    [
        ("C:\\Users\\pat\\Documents\\letter.pdf", "application/pdf", "letter.pdf"),
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("Scan 03.12.2026", "application/pdf", "Scan 03.12.2026.pdf"),
        ("invoice\u202egpj.exe", "application/pdf", "invoice_gpj.pdf"),
        # The last path part only ("/" ends a folder's name), its unsafe characters replaced.
        ("<script>alert(1)</script>.png", "image/png", "script_.png"),
        ("Letter: “from” Dr Ng?.pdf", "application/pdf", "Letter_ _from_ Dr Ng_.pdf"),
        ("Llythyr \u2013 Cymraeg.PDF", "application/pdf", "Llythyr \u2013 Cymraeg.pdf"),
        ("", "image/jpeg", "attachment.jpg"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 96 + ".pdf"),
    ],
)
def test_names_are_shown_safely(original, content_type, shown):
    assert attachment_name(original, content_type) == shown


@pytest.mark.parametrize(
    ("size", "text"), [(10 * MB, "10"), (10 * MB + 1, "10.1"), (int(12.3 * MB), "12.3")]
)
def test_sizes_read_as_megabytes_rounded_up(size, text):
    assert megabytes(size) == text


def test_erasing_a_persons_details_deletes_their_items_files(
    attachment_storage, item, trust, django_capture_on_commit_callbacks
):
    manager = UserFactory(organisation=trust, role="manager")
    Identity.objects.create(feedback=item, name="Pat Smith", email="pat@example.com")
    attachment_add(feedback=item, uploaded_file=upload("letter.pdf", PDF), by_patient=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.identity_erase(user=manager, email="pat@example.com") == 1
    assert not Attachment.objects.filter(feedback=item).exists()
    assert stored_files(attachment_storage) == []
    erased = AuditEvent.objects.get(feedback=item, action="identity_erased")
    assert erased.detail["attachments_deleted"] == 1


def test_retention_anonymises_the_item_and_deletes_its_files(
    attachment_storage, item, handler, django_capture_on_commit_callbacks
):
    attachment_add(feedback=item, uploaded_file=upload("letter.pdf", PDF), actor=handler)
    item.status = Status.CLOSED
    item.closed_at = timezone.now() - dt.timedelta(days=365 * 11)
    item.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.retention_anonymise() == 1
    assert not Attachment.objects.exists()
    assert stored_files(attachment_storage) == []


def test_a_deleted_item_takes_its_files_with_it_once_committed(
    attachment_storage, item, handler, django_capture_on_commit_callbacks
):
    added = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    assert default_storage.exists(added.file.name)
    # An administrator removing a test item removes its trail first (audit rows are protected).
    AuditEvent.objects.filter(feedback=item).delete()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        item.delete()
    assert default_storage.exists(added.file.name)  # not before the deletion is committed
    for callback in pending:
        callback()
    assert stored_files(attachment_storage) == []


def test_a_file_from_the_patient_the_team_was_waiting_for_starts_the_clock_again(
    attachment_storage, trust, handler
):
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        status=Status.ACKNOWLEDGED,
        response_due=timezone.localdate() + dt.timedelta(days=28),
    )
    workflow.complaint_start_investigation(
        feedback=item, actor=handler, approach="early_resolution"
    )
    workflow.complaint_request_information(feedback=item, actor=handler, note="Consent form")
    due_before = Feedback.objects.get(pk=item.pk).response_due
    Feedback.objects.filter(pk=item.pk).update(paused_at=timezone.now() - dt.timedelta(days=4))

    attachment_add(feedback=item, uploaded_file=upload("consent.pdf", PDF), by_patient=True)

    item.refresh_from_db()
    assert item.status == Status.INVESTIGATING and item.paused_at is None
    assert item.paused_days == 4
    assert item.response_due == due_before + dt.timedelta(days=4)


def test_a_file_staff_attach_while_waiting_leaves_the_clock_stopped(
    attachment_storage, item, handler
):
    workflow.complaint_request_information(feedback=item, actor=handler)

    attachment_add(feedback=item, uploaded_file=upload("note.pdf", PDF), actor=handler)

    item.refresh_from_db()
    assert item.status == Status.AWAITING_COMPLAINANT and item.paused_at is not None
