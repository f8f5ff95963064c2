"""Paper forms' services against the real database: printing a batch, refusing bad uploads
with nothing kept, reading an upload's pages, and confirming a page into feedback through the
normal intake with the scan attached, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.choices import FFT_QUESTION, Channel, OrganisationKind
from feedback.errors import InvalidFeedback
from feedback.models import Attachment, AuditEvent, Feedback
from paper import services
from paper.models import PageStatus, PrintBatch, ScanPage, ScanUpload, UploadStatus
from tests.attachment_files import TEXT, stored_files
from tests.factories import UserFactory
from tests.paper.scans import encrypted_pdf, generated, pdf_of, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(organisation=trust)


@pytest.fixture
def batch(handler: Any) -> PrintBatch:
    return services.print_batch_create(
        actor=handler, form="fft", copies=3, service_name="Ward 7", service_type="acute"
    )


@pytest.fixture(autouse=True)
def _read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker's part runs as soon as the upload is committed.
    monkeypatch.setattr(
        services, "enqueue_reading", lambda pk: services.scan_upload_read(upload_id=pk)
    )
    monkeypatch.setattr("feedback.services.intake.enqueue_analysis", lambda pk: None)


def test_a_printed_batch_has_its_own_code_and_is_audited(handler, batch):
    other = services.print_batch_create(actor=handler, form="complaint", copies=1)
    assert batch.code != other.code and len(batch.code) == 10
    assert batch.organisation == handler.organisation
    pdf = services.print_batch_pdf(batch)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert AuditEvent.objects.filter(action="paper_printed", to_value=batch.code).exists()


def test_printing_refuses_bad_choices_naming_the_limit(handler):
    with pytest.raises(InvalidFeedback) as caught:
        services.print_batch_create(actor=handler, form="poster", copies=500)
    assert "200" in caught.value.errors["copies"]
    assert "form" in caught.value.errors
    assert not PrintBatch.objects.exists()


def test_the_cqc_prints_no_forms(cqc):
    with pytest.raises(InvalidFeedback):
        services.print_batch_create(actor=UserFactory(organisation=cqc), form="fft", copies=1)


def _pages(trust: Any, batch: PrintBatch, count: int = 3) -> list:
    return generated(count, organisation_code=trust.ods_code, batch=batch.code, seed=11)


def test_an_upload_is_read_into_pages_and_a_blank_page_is_skipped(
    handler, trust, batch, attachment_storage
):
    pages = _pages(trust, batch)
    result = services.scan_upload_receive(
        actor=handler, files=[upload("ward 7.pdf", pdf_of(pages, blank_after=1))]
    )
    result.refresh_from_db()
    assert result.status == UploadStatus.DONE
    assert result.pages_total == result.pages_read == 4
    read = list(result.pages.order_by("number"))
    assert [p.status for p in read] == [
        PageStatus.TO_CHECK,
        PageStatus.BLANK,
        PageStatus.TO_CHECK,
        PageStatus.TO_CHECK,
    ]
    first = read[0]
    assert first.batch == batch and first.organisation == trust
    assert first.form == pages[0].form
    assert first.fields["fft_rating"]["value"] == pages[0].answers["fft_rating"]
    # The uploaded file itself is not kept once read: the pages' images are.
    kept = [str(p.relative_to(attachment_storage)) for p in stored_files(attachment_storage)]
    assert not any(name.startswith("paper/uploads/") for name in kept)
    assert sum(name.startswith("paper/pages/") for name in kept) == 4


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", TEXT, "is not a PDF, JPEG or PNG"),
        ("locked.pdf", encrypted_pdf(), "protected by a password (encrypted)"),
        ("empty.pdf", b"", "is empty"),
        ("broken.pdf", b"%PDF-1.4\nnot really", "is not a PDF that can be read"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_kept(
    handler, name, content, message, attachment_storage
):
    with pytest.raises(InvalidFeedback) as caught:
        services.scan_upload_receive(actor=handler, files=[upload(name, content)])
    assert message in caught.value.errors["scans"]
    assert name in caught.value.errors["scans"] or name == "notes.pdf"
    assert not ScanUpload.objects.exists()
    assert stored_files(attachment_storage) == []


def test_one_bad_file_among_good_ones_refuses_them_all(handler, trust, batch, attachment_storage):
    good = pdf_of(_pages(trust, batch, 1))
    with pytest.raises(InvalidFeedback):
        services.scan_upload_receive(
            actor=handler, files=[upload("good.pdf", good), upload("locked.pdf", encrypted_pdf())]
        )
    assert not ScanUpload.objects.exists()
    assert stored_files(attachment_storage) == []


def test_too_large_and_too_many_pages_are_refused_naming_the_limit(
    handler, trust, batch, settings, attachment_storage
):
    content = pdf_of(_pages(trust, batch, 2))
    settings.PAPER_UPLOAD_MAX_BYTES = len(content) - 1
    with pytest.raises(InvalidFeedback) as caught:
        services.scan_upload_receive(actor=handler, files=[upload("big.pdf", content)])
    assert "MB or less at a time" in caught.value.errors["scans"]
    settings.PAPER_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
    settings.PAPER_UPLOAD_MAX_PAGES = 1
    with pytest.raises(InvalidFeedback) as caught:
        services.scan_upload_receive(actor=handler, files=[upload("two.pdf", content)])
    assert caught.value.errors["scans"] == (
        "The files have 2 pages: upload 1 pages or fewer at a time"
    )
    assert not ScanUpload.objects.exists()
    assert stored_files(attachment_storage) == []


def _one_page(handler: Any, trust: Any, batch: PrintBatch) -> ScanPage:
    pages = _pages(trust, batch, 1)
    result = services.scan_upload_receive(
        actor=handler, files=[upload("card.jpg", pages[0].jpeg(), "image/jpeg")]
    )
    return result.pages.get()


def test_confirming_a_page_submits_paper_feedback_with_the_scan_attached(
    handler, trust, batch, attachment_storage
):
    page = _one_page(handler, trust, batch)
    proposal = services.page_proposal(page)
    item = services.scan_page_confirm(
        actor=handler,
        page=page,
        organisation=trust,
        form="fft",
        kind=proposal["kind"],
        fft_rating=int(proposal["fft_rating"]),
        text="The nurses on the ward were kind.",
        service_type="acute",
        name="Ann Clarke",
        email="ann@example.com",
    )
    item = Feedback.objects.get(pk=item.pk)
    assert item.channel == Channel.PAPER
    assert item.provider == trust
    assert item.question == FFT_QUESTION
    assert item.fft_rating == int(proposal["fft_rating"])
    assert item.identity.email == "ann@example.com"
    attachment = Attachment.objects.get(feedback=item)
    assert attachment.content_type == "image/jpeg" and attachment.name.endswith(".jpg")
    audit = AuditEvent.objects.get(feedback=item, action="paper_confirmed")
    assert audit.detail["batch"] == batch.code and "text" in audit.detail["corrected"]
    page.refresh_from_db()
    assert page.status == PageStatus.CONFIRMED and page.feedback == item
    # The page's own copies go once it is confirmed: the attachment is the one kept.
    assert not page.image and page.fields == {}
    with pytest.raises(InvalidFeedback):
        services.scan_page_confirm(
            actor=handler,
            page=page,
            organisation=trust,
            form="fft",
            kind="compliment",
            fft_rating=1,
            text="again",
        )
    assert Feedback.objects.count() == 1


def test_a_confirmation_refused_by_intake_saves_nothing(handler, trust, batch, attachment_storage):
    page = _one_page(handler, trust, batch)
    before = set(stored_files(attachment_storage))
    with pytest.raises(InvalidFeedback) as caught:
        services.scan_page_confirm(
            actor=handler,
            page=page,
            organisation=trust,
            form="fft",
            kind="compliment",
            fft_rating=1,
            text="Kind staff.",
            phone="not a phone",
        )
    assert "phone" in caught.value.errors
    assert not Feedback.objects.exists() and not Attachment.objects.exists()
    page.refresh_from_db()
    assert page.status == PageStatus.TO_CHECK and page.image
    assert set(stored_files(attachment_storage)) == before


def test_an_icb_form_goes_to_the_icb_as_its_area(icb, attachment_storage):
    handler = UserFactory(organisation=icb)
    assert icb.kind == OrganisationKind.ICB
    batch = services.print_batch_create(actor=handler, form="complaint", copies=1)
    page = _one_page(handler, icb, batch)
    item = services.scan_page_confirm(
        actor=handler,
        page=page,
        organisation=icb,
        form="complaint",
        kind="complaint",
        text="My GP practice would not give me an appointment.",
        service_type="gp",
    )
    assert item.area == icb and item.provider is None and item.fft_rating is None


def test_a_discarded_page_never_becomes_feedback(handler, trust, batch, attachment_storage):
    page = _one_page(handler, trust, batch)
    services.scan_page_discard(actor=handler, page=page)
    page.refresh_from_db()
    assert page.status == PageStatus.DISCARDED and not page.image
    assert not Feedback.objects.exists()


def test_the_forms_answers_are_the_products_own_values():
    from feedback.choices import FftRating, Kind, ServiceType
    from paper.scan.layout import FFT_RATINGS, KINDS, SERVICES

    assert {v for v, _ in SERVICES} <= set(ServiceType.values)
    assert {v for v, _ in KINDS} == set(Kind.values)
    assert {int(v) for v, _ in FFT_RATINGS} == set(FftRating.values)
