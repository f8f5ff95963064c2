"""API serializers: separate input and output shapes, each with a unique name."""

from __future__ import annotations

import copy
import re
from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from analytics.themes import THEME_SLUGS
from feedback.choices import (
    CONSENT_ANSWER_CHOICES,
    CONSENT_ANSWERS,
    CONSENT_OUTCOME_CHOICES,
    CONSENT_OUTCOMES,
    Channel,
    CommunicationNeed,
    ComplainantStatus,
    FftRating,
    FftUploadStatus,
    InvestigationApproach,
    Kind,
    OrganisationKind,
    PatientAge,
    Relationship,
    RiskFlag,
    SafetyAnswer,
    ServiceType,
)
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Attachment, Feedback, FftUpload, Organisation
from feedback.selectors import organisation_active_by_ods_code
from feedback.services.fft_uploads import fft_upload_progress_text
from feedback.services.intake import (
    LANGUAGE_MAX_LENGTH,
    PATIENT_NAME_MAX_LENGTH,
    RELATIONSHIP_OTHER_MAX_LENGTH,
    clean_text,
    communication_needs_problems,
    nhs_number_problem,
    normalise_nhs_number,
    phone_problem,
    representative_problems,
)
from feedback.services.steps import available_steps

ODS_CODE = re.compile(r"[A-Z0-9]{3,10}")


@extend_schema_field(OpenApiTypes.STR)
class OrganisationCodeField(serializers.Field):
    """An ODS code in (any case, e.g. ``rj1``), the active organisation of the field's kinds out.

    The code's shape is checked before any lookup, so no stray byte reaches the database. Looked
    up in the process's copy of the directory (``organisation_active_by_ods_code``), so a
    submission costs no query for a trust or ICB. A code that belongs in the other field (an ICB
    sent as ``provider``) gets an error that says which field to send it in.
    """

    default_error_messages = {
        "invalid": "Enter an ODS code of 3 to 10 letters and digits, e.g. {example}.",
        "does_not_exist": "{value} is not the ODS code of {kind} in the directory.",
        "wrong_kind": "{value} is {other}, not {kind}: send it as `{field}`.",
    }
    # Per field: what it takes, described, with an example code.
    FIELDS: dict[str, tuple[tuple[str, ...], str, str]] = {
        "provider": (
            (
                OrganisationKind.TRUST,
                OrganisationKind.GP_PRACTICE,
                OrganisationKind.DENTAL_PRACTICE,
                OrganisationKind.PHARMACY,
            ),
            "an NHS trust, GP practice, dental practice or pharmacy",
            "RJ1",
        ),
        "area": ((OrganisationKind.ICB,), "an integrated care board", "QMJ"),
    }

    def __init__(self, *, takes: str, **kwargs: Any) -> None:
        self.takes = takes
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        if data == "":  # as for DRF's relational fields: an empty string is no organisation
            data = None
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> Organisation:
        kinds, label, example = self.FIELDS[self.takes]
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid", example=example)
        code = str(data).strip().upper()
        if not ODS_CODE.fullmatch(code):
            self.fail("invalid", example=example)
        for kind in kinds:
            organisation = organisation_active_by_ods_code(code, kind=kind)
            if organisation is not None:
                return organisation
        for field, (other_kinds, other, _) in self.FIELDS.items():
            if field != self.takes and any(
                organisation_active_by_ods_code(code, kind=kind) for kind in other_kinds
            ):
                self.fail("wrong_kind", value=code, other=other, kind=label, field=field)
        self.fail("does_not_exist", kind=label, value=code)

    def to_representation(self, value: Organisation) -> str:
        return value.ods_code


class FeedbackSubmitInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField(max_length=settings.FEEDBACK_TEXT_MAX_LENGTH)
    # With its ICB: the service files the item under the trust's ICB when no area is given.
    provider = OrganisationCodeField(
        takes="provider",
        required=False,
        allow_null=True,
        help_text=(
            "ODS code of the NHS trust (e.g. RJ1), GP practice (e.g. B82007), dental practice "
            "(e.g. V00040) or pharmacy (e.g. FA141) that gave the care. A practice's ICB "
            "handles the feedback."
        ),
    )
    area = OrganisationCodeField(
        takes="area",
        required=False,
        allow_null=True,
        help_text="ODS code of the integrated care board for the area, e.g. QMJ.",
    )
    place = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "When neither the organisation nor the area is known: the postcode, postcode "
            "district or town where the care was given. The area is looked up from it; if it "
            "cannot be, NHS England's national triage queue assigns the item."
        ),
    )
    service_type = serializers.ChoiceField(
        choices=ServiceType.choices, required=False, allow_blank=True, default=""
    )
    wants_commissioner = serializers.BooleanField(required=False, default=False)
    question = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    fft_rating = serializers.ChoiceField(
        choices=FftRating.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            'The answer to the FFT question "Overall, how was your experience of our service?": '
            "1 very good, 2 good, 3 neither good nor poor, 4 poor, 5 very poor, 6 don't know; "
            "leave out or null when it was not asked."
        ),
        error_messages={
            "invalid_choice": (
                "fft_rating must be 1 (very good) to 5 (very poor), or 6 (don't know); "
                "{input} is not one of them."
            )
        },
    )
    safety_answer = serializers.ChoiceField(
        choices=SafetyAnswer.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            'The patient\'s answer to "Is anyone at risk of harm?": harm (someone is being harmed '
            "or is at risk of harm), detained (it is about being detained under the Mental Health "
            "Act), no, or unsure; leave out when it was not asked. harm and detained send the "
            "item to the Care Quality Commission."
        ),
        error_messages={
            "invalid_choice": (
                "safety_answer must be harm, detained, no or unsure; {input} is not one of them."
            )
        },
    )
    complainant_status = serializers.ChoiceField(
        choices=ComplainantStatus.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Who is writing: patient when the patient writes, on_behalf when someone writes for "
            "them (then relationship and consent are needed); leave out when not known."
        ),
        error_messages={
            "invalid_choice": (
                "complainant_status must be patient or on_behalf; {input} is not one of them."
            )
        },
    )
    relationship = serializers.ChoiceField(
        choices=Relationship.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "With complainant_status on_behalf: how the person writing knows the patient, one of "
            + ", ".join(Relationship.values)
            + " (other needs relationship_other)."
        ),
        error_messages={
            "invalid_choice": (
                "relationship must be one of "
                + ", ".join(Relationship.values)
                + "; {input} is not one of them."
            )
        },
    )
    relationship_other = serializers.CharField(
        max_length=RELATIONSHIP_OTHER_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="With relationship other: how the person writing knows the patient, in words.",
    )
    patient_name = serializers.CharField(
        max_length=PATIENT_NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "With complainant_status on_behalf: the patient's name (name, email and phone are "
            "then the person writing's). Kept apart from the text, like them."
        ),
    )
    consent = serializers.ChoiceField(
        choices=CONSENT_ANSWER_CHOICES,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "With complainant_status on_behalf: the patient's consent (regulation 5), one of "
            + ", ".join(CONSENT_ANSWERS)
            + ". to_be_sought pauses a complaint's clock once the organisation asks for it."
        ),
        error_messages={
            "invalid_choice": (
                "consent must be one of "
                + ", ".join(CONSENT_ANSWERS)
                + "; {input} is not one of them."
            )
        },
    )
    patient_age = serializers.ChoiceField(
        choices=PatientAge.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="For complaints (KO41 return): the patient's age band; leave out when not known.",
        error_messages={
            "invalid_choice": (
                "patient_age must be 0_17, 18_64 or 65_plus; {input} is not one of them."
            )
        },
    )
    communication_needs = serializers.MultipleChoiceField(
        choices=CommunicationNeed.choices,
        required=False,
        default=set,
        help_text=(
            "Accessible Information Standard: the formats and support the patient needs, any of "
            + ", ".join(CommunicationNeed.values)
            + "; leave out or [] for none. interpreter needs interpreter_language."
        ),
        error_messages={
            "invalid_choice": (
                "communication_needs must be some of "
                + ", ".join(CommunicationNeed.values)
                + "; {input} is not one of them."
            ),
            "not_a_list": (
                "communication_needs must be a list of "
                + ", ".join(CommunicationNeed.values)
                + ', like ["large_print"]; {input_type} is not a list.'
            ),
        },
    )
    interpreter_language = serializers.CharField(
        max_length=LANGUAGE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The language the patient needs an interpreter for, e.g. Polish (with interpreter "
            "in communication_needs)."
        ),
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    nhs_number = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field]:
        # DRF deep-copies every declared field for each serializer (a tenth of a submission's
        # CPU). These fields keep no state of their own while validating, so a shallow copy,
        # which bind() then names and attaches to this serializer, is enough.
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    def validate_phone(self, value: str) -> str:
        if problem := phone_problem(value):
            raise serializers.ValidationError(problem)
        return value

    def validate_nhs_number(self, value: str) -> str:
        if problem := nhs_number_problem(normalise_nhs_number(value)):
            raise serializers.ValidationError(problem)
        return value

    def validate_text(self, value: str) -> str:
        # Control characters alone leave nothing once cleaned: say so here, with the errors of
        # the other fields, rather than after them from the service.
        if not clean_text(value):
            raise serializers.ValidationError("Tell us about your experience.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A set from the field: a list in the standard's order, so a retry's digest is the same.
        needs, language, problems = communication_needs_problems(
            list(attrs.get("communication_needs") or ()), attrs.get("interpreter_language", "")
        )
        representative, more = representative_problems(
            complainant_status=attrs.get("complainant_status", ""),
            relationship=attrs.get("relationship", ""),
            relationship_other=attrs.get("relationship_other", ""),
            consent=attrs.get("consent", ""),
            patient_name=attrs.get("patient_name", ""),
        )
        problems.update(more)
        if problems:
            raise serializers.ValidationError(problems)
        attrs["communication_needs"], attrs["interpreter_language"] = needs, language
        attrs.update(representative)
        return attrs


class FeedbackSubmitOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    tracking_url = serializers.SerializerMethodField()

    def get_tracking_url(self, obj: Feedback) -> str:
        return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
            "tracking", kwargs={"token": obj.tracking_token}
        )


class HandlingOrganisationOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    ods_code = serializers.CharField()


class TrackingOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    status = serializers.CharField()
    analysis_state = serializers.CharField()
    received_at = serializers.DateTimeField()
    handled_by = HandlingOrganisationOutputSerializer(allow_null=True)
    acknowledge_due = serializers.DateField(allow_null=True)
    response_due = serializers.DateField(allow_null=True)
    joined_to_another = serializers.SerializerMethodField(
        help_text="Joined to another item about the same matter: the response comes from there"
    )

    def get_joined_to_another(self, obj: Feedback) -> bool:
        return obj.duplicate_of_id is not None


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
