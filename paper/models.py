"""Paper forms: the batches staff print, the scans they upload, and each scanned page until a
person has checked it and it became feedback (docs/adr/0023-paper-forms.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from feedback.choices import ServiceType
from feedback.models import Feedback, Organisation


class FormKind(models.TextChoices):
    FFT = "fft", "Friends and Family Test card"
    COMPLAINT = "complaint", "Complaint or concern form"


class FormLanguage(models.TextChoices):
    """The language a form is printed in (the QR code says which: paper.scan.layout)."""

    ENGLISH = "en", "English"
    WELSH = "cy", "Cymraeg"


class PrintBatch(models.Model):
    """One printing of a form for an organisation (and a ward or service): its code is in every
    copy's QR code, so a scanned page says which batch, organisation and service it came from."""

    code = models.CharField(max_length=12, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="print_batches"
    )
    form = models.CharField(max_length=10, choices=FormKind.choices)
    service_type = models.CharField(max_length=20, choices=ServiceType.choices, blank=True)
    # The ward or service printed on the form ("Ward 7", "Outpatients"), if staff gave one.
    service_name = models.CharField(max_length=60, blank=True)
    large_print = models.BooleanField(default=False)
    language = models.CharField(
        max_length=2,
        choices=FormLanguage.choices,
        default=FormLanguage.ENGLISH,
        db_default=FormLanguage.ENGLISH,
    )
    copies = models.PositiveSmallIntegerField()
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    printed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-printed_at", "-pk"]
        verbose_name_plural = "print batches"

    def __str__(self) -> str:
        return f"{self.code} ({self.get_form_display()}, {self.organisation.ods_code})"


class UploadStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    READING = "reading", "Being read"
    DONE = "done", "Read"
    FAILED = "failed", "Could not be read"


class ScanUpload(models.Model):
    """Scanned PDFs or photos a member of staff uploaded together. The worker reads them into
    pages; the files are kept until every page is read (``sources``: the stored names)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="scan_uploads"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.QUEUED
    )
    # [{"name": "ward 7.pdf", "stored": "paper/uploads/...", "type": "application/pdf",
    #   "pages": 12}, ...] in the order chosen.
    sources = models.JSONField(default=list)
    pages_total = models.PositiveIntegerField(default=0)
    pages_read = models.PositiveIntegerField(default=0)
    problem = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-uploaded_at"])]

    def __str__(self) -> str:
        return f"Scan upload {self.pk} ({self.organisation.ods_code})"


class PageStatus(models.TextChoices):
    TO_CHECK = "to_check", "To check"
    BLANK = "blank", "Blank: skipped"
    CONFIRMED = "confirmed", "Confirmed"
    DISCARDED = "discarded", "Discarded"


class ScanPage(models.Model):
    """One page of an upload: its image, what the reader found on it (the form, the QR code's
    batch and organisation, each field's value and confidence), and, once a person has checked
    and confirmed it, the feedback item it became."""

    upload = models.ForeignKey(ScanUpload, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(help_text="Its place in the upload, from 1")
    # The page as scanned or photographed (JPEG): it becomes the item's attachment.
    image = models.FileField(upload_to="paper/pages/%Y/%m/")
    # The page straightened to A4 (PNG, grey) when its alignment marks were found: the field
    # images on the checking screen are cut from it.
    aligned = models.FileField(upload_to="paper/aligned/%Y/%m/", blank=True)
    status = models.CharField(
        max_length=10, choices=PageStatus.choices, default=PageStatus.TO_CHECK
    )
    # "read": marks found; "unaligned": not found (the whole image is shown); "blank".
    reading = models.CharField(max_length=10)
    form = models.CharField(max_length=10, choices=FormKind.choices, blank=True)
    qr_text = models.CharField(max_length=200, blank=True)
    # The language the form was printed in, from its QR code (English when it was not read):
    # the item it becomes is in that language.
    language = models.CharField(
        max_length=2,
        choices=FormLanguage.choices,
        default=FormLanguage.ENGLISH,
        db_default=FormLanguage.ENGLISH,
    )
    batch = models.ForeignKey(PrintBatch, null=True, blank=True, on_delete=models.SET_NULL)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {field: {"value": ..., "confidence": 0-1, "box": [x, y, w, h]}}
    fields = models.JSONField(default=dict)
    feedback = models.OneToOneField(
        Feedback, null=True, blank=True, on_delete=models.SET_NULL, related_name="scan_page"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["upload", "number"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "number"], name="paper_page_number_unique")
        ]

    def __str__(self) -> str:
        return f"Page {self.number} of scan upload {self.upload_id}"
