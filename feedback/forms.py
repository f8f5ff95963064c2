"""Forms for the patient's journey. They parse input; the service decides what is acceptable."""

from __future__ import annotations

from django import forms
from django.conf import settings

from feedback.choices import Kind, ServiceType
from feedback.models import Organisation
from feedback.selectors import organisation_icbs, organisation_trusts


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label="What would you like to tell us?",
        choices=Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose complaint, concern, compliment or suggestion."},
    )
    service_type = forms.ChoiceField(
        label="What kind of service was it?",
        choices=[("", "Choose a kind of service (optional)"), *ServiceType.choices],
        required=False,
    )
    provider = OrganisationChoiceField(
        label="Which NHS trust gave the care?",
        queryset=organisation_trusts(),
        required=False,
        empty_label="Not an NHS trust, or I do not know",
        to_field_name="ods_code",
    )
    area = OrganisationChoiceField(
        label="Which area was the care in? (for GP practices, dentists, pharmacies, opticians)",
        queryset=organisation_icbs(),
        required=False,
        empty_label="Choose your area (integrated care board)",
        to_field_name="ods_code",
    )
    text = forms.CharField(
        label="Tell us what happened",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=settings.FEEDBACK_TEXT_MAX_LENGTH,
        error_messages={
            "required": "Tell us about your experience.",
            "max_length": (
                f"Your feedback must be {settings.FEEDBACK_TEXT_MAX_LENGTH} characters or fewer."
            ),
        },
    )
    wants_commissioner = forms.BooleanField(
        label=(
            "I want the integrated care board (the commissioner), not the provider, to handle this"
        ),
        required=False,
    )
    name = forms.CharField(label="Full name (optional)", max_length=200, required=False)
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )
    phone = forms.CharField(label="Phone number (optional)", max_length=30, required=False)
    nhs_number = forms.CharField(label="NHS number (optional)", max_length=12, required=False)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if (
            not cleaned.get("provider")
            and not cleaned.get("area")
            and not self.has_error("provider")
        ):
            self.add_error(
                "provider", "Choose the NHS trust that gave the care, or the area it was in."
            )
        return cleaned
