"""Paper forms: printing a batch, taking in scans, reading them (the worker), and a person's
confirmation that turns a page into feedback through the normal intake (docs/adr/0023).

- Printing writes a ``PrintBatch`` (its code goes in every copy's QR code) and returns its PDF.
- An upload is checked whole before anything is kept: each file a PDF, JPEG or PNG by its
  content, the files together at most ``PAPER_UPLOAD_MAX_BYTES`` and ``PAPER_UPLOAD_MAX_PAGES``,
  no PDF encrypted or unreadable. One bad file and nothing is saved.
- The worker renders and reads every page (``paper.scan.reader``) and saves each with what it
  read; a blank page is kept as skipped, so the upload's summary can report it.
- Confirming a page submits the feedback with ``feedback_submit`` (channel paper), attaches the
  page's image with ``attachment_add``, and marks the page, all in one transaction: the item
  only enters analysis, routing and the clocks once that is committed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pypdfium2
import pypdfium2.raw as pdfium_c
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from feedback.audit import audit_record
from feedback.choices import (
    FFT_QUESTION,
    Channel,
    FftRating,
    Kind,
    OrganisationKind,
    ServiceType,
)
from feedback.errors import InvalidFeedback
from feedback.models import Feedback, Organisation, User
from feedback.services.attachments import (
    JPEG,
    PDF,
    PNG,
    attachment_add,
    attachment_sniff,
    megabytes,
)
from feedback.services.intake import feedback_submit
from paper.models import FormLanguage, PageStatus, PrintBatch, ScanPage, ScanUpload, UploadStatus
from paper.scan import reader
from paper.scan.layout import FORMS
from paper.scan.printing import form_pdf

logger = logging.getLogger(__name__)

PRINTING_KINDS = frozenset({OrganisationKind.TRUST, OrganisationKind.ICB})
SCAN_TYPES = (PDF, JPEG, PNG)
WRONG_TYPE = "Upload scans as PDF files or photos (JPEG or PNG)"
# Batch codes: no 0/O or 1/I, so one read off a page aloud is not mistaken.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
POSITIVE_RATINGS = frozenset({FftRating.VERY_GOOD, FftRating.GOOD})


def _organisation_of(actor: User) -> Organisation:
    organisation = actor.organisation
    if organisation is None or organisation.kind not in PRINTING_KINDS:
        raise InvalidFeedback(
            {"organisation": "Paper forms are printed and scanned by NHS trusts and ICBs."}
        )
    return organisation


# --- Printing ------------------------------------------------------------------------------------


def print_batch_create(
    *,
    actor: User,
    form: str,
    copies: int,
    service_type: str = "",
    service_name: str = "",
    large_print: bool = False,
    language: str = FormLanguage.ENGLISH,
) -> PrintBatch:
    """A new batch of ``copies`` forms for the actor's organisation, in English or Welsh."""
    organisation = _organisation_of(actor)
    errors = {}
    if form not in FORMS:
        errors["form"] = "Choose the FFT card or the complaint form."
    limit = settings.PAPER_PRINT_MAX_COPIES
    if not 1 <= copies <= limit:
        errors["copies"] = f"Print between 1 and {limit} copies at a time."
    if service_type and service_type not in ServiceType.values:
        errors["service_type"] = "Choose a service from the list, or none."
    if language not in FormLanguage.values:
        errors["language"] = "Choose English or Cymraeg (Welsh)."
    service_name = " ".join(service_name.split())
    if len(service_name) > 60:
        errors["service_name"] = "The ward or service must be 60 characters or fewer."
    if errors:
        raise InvalidFeedback(errors)
    for _ in range(5):
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        if not PrintBatch.objects.filter(code=code).exists():
            break
    with transaction.atomic():
        batch = PrintBatch.objects.create(
            code=code,
            organisation=organisation,
            form=form,
            service_type=service_type,
            service_name=service_name,
            large_print=large_print,
            language=language,
            copies=copies,
            printed_by=actor,
        )
        audit_record(
            feedback=None,
            actor=actor,
            action="paper_printed",
            to_value=batch.code,
            detail={
                "form": form,
                "copies": copies,
                "organisation": organisation.ods_code,
                "language": language,
            },
        )
    return batch


def print_batch_pdf(batch: PrintBatch) -> bytes:
    return form_pdf(
        form=batch.form,
        organisation_name=batch.organisation.name,
        organisation_code=batch.organisation.ods_code,
        batch=batch.code,
        service_name=batch.service_name,
        large_print=batch.large_print,
        copies=batch.copies,
        language=batch.language,
    )


# --- Taking scans in -----------------------------------------------------------------------------


def paper_upload_limits_hint() -> str:
    return (
        f"PDF scans or photos (JPEG or PNG), several at once: up to "
        f"{megabytes(settings.PAPER_UPLOAD_MAX_BYTES)} MB and "
        f"{settings.PAPER_UPLOAD_MAX_PAGES} pages in all."
    )


def _pdf_pages(data: bytes, name: str) -> int:
    """How many pages the PDF has; InvalidFeedback when it is encrypted or cannot be read."""
    encrypted = (
        f"{name} is protected by a password (encrypted): save it without one and upload it again"
    )
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InvalidFeedback({"scans": encrypted}) from exc
        raise InvalidFeedback({"scans": f"{name} is not a PDF that can be read"}) from exc
    try:
        # A document that opens without a password may still be encrypted (an owner password
        # that forbids copying): refused too, as the reader is not permitted to copy from it.
        if pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1:
            raise InvalidFeedback({"scans": encrypted})
        return len(document)
    finally:
        document.close()


def _image_pages(data: bytes, name: str) -> int:
    if reader.decode_image(data) is None:
        raise InvalidFeedback({"scans": f"{name} is not an image that can be read"})
    return 1


def scan_upload_receive(*, actor: User, files: list[File]) -> ScanUpload:
    """Check the files, keep them and queue them for reading. InvalidFeedback (field "scans")
    naming the file and the limit when any is refused: then nothing is kept."""
    organisation = _organisation_of(actor)
    if not files:
        raise InvalidFeedback({"scans": "Choose the scanned forms to upload"})
    limit = settings.PAPER_UPLOAD_MAX_BYTES
    total = sum(f.size or 0 for f in files)
    if total > limit:
        raise InvalidFeedback(
            {
                "scans": f"The files are {megabytes(total)} MB together: upload "
                f"{megabytes(limit)} MB or less at a time"
            }
        )
    checked: list[dict[str, Any]] = []
    for uploaded in files:
        name = (uploaded.name or "scan").rsplit("/", 1)[-1][:100]
        if not uploaded.size:
            raise InvalidFeedback({"scans": f"{name} is empty: choose a scan with something in it"})
        kind = attachment_sniff(uploaded)
        if kind not in SCAN_TYPES:
            raise InvalidFeedback({"scans": f"{name} is not a PDF, JPEG or PNG. {WRONG_TYPE}"})
        uploaded.seek(0)
        data = uploaded.read()
        pages = _pdf_pages(data, name) if kind == PDF else _image_pages(data, name)
        checked.append({"name": name, "type": kind, "pages": pages, "data": data})
    pages_total = sum(c["pages"] for c in checked)
    page_limit = settings.PAPER_UPLOAD_MAX_PAGES
    if pages_total > page_limit:
        raise InvalidFeedback(
            {
                "scans": f"The files have {pages_total} pages: upload {page_limit} pages or "
                "fewer at a time"
            }
        )
    stored: list[str] = []
    try:
        for c in checked:
            extension = {PDF: "pdf", JPEG: "jpg", PNG: "png"}[c["type"]]
            stored.append(
                default_storage.save(f"paper/uploads/scan.{extension}", ContentFile(c.pop("data")))
            )
            c["stored"] = stored[-1]
        with transaction.atomic():
            upload = ScanUpload.objects.create(
                organisation=organisation,
                uploaded_by=actor,
                sources=checked,
                pages_total=pages_total,
            )
            audit_record(
                feedback=None,
                actor=actor,
                action="paper_uploaded",
                to_value=str(upload.pk),
                detail={"scans": len(checked), "pages": pages_total},
            )
            transaction.on_commit(lambda: enqueue_reading(upload.pk))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return upload


def enqueue_reading(upload_id: int) -> None:
    from paper.tasks import read_scan_upload

    try:
        read_scan_upload.apply_async((upload_id,), retry=False)
    except Exception:
        logger.warning("could not enqueue reading of scan upload %s", upload_id, exc_info=True)


# --- Reading (the worker) ------------------------------------------------------------------------

# Scans are rendered at the reader's resolution; photos are read as they are.
RENDER_DPI = 200


def _source_images(source: dict[str, Any]) -> Iterator[np.ndarray]:
    """The source's pages one at a time (a 100-page PDF is never all in memory)."""
    with default_storage.open(source["stored"], "rb") as f:
        data = f.read()
    if source["type"] != PDF:
        image = reader.decode_image(data)
        if image is not None:
            yield image
        return
    document = pypdfium2.PdfDocument(data)
    try:
        for page in document:
            pixels = page.render(scale=RENDER_DPI / 72).to_numpy()
            page.close()
            # pdfium renders in OpenCV's order (BGR, or BGRx): the fourth byte is padding.
            yield np.ascontiguousarray(pixels[..., :3]) if pixels.ndim == 3 else pixels
    finally:
        document.close()


def _encode(image: np.ndarray, extension: str, **params: int) -> ContentFile:
    flags = [cv2.IMWRITE_JPEG_QUALITY, params.get("quality", 85)] if extension == ".jpg" else []
    ok, data = cv2.imencode(extension, image, flags)
    if not ok:
        raise ValueError("could not encode the page image")
    return ContentFile(data.tobytes())


def _page_from_reading(
    upload: ScanUpload, number: int, image: np.ndarray, reading: reader.PageReading
) -> ScanPage:
    page = ScanPage(
        upload=upload,
        number=number,
        reading=reading.status,
        form=reading.form,
        qr_text=reading.qr_text,
        language=reading.language or FormLanguage.ENGLISH,
        status=PageStatus.BLANK if reading.status == "blank" else PageStatus.TO_CHECK,
        fields={name: f.as_dict() for name, f in reading.fields.items()},
    )
    if reading.qr is not None:
        page.batch = PrintBatch.objects.filter(code=reading.qr.batch).first()
        page.organisation = Organisation.objects.filter(
            ods_code=reading.qr.organisation, kind__in=PRINTING_KINDS
        ).first()
    # Photos larger than needed are kept at 2,000 pixels on the long side.
    scale = min(2000 / max(image.shape[:2]), 1.0)
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    page.image.save("page.jpg", _encode(image, ".jpg"), save=False)
    if reading.page is not None:
        page.aligned.save("aligned.png", _encode(reading.page, ".png"), save=False)
    page.save()
    return page


def scan_upload_read(*, upload_id: int) -> ScanUpload | None:
    """Read every page of the upload (the worker). Claims it first: a redelivered message, or
    an upload already read, does nothing; a page read before a crash is not read twice."""
    claimed = ScanUpload.objects.filter(
        pk=upload_id, status__in=(UploadStatus.QUEUED, UploadStatus.READING)
    ).update(status=UploadStatus.READING, started_at=timezone.now())
    if not claimed:
        return None
    upload = ScanUpload.objects.get(pk=upload_id)
    done = set(upload.pages.values_list("number", flat=True))
    number = 0
    try:
        for source in upload.sources:
            for image in _source_images(source):
                number += 1
                if number in done:
                    continue
                reading = reader.read_page(image)
                _page_from_reading(upload, number, image, reading)
                ScanUpload.objects.filter(pk=upload.pk).update(pages_read=number)
    except Exception as exc:
        logger.exception("scan upload %s could not be read", upload_id)
        ScanUpload.objects.filter(pk=upload.pk).update(
            status=UploadStatus.FAILED,
            problem=f"Page {number + 1} could not be read ({type(exc).__name__}). "
            "Upload that page again, or enter it by hand.",
            finished_at=timezone.now(),
        )
        upload.refresh_from_db()
        return upload
    for source in upload.sources:
        default_storage.delete(source["stored"])
    ScanUpload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.DONE, pages_read=number, finished_at=timezone.now()
    )
    upload.refresh_from_db()
    return upload


# --- Checking and confirming ---------------------------------------------------------------------


def page_proposal(page: ScanPage) -> dict[str, Any]:
    """The confirmation form's starting values, from what was read."""
    values = {name: f.get("value", "") for name, f in page.fields.items()}
    contact = values.get("contact", "")
    initial: dict[str, Any] = {
        "organisation": page.organisation.ods_code if page.organisation else "",
        "form": page.form,
        "language": page.language,
        "text": values.get("text", ""),
        "name": values.get("name", ""),
        "email": contact if "@" in contact else "",
        "phone": contact if contact and "@" not in contact else "",
        "service_type": values.get("service_type", "")
        or (page.batch.service_type if page.batch else ""),
    }
    if page.form == "fft":
        rating = values.get("fft_rating", "")
        initial["fft_rating"] = rating
        if rating:
            initial["kind"] = (
                Kind.COMPLIMENT if int(rating) in POSITIVE_RATINGS else Kind.SUGGESTION
            )
    else:
        initial["kind"] = values.get("kind", "")
    return initial


def _lock_page_to_check(page: ScanPage) -> ScanPage:
    locked = ScanPage.objects.select_for_update().get(pk=page.pk)
    if locked.status != PageStatus.TO_CHECK:
        raise InvalidFeedback(
            {"page": f"This page is {locked.get_status_display().lower()} already."}
        )
    return locked


def scan_page_confirm(
    *,
    actor: User,
    page: ScanPage,
    organisation: Organisation,
    form: str,
    kind: str,
    text: str,
    fft_rating: int | None = None,
    service_type: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "",
) -> Feedback:
    """Submit the checked page as feedback (channel paper) with its image attached, and mark it
    confirmed. Nothing is saved unless all of it is. The item's language is the form's (a
    Welsh form's is "cy"), or ``language`` when the person checking says otherwise."""
    if organisation.kind not in PRINTING_KINDS:
        raise InvalidFeedback({"organisation": "Enter the ODS code of an NHS trust or ICB."})
    trust = organisation.kind == OrganisationKind.TRUST
    language = language or page.language
    return _confirm(
        actor=actor,
        page=page,
        submit={
            "actor": actor,
            "channel": Channel.PAPER,
            "kind": kind,
            "text": text,
            "provider": organisation if trust else None,
            "area": None if trust else organisation,
            "service_type": service_type,
            "question": FFT_QUESTION if form == "fft" else "",
            "fft_rating": fft_rating if form == "fft" else None,
            "name": name,
            "email": email,
            "phone": phone,
            # The portal's language codes: a Welsh form's item is Welsh, any other English.
            "language": "cy" if language == FormLanguage.WELSH else settings.LANGUAGE_CODE,
        },
    )


def _confirm(*, actor: User, page: ScanPage, submit: dict[str, Any]) -> Feedback:
    attachment = None
    try:
        with transaction.atomic():
            locked = _lock_page_to_check(page)
            item = feedback_submit(**submit)
            with locked.image.open("rb") as image:
                attachment = attachment_add(
                    feedback=item,
                    uploaded_file=File(image, name=f"paper form page {locked.number}.jpg"),
                    actor=actor,
                )
            locked.status = PageStatus.CONFIRMED
            locked.feedback = item
            locked.checked_by = actor
            locked.checked_at = timezone.now()
            locked.save(update_fields=["status", "feedback", "checked_by", "checked_at"])
            proposed = page_proposal(locked)
            audit_record(
                feedback=item,
                actor=actor,
                action="paper_confirmed",
                to_value=f"upload {locked.upload_id} page {locked.number}",
                detail={
                    "upload": locked.upload_id,
                    "page": locked.number,
                    "batch": locked.batch.code if locked.batch else "",
                    "qr_read": bool(locked.qr_text),
                    # Which of the reader's values the person checking changed.
                    "corrected": sorted(
                        key
                        for key in ("kind", "fft_rating", "service_type", "text", "name")
                        if str(proposed.get(key) or "") != str(submit.get(key) or "")
                    ),
                },
            )
            _forget_images_after_commit(locked)
    except BaseException:
        # attachment_add removes its file when its own row fails; a failure after it rolls the
        # row back, and the file goes too.
        if attachment is not None:
            attachment.file.storage.delete(str(attachment.file.name))
        raise
    return item


def _forget_images_after_commit(page: ScanPage) -> None:
    """Once a page is confirmed (its image kept as the item's attachment, which erasure and
    retention remove) or discarded, its own copies go: no second copy of a patient's words
    outlives the item."""
    names = [str(f.name) for f in (page.image, page.aligned) if f]
    storage = page.image.storage

    def forget() -> None:
        for name in names:
            storage.delete(name)
        ScanPage.objects.filter(pk=page.pk).update(image="", aligned="", fields={})

    transaction.on_commit(forget)


def scan_page_discard(*, actor: User, page: ScanPage) -> ScanPage:
    """Set a page aside (not a form, a duplicate scan): it never becomes feedback."""
    with transaction.atomic():
        locked = _lock_page_to_check(page)
        locked.status = PageStatus.DISCARDED
        locked.checked_by = actor
        locked.checked_at = timezone.now()
        locked.save(update_fields=["status", "checked_by", "checked_at"])
        _forget_images_after_commit(locked)
    return locked
