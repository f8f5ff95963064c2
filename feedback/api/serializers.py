"""API serializers: separate input and output shapes, each with a unique name."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from feedback.choices import Kind, OrganisationKind, ServiceType
from feedback.models import Feedback, Organisation


class FeedbackSubmitInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField(max_length=settings.FEEDBACK_TEXT_MAX_LENGTH)
    provider = serializers.SlugRelatedField(
        slug_field="ods_code",
        queryset=Organisation.objects.filter(kind=OrganisationKind.TRUST, is_active=True),
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
