"""A piece of feedback (``Feedback``) as a patient sent it and as it was read, routed and handled,
with the themes and the reading the worker stored for it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.utils import timezone

from analytics.ml.language import ENGLISH as READABLE_LANGUAGE
from analytics.ml.language import language_name
from feedback.choices import (
    AnalysisState,
    Channel,
    ComplainantStatus,
    Consent,
    FftRating,
    InvestigationApproach,
    Kind,
    PatientAge,
    Relationship,
    RiskCheck,
    Route,
    SafetyAnswer,
    ServiceType,
    Status,
)
from feedback.ko41 import Outcome, Profession, ServiceArea
from feedback.models.organisations import Organisation, Viewer, organisations_visible_to


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
            from feedback.models.casework import JointPartner

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
