"""Forms for the staff pages' workflow steps. They parse; the workflow services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django_otp.plugins.otp_totp.models import TOTPDevice

from analytics.themes import THEMES
from feedback.choices import (
    CONSENT_ANSWERS,
    ROUTE_FOR_QUEUE_KIND,
    Channel,
    ComplainantStatus,
    Consent,
    InvestigationApproach,
    PatientAge,
    Relationship,
    RiskFlag,
)
from feedback.form_fields import OrganisationChoiceField
from feedback.forms import FeedbackForm
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Feedback, Organisation, User
from feedback.selectors import organisation_practices


class InvestigateForm(forms.Form):
    approach = forms.ChoiceField(
        label="How will you look into it?",
        choices=InvestigationApproach.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose early resolution or a detailed investigation."},
    )


class RequestInformationForm(forms.Form):
    note = forms.CharField(
        label="What are you waiting for from the complainant?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RequestConsentForm(forms.Form):
    note = forms.CharField(
        label="Letter asking for the patient's consent",
        help_text=(
            "Choose the template above to start from. It goes to the person who wrote, with a "
            "consent form for the patient to sign. The clock pauses until you record the answer"
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Enter the letter asking for the patient's consent."},
    )


class RecordConsentForm(forms.Form):
    consent = forms.ChoiceField(
        label="What did the patient say?",
        help_text=(
            "If they refused, still look into the complaint, but do not share the patient's "
            "personal information with the person who wrote"
        ),
        choices=[
            (Consent.GIVEN, "They agreed (signed consent received)"),
            (Consent.REFUSED, "They refused"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the patient agreed or refused."},
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RespondForm(forms.Form):
    response_text = forms.CharField(
        label="Final response to the complainant",
        help_text=(
            "It must tell them they can go to the Parliamentary and Health Service Ombudsman."
        ),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Enter the response to the complainant."},
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose upheld, partially upheld or not upheld."},
    )
    subjects = forms.MultipleChoiceField(
        label="KO41 subjects (choose all that apply)",
        choices=Subject.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one KO41 subject from the list."},
    )
    service_area = forms.ChoiceField(
        label="KO41 service area",
        choices=[("", "Choose a service area"), *ServiceArea.choices],
        error_messages={"required": "Choose a KO41 service area from the list."},
    )
    profession = forms.ChoiceField(
        label="KO41 profession",
        choices=[("", "Choose a profession"), *Profession.choices],
        error_messages={"required": "Choose a KO41 profession from the list."},
    )
    late_reason = forms.CharField(
        label="If the response is late, tell the complainant why",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    resolved = forms.BooleanField(
        label="The complainant's concerns are resolved", required=False, initial=True
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is it being withdrawn?",
        help_text="For example, the complainant asked to withdraw it, and why if they said",
        max_length=2000,
        error_messages={"required": "Say why the item is being withdrawn."},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why is it being reopened?",
        help_text="For example, what the complainant is still not satisfied with",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the complaint is being reopened."},
    )


class ConfirmRiskForm(forms.Form):
    reason = forms.CharField(
        label="What did you find? (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DismissRiskForm(forms.Form):
    reason = forms.CharField(
        label="Why is there no risk to act on?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why there is no risk to act on."},
    )


class CorrectAnalysisForm(forms.Form):
    """A handler's reading of sentiment and themes; starts from the reader's."""

    sentiment = forms.TypedChoiceField(
        label="Sentiment",
        choices=[
            ("1", "1: very positive"),
            ("2", "2: positive"),
            ("3", "3: neutral or mixed"),
            ("4", "4: negative"),
            ("5", "5: very negative"),
        ],
        coerce=int,
        error_messages={"required": "Choose a sentiment from 1 to 5."},
    )
    themes = forms.MultipleChoiceField(
        label="Themes (choose all that apply)",
        choices=[(t.slug, t.label) for t in THEMES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, item: Feedback, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "sentiment": str(item.sentiment or ""),
                "themes": list(item.themes.values_list("theme", flat=True)),
            },
        )
        super().__init__(*args, **kwargs)


class RerouteForm(forms.Form):
    to = OrganisationChoiceField(
        label="Send to",
        queryset=Organisation.objects.filter(
            is_active=True, kind__in=list(ROUTE_FOR_QUEUE_KIND)
        ).order_by("kind", "name"),
        to_field_name="ods_code",
        empty_label="Choose an organisation",
        error_messages={"required": "Choose the organisation that should handle it."},
    )
    reason = forms.CharField(
        label="Why is it going there?",
        max_length=2000,
        error_messages={"required": "Say why the item is being rerouted."},
    )
    concern = forms.ChoiceField(
        label="If it is going to the CQC, what should the CQC act on?",
        choices=[("", "Not going to the CQC"), *RiskFlag.choices],
        required=False,
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Nobody",
    )

    def __init__(self, *args: object, organisation_id: int | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["assignee"]
        if not isinstance(field, forms.ModelChoiceField):
            raise TypeError("assignee must be a model choice field")
        field.queryset = (
            User.objects.filter(organisation_id=organisation_id, is_active=True).order_by(
                "username"
            )
            if organisation_id is not None
            else User.objects.none()
        )


class AgreeDeadlineForm(forms.Form):
    agreed_due = forms.DateField(
        label="Response date agreed with the complainant",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the agreed date.", "invalid": "Enter a real date."},
    )


class _OdsCodeChoiceField(OrganisationChoiceField):
    """An organisation typed as its ODS code, in any case."""

    def to_python(self, value: Any) -> Any:
        return super().to_python(value.strip().upper() if isinstance(value, str) else value)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class StaffEntryForm(FeedbackForm):
    channel = forms.ChoiceField(
        label="How did the patient contact you?",
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.LETTER, Channel.PAPER)],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose phone, letter or paper form."},
    )
    # Thousands of practices: typed as the code, not chosen from a list.
    practice = _OdsCodeChoiceField(
        label="GP practice, dentist or pharmacy (ODS code)",
        help_text=(
            "If it was primary care and the patient named the practice: its ODS code, for "
            "example B82007 (GP), V00040 (dentist) or FA141 (pharmacy)"
        ),
        queryset=organisation_practices(),
        required=False,
        to_field_name="ods_code",
        widget=forms.TextInput,
        error_messages={
            "invalid_choice": (
                "Enter the ODS code of an open GP practice, dental practice or pharmacy, "
                "like B82007"
            )
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Staff record what the complainant said (for the KO41 return); the patient's wording
        # of the questions is theirs.
        for name, label, choices in (
            ("complainant_status", "Who is complaining", ComplainantStatus.choices),
            ("patient_age", "Age of the patient", PatientAge.choices),
        ):
            field = cast(forms.ChoiceField, self.fields[name])
            field.label = f"{label} (for the KO41 return, if they said)"
            field.choices = [("", "Not said"), *choices]
            field.required = False
        # Someone on the patient's behalf (regulation 5): who they are to the patient, and the
        # patient's consent as the caller or letter gave it.
        self.fields["relationship"].label = "If on the patient's behalf: how they know the patient"
        cast(forms.ChoiceField, self.fields["relationship"]).choices = [
            ("", "Not on behalf"),
            *Relationship.choices,
        ]
        self.fields["relationship_other"].label = "If someone else: how they know the patient"
        self.fields["relationship_other"].help_text = ""
        self.fields["patient_name"].label = "If on the patient's behalf: the patient's full name"
        self.fields["patient_name"].help_text = ""
        self.fields["consent"].label = "If on the patient's behalf: the patient's consent"
        self.fields[
            "consent"
        ].help_text = (
            "To be asked for: the clock pauses once you ask for it, until you record the answer"
        )
        cast(forms.ChoiceField, self.fields["consent"]).choices = [
            ("", "Not on behalf"),
            *((value, Consent(value).label) for value in CONSENT_ANSWERS),
        ]
        self.fields["communication_needs"].label = (
            "Communication needs: does the patient need information in another format, or "
            "support to communicate? (Accessible Information Standard)"
        )
        self.fields["communication_needs"].help_text = "Tick all they need, or none"
        self.fields["interpreter_language"].label = "Language, if they need an interpreter"
        self.fields["interpreter_language"].help_text = ""


class TwoFactorConfirmForm(forms.Form):
    token = forms.CharField(
        label="Security code",
        max_length=8,
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )


class StaffLoginForm(AuthenticationForm):
    """Username, password and the authenticator code, checked together.

    One answer for every failure (a wrong password, a missing or wrong code), so a failed sign-in
    never says that the password was right. A wrong code counts as a failed sign-in for the
    lock-out, as a wrong password does. An account with no authenticator yet signs in with its
    password and is then taken to set one up before anything else (StaffSecurityMiddleware).
    """

    otp_token = forms.CharField(label="Security code", max_length=8, required=False)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "Enter a correct username, password and security code. The password is case "
            "sensitive; the code is the 6 digits your authenticator app shows now."
        ),
    }

    def clean(self) -> dict[str, Any]:
        self.otp_device: TOTPDevice | None = None
        cleaned = super().clean()
        user = self.get_user()
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True)) if user else []
        if devices:
            token = (cleaned.get("otp_token") or "").strip()
            self.otp_device = next((d for d in devices if token and d.verify_token(token)), None)
            if self.otp_device is None:
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": cleaned.get("username", "")},
                    request=self.request,
                )
                raise self.get_invalid_login_error()
        return cleaned


class PersonForm(forms.Form):
    """Who a subject access or erasure request is about."""

    nhs_number = forms.CharField(label="NHS number", max_length=12, required=False)
    email = forms.EmailField(label="Email address", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("nhs_number") or cleaned.get("email")) and not self.errors:
            raise forms.ValidationError("Enter the person's NHS number or email address.")
        return cleaned


class BulkActionForm(forms.Form):
    """The items ticked in the queue and what to do to them."""

    items = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={"required": "Tick at least one item."},
    )
    action = forms.ChoiceField(
        label="With the items ticked",
        choices=[("acknowledge", "Acknowledge"), ("assign", "Assign")],
        error_messages={"required": "Choose what to do with the items ticked."},
    )
    assignee = forms.ModelChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        required=False,
        to_field_name="username",
        empty_label="Nobody",
    )

    def __init__(self, *args: Any, organisation_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any whole number: the view keeps only items of the user's own queue.
        ticked = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        items = cast(forms.TypedMultipleChoiceField, self.fields["items"])
        items.choices = [(value, value) for value in ticked if str(value).isdigit()]
        assignee = cast(forms.ModelChoiceField, self.fields["assignee"])
        assignee.queryset = (
            User.objects.filter(organisation_id=organisation_id, is_active=True).order_by(
                "username"
            )
            if organisation_id is not None
            else User.objects.none()
        )

    def clean_items(self) -> list[int]:
        items: list[int] = self.cleaned_data["items"]
        if len(items) > 200:
            raise forms.ValidationError("Tick at most 200 items at a time.")
        return items


class LinkForm(forms.Form):
    """Link the item to another of the queue (a button beside a possible duplicate)."""

    other = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose the item to link to."}
    )


class MergeForm(forms.Form):
    """Merge the item into another of the queue; ``back`` is the item page the button was on."""

    into = forms.IntegerField(
        min_value=1, error_messages={"required": "Choose the item to merge it into."}
    )
    back = forms.IntegerField(min_value=1, required=False)


class UnmergeForm(forms.Form):
    """Undo a merge made by mistake: the duplicate is reopened in the queue."""

    reason = forms.CharField(
        label="Why undo the merge",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the merge is being undone."},
    )


class JointInviteForm(forms.Form):
    """The lead invites a partner organisation to a joint complaint (regulation 9)."""

    organisation = forms.CharField(
        label="ODS code of the partner organisation",
        help_text="For example, RKE for Whittington Health NHS Trust, or a GP practice's code",
        max_length=10,
        error_messages={"required": "Enter the ODS code of the partner organisation."},
    )
    reason = forms.CharField(
        label="Why is this organisation part of the complaint?",
        help_text="For example, the patient's discharge to the community nursing team",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this organisation is part of the complaint."},
    )


class JointFindingsForm(forms.Form):
    """A partner organisation's part of the findings of a joint complaint."""

    findings = forms.CharField(
        label="Your organisation's part of the findings",
        help_text=(
            "What your investigation found about your part of the patient's care. The lead "
            "organisation puts it into the one response; you can change it until they send it."
        ),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "Enter your organisation's part of the findings."},
    )
