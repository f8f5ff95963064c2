"""What happens around an item while it is handled: links and joint partners, the patient's
identity, the audit trail, attachments, messages, corrections and notifications."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from feedback.choices import (
    CorrectionKind,
    NotificationKind,
    NotificationState,
)
from feedback.models.items import Feedback
from feedback.models.organisations import Organisation


class FeedbackLink(models.Model):
    """Two items a handler marked as related (the same matter, or the same patient): both items
    show the link. Stored once per pair, the lower id first."""

    # Indexed by the unique constraint (first, second).
    first = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+", db_index=False)
    second = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="unique_feedback_link"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="feedback_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback #{self.first_id} linked to #{self.second_id}"


class JointPartner(models.Model):
    """A partner organisation of a joint complaint (NHS complaints regulation 9): a complaint
    about several organisations has a lead (the organisation handling the item) and partners.
    The lead invited this organisation, with a reason; its staff see the item (read only) and add
    their part of the findings here, editable until the lead sends the one coordinated response.
    The response clock stays the lead's (docs/adr/0018-joint-complaints.md)."""

    feedback = models.ForeignKey(
        Feedback, on_delete=models.CASCADE, related_name="joint_partners", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="joint_items"
    )
    reason = models.CharField(max_length=500)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    # The partner's part of the findings: "" until it adds it.
    findings = models.TextField(blank=True)
    contributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contributed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [
            # Also the index for an item's partners (feedback first).
            models.UniqueConstraint(
                fields=["feedback", "organisation"], name="unique_joint_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} on feedback #{self.feedback_id}"

    @property
    def has_contributed(self) -> bool:
        return bool(self.findings.strip())


class PhoneDigits(models.Func):
    """A phone number's digits alone ("07700 900123" and "07700-900-123" -> "07700900123"), to
    find the same number written differently. PostgreSQL drops every other character; SQLite
    (``make run``) has no regular expressions in SQL and drops the usual separators."""

    function = "REGEXP_REPLACE"
    output_field = models.CharField()
    _SEPARATORS = (" ", "-", "(", ")", "+", ".", "/")

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(
            expression, models.Value("[^0-9]+"), models.Value(""), models.Value("g"), **extra
        )

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        values = list(params)
        for separator in self._SEPARATORS:
            sql = f"REPLACE({sql}, %s, '')"
            values.append(separator)
        return sql, tuple(values)


class Identity(models.Model):
    """Contact details of the person who left an item, kept apart from the feedback text."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="identity")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    # When someone wrote on the patient's behalf, ``name`` and the contact details are theirs and
    # this is the patient's name (the NHS number is the patient's either way).
    patient_name = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        # The duplicate check finds the same patient's other items by any of these.
        indexes = [
            models.Index(
                fields=["nhs_number"],
                condition=~models.Q(nhs_number=""),
                name="identity_nhs_number",
            ),
            models.Index(Lower("email"), condition=~models.Q(email=""), name="identity_email"),
            models.Index(
                PhoneDigits("phone"), condition=~models.Q(phone=""), name="identity_phone_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"Identity for feedback #{self.feedback_id}"


class AuditEvent(models.Model):
    """Something that happened to an item: who did what, when, from which value to which.

    Rows are written in the same transaction as the change they record and are never edited.
    """

    feedback = models.ForeignKey(
        Feedback, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(max_length=40)
    from_value = models.CharField(max_length=100, blank=True)
    to_value = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["feedback", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """Where an attachment's content is stored: a random name under attachments/<yyyy>/<mm>/,
    with the extension of the type its content was found to be. Never the name the file came
    with, which may hold the patient's name and is shown (sanitised) from the row instead."""
    now = timezone.now()
    extension = filename.rpartition(".")[2] if "." in filename else "bin"
    return f"attachments/{now:%Y}/{now:%m}/{secrets.token_urlsafe(24)}.{extension}"


class Attachment(models.Model):
    """A file attached to an item: a letter, a photo or a form, added by a member of staff or by
    the patient from their tracking page.

    The content is kept through Django's storage API (a folder under var/, or object storage in
    production) and only ever served by the attachment views, to those who may see the item;
    the row says what it is: the name it came with (sanitised), the type found from its content
    (not the one claimed), its size, who added it and when. Deleting the row deletes the file.
    """

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=200)
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_patient = models.BooleanField(default=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            # Added by the patient (nobody signed in) or by a member of staff, never both.
            models.CheckConstraint(
                condition=models.Q(by_patient=True, added_by__isnull=True)
                | models.Q(by_patient=False, added_by__isnull=False),
                name="attachment_added_by_patient_or_staff",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} on feedback #{self.feedback_id}"


class PatientMessage(models.Model):
    """What the patient added from their tracking page: more information, or their answer to a
    request for information (which restarts a paused clock)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="messages")
    text = models.TextField()
    answers_request = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Message from the patient on feedback #{self.feedback_id}"


class Correction(models.Model):
    """A member of staff's correction of what the reader found, or of where it sent an item.

    Each is a labelled example the next training run may learn from (``manage.py
    export_corrections``): who corrected what, when, from which value to which.
    """

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="corrections")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of feedback #{self.feedback_id} at {self.at:%Y-%m-%d}"


class Notification(models.Model):
    """A message to the patient (acknowledgement or final response), sent at most once.

    The row is created in the transaction of the workflow step; the Celery task that sends it
    claims it (pending -> sending) so a redelivered message never sends it twice.
    """

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    state = models.CharField(
        max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feedback", "kind"], name="one_notification_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for feedback #{self.feedback_id} ({self.state})"
