"""Redaction of direct identifiers from free text, before it leaves the service in an export.

Found by Microsoft Presidio with spaCy's English model and recognisers of our own for UK
identifiers (``analytics.redaction_engine``): names, emails, phone numbers, NHS numbers,
postcodes, street addresses, dates of birth, hospital numbers and National Insurance numbers,
each replaced by its placeholder ([NAME], [EMAIL], ...). The name, email, phone number and NHS
number the writer gave us in their ``Identity`` are replaced too, wherever they appear, whatever
the case. Measured on a marked evaluation set by ``make bench BENCH=redaction``.

The worker redacts each item once, when it analyses it, and stores the result
(``Feedback.text_redacted``); exports read the stored text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from analytics.redaction_engine import KINDS, find_many

NAME = "[NAME]"
EMAIL = "[EMAIL]"
PHONE = "[PHONE]"
NHS_NUMBER = "[NHS NUMBER]"
POSTCODE = "[POSTCODE]"
_APOSTROPHES = "'\u2019"
_DIGITS_RE = re.compile(r"[0-9]+")


class IdentityTerms(NamedTuple):
    """What the writer told us about themselves (from ``feedback.Identity``)."""

    name: str = ""
    email: str = ""
    phone: str = ""
    nhs_number: str = ""
    # When someone wrote on the patient's behalf: the patient's name, redacted like the writer's.
    patient_name: str = ""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NOT_NAMES = _words(
    """
    A About After Also An And Any Are As At Be Because Been Before Both But By Can Could Did Do
    Does Doing Every Everyone Everybody For From Had Has Have He Her Here Hers Him His How However
    I I'm I've I'd I'll If In Is It It's Its Just Kind Many May Me Mine More Most Much My No Not
    Nothing Now Of On Once One Only Or Our Ours Please Regards She So Some Such Than Thank Thanks
    That The Their Them Then There These They This Those Though To Too Very Was We Were What When
    Where Which While Who Why Will With Would Yes Yet You Your Yours All Everything Today
    Yesterday Tomorrow Tonight Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April June July August September October November December Morning Afternoon
    Evening Night Team Staff Ward Unit Department Hospital Clinic Practice Surgery Trust Service
    Services Centre Nurse Nurses Doctor Doctors Dr Mr Mrs Ms Miss Sister Matron Midwife Consultant
    Surgeon Paramedic Paramedics Receptionist Reception Manager Ambulance Emergency Accident Urgent
    Care Health Royal General Community Mental Maternity Children Outpatients Inpatients Pharmacy
    Pharmacist Physio Practitioner Advanced Senior Junior Student Healthcare Assistant England
    Covid Christmas Easter Dear Sir Madam Overall Good Great Excellent Brilliant Lovely Fantastic
    Amazing Poor Bad Terrible Awful Well Best Ok Okay Sincerely Faithfully Cheers Love Kindest
    Warm Warmest Wishes Thank-you Hi Hello Again Still Even Never Always Sadly Unfortunately
    """
)


def _replace_term(text: str, term: str, label: str) -> str:
    """Every whole-word occurrence of ``term``, in any case, replaced by ``label``."""
    if len(term) < 2 or term.lower() not in text.lower():
        return text
    return re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", label, text, flags=re.IGNORECASE)


def _replace_digits(text: str, digits: str, label: str) -> str:
    """These digits in a row, whatever spaces, hyphens or brackets were put between them."""
    if len(digits) < 6:
        return text
    pattern = r"[ \t-]?\)?[ \t-]?".join(re.escape(d) for d in digits)
    return re.sub(rf"(?<!\d){pattern}(?!\d)", label, text)


_NAME_SPLIT_RE = re.compile(r"[\s,]+")
_NAME_PART_EDGES = f".-{_APOSTROPHES}"


def _redact_identity(text: str, identity: IdentityTerms) -> str:
    if identity.email:
        text = _replace_term(text, identity.email.strip(), EMAIL)
    # Only the digits of the text, to test cheaply whether a number given in the identity is in it.
    text_digits: str | None = None
    for raw, label in ((identity.phone, PHONE), (identity.nhs_number, NHS_NUMBER)):
        if not raw:
            continue
        digits = "".join(_DIGITS_RE.findall(raw))
        if not digits:
            continue
        if text_digits is None:
            text_digits = "".join(_DIGITS_RE.findall(text)) if _has_digit(text) else ""
        if not text_digits:
            continue
        # A UK number given as +44 7700... may be written 07700... in the text, and back.
        variants = [digits]
        if label == PHONE and digits.startswith("44"):
            variants.append("0" + digits[2:])
        elif label == PHONE and digits.startswith("0"):
            variants.append("44" + digits[1:])
        for variant in variants:
            if variant in text_digits:
                text = _replace_digits(text, variant, label)
    for name in (identity.name, identity.patient_name):
        name = (name or "").strip()
        if not name:
            continue
        lowered = text.lower()
        if name.lower() in lowered:
            text = _replace_term(text, name, NAME)
            lowered = text.lower()
        for part in _NAME_SPLIT_RE.split(name):
            part = part.strip(_NAME_PART_EDGES)
            if len(part) >= 2 and part.lower() in lowered and part.capitalize() not in _NOT_NAMES:
                text = _replace_term(text, part, NAME)
                lowered = text.lower()
    return text


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


@cache
def _anonymizer() -> Any:
    from presidio_anonymizer import AnonymizerEngine
    from presidio_anonymizer.entities import OperatorConfig

    operators = {kind: OperatorConfig("replace", {"new_value": new}) for kind, new in KINDS.items()}
    return AnonymizerEngine(), operators


def redact(text: str, identity: IdentityTerms | None = None) -> str:
    """The text with direct identifiers replaced by their placeholders ([NAME], [EMAIL], ...)."""
    return redact_many([text], [identity])[0]


def redact_many(
    texts: Sequence[str], identities: Sequence[IdentityTerms | None] | None = None
) -> list[str]:
    """:func:`redact` for several texts (each with its writer's own details, if given), read
    by spaCy in batches: what the worker stores for a batch of items."""
    from presidio_anonymizer.entities import RecognizerResult

    terms = list(identities) if identities is not None else [None] * len(texts)
    if len(terms) != len(texts):
        raise ValueError("texts and identities must have the same length")
    readable = [i for i, text in enumerate(texts) if text and text.strip()]
    found = dict(zip(readable, find_many([texts[i] for i in readable]), strict=True))
    out = []
    for i, text in enumerate(texts):
        if i not in found:
            out.append(text)
            continue
        redacted = text
        if found[i]:
            engine, operators = _anonymizer()
            redacted = engine.anonymize(
                text=text,
                analyzer_results=[
                    RecognizerResult(kind, start, end, 1.0) for start, end, kind in found[i]
                ],
                operators=operators,
            ).text
        identity = terms[i]
        if identity is not None and any(identity):
            redacted = _redact_identity(redacted, identity)
        out.append(redacted)
    return out
