"""Organisations, staff, patient feedback and the trail of what happened to it."""

from __future__ import annotations

import secrets
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Length, Lower
from django.utils import timezone

from analytics.ml.language import ENGLISH as READABLE_LANGUAGE
from analytics.ml.language import language_name
from feedback.choices import (
    PRACTICE_KINDS,
    AnalysisState,
    Channel,
    ComplainantStatus,
    Consent,
    CorrectionKind,
    FftRating,
    FftUploadStatus,
    InvestigationApproach,
    Kind,
    NotificationKind,
    NotificationState,
    OrganisationKind,
    PatientAge,
    Relationship,
    RiskCheck,
    Role,
    Route,
    SafetyAnswer,
    ServiceType,
    Status,
    TrustType,
)
from feedback.ko41 import Outcome, Profession, ServiceArea


class Region(models.Model):
    """One of the seven NHS England regions that group the integrated care boards."""

    code = models.CharField(max_length=5, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """An NHS body: one that handles feedback (a trust, an integrated care board, the CQC, NHS
    England's national triage queue) or a primary care practice patients name as the place of
    care (its ICB handles the feedback).

    Loaded from the ODS directory (``manage.py import_ods``); the ODS code is the key everyone else
    uses for it.
    """

    ods_code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    trust_type = models.CharField(max_length=20, choices=TrustType.choices, blank=True)
    icb = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trusts",
        limit_choices_to={"kind": OrganisationKind.ICB},
        help_text="The integrated care board a trust or practice sits in.",
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    postcode = models.CharField(max_length=10, blank=True)
    # The ODS address lines as people write them ("61 The Market Square, London"): shown beside a
    # practice's name so a patient can tell two of the same name apart, and searched by town.
    address = models.CharField(max_length=300, blank=True, default="", db_default="")
    # Four weeks is the national target; some organisations work to 25 working days instead.
    response_target_days = models.PositiveSmallIntegerField(default=28)
    response_target_working_days = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["kind", "postcode"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    @property
    def is_practice(self) -> bool:
        """A GP, dental or pharmacy practice: a place of care, never a queue."""
        return self.kind in PRACTICE_KINDS


class User(AbstractUser):
    """A member of staff. Every account belongs to one organisation and sees only its queue."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(max_length=15, choices=Role.choices, default=Role.HANDLER)

    @property
    def sees_england(self) -> bool:
        """CQC staff oversee every organisation (dashboards); their queue is still the CQC's."""
        return self.organisation is not None and self.organisation.kind == OrganisationKind.CQC


class Viewer(Protocol):
    """Anyone items are shown to: a member of staff, or a regulator's API token."""

    @property
    def organisation(self) -> Organisation | None: ...

    @property
    def sees_england(self) -> bool: ...


def organisations_visible_to(viewer: Viewer) -> frozenset[int] | None:
    """The organisations whose queues ``viewer`` may see; None: every one (the CQC, a national
    token). An ICB sees its own queue and its trusts' (oversight of its system); a trust its own.
    Nobody else's queue, whatever the item is about: an item's provider never widens who sees it.
    """
    if viewer.sees_england:
        return None
    org = viewer.organisation
    if org is None:
        return frozenset()
    if org.kind == OrganisationKind.ICB:
        trusts = Organisation.objects.filter(icb_id=org.pk).values_list("pk", flat=True)
        return frozenset([org.pk, *trusts])
    return frozenset([org.pk])


class FeedbackQuerySet(models.QuerySet["Feedback"]):
    def visible_to(self, viewer: Viewer, *, joint: bool = False) -> FeedbackQuerySet:
        """The one scoping rule: items in the queues the viewer may see (see
        ``organisations_visible_to``). Staff pages narrow it to their own queue; dashboards,
        exports and KO41 read it whole.

        ``joint``: also the joint complaints (regulation 9) those organisations were invited to
        as partners (``JointPartner``). Only the staff pages and staff API that show a partner
        its part ask for them; dashboards, exports, tokens and KO41 never do, so a joint
        complaint counts once, for its lead, which owns the clock and the response (ADR 0018).
        """
        organisations = organisations_visible_to(viewer)
        if organisations is None:
            return self.filter(handled_by__isnull=False)
        if joint:
            partner = JointPartner.objects.filter(
                feedback_id=models.OuterRef("pk"), organisation_id__in=organisations
            )
            return self.filter(models.Q(handled_by_id__in=organisations) | models.Exists(partner))
        return self.filter(handled_by_id__in=organisations)


def new_tracking_token() -> str:
    # 32 bytes from the OS CSPRNG: 256 bits, far past guessing.
    return secrets.token_urlsafe(32)


class Feedback(models.Model):
    """One piece of patient feedback (complaint, concern, compliment or suggestion).

    The text and its analysis live here; who wrote it lives in ``Identity``, apart.
    """

    tracking_token = models.CharField(
        max_length=64, unique=True, default=new_tracking_token, editable=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.WEB)
    service_type = models.CharField(max_length=20, choices=ServiceType.choices, blank=True)
    provider = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_as_provider",
        help_text=(
            "The trust or primary care practice that gave the care, when the patient named one."
        ),
    )
    area = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_in_area",
        help_text="The integrated care board for the place where care was given.",
    )
    # What a patient who knew neither the organisation nor the area told us instead: a postcode,
    # a postcode district or a town. Used to find the area, and shown to whoever assigns it.
    place = models.CharField(max_length=100, blank=True, default="", db_default="")
    wants_commissioner = models.BooleanField(default=False)
    # Set by the form (a hidden key) or the API (Idempotency-Key header): a double click or a
    # retried request finds the item it already created instead of making a second one.
    # The API's key is scoped to the client (a digest of the client's address and the key), and
    # a digest of what was sent is kept with it: the same key with different content is refused.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    submission_digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    question = models.CharField(max_length=300, blank=True)
    # The patient's answer to the FFT question ("Overall, how was your experience of our
    # service?"); null when it was not asked (a letter, an API client that does not ask it).
    fft_rating = models.PositiveSmallIntegerField(
        "FFT rating", choices=FftRating.choices, null=True, blank=True
    )
    text = models.TextField()
    # The text with direct identifiers replaced ([NAME], [PHONE], ...), made once by the worker
    # when it analyses the item; what exports show. "" until then.
    text_redacted = models.TextField(blank=True, default="", db_default="")
    # The question as exports show it, redacted with the text when the worker reads the item
    # (an organisation's wording, but an API client may send anything).
    question_redacted = models.CharField(max_length=300, blank=True, default="", db_default="")
    # The patient's answer to "Is anyone at risk of harm?"; "yes" sends the item to the CQC.
    safety_answer = models.CharField(
        max_length=10, choices=SafetyAnswer.choices, blank=True, default="", db_default=""
    )
    # For the KO41 returns (optional questions): the patient's age band, and whether the patient
    # or someone on their behalf wrote. "" when not given.
    patient_age = models.CharField(
        max_length=8, choices=PatientAge.choices, blank=True, default="", db_default=""
    )
    complainant_status = models.CharField(
        max_length=10, choices=ComplainantStatus.choices, blank=True, default="", db_default=""
    )
    # Someone writing on the patient's behalf (complainant_status "on_behalf"): how they know
    # the patient ("other" with their own words), and the patient's consent (regulation 5).
    # Consent still to be asked for pauses a complaint's clock until staff record it. Codes, not
    # identifiers: exported; the words for "other" are not. The patient's name is in Identity.
    relationship = models.CharField(
        max_length=12, choices=Relationship.choices, blank=True, default="", db_default=""
    )
    relationship_other = models.CharField(max_length=60, blank=True, default="", db_default="")
    consent = models.CharField(
        max_length=16, choices=Consent.choices, blank=True, default="", db_default=""
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    # The patient's communication needs (Accessible Information Standard): CommunicationNeed
    # values, and the language when they need an interpreter. Not identifiers: exported.
    communication_needs = models.JSONField(default=list, blank=True)
    interpreter_language = models.CharField(max_length=60, blank=True, default="", db_default="")
    # The language the patient used (a code of settings.LANGUAGES: "en-gb", "cy"): the patient's
    # emails go out in it, whenever they are sent (docs/adr/0021). Staff see it on the item.
    language = models.CharField(max_length=10, default="en-gb", db_default="en-gb")
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=25, choices=Status.choices, default=Status.RECEIVED)

    # Analysis (filled by the worker).
    analysis_state = models.CharField(
        max_length=12, choices=AnalysisState.choices, default=AnalysisState.QUEUED
    )
    analysis_claim = models.UUIDField(null=True, blank=True, editable=False)
    analysis_claimed_at = models.DateTimeField(null=True, blank=True)
    analysis_attempts = models.PositiveSmallIntegerField(default=0)
    sentiment = models.PositiveSmallIntegerField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    sentiment_confidence = models.FloatField(null=True, blank=True)
    risk_safeguarding = models.BooleanField(default=False)
    risk_mental_health_act = models.BooleanField(default=False)
    risk_serious = models.BooleanField(default=False)
    model_version = models.CharField(max_length=60, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    needs_review = models.BooleanField(
        default=False, help_text="Routed by the rules alone because the model was unavailable."
    )
    # The language the text is written in (ISO 639-1, analytics.ml.language), found by the worker
    # before the reader reads it, and the detector's confidence in it; "" until then. Not English:
    # the English reader's sentiment and themes are kept off the item (they would be confident
    # guesses), the patient's answers route it, and staff see it needs a reader of the language.
    text_language = models.CharField(max_length=8, blank=True, default="", db_default="")
    text_language_confidence = models.FloatField(null=True, blank=True)
    # The triage reader's probabilities (analytics.ml.triage_data.TRIAGE_LABELS -> 0..1).
    triage_scores = models.JSONField(default=dict, blank=True)
    # A possible risk the reader was unsure about: the route stands, a person checks it within
    # a working day and confirms (the item goes to the CQC) or dismisses it with a reason.
    risk_check = models.CharField(
        max_length=10, choices=RiskCheck.choices, blank=True, default="", db_default=""
    )
    risk_check_flags = models.JSONField(default=list, blank=True)
    risk_check_due = models.DateField(null=True, blank=True)
    risk_checked_at = models.DateTimeField(null=True, blank=True)
    risk_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Routing.
    handled_by = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue",
    )
    route = models.CharField(max_length=10, choices=Route.choices, blank=True)
    route_rule = models.CharField(max_length=60, blank=True)
    route_evidence = models.JSONField(default=list, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)

    # Clocks (set when routed; compliments and suggestions have none). response_due moves later by
    # the days the clock was paused waiting for the complainant.
    acknowledge_due = models.DateField(null=True, blank=True)
    response_due = models.DateField(null=True, blank=True)
    statutory_due = models.DateField(null=True, blank=True)
    agreed_due = models.DateField(
        null=True, blank=True, help_text="A later response date agreed with the complainant."
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    status_before_pause = models.CharField(max_length=25, choices=Status.choices, blank=True)

    # Workflow.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_feedback",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    investigation_approach = models.CharField(
        max_length=20, choices=InvestigationApproach.choices, blank=True
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_text = models.TextField(blank=True)
    late_reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    ko41_subjects = models.JSONField(default=list, blank=True)
    ko41_service_area = models.CharField(max_length=20, choices=ServiceArea.choices, blank=True)
    ko41_profession = models.CharField(max_length=20, choices=Profession.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The sketch (96 bytes) of the model's reading of the text (FeedbackReading holds the
    # reading): the duplicate check's first pass reads it for a queue's 90 days from the
    # feedback_duplicate_window index alone, which it can only do from a column of this table
    # (ADR 0016). Null when the model did not read the item.
    reading_sketch = models.BinaryField(null=True, blank=True, editable=False)
    # Closed as a duplicate of this item (feedback.services.merging.complaint_merge): its
    # complainant is sent that item's final response.
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        help_text="The item this one was merged into as a duplicate.",
    )

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "feedback"
        indexes = [
            models.Index(fields=["handled_by", "-received_at"]),
            models.Index(fields=["handled_by", "status", "response_due"]),
            models.Index(fields=["analysis_state", "received_at"]),
            # Exports stream every item of a period oldest first and page through it by
            # (received_at, id): read in that order from the index instead of sorting them all.
            models.Index(fields=["received_at", "id"]),
            # Dashboards across many queues (an ICB's, England's): open items by age, overdue
            # and unacknowledged items. Partial (open items only, a few per cent of the table)
            # and covering on PostgreSQL, so the counts are index-only scans.
            models.Index(
                fields=["kind", "status"],
                include=[
                    "id",
                    "handled_by",
                    "paused_at",
                    "service_type",
                    "received_at",
                    "acknowledge_due",
                    "response_due",
                ],
                condition=models.Q(
                    status__in=["received", "acknowledged", "investigating", "awaiting_complainant"]
                ),
                name="feedback_open_items",
            ),
            # The few items flagged as a possible risk, for the dashboards' checks table.
            models.Index(
                fields=["handled_by", "received_at"],
                condition=~models.Q(risk_check=""),
                name="feedback_risk_checks",
            ),
            # The duplicate check: a queue's complaints and concerns received within 90 days of
            # an item, not merged, with their readings' sketches, read from the index alone
            # (feedback.services.duplicates).
            models.Index(
                fields=["handled_by", "received_at"],
                include=["id", "model_version", "reading_sketch"],
                condition=models.Q(kind__in=["complaint", "concern"], duplicate_of__isnull=True),
                name="feedback_duplicate_window",
            ),
        ]
        constraints = [
            # The duplicate check reads sketches as fixed-size records (services/duplicates.py).
            models.CheckConstraint(
                condition=models.Q(reading_sketch__isnull=True)
                | models.Q(models.lookups.Exact(Length("reading_sketch"), 96)),
                name="feedback_reading_sketch_size",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def needs_language_reader(self) -> bool:
        """Written in a language the reader cannot read: a person who reads it must."""
        return self.text_language not in ("", READABLE_LANGUAGE)

    @property
    def text_language_name(self) -> str:
        return language_name(self.text_language) if self.text_language else ""


class FeedbackTheme(models.Model):
    """One theme of the patient-experience framework that the model found in an item."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="themes")
    theme = models.CharField(max_length=40)
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feedback", "theme"], name="unique_feedback_theme")
        ]
        indexes = [models.Index(fields=["theme"])]

    def __str__(self) -> str:
        return f"{self.theme} ({self.score:.2f})"


class FeedbackReading(models.Model):
    """The model's reading of one item's text, kept for finding items that say the same thing.

    The tuned encoder's pooled features of the comment, their direction as 384 int8 bytes
    (``analytics.ml.similarity``); its sketch, which the duplicate check reads first, is on the
    item (``Feedback.reading_sketch``). Written by the worker with the analysis; an item routed
    by the rules alone has none. Readings of different model versions are never compared.
    Derived from the text, so it goes when the text is erased or anonymised.
    """

    feedback = models.OneToOneField(
        Feedback, on_delete=models.CASCADE, primary_key=True, related_name="reading"
    )
    vector = models.BinaryField(max_length=384)
    model_version = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.lookups.Exact(Length("vector"), 384),
                name="feedback_reading_size",
            )
        ]

    def __str__(self) -> str:
        return f"Reading of feedback #{self.feedback_id}"


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
