"""Regulator API serializers: query parameters in, documented shapes out (unique names)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from rest_framework import serializers

from analytics.exports.aggregates import AGGREGATE_DIMENSIONS, DEFAULT_GROUP_BY
from analytics.exports.filters import ExportFilters
from analytics.ko41_return import Period
from analytics.themes import THEMES
from feedback.choices import (
    AnalysisState,
    Channel,
    CommunicationNeed,
    Consent,
    FftRating,
    Kind,
    OrganisationKind,
    Relationship,
    RiskFlag,
    Route,
    ServiceType,
    Status,
)
from feedback.ko41 import Outcome, Profession, ServiceArea
from feedback.models import Organisation

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
SENTIMENT_LABELS = [("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative")]
ODS_CODE = r"^[A-Za-z0-9]{1,10}$"


class RegulatorExportFilterInputSerializer(serializers.Serializer):
    received_from = serializers.DateField(
        required=False, help_text="First day received (England), YYYY-MM-DD, included."
    )
    received_to = serializers.DateField(
        required=False, help_text="Last day received (England), YYYY-MM-DD, included."
    )
    month = serializers.RegexField(
        r"^20\d{2}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="A calendar month, YYYY-MM: instead of received_from and received_to.",
    )
    organisation = serializers.RegexField(
        ODS_CODE,
        required=False,
        help_text="ODS code: items this organisation provided or handles, e.g. RJ1 or QMJ.",
    )
    route = serializers.ChoiceField(choices=Route.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    sentiment = serializers.IntegerField(
        required=False, min_value=1, max_value=5, help_text="1 very positive ... 5 very negative."
    )
    sentiment_label = serializers.ChoiceField(choices=SENTIMENT_LABELS, required=False)
    theme = serializers.ChoiceField(choices=[(t.slug, t.label) for t in THEMES], required=False)
    risk = serializers.ChoiceField(choices=RiskFlag.choices, required=False)

    def _check_day(self, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError(f"Give a date from {EARLIEST} to {LATEST}.")
        return value

    def validate_received_from(self, value: dt.date | None) -> dt.date | None:
        return self._check_day(value)

    def validate_received_to(self, value: dt.date | None) -> dt.date | None:
        return self._check_day(value)

    def validate_month(self, value: str) -> str:
        year = int(value[:4])
        if not EARLIEST.year <= year <= LATEST.year:
            raise serializers.ValidationError(
                f"Give a month from {EARLIEST.year} to {LATEST.year}."
            )
        return value

    def validate_organisation(self, value: str) -> Organisation:
        try:
            return Organisation.objects.get(ods_code=value.upper())
        except Organisation.DoesNotExist as exc:
            raise serializers.ValidationError(f"No organisation with ODS code {value}.") from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        month = attrs.pop("month", None)
        if month:
            if attrs.get("received_from") or attrs.get("received_to"):
                raise serializers.ValidationError(
                    {"month": ["Give either month or received_from/received_to, not both."]}
                )
            year, number = int(month[:4]), int(month[5:7])
            attrs["received_from"] = dt.date(year, number, 1)
            attrs["received_to"] = dt.date(year, number, calendar.monthrange(year, number)[1])
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"received_to": ["The last day comes before the first day."]}
            )
        return attrs

    def filters(self) -> ExportFilters:
        return ExportFilters(**self.validated_data)


class RegulatorStreamExportInputSerializer(RegulatorExportFilterInputSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not (attrs.get("received_from") and attrs.get("received_to")):
            raise serializers.ValidationError(
                {
                    "received_from": [
                        "A streamed export covers a whole period: give month=YYYY-MM, or "
                        "received_from and received_to."
                    ]
                }
            )
        return attrs


class RegulatorAggregatesInputSerializer(RegulatorExportFilterInputSerializer):
    group_by = serializers.ListField(
        child=serializers.ChoiceField(choices=list(AGGREGATE_DIMENSIONS)),
        required=False,
        default=list(DEFAULT_GROUP_BY),
        max_length=len(AGGREGATE_DIMENSIONS),
        help_text="Repeat to group by several: group_by=organisation&group_by=month (the default).",
    )

    def filters(self) -> ExportFilters:
        data = {k: v for k, v in self.validated_data.items() if k != "group_by"}
        return ExportFilters(**data)


class RegulatorKo41InputSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=EARLIEST.year,
        max_value=LATEST.year - 1,
        help_text="The financial year that starts in April of this year: 2026 for 2026-27.",
    )
    quarter = serializers.IntegerField(
        required=False, min_value=1, max_value=4, help_text="1 (April-June) to 4 (January-March)."
    )
    organisation = serializers.RegexField(
        ODS_CODE, required=False, help_text="ODS code of one trust or ICB in your scope."
    )

    def period(self) -> Period:
        return Period(self.validated_data["year"], self.validated_data.get("quarter"))


# --- Output ----------------------------------------------------------------------------------


class RegulatorFeedbackRowOutputSerializer(serializers.Serializer):
    """One item, pseudonymised: no name, contact detail, NHS number or internal key."""

    id = serializers.CharField(
        help_text="Pseudonymous id: the same item has the same id in every export from this "
        "service, and a different one from another deployment."
    )
    received_date = serializers.DateField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    service_type = serializers.ChoiceField(choices=ServiceType.choices, allow_null=True)
    provider_ods_code = serializers.CharField(allow_null=True)
    provider_name = serializers.CharField(allow_null=True)
    handled_by_ods_code = serializers.CharField(allow_null=True)
    handled_by_name = serializers.CharField(allow_null=True)
    handled_by_kind = serializers.ChoiceField(choices=OrganisationKind.choices, allow_null=True)
    icb_ods_code = serializers.CharField(allow_null=True)
    icb_name = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    acknowledge_due = serializers.DateField(allow_null=True)
    acknowledged_date = serializers.DateField(allow_null=True)
    response_due = serializers.DateField(allow_null=True, help_text="Four-week target date.")
    responded_date = serializers.DateField(allow_null=True)
    responded_within_target = serializers.BooleanField(allow_null=True)
    statutory_due = serializers.DateField(allow_null=True)
    agreed_due = serializers.DateField(allow_null=True)
    paused_days = serializers.IntegerField(min_value=0)
    closed_date = serializers.DateField(allow_null=True)
    resolved_date = serializers.DateField(allow_null=True)
    withdrawn_date = serializers.DateField(allow_null=True)
    analysis_state = serializers.ChoiceField(choices=AnalysisState.choices)
    text_language = serializers.CharField(
        allow_null=True,
        help_text="The language the text is written in (ISO 639-1, detected); null before "
        "analysis. Not 'en': the model did not read it, so sentiment, its label and confidence "
        "and the themes are empty unless a person who reads the language recorded them.",
    )
    sentiment = serializers.IntegerField(min_value=1, max_value=5, allow_null=True)
    sentiment_label = serializers.ChoiceField(choices=SENTIMENT_LABELS, allow_null=True)
    sentiment_confidence = serializers.FloatField(allow_null=True)
    themes = serializers.ListField(child=serializers.CharField())
    risk_flags = serializers.ListField(child=serializers.ChoiceField(choices=RiskFlag.choices))
    model_version = serializers.CharField(allow_null=True)
    needs_review = serializers.BooleanField()
    route = serializers.ChoiceField(choices=Route.choices, allow_null=True)
    route_rule = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    ko41_subjects = serializers.ListField(child=serializers.CharField())
    ko41_service_area = serializers.ChoiceField(choices=ServiceArea.choices, allow_null=True)
    ko41_profession = serializers.ChoiceField(choices=Profession.choices, allow_null=True)
    fft_rating = serializers.ChoiceField(
        choices=FftRating.choices,
        allow_null=True,
        help_text="The patient's answer to the FFT question: 1 very good ... 5 very poor, "
        "6 don't know; null when it was not asked.",
    )
    communication_needs = serializers.ListField(
        child=serializers.ChoiceField(choices=CommunicationNeed.choices),
        help_text="Accessible Information Standard: the formats and support the patient needs "
        "(easy read, large print, braille, audio, British Sign Language, an interpreter); "
        "empty when they gave none.",
    )
    interpreter_language = serializers.CharField(
        allow_null=True,
        help_text="The language the patient needs an interpreter for; null when none.",
    )
    on_behalf = serializers.BooleanField(
        allow_null=True,
        help_text="True when someone wrote on the patient's behalf (a representative), false "
        "when the patient wrote; null when not said. Neither person is named.",
    )
    relationship = serializers.ChoiceField(
        choices=Relationship.choices,
        allow_null=True,
        help_text="How the representative knows the patient; null when the patient wrote.",
    )
    consent = serializers.ChoiceField(
        choices=Consent.choices,
        allow_null=True,
        help_text="The patient's consent to the representative (regulation 5): given, "
        "to_be_sought, died, lacks_capacity, child (not needed) or refused; null when the "
        "patient wrote.",
    )
    question = serializers.CharField(
        allow_null=True,
        help_text="The question the feedback answers, redacted as the text is; null when there "
        "was none or the item is still waiting for analysis.",
    )
    text = serializers.CharField(
        allow_blank=True,
        allow_null=True,
        help_text="The feedback with names, emails, phone numbers, NHS numbers and postcodes "
        "replaced by [NAME], [EMAIL], [PHONE], [NHS NUMBER] and [POSTCODE], as redacted when "
        "it was analysed; null while the item is still waiting for analysis (analysis_state "
        "queued), so that no text leaves unredacted.",
    )


class RegulatorAggregateRowOutputSerializer(serializers.Serializer):
    organisation_ods_code = serializers.CharField(
        required=False, allow_null=True, help_text="The organisation handling the items."
    )
    organisation_name = serializers.CharField(required=False, allow_null=True)
    month = serializers.CharField(required=False, allow_null=True, help_text="YYYY-MM received.")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, allow_null=True)
    theme = serializers.CharField(required=False, allow_null=True)
    sentiment = serializers.IntegerField(required=False, allow_null=True)
    route = serializers.ChoiceField(choices=Route.choices, required=False, allow_null=True)
    count = serializers.IntegerField(help_text="Items received, merged duplicates included.")
    merged_duplicates = serializers.IntegerField(
        help_text="Of ``count``, items merged into another as its duplicate (answered with it): "
        "subtract them to count a complaint sent twice once, as the KO41 return does."
    )
    with_response_clock = serializers.IntegerField(help_text="Complaints and concerns.")
    responded = serializers.IntegerField()
    responded_within_target = serializers.IntegerField()
    open_past_target = serializers.IntegerField()
    compliance = serializers.FloatField(
        allow_null=True,
        help_text="Four-week compliance: responded within target / (responded + open past "
        "target); null when nothing was due.",
    )


class RegulatorAggregatesOutputSerializer(serializers.Serializer):
    group_by = serializers.ListField(child=serializers.CharField())
    filters = serializers.DictField()
    rows = RegulatorAggregateRowOutputSerializer(many=True)


class RegulatorKo41OrganisationOutputSerializer(serializers.Serializer):
    ods_code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    icb_ods_code = serializers.CharField(allow_null=True)


class RegulatorKo41CheckOutputSerializer(serializers.Serializer):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=[("error", "Error"), ("warning", "Warning")])
    passed = serializers.BooleanField()
    description = serializers.CharField()
    detail = serializers.CharField()


class RegulatorKo41ReturnOutputSerializer(serializers.Serializer):
    organisation = RegulatorKo41OrganisationOutputSerializer()
    new_complaints = serializers.IntegerField()
    by_channel = serializers.DictField(child=serializers.IntegerField())
    age_of_patient = serializers.DictField(child=serializers.IntegerField())
    status_of_complainant = serializers.DictField(child=serializers.IntegerField())
    service_area = serializers.DictField(child=serializers.IntegerField())
    subject = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="A complaint counts under each of its subjects.",
    )
    profession = serializers.DictField(child=serializers.IntegerField())
    resolved = serializers.IntegerField(help_text="Final responses sent in the period.")
    outcome = serializers.DictField(child=serializers.IntegerField())
    valid = serializers.BooleanField(help_text="Every error-level check passed.")
    checks = RegulatorKo41CheckOutputSerializer(many=True)


class RegulatorKo41OutputSerializer(serializers.Serializer):
    period = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    returns = RegulatorKo41ReturnOutputSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())
    generated_at = serializers.DateTimeField()


class RegulatorErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
