"""API serializers: separate input and output shapes, each with a unique name."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from feedback.choices import Channel, InvestigationApproach, Kind, OrganisationKind, ServiceType
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Feedback, Organisation


class FeedbackSubmitInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField(max_length=settings.FEEDBACK_TEXT_MAX_LENGTH)
    provider = serializers.SlugRelatedField(
        slug_field="ods_code",
        # With its ICB: the service files the item under the trust's ICB when no area is given.
        queryset=Organisation.objects.filter(
            kind=OrganisationKind.TRUST, is_active=True
        ).select_related("icb"),
        required=False,
        allow_null=True,
        help_text="ODS code of the NHS trust that gave the care, e.g. RJ1.",
    )
    area = serializers.SlugRelatedField(
        slug_field="ods_code",
        queryset=Organisation.objects.filter(kind=OrganisationKind.ICB, is_active=True),
        required=False,
        allow_null=True,
        help_text="ODS code of the integrated care board for the area, e.g. QMJ.",
    )
    service_type = serializers.ChoiceField(
        choices=ServiceType.choices, required=False, allow_blank=True, default=""
    )
    wants_commissioner = serializers.BooleanField(required=False, default=False)
    question = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    nhs_number = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")


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
    themes = serializers.SerializerMethodField()
    risk_flags = serializers.SerializerMethodField()

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
            "text",
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
        ]

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
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RerouteInputSerializer(serializers.Serializer):
    to = serializers.SlugRelatedField(
        slug_field="ods_code", queryset=Organisation.objects.filter(is_active=True)
    )
    reason = serializers.CharField(max_length=2000)


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
