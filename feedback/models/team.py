"""What a team keeps beside its items: saved queue views, reply templates, FFT uploads, and the
workers' heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from feedback.choices import (
    FftUploadStatus,
)
from feedback.models.organisations import Organisation, User


class WorkerHeartbeat(models.Model):
    """The last sign of life from one Celery worker, and whether its model loaded."""

    hostname = models.CharField(max_length=200, unique=True)
    at = models.DateTimeField()
    model_status = models.CharField(max_length=20, blank=True)
    model_version = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.at:%H:%M:%S}"


class SavedView(models.Model):
    """A queue filter and sort a member of staff saved under a name, for themselves or shared
    with their organisation's team."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    # The queue page's query string (filters, search, sort), checked when saved.
    query = models.CharField(max_length=500)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="unique_saved_view_name")
        ]

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(models.Model):
    """An organisation's own wording for a step with text (feedback.reply_templates)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    step = models.CharField(max_length=30)
    name = models.CharField(max_length=80)
    body = models.TextField()
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "step", "name"], name="unique_reply_template_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FftUpload(models.Model):
    """One Friends and Family Test export an organisation's staff uploaded (CSV or XLSX), and
    what became of it: where the worker is with it (``FFT_UPLOAD_TRANSITIONS``), how many rows
    it checked, added and found held already, or why nothing was saved (the rows refused, by
    line). The answers themselves become ``Feedback`` items (channel FFT import), each audited
    with this upload's id; see ``feedback.services.fft_uploads`` and docs/adr/0017.

    The file is kept (``stored_as``, through the storage API) only until the worker has read it.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="fft_uploads"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=FftUploadStatus.choices, default=FftUploadStatus.QUEUED
    )
    # The name the file came with, its last path part made safe to show.
    file_name = models.CharField(max_length=100)
    # What its content showed it to be (feedback.fft_files.FORMATS), never what its name said.
    file_format = models.CharField(
        max_length=4, choices=[("csv", "CSV"), ("xlsx", "Excel workbook (.xlsx)")]
    )
    file_size = models.PositiveIntegerField(help_text="In bytes")
    # SHA-256 of the file: the same file sent again while the first is read is that upload, and
    # the status page says when it was uploaded before.
    file_digest = models.CharField(max_length=64)
    # Where the file waits for the worker in the storage; "" once read.
    stored_as = models.CharField(max_length=200, blank=True)

    # Progress, written by the worker as it goes (the status page and the API read it).
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_saved = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(
        default=0, help_text="Rows whose answer was held already (an earlier upload): not added"
    )
    # A rejected upload's first FFT_UPLOAD_ERRORS_KEPT bad rows ({"line": 12, "messages": [...]})
    # and how many there were in all.
    row_errors = models.JSONField(default=list, blank=True)
    row_error_count = models.PositiveIntegerField(default=0)
    # Why the file as a whole was refused, or why the upload failed; "" otherwise.
    problem = models.TextField(blank=True)

    # The worker's claim (acks_late: a redelivered message finds it taken) and its tries.
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [
            # The organisation's uploads, newest first (the page and the API).
            models.Index(fields=["organisation", "-uploaded_at"]),
            # The same file again (a double click while it runs; uploaded before).
            models.Index(fields=["organisation", "file_digest"]),
            # The periodic sweep: the few uploads still running.
            models.Index(
                fields=["status", "claimed_at"],
                condition=models.Q(status__in=["queued", "checking", "saving"]),
                name="fft_upload_running",
            ),
        ]

    def __str__(self) -> str:
        return f"FFT upload {self.file_name} ({self.get_status_display()})"
