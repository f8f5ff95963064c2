"""The staff API's serializers: the queue item, each workflow step's input, identity, audit,
attachments, duplicates and links, FFT uploads and joint complaints."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.themes import THEME_SLUGS
from feedback.api.serializers import FeedbackSubmitInputSerializer
from feedback.choices import (
    CONSENT_OUTCOME_CHOICES,
    CONSENT_OUTCOMES,
    Channel,
    CommunicationNeed,
    FftUploadStatus,
    InvestigationApproach,
    RiskFlag,
)
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Attachment, Feedback, FftUpload, Organisation
from feedback.services.fft_uploads import fft_upload_progress_text
from feedback.services.steps import available_steps


class QueueItemOutputSerializer(serializers.ModelSerializer):
    handled_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="ods_code", read_only=True
    )
    provider: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="ods_code", read_only=True
    )
    assigned_to: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    communication_needs = serializers.ListField(
        child=serializers.ChoiceField(choices=CommunicationNeed.choices),
        read_only=True,
        help_text="Accessible Information Standard: the formats and support the patient needs",
    )
    themes = serializers.SerializerMethodField()
    risk_flags = serializers.SerializerMethodField()
    text_language = serializers.CharField(
        read_only=True,
        help_text="The language the text is written in (ISO 639-1, detected by the worker); "
        '"" before analysis',
    )
    text_language_confidence = serializers.FloatField(read_only=True, allow_null=True)
    needs_language_reader = serializers.BooleanField(
        read_only=True,
        help_text="Not in English: the model did not read it (no sentiment or themes until a "
        "person who reads the language records them)",
    )
    steps = serializers.SerializerMethodField(
        help_text="The workflow steps open for this item now, as the item page offers them"
    )
    duplicate_of = serializers.SerializerMethodField(
        help_text="The item this one was merged into as a duplicate, while that item is in the "
        "same queue (null once it has left it: its id is not shown to staff who cannot see it)"
    )

    class Meta:
        model = Feedback
        fields = [
            "id",
            "kind",
            "channel",
            "service_type",
            "provider",
            "handled_by",
            "status",
            "received_at",
            "question",
            "fft_rating",
            "safety_answer",
            "communication_needs",
            "interpreter_language",
            "complainant_status",
            "relationship",
            "consent",
            "consent_recorded_at",
            "text",
            "text_language",
            "text_language_confidence",
            "needs_language_reader",
            "sentiment",
            "sentiment_label",
            "sentiment_confidence",
            "themes",
            "risk_flags",
            "model_version",
            "needs_review",
            "route",
            "route_rule",
            "route_evidence",
            "assigned_to",
            "acknowledge_due",
            "response_due",
            "statutory_due",
            "paused_days",
            "acknowledged_at",
            "investigation_approach",
            "responded_at",
            "response_text",
            "late_reason",
            "outcome",
            "ko41_subjects",
            "ko41_service_area",
            "ko41_profession",
            "closed_at",
            "withdrawn_at",
            "duplicate_of",
            "steps",
        ]

    def get_duplicate_of(self, obj: Feedback) -> int | None:
        # Whoever sees this item sees its queue (the scoping rule): the item kept is shown only
        # while it is in that queue too.
        if obj.duplicate_of_id is None:
            return None
        kept = Feedback.objects.filter(pk=obj.duplicate_of_id, handled_by_id=obj.handled_by_id)
        return obj.duplicate_of_id if kept.exists() else None

    def get_steps(self, obj: Feedback) -> list[str]:
        return available_steps(obj)

    def get_themes(self, obj: Feedback) -> list[str]:
        return [t.theme for t in obj.themes.all()]

    def get_risk_flags(self, obj: Feedback) -> list[str]:
        flags = [
            ("safeguarding", obj.risk_safeguarding),
            ("mental_health_act", obj.risk_mental_health_act),
            ("serious_risk", obj.risk_serious),
        ]
        return [name for name, raised in flags if raised]


class InvestigationInputSerializer(serializers.Serializer):
    approach = serializers.ChoiceField(choices=InvestigationApproach.choices)


class InformationRequestInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConsentRecordInputSerializer(serializers.Serializer):
    consent = serializers.ChoiceField(
        choices=CONSENT_OUTCOME_CHOICES,
        help_text="What the patient said: given (the clock runs again) or refused.",
        error_messages={
            "invalid_choice": (
                "consent must be " + " or ".join(CONSENT_OUTCOMES) + "; {input} is not one of them."
            )
        },
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResponseInputSerializer(serializers.Serializer):
    response_text = serializers.CharField(max_length=20000)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    subjects = serializers.ListField(
        child=serializers.ChoiceField(choices=Subject.choices), min_length=1
    )
    service_area = serializers.ChoiceField(choices=ServiceArea.choices)
    profession = serializers.ChoiceField(choices=Profession.choices)
    late_reason = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class CloseInputSerializer(serializers.Serializer):
    resolved = serializers.BooleanField(required=False, default=True)


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the item is withdrawn (required, audited)."
    )


class RiskConfirmInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RiskDismissInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why there is no risk to act on (required, audited)."
    )


class ReopenInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the complaint is reopened (required, audited)."
    )


class AnalysisCorrectionInputSerializer(serializers.Serializer):
    sentiment = serializers.IntegerField(min_value=1, max_value=5, allow_null=True)
    themes = serializers.ListField(child=serializers.ChoiceField(choices=THEME_SLUGS))


class RerouteInputSerializer(serializers.Serializer):
    to = serializers.SlugRelatedField(
        slug_field="ods_code", queryset=Organisation.objects.filter(is_active=True)
    )
    reason = serializers.CharField(max_length=2000)
    concern = serializers.ChoiceField(
        choices=RiskFlag.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="When sending it to the CQC: what the CQC should act on.",
    )


class AssignInputSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        allow_null=True, help_text="Username of a colleague, or null to unassign."
    )


class AgreeDeadlineInputSerializer(serializers.Serializer):
    agreed_due = serializers.DateField()


class IdentityOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    nhs_number = serializers.CharField()
    patient_name = serializers.CharField(
        help_text="When someone wrote on the patient's behalf: the patient's name (the other "
        "details are then the person writing's)"
    )


class AuditEventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    action = serializers.CharField()
    from_value = serializers.CharField()
    to_value = serializers.CharField()
    detail = serializers.JSONField()


class StaffEntryInputSerializer(FeedbackSubmitInputSerializer):
    channel = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.LETTER, Channel.PAPER)]
    )


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # attachment_add says what is wrong with an empty one
        help_text=(
            "The file, as multipart/form-data: a PDF, JPEG, PNG, Word document (.docx) or plain "
            "text file, told by its content whatever its name; 10 MB or less (the setting "
            "ATTACHMENT_MAX_BYTES); at most 10 an item (ATTACHMENTS_PER_ITEM)"
        ),
        error_messages={
            "required": "Choose a file to attach",
            "invalid": "Choose a file to attach",
        },
    )


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The file's name as it came, made safe to show")
    content_type = serializers.CharField(help_text="The type found from the content")
    size = serializers.IntegerField(help_text="In bytes")
    added_by = serializers.CharField(
        source="added_by.username",
        default=None,
        allow_null=True,
        help_text="The member of staff who attached it; null when the patient did",
    )
    by_patient = serializers.BooleanField(help_text="Added by the patient from the tracking page")
    added_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(
        help_text="Where to download it (every download is written to the audit trail)"
    )

    def get_download_url(self, obj: Attachment) -> str:
        return reverse(
            "api-queue-item-attachment",
            kwargs={"pk": obj.feedback_id, "attachment_pk": obj.pk},
        )


class DuplicateCandidateOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    kind = serializers.CharField(source="item.kind")
    status = serializers.CharField(source="item.status")
    received_at = serializers.DateTimeField(source="item.received_at")
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text='Why it may be the same: "same NHS number", "text 93% alike", ...',
    )
    similarity = serializers.FloatField(
        allow_null=True, help_text="Cosine of the two texts' readings, when compared"
    )


class RelatedItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()


class LinksOutputSerializer(serializers.Serializer):
    linked = RelatedItemOutputSerializer(many=True, help_text="Items linked to this one")
    merged_here = RelatedItemOutputSerializer(
        many=True, help_text="Items merged into this one as duplicates"
    )
    duplicate_of = serializers.IntegerField(
        allow_null=True, help_text="The item this one was merged into"
    )


class LinkInputSerializer(serializers.Serializer):
    item = serializers.IntegerField(
        min_value=1, help_text="The item of your queue to link to this one"
    )


class MergeInputSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1,
        help_text="The item of your queue to merge this one into; this one is closed as its "
        "duplicate",
    )


class UnmergeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the merge is undone (audited)")


class FftUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # fft_upload_receive says what is wrong with an empty one
        help_text=(
            "The FFT export, as multipart/form-data: a CSV file or Excel workbook (.xlsx), told "
            "by its content whatever its name; 50 MB or less (the setting FFT_UPLOAD_MAX_BYTES) "
            "and at most 200,000 rows (FFT_UPLOAD_MAX_ROWS). Columns: rating, free text and "
            "date (required), question and service (optional)"
        ),
        error_messages={
            "required": "Choose the FFT export to upload",
            "invalid": "Choose the FFT export to upload",
        },
    )


class FftRowErrorOutputSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The row's line in the file, the header line 1")
    messages = serializers.ListField(
        child=serializers.CharField(), help_text="What is wrong with it, and how to correct it"
    )


class FftUploadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="This upload in the API: follow it here")
    page_url = serializers.SerializerMethodField(help_text="This upload's page for staff")
    status = serializers.ChoiceField(
        choices=FftUploadStatus.choices,
        help_text="queued, checking and saving while it runs; then done, rejected (nothing "
        "saved) or failed",
    )
    progress = serializers.SerializerMethodField(
        help_text="Where it is, in a sentence, as the status page says it"
    )
    file_name = serializers.CharField(help_text="The file's name as it came, made safe to show")
    file_format = serializers.CharField(help_text="csv or xlsx, as found from the content")
    file_size = serializers.IntegerField(help_text="In bytes")
    uploaded_at = serializers.DateTimeField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    finished_at = serializers.DateTimeField(allow_null=True)
    rows_total = serializers.IntegerField(help_text="Rows in the file, once checked")
    rows_checked = serializers.IntegerField()
    rows_saved = serializers.IntegerField()
    rows_added = serializers.IntegerField(help_text="Rows added as new FFT feedback")
    rows_duplicate = serializers.IntegerField(
        help_text="Rows whose answer was held already (an earlier upload): not added again"
    )
    row_error_count = serializers.IntegerField(help_text="Rows refused (a rejected upload)")
    row_errors = FftRowErrorOutputSerializer(
        many=True, help_text="The first 100 rows refused, by line (FFT_UPLOAD_ERRORS_KEPT)"
    )
    problem = serializers.CharField(
        help_text="Why the file as a whole was refused, or why the upload failed; empty otherwise"
    )

    def get_url(self, obj: FftUpload) -> str:
        return reverse("api-fft-upload", kwargs={"pk": obj.pk})

    def get_page_url(self, obj: FftUpload) -> str:
        return reverse("staff-fft-upload", kwargs={"pk": obj.pk})

    def get_progress(self, obj: FftUpload) -> str:
        return fft_upload_progress_text(obj)


class JointPartnerOutputSerializer(serializers.Serializer):
    organisation = serializers.CharField(source="organisation.ods_code", help_text="ODS code")
    name = serializers.CharField(source="organisation.name")
    reason = serializers.CharField(help_text="Why the lead invited it")
    invited_by = serializers.CharField(source="invited_by.username")
    invited_at = serializers.DateTimeField()
    has_contributed = serializers.BooleanField(help_text="Whether it has added its part")
    findings = serializers.SerializerMethodField(
        help_text="Its part of the findings: for the lead, and for the partner itself; null for "
        "another partner"
    )
    contributed_by = serializers.CharField(
        source="contributed_by.username", default=None, allow_null=True
    )
    contributed_at = serializers.DateTimeField(allow_null=True)

    def get_findings(self, obj: Any) -> str | None:
        viewer = self.context.get("organisation_id")
        if self.context.get("is_lead") or obj.organisation_id == viewer:
            return str(obj.findings)
        return None


class JointOutputSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    lead = serializers.CharField(source="lead.ods_code", help_text="The lead's ODS code")
    lead_name = serializers.CharField(source="lead.name")
    response_due = serializers.DateField(
        source="item.response_due", allow_null=True, help_text="The lead's response date"
    )
    all_contributed = serializers.BooleanField(
        help_text="Every partner has added its part (the final response needs it)"
    )
    partners = serializers.SerializerMethodField()

    @extend_schema_field(JointPartnerOutputSerializer(many=True))
    def get_partners(self, obj: Any) -> Any:
        return JointPartnerOutputSerializer(
            obj.partners,
            many=True,
            context={"is_lead": obj.is_lead, "organisation_id": obj.organisation_id},
        ).data


class JointInviteInputSerializer(serializers.Serializer):
    organisation = serializers.CharField(
        max_length=10, help_text="ODS code of the partner organisation (any kind but the CQC)"
    )
    reason = serializers.CharField(
        max_length=500, help_text="Why it is part of the complaint (required, audited)"
    )


class JointFindingsInputSerializer(serializers.Serializer):
    findings = serializers.CharField(
        max_length=10000,
        help_text="Your organisation's part of the findings; sent again, it replaces it",
    )


class JointItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    text = serializers.CharField()
    lead = serializers.CharField(source="handled_by.ods_code")
    response_due = serializers.DateField(allow_null=True)
