"""Taking feedback in, from every channel, into one place."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from nhs_number import is_valid as nhs_number_is_valid

from feedback.audit import audit_record
from feedback.choices import (
    CONSENT_ANSWERS,
    SERVICE_FOR_PRACTICE_KIND,
    Channel,
    CommunicationNeed,
    ComplainantStatus,
    FftRating,
    Kind,
    NotificationKind,
    OrganisationKind,
    PatientAge,
    Relationship,
    SafetyAnswer,
    ServiceType,
)
from feedback.errors import InvalidFeedback, SubmissionKeyReused
from feedback.models import Feedback, Identity, Organisation, User
from feedback.selectors import organisation_area_for_place

logger = logging.getLogger(__name__)

# "LS29 8TQ", "Leeds", "Ilkley, West Yorkshire": a postcode or a town, not an address.
PLACE_MAX_LENGTH = 100
# "Polish", "Chinese (Cantonese)", "Tigrinya": a language's name, not a sentence.
LANGUAGE_MAX_LENGTH = 60
_LANGUAGE_MARKS = frozenset(" -'()/")


def communication_needs_problems(
    needs: Sequence[str], language: str
) -> tuple[list[str], str, dict[str, str]]:
    """The needs in the standard's order without repeats, the language as kept, and what is
    wrong with them, by field (Accessible Information Standard)."""
    errors: dict[str, str] = {}
    if isinstance(needs, str):
        needs = [needs] if needs else []
    unknown = [str(need) for need in needs if need not in CommunicationNeed.values]
    if unknown:
        errors["communication_needs"] = (
            f"Communication needs must be some of {', '.join(CommunicationNeed.values)}; "
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not."
        )
        needs = []
    kept = [need for need in CommunicationNeed.values if need in needs]
    language = " ".join(clean_text(language).split())
    if CommunicationNeed.INTERPRETER in kept:
        if not language:
            errors["interpreter_language"] = gettext(
                "Enter the language the interpreter should speak."
            )
        elif len(language) > LANGUAGE_MAX_LENGTH:
            errors["interpreter_language"] = gettext(
                "The language must be %(limit)s characters or fewer."
            ) % {"limit": LANGUAGE_MAX_LENGTH}
        elif not (
            language[0].isalpha() and all(c.isalpha() or c in _LANGUAGE_MARKS for c in language)
        ):
            errors["interpreter_language"] = gettext(
                "Enter the language in letters, like Polish or Chinese (Cantonese)."
            )
    elif language:
        errors["interpreter_language"] = gettext(
            "A language is for an interpreter: choose an interpreter too, or leave the "
            "language out."
        )
    return kept, language, errors


RELATIONSHIP_OTHER_MAX_LENGTH = 60
PATIENT_NAME_MAX_LENGTH = 200


def representative_problems(
    *,
    complainant_status: str,
    relationship: str,
    relationship_other: str,
    consent: str,
    patient_name: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """Who is writing, as kept, and what is wrong with it, by field (regulation 5: the patient,
    or a representative with the patient's consent or a reason it is not needed).

    Someone writing on the patient's behalf says how they know the patient and where the
    patient's consent stands; the patient writing for themselves says neither."""
    errors: dict[str, str] = {}
    relationship_other = " ".join(clean_text(relationship_other).split())
    patient_name = " ".join(clean_text(patient_name).split())
    if complainant_status and complainant_status not in ComplainantStatus.values:
        errors["complainant_status"] = "Answer patient or on_behalf, or leave it out."
    elif complainant_status == ComplainantStatus.ON_BEHALF:
        if not relationship:
            errors["relationship"] = (
                "Say how the person writing knows the patient: one of "
                f"{', '.join(Relationship.values)}."
            )
        elif relationship not in Relationship.values:
            errors["relationship"] = (
                f"relationship must be one of {', '.join(Relationship.values)}; "
                f"{relationship} is not."
            )
        elif relationship == Relationship.OTHER and not relationship_other:
            errors["relationship_other"] = "Say how the person writing knows the patient."
        if relationship != Relationship.OTHER and relationship_other:
            errors["relationship_other"] = (
                "relationship_other is for relationship other: leave it out, or choose other."
            )
        if len(relationship_other) > RELATIONSHIP_OTHER_MAX_LENGTH:
            errors["relationship_other"] = (
                f"How you know the patient must be {RELATIONSHIP_OTHER_MAX_LENGTH} characters "
                "or fewer."
            )
        if not consent:
            errors["consent"] = (
                f"Say whether the patient has agreed: one of {', '.join(CONSENT_ANSWERS)}."
            )
        elif consent not in CONSENT_ANSWERS:
            errors["consent"] = (
                f"consent must be one of {', '.join(CONSENT_ANSWERS)}; {consent} is not."
            )
        if len(patient_name) > PATIENT_NAME_MAX_LENGTH:
            errors["patient_name"] = (
                f"The patient's name must be {PATIENT_NAME_MAX_LENGTH} characters or fewer."
            )
    else:
        # The patient writing (or not said): nothing about a representative is theirs to give.
        given = {
            "relationship": relationship,
            "relationship_other": relationship_other,
            "consent": consent,
            "patient_name": patient_name,
        }
        for name, value in given.items():
            if value:
                errors[name] = (
                    f"{name} is for someone writing on the patient's behalf: set "
                    "complainant_status to on_behalf, or leave it out."
                )
    kept = {
        "relationship": relationship,
        "relationship_other": relationship_other,
        "consent": consent,
        "patient_name": patient_name,
    }
    return kept, errors


def enqueue_analysis(feedback_id: int) -> None:
    """Send an item to the analysis queue. Runs after commit, so the worker finds the row.

    A broker that is down must not lose the patient's submission, which is already saved: the
    periodic ``requeue_unanalysed`` task sends it again once the broker is back.
    """
    from feedback.tasks import analyse_feedback

    try:
        # No publish retries: a broker that is down must not hold a web worker for seconds;
        # the item is saved and the periodic requeue sends it once the broker is back.
        analyse_feedback.apply_async((feedback_id,), retry=False)
    except Exception:
        logger.warning(
            "could not enqueue analysis of feedback %s; the periodic requeue will retry",
            feedback_id,
            exc_info=True,
        )


def normalise_nhs_number(value: str) -> str:
    return "".join(ch for ch in value if not ch.isspace() and ch != "-")


def nhs_number_problem(value: str) -> str | None:
    """Why ``value`` (normalised) is not an NHS number, or None when it is one.

    Digits must be 0-9: other scripts' digits (Arabic-Indic, full-width) pass ``str.isdigit``
    but are not an NHS number as any NHS system stores it.
    """
    if not value:
        return None
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        return gettext(
            "Enter a valid 10-digit NHS number using the digits 0 to 9, like 943 476 5919."
        )
    if not nhs_number_is_valid(value):
        return gettext(
            "Enter a valid 10-digit NHS number, like 943 476 5919 (it is on NHS letters)."
        )
    return None


# Digits with the separators people type between them; letters ("0800 FLOWERS"), emoji and
# anything else are not a number staff can ring.
_PHONE_CHARACTERS = re.compile(r"\+?[0-9()\-. ]{6,29}")


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a telephone number, or None when it could be one (UK by default)."""
    value = value.strip()
    if not value:
        return None
    message = gettext(
        "Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192."
    )
    if not _PHONE_CHARACTERS.fullmatch(value):
        return message
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return message
    # "Possible" (the right length for its country), not "valid": Ofcom's ranges for drama and
    # examples (07700 900xxx) are real-looking numbers a strict check would refuse.
    return None if phonenumbers.is_possible_number(number) else message


# C0 and C1 control characters other than tab and newlines, which some keyboards, copy-and-paste
# from documents, and fuzzers put in text; they carry no meaning for a reader.
_CONTROL = dict.fromkeys(
    [c for c in range(0x20) if chr(c) not in "\t\n\r"] + list(range(0x7F, 0xA0)), None
)


def clean_text(value: str) -> str:
    return value.translate(_CONTROL).replace("\r\n", "\n").strip()


def feedback_submit(
    *,
    kind: str,
    text: str,
    channel: str = Channel.WEB,
    service_type: str = "",
    provider: Organisation | None = None,
    area: Organisation | None = None,
    place: str = "",
    wants_commissioner: bool = False,
    question: str = "",
    fft_rating: int | str | None = None,
    safety_answer: str = "",
    patient_age: str = "",
    complainant_status: str = "",
    communication_needs: Sequence[str] = (),
    interpreter_language: str = "",
    relationship: str = "",
    relationship_other: str = "",
    consent: str = "",
    patient_name: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    nhs_number: str = "",
    language: str = "",
    actor: User | None = None,
    submission_key: str | None = None,
    submission_digest: str = "",
) -> Feedback:
    """Save a new item with its (optional) identity apart, and queue it for analysis.

    With a ``submission_key`` already used, the item saved the first time is returned instead:
    the key is unique in the database, so a repeat fails to insert and the first item is read
    (no lookup before the insert for the usual case, a key seen for the first time).
    """
    errors: dict[str, str] = {}
    if "\x00" in text:
        errors["text"] = "Remove the null character from your feedback."
    text = clean_text(text)
    limit = settings.FEEDBACK_TEXT_MAX_LENGTH
    if kind not in Kind.values:
        errors["kind"] = "Choose complaint, concern, compliment or suggestion."
    if channel not in Channel.values:
        errors["channel"] = "Unknown channel."
    if service_type and service_type not in ServiceType.values:
        errors["service_type"] = "Unknown service type."
    rating = _rating(fft_rating)
    if rating is not None and rating not in FftRating.values:
        errors["fft_rating"] = (
            "Choose an FFT rating from 1 (very good) to 5 (very poor), or 6 (don't know)."
        )
    if patient_age and patient_age not in PatientAge.values:
        errors["patient_age"] = "Give the age band as 0_17, 18_64 or 65_plus, or leave it out."
    representative, problems = representative_problems(
        complainant_status=complainant_status,
        relationship=relationship,
        relationship_other=relationship_other,
        consent=consent,
        patient_name=patient_name,
    )
    errors.update(problems)
    if safety_answer and safety_answer not in SafetyAnswer.values:
        errors["safety_answer"] = "Answer harm, detained, no or unsure, or leave it out."
    if not text:
        errors["text"] = "Tell us about your experience."
    elif len(text) > limit:
        errors["text"] = f"Your feedback must be {limit} characters or fewer."
    if provider is not None:
        if provider.is_practice:
            # The practice says what kind of service it was; a contradiction is a mistake.
            practice_service = SERVICE_FOR_PRACTICE_KIND[provider.kind]
            if service_type and service_type != practice_service:
                errors["provider"] = (
                    f"{provider.name} is a {provider.get_kind_display().lower()}, but the service "
                    f"was given as {ServiceType(service_type).label.lower()}."
                    if service_type in ServiceType.values
                    else "Unknown service type."
                )
            service_type = service_type or practice_service
        elif provider.kind != OrganisationKind.TRUST:
            errors["provider"] = "Choose an NHS trust, GP practice, dentist or pharmacy."
    if area is not None and area.kind != OrganisationKind.ICB:
        errors["area"] = "Choose an integrated care board."
    place = clean_text(place)
    if len(place) > PLACE_MAX_LENGTH:
        errors["place"] = f"The postcode or town must be {PLACE_MAX_LENGTH} characters or fewer."
    nhs_number = normalise_nhs_number(nhs_number)
    if problem := nhs_number_problem(nhs_number):
        errors["nhs_number"] = problem
    if problem := phone_problem(phone):
        errors["phone"] = problem
    phone = phone.strip()
    communication_needs, interpreter_language, problems = communication_needs_problems(
        communication_needs, interpreter_language
    )
    errors.update(problems)
    languages = [code for code, _name in settings.LANGUAGES]
    language = language or settings.LANGUAGE_CODE
    if language not in languages:
        errors["language"] = f"The language must be one of {', '.join(languages)}."
    if errors:
        raise InvalidFeedback(errors)

    place_found = False
    if provider is not None and area is None:
        area = provider.icb
    elif provider is None and area is None and place:
        # The patient knew neither: the area is looked up from the place they gave; when it
        # cannot be, NHS England's national triage queue assigns it (routing, after analysis).
        area = organisation_area_for_place(place)
        place_found = area is not None

    try:
        return _save(
            kind=kind,
            channel=channel,
            service_type=service_type,
            provider=provider,
            area=area,
            place=place,
            wants_commissioner=wants_commissioner,
            question=clean_text(question)[:300],
            fft_rating=rating,
            safety_answer=safety_answer,
            patient_age=patient_age,
            complainant_status=complainant_status,
            communication_needs=communication_needs,
            interpreter_language=interpreter_language,
            language=language,
            text=text,
            relationship=representative["relationship"],
            relationship_other=representative["relationship_other"],
            consent=representative["consent"],
            identity={
                "name": name,
                "email": email,
                "phone": phone,
                "nhs_number": nhs_number,
                "patient_name": representative["patient_name"],
            },
            actor=actor,
            area_from_place=place_found,
            submission_key=submission_key or None,
            submission_digest=submission_digest,
        )
    except IntegrityError:
        # The key was used before (a retry or a double click), or two requests with it raced:
        # nothing of this one was saved, and the item saved the first time is the answer, if
        # this is the same submission. Different content under the same key is refused, never
        # answered with someone else's item.
        if submission_key:
            existing = Feedback.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                if existing.submission_digest != submission_digest:
                    raise SubmissionKeyReused(submission_key) from None
                return existing
        raise


def submission_digest(fields: dict[str, object]) -> str:
    """A digest of what was submitted (organisations by ODS code), to recognise a retry."""
    canonical = {
        key: (value.ods_code if isinstance(value, Organisation) else value)
        for key, value in sorted(fields.items())
    }
    return hashlib.sha256(
        json.dumps(canonical, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def scoped_submission_key(client: str, key: str) -> str:
    """A client's Idempotency-Key as stored: two clients' equal keys never meet."""
    return hashlib.sha256(f"{client}\x00{key}".encode()).hexdigest()


def _rating(value: int | str | None) -> int | None:
    """The rating as a number; "" and None are "not asked", anything not a whole number is 0."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _save(
    *,
    identity: dict[str, str],
    actor: User | None,
    area_from_place: bool,
    **fields: object,
) -> Feedback:
    with transaction.atomic():
        item = Feedback.objects.create(**fields)
        if any(identity.values()):
            Identity.objects.create(feedback=item, **identity)
        audit_record(
            feedback=item,
            actor=actor,
            action="submitted",
            to_value=item.status,
            detail={"channel": item.channel},
        )
        if area_from_place and item.area is not None:
            audit_record(
                feedback=item,
                actor=None,
                action="area_from_place",
                to_value=item.area.ods_code,
                detail={"place": item.place},
            )
        if identity.get("email"):
            # The receipt with the private tracking link, whatever the channel.
            from feedback.services.notifications import notification_schedule

            notification_schedule(feedback=item, kind=NotificationKind.RECEIPT)
        transaction.on_commit(lambda: enqueue_analysis(item.pk))
    return item
