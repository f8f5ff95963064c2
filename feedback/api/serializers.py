"""The patient API's serializers (submit, tracking): separate input and output shapes, each with a
unique name. The staff API's are in ``feedback.api.staff_serializers``."""

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

from feedback.choices import (
    CONSENT_ANSWER_CHOICES,
    CONSENT_ANSWERS,
    CommunicationNeed,
    ComplainantStatus,
    FftRating,
    Kind,
    OrganisationKind,
    PatientAge,
    Relationship,
    SafetyAnswer,
    ServiceType,
)
from feedback.models import Feedback, Organisation
from feedback.selectors import organisation_active_by_ods_code
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
