"""Forms for the patient's journey, one question a page (docs/adr/0004-patient-journey.md).

Each step's form parses one page; ``FeedbackForm`` is all of them together, and re-parses the
answers kept in the session before ``feedback_submit`` decides what is acceptable.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from feedback import labels
from feedback.choices import (
    FFT_QUESTION,
    PRACTICE_KIND_FOR_SERVICE,
    CommunicationNeed,
    ComplainantStatus,
    Consent,
    FftRating,
    Kind,
    PatientAge,
    Relationship,
    SafetyAnswer,
    ServiceType,
)
from feedback.form_fields import OptionalChoices, OrganisationChoiceField, Radios, StepForm
from feedback.selectors import organisation_icbs, organisation_practices, organisation_trusts
from feedback.services.intake import (
    LANGUAGE_MAX_LENGTH,
    PATIENT_NAME_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    RELATIONSHIP_OTHER_MAX_LENGTH,
    communication_needs_problems,
)
from feedback.services.intake import clean_text as text_as_kept

# The patient may not know the kind of service; "" is what the service expects then.
SERVICE_TYPE_UNSURE = "unsure"

KIND_HINTS: dict[str, labels.Text] = {
    Kind.COMPLAINT: _("Something went wrong and you want it looked into and a reply"),
    Kind.CONCERN: _("You need help or advice to sort out a problem now"),
    Kind.COMPLIMENT: _("Something went well and you want to say thank you"),
    Kind.SUGGESTION: _("You have an idea to make the service better"),
}


class KindForm(StepForm):
    kind = forms.ChoiceField(
        label=_("What would you like to tell us?"),
        choices=labels.choices(Kind, labels.KIND_LABELS),
        widget=Radios(hints=KIND_HINTS),
        error_messages={
            "required": _("Select if this is a complaint, concern, compliment or suggestion"),
            "invalid_choice": _("Select if this is a complaint, concern, compliment or suggestion"),
        },
    )


class ServiceForm(StepForm):
    service_type = forms.ChoiceField(
        label=_("What kind of service was it?"),
        help_text=_("This helps us send it to the right organisation"),
        choices=[
            *labels.choices(ServiceType, labels.SERVICE_TYPE_LABELS),
            (SERVICE_TYPE_UNSURE, _("Something else, or I am not sure")),
        ],
        widget=Radios(divider_before=SERVICE_TYPE_UNSURE),
        error_messages={
            "required": _(
                "Select the kind of service, or select 'Something else, or I am not sure'"
            ),
            "invalid_choice": _("Select one of the kinds of service shown"),
        },
    )

    def clean_service_type(self) -> str:
        value: str = self.cleaned_data["service_type"]
        return "" if value == SERVICE_TYPE_UNSURE else value


class WhereForm(StepForm):
    """Where the care was: an NHS trust from the list, a primary care practice found by name,
    town or postcode, or the area. A patient who knows none of them gives a postcode or town
    (or nothing): never a dead end (the area is found from the place, or NHS England's national
    triage queue assigns the item)."""

    provider = OrganisationChoiceField(
        label=_("NHS trust"),
        help_text=_("The hospital, mental health, community or ambulance trust that gave the care"),
        queryset=organisation_trusts(),
        required=False,
        empty_label=_("Not an NHS trust, or I do not know"),
        to_field_name="ods_code",
        error_messages={"invalid_choice": _("Select an NHS trust from the list")},
    )
    # Chosen from the search results shown on the page (thousands: never one long list).
    practice = OrganisationChoiceField(
        label=_("Choose the practice"),
        queryset=organisation_practices(),
        required=False,
        to_field_name="ods_code",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Select a practice from the search results")},
    )
    area = OrganisationChoiceField(
        label=_("Area (integrated care board)"),
        help_text=_(
            "The area where you live or had the care. For a GP practice, dentist, pharmacy or "
            "optician, choose the area: the integrated care board looks after these services"
        ),
        queryset=organisation_icbs(),
        required=False,
        empty_label=_("I do not know"),
        to_field_name="ods_code",
        error_messages={"invalid_choice": _("Select an area from the list")},
    )
    place = forms.CharField(
        label=_("If you do not know, where was the care?"),
        help_text=_(
            "Enter the postcode, the first half of it (like LS29), or the town. We will use it "
            "to find the right area. You can leave this blank if you do not know"
        ),
        max_length=PLACE_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("The postcode or town must be %(limit_value)d characters or fewer")
        },
    )
    wants_commissioner = forms.BooleanField(
        label=_("I want the integrated care board, not the hospital or service, to handle this"),
        help_text=_(
            "For example, if you do not want to raise it with the people who cared for you"
        ),
        required=False,
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        # A practice chosen from the search is the provider; the service takes it as one field.
        practice = cleaned.pop("practice", None)
        if practice is not None and not cleaned.get("provider"):
            cleaned["provider"] = practice
        return cleaned


def _rating(value: str) -> int | None:
    return int(value) if value else None


class RatingForm(StepForm):
    """The Friends and Family Test question, asked as the FFT asks it, "Don't know" apart."""

    fft_rating = forms.TypedChoiceField(
        label=labels.FFT_QUESTION_TEXT,
        choices=[(str(value), label) for value, label in labels.FFT_RATING_LABELS.items()],
        coerce=_rating,
        widget=Radios(divider_before=str(FftRating.DONT_KNOW.value)),
        error_messages={
            "required": _("Select how your experience was overall, or select 'Don't know'"),
            "invalid_choice": _("Select one of the answers shown"),
        },
    )


class TextForm(StepForm):
    text = forms.CharField(
        label=_("Tell us what happened"),
        help_text=_(
            "Say what happened, when and where it happened, and what you would like to happen "
            "now. Do not include your contact details here: you can give them on the next page"
        ),
        widget=forms.Textarea,
        max_length=settings.FEEDBACK_TEXT_MAX_LENGTH,
        error_messages={
            "required": _("Enter what happened"),
            "max_length": _("What happened must be %(limit_value)d characters or fewer"),
        },
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        # Control characters alone (a stray escape key, say) leave nothing once the service
        # cleans the text: the same answer as an empty box, here on this page.
        if not text_as_kept(text):
            raise forms.ValidationError(_("Enter what happened"), code="required")
        return text


SAFETY_QUESTION = _("Is anyone at risk of harm?")
SAFETY_HINTS: dict[str, labels.Text] = {
    SafetyAnswer.HARM: _(
        "For example someone being hurt, abused, neglected or exploited, or care that is "
        "putting people in danger"
    ),
    SafetyAnswer.DETAINED: _(
        "For example being sectioned, your leave, or your rights while detained"
    ),
}


class SafetyForm(StepForm):
    """The patient's own word on risk: "yes" sends the item to the Care Quality Commission."""

    safety_answer = forms.ChoiceField(
        label=SAFETY_QUESTION,
        help_text=_(
            "Tell us if someone is being harmed or is at risk of harm, or if your feedback is "
            "about being detained under the Mental Health Act. If so, we send it to the Care "
            "Quality Commission, who act on risks to people's safety"
        ),
        choices=labels.choices(SafetyAnswer, labels.SAFETY_ANSWER_LABELS),
        widget=Radios(hints=SAFETY_HINTS, divider_before=SafetyAnswer.UNSURE),
        error_messages={
            "required": _("Select yes if anyone is at risk of harm, or select no"),
            "invalid_choice": _("Select one of the answers shown"),
        },
    )


CONSENT_CHOICES: list[tuple[str, labels.Text]] = [
    (Consent.GIVEN, _("The patient has agreed")),
    (Consent.TO_BE_SOUGHT, _("I will need to ask them")),
    (Consent.DIED, _("Not needed: the patient has died")),
    (
        Consent.LACKS_CAPACITY,
        _("Not needed: the patient cannot decide for themselves (lacks capacity)"),
    ),
    (Consent.CHILD, _("Not needed: the patient is a child and I have parental responsibility")),
]
CONSENT_HINTS: dict[str, labels.Text] = {
    Consent.TO_BE_SOUGHT: _(
        "We will send you a form for the patient to sign. We wait for it before we reply"
    ),
    Consent.LACKS_CAPACITY: _(
        "For example, because of dementia or a serious illness, and they cannot understand or "
        "decide about this complaint"
    ),
}


class PatientForm(StepForm):
    """Who is writing: the patient, or someone on their behalf (regulation 5), who says how
    they know the patient, the patient's name and whether the patient has agreed."""

    complainant_status = forms.ChoiceField(
        label=_("Are you the patient?"),
        help_text=_("The patient is the person who had the care"),
        choices=[
            (ComplainantStatus.PATIENT, _("Yes")),
            (ComplainantStatus.ON_BEHALF, _("No, I am writing for someone else")),
        ],
        widget=Radios(),
        error_messages={
            "required": _(
                "Select yes if you are the patient, or no if you are writing for someone else"
            ),
            "invalid_choice": _(
                "Select yes if you are the patient, or no if you are writing for someone else"
            ),
        },
    )
    relationship = forms.ChoiceField(
        label=_("How do you know the patient?"),
        choices=labels.choices(Relationship, labels.RELATIONSHIP_LABELS),
        widget=Radios(),
        required=False,
        error_messages={"invalid_choice": _("Select how you know the patient")},
    )
    relationship_other = forms.CharField(
        label=_("If someone else, how do you know them?"),
        help_text=_("For example, neighbour or support worker"),
        max_length=RELATIONSHIP_OTHER_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("How you know the patient must be %(limit_value)d characters or fewer")
        },
    )
    patient_name = forms.CharField(
        label=_("The patient's full name"),
        help_text=_(
            "We need this to find the patient's records. We keep it apart from what you tell us"
        ),
        max_length=PATIENT_NAME_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("The patient's name must be %(limit_value)d characters or fewer")
        },
    )
    consent = forms.ChoiceField(
        label=_("Has the patient agreed to you doing this for them?"),
        help_text=_(
            "We need the patient's agreement before we can share details of their care with you"
        ),
        choices=CONSENT_CHOICES,
        widget=Radios(hints=CONSENT_HINTS),
        required=False,
        error_messages={"invalid_choice": _("Select whether the patient has agreed")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("complainant_status") != ComplainantStatus.ON_BEHALF:
            # The patient writing: answers typed before they chose "yes" are not theirs.
            for name in ("relationship", "relationship_other", "patient_name", "consent"):
                cleaned[name] = ""
            return cleaned
        relationship = cleaned.get("relationship", "")
        if relationship != Relationship.OTHER:
            cleaned["relationship_other"] = ""
        if not relationship and "relationship" not in self.errors:
            self.add_error("relationship", _("Select how you know the patient"))
        elif (
            relationship == Relationship.OTHER
            and not text_as_kept(cleaned.get("relationship_other", ""))
            and "relationship_other" not in self.errors
        ):
            self.add_error("relationship_other", _("Enter how you know the patient"))
        if not cleaned.get("consent") and "consent" not in self.errors:
            self.add_error("consent", _("Select whether the patient has agreed"))
        return cleaned


class DetailsForm(StepForm):
    # Optional, asked of complaints for the NHS's KO41 returns (how old the patients are; who
    # complains is the "Are you the patient?" page's answer); the page says it can be left out.
    patient_age = forms.ChoiceField(
        label=_("How old is the person who had the care?"),
        choices=labels.choices(PatientAge, labels.PATIENT_AGE_LABELS),
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Select one of the age groups shown")},
    )
    name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_(
            "We will email you when your complaint or concern is acknowledged and answered"
        ),
        required=False,
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.com")
        },
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        required=False,
        error_messages={
            "max_length": _("Phone number must be %(limit_value)d characters or fewer")
        },
    )
    # The check digit is the service's to judge; the form only bounds the length.
    nhs_number = forms.CharField(
        label=_("NHS number"),
        help_text=_(
            "This is a 10 digit number, like 943 476 5919. You can find it on an NHS letter, "
            "a prescription or in the NHS App"
        ),
        max_length=12,
        required=False,
        error_messages={"max_length": _("Enter a valid 10-digit NHS number, like 943 476 5919")},
    )


class CommunicationForm(StepForm):
    """Communication needs, asked as the Accessible Information Standard asks: the formats and
    support the patient needs, and the language when it is an interpreter. Optional: nothing
    ticked is "none"."""

    communication_needs = OptionalChoices(
        label=_("Do you need information in another format, or support to talk to us?"),
        help_text=_(
            "For example, if you have a disability or sensory loss, or English is not your first "
            "language. Select all that apply, or leave them all blank if you need none of them"
        ),
        choices=labels.choices(CommunicationNeed, labels.COMMUNICATION_NEED_LABELS),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": _("Select communication needs from the list shown"),
            "invalid_list": _("Select communication needs from the list shown"),
        },
    )
    interpreter_language = forms.CharField(
        label=_("Which language do you need an interpreter for?"),
        help_text=_("For example, Polish, Arabic or Chinese (Cantonese)"),
        max_length=LANGUAGE_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": _("The language must be %(limit_value)d characters or fewer")
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        needs = cleaned.get("communication_needs") or []
        if CommunicationNeed.INTERPRETER not in needs:
            # Typed, then the box unticked: the language goes with it.
            cleaned["interpreter_language"] = ""
        if "interpreter_language" in self.errors or "communication_needs" in self.errors:
            return cleaned
        needs, language, problems = communication_needs_problems(
            needs, cleaned.get("interpreter_language", "")
        )
        for name, message in problems.items():
            # The page's wording: no full stop, as the NHS error messages are written.
            self.add_error(name, message.rstrip("."))
        cleaned["communication_needs"], cleaned["interpreter_language"] = needs, language
        return cleaned


class FeedbackForm(
    KindForm,
    ServiceForm,
    WhereForm,
    RatingForm,
    TextForm,
    SafetyForm,
    PatientForm,
    DetailsForm,
    CommunicationForm,
):
    """Every answer in one form: the patient's answers parsed together before they are sent, and
    the base of the single page staff use to enter a phone call or letter (StaffEntryForm).

    The kind of service is optional here ("" when not known); the patient's journey asks for it
    on its own page, where "not sure" is an answer (see ``journey_data``).
    """

    service_type = forms.ChoiceField(
        label=_("What kind of service was it?"),
        choices=[("", "Not known"), *ServiceType.choices],
        required=False,
    )
    # Staff entering a letter or a call may not have asked it.
    fft_rating = forms.TypedChoiceField(
        label=FFT_QUESTION,
        choices=[("", "Not asked"), *((str(v), label) for v, label in FftRating.choices)],
        coerce=_rating,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Select one of the answers shown")},
    )
    safety_answer = forms.ChoiceField(
        label=SAFETY_QUESTION,
        help_text=_("Asked of the patient: yes sends it to the Care Quality Commission"),
        choices=[("", "Not asked"), *SafetyAnswer.choices],
        required=False,
    )

    @staticmethod
    def journey_data(answers: dict[str, Any]) -> dict[str, Any]:
        """The journey's stored answers as this form's data."""
        data = dict(answers)
        if data.get("service_type") == SERVICE_TYPE_UNSURE:
            data["service_type"] = ""
        if data.get("service_type") not in PRACTICE_KIND_FOR_SERVICE:
            # A practice chosen before the patient changed the service to one with no practices.
            data["practice"] = ""
        return data


# The journey, in order: (slug in the URL, the form for that page).
STEPS: list[tuple[str, type[StepForm]]] = [
    ("kind", KindForm),
    ("service", ServiceForm),
    ("where", WhereForm),
    ("experience", RatingForm),
    ("what-happened", TextForm),
    ("safety", SafetyForm),
    ("patient", PatientForm),
    ("your-details", DetailsForm),
    ("communication", CommunicationForm),
]
