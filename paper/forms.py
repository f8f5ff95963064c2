"""The paper pages' forms: what to print, the scans to upload, and a checked page."""

from __future__ import annotations

from typing import Any

from django import forms

from feedback.choices import FftRating, Kind, OrganisationKind, ServiceType
from feedback.models import Organisation
from paper.models import FormKind, FormLanguage


class PrintForm(forms.Form):
    form = forms.ChoiceField(
        label="Which form?",
        choices=FormKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the FFT card or the complaint form"},
    )
    service_type = forms.ChoiceField(
        label="Type of service (optional)",
        choices=[("", "Not said"), *ServiceType.choices],
        required=False,
    )
    service_name = forms.CharField(
        label="Ward or service printed on the form (optional)",
        help_text="For example Ward 7 or Outpatients; 60 characters or fewer",
        max_length=60,
        required=False,
        error_messages={"max_length": "The ward or service must be 60 characters or fewer"},
    )
    language = forms.TypedChoiceField(
        label="Language of the form",
        help_text="Welsh forms are read back in Welsh, and the feedback is kept as Welsh",
        choices=FormLanguage.choices,
        widget=forms.RadioSelect,
        initial=FormLanguage.ENGLISH,
        required=False,
        empty_value=FormLanguage.ENGLISH,
    )
    large_print = forms.BooleanField(label="Large print (16 point)", required=False)
    copies = forms.IntegerField(
        label="How many copies?",
        min_value=1,
        max_value=200,
        initial=20,
        error_messages={
            "required": "Enter how many copies to print, from 1 to 200",
            "invalid": "Enter how many copies to print as a number, from 1 to 200",
            "min_value": "Print at least 1 copy",
            "max_value": "Print 200 copies or fewer at a time",
        },
    )


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    widget = _MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple) and data:
            return [super(_MultipleFileField, self).clean(d, initial) for d in data]
        # Nothing chosen: the field's own "required" message.
        return [
            super().clean(data[0] if isinstance(data, list | tuple) and data else data, initial)
        ]


class ScanUploadForm(forms.Form):
    scans = _MultipleFileField(
        label="Choose the scans or photos",
        allow_empty_file=True,
        error_messages={
            "required": "Choose the scanned forms to upload",
            "missing": "Choose the scanned forms to upload",
            "invalid": "Choose the scanned forms to upload",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "paper-%s")
        super().__init__(*args, **kwargs)


class _OdsCodeField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        return super().to_python(value.strip().upper() if isinstance(value, str) else value)


class PageConfirmForm(forms.Form):
    """A page as the person checking it corrects it. Which questions apply depends on the form
    (an FFT card has a rating, a complaint form a kind and service)."""

    organisation = _OdsCodeField(
        label="Organisation (ODS code)",
        help_text="The NHS trust or ICB the form is about, for example RJ1",
        queryset=Organisation.objects.filter(
            kind__in=(OrganisationKind.TRUST, OrganisationKind.ICB), is_active=True
        ),
        to_field_name="ods_code",
        widget=forms.TextInput,
        error_messages={
            "required": "Enter the ODS code of the trust or ICB the form is about, like RJ1",
            "invalid_choice": "Enter the ODS code of an NHS trust or ICB, like RJ1",
        },
    )
    form = forms.ChoiceField(
        label="Which form is it?",
        choices=FormKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which form the page is"},
    )
    # Left out: the language the QR code said (English when it was not read).
    language = forms.ChoiceField(
        label="Language of the form",
        choices=FormLanguage.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    fft_rating = forms.TypedChoiceField(
        label="Overall, how was your experience of our service?",
        choices=FftRating.choices,
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
    )
    kind = forms.ChoiceField(
        label="What is it?",
        choices=Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose complaint, concern, compliment or suggestion"},
    )
    service_type = forms.ChoiceField(
        label="Which service was it?",
        choices=[("", "Not said"), *ServiceType.choices],
        required=False,
    )
    text = forms.CharField(
        label="What they wrote",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Enter what the person wrote"},
    )
    name = forms.CharField(label="Name", required=False, max_length=200)
    email = forms.EmailField(
        label="Email address",
        required=False,
        error_messages={"invalid": "Enter the email address as name@example.com"},
    )
    phone = forms.CharField(label="Phone number", required=False, max_length=30)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("form") == "fft" and cleaned.get("fft_rating") in (None, ""):
            self.add_error("fft_rating", "Choose the rating the person ticked, or Don't know")
        return cleaned
