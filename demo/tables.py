"""The shares the generator draws from: kinds, channels, sentiments, routes, KO41 codes."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from itertools import accumulate
from typing import Any, NamedTuple

from demo.directory import _PRIMARY_SERVICES, _SERVICES_BY_TRUST_TYPE
from feedback.choices import (
    Channel,
    Kind,
    PatientAge,
    ServiceType,
)
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject

# --- One item --------------------------------------------------------------------------------


class _Item(NamedTuple):
    values: dict[str, Any]
    themes: list[tuple[str, float]]
    identity: tuple[str, str, str, str] | None


def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


_KINDS = _weighted(
    [(Kind.COMPLIMENT, 0.40), (Kind.COMPLAINT, 0.22), (Kind.CONCERN, 0.18), (Kind.SUGGESTION, 0.20)]
)
_CHANNELS: dict[str, tuple[list[Any], list[float]]] = {
    Kind.COMPLAINT: _weighted(
        [
            (Channel.WEB, 0.55),
            (Channel.LETTER, 0.18),
            (Channel.PHONE, 0.17),
            (Channel.API, 0.05),
            (Channel.PAPER, 0.05),
        ]
    ),
    Kind.CONCERN: _weighted(
        [
            (Channel.WEB, 0.45),
            (Channel.PHONE, 0.35),
            (Channel.PAPER, 0.1),
            (Channel.LETTER, 0.05),
            (Channel.API, 0.05),
        ]
    ),
    Kind.COMPLIMENT: _weighted(
        [
            (Channel.FFT_IMPORT, 0.45),
            (Channel.WEB, 0.3),
            (Channel.PAPER, 0.1),
            (Channel.LETTER, 0.08),
            (Channel.PHONE, 0.04),
            (Channel.API, 0.03),
        ]
    ),
    Kind.SUGGESTION: _weighted(
        [(Channel.FFT_IMPORT, 0.5), (Channel.WEB, 0.35), (Channel.PAPER, 0.1), (Channel.API, 0.05)]
    ),
}
# Which labelled sentiments each kind's texts are drawn from.
_SENTIMENTS_FOR_KIND: dict[str, tuple[list[Any], list[float]]] = {
    Kind.COMPLIMENT: _weighted([(1, 0.6), (2, 0.32), (3, 0.08)]),
    Kind.COMPLAINT: _weighted([(5, 0.35), (4, 0.5), (3, 0.15)]),
    Kind.CONCERN: _weighted([(4, 0.5), (3, 0.35), (5, 0.15)]),
    Kind.SUGGESTION: _weighted([(3, 0.5), (2, 0.25), (4, 0.25)]),
}
_CQC_SHARE: dict[str, float] = {
    Kind.COMPLAINT: 0.04,
    Kind.CONCERN: 0.04,
    Kind.COMPLIMENT: 0.002,
    Kind.SUGGESTION: 0.002,
}
_CQC_FLAGS = _weighted([("safeguarding", 0.5), ("serious_risk", 0.3), ("mental_health_act", 0.2)])
_CQC_RULE = {
    "safeguarding": "cqc_safeguarding",
    "mental_health_act": "cqc_mental_health_act",
    "serious_risk": "cqc_serious_risk",
}
_RISK_FIELD = {
    "safeguarding": "risk_safeguarding",
    "mental_health_act": "risk_mental_health_act",
    "serious_risk": "risk_serious",
}
_SERVICE_LABEL = {value: label for value, label in ServiceType.choices}
_SERVICE_AREAS: dict[str, tuple[list[Any], list[float]]] = {
    ServiceType.ACUTE: _weighted(
        [
            (ServiceArea.INPATIENT, 0.4),
            (ServiceArea.OUTPATIENT, 0.3),
            (ServiceArea.EMERGENCY, 0.2),
            (ServiceArea.MATERNITY, 0.08),
            (ServiceArea.OTHER, 0.02),
        ]
    ),
    ServiceType.MENTAL_HEALTH: _weighted(
        [(ServiceArea.MENTAL_HEALTH, 0.95), (ServiceArea.OTHER, 0.05)]
    ),
    ServiceType.COMMUNITY: _weighted([(ServiceArea.COMMUNITY, 0.95), (ServiceArea.OTHER, 0.05)]),
}
_AMBULANCE_AREAS = _weighted([(ServiceArea.AMBULANCE, 0.9), (ServiceArea.EMERGENCY, 0.1)])
_PRIMARY_AREAS = _weighted([(ServiceArea.PRIMARY_CARE, 1.0)])
_PROFESSIONS = _weighted(
    [
        (Profession.MEDICAL, 0.35),
        (Profession.NURSING, 0.3),
        (Profession.ADMIN, 0.15),
        (Profession.ALLIED_HEALTH, 0.08),
        (Profession.ESTATES, 0.04),
        (Profession.SCIENTIFIC, 0.03),
        (Profession.OTHER, 0.05),
    ]
)
_SUBJECTS = _weighted(
    [
        (Subject.PATIENT_CARE, 0.2),
        (Subject.COMMUNICATIONS, 0.18),
        (Subject.CLINICAL_TREATMENT, 0.15),
        (Subject.VALUES_BEHAVIOURS, 0.12),
        (Subject.APPOINTMENTS, 0.1),
        (Subject.WAITING_TIMES, 0.08),
        (Subject.ADMISSIONS_DISCHARGES, 0.05),
        (Subject.PRESCRIBING, 0.03),
        (Subject.FACILITIES, 0.03),
        (Subject.TRUST_ADMIN, 0.02),
        (Subject.ACCESS_TO_TREATMENT, 0.02),
        (Subject.PRIVACY_DIGNITY, 0.01),
        (Subject.OTHER, 0.01),
    ]
)
_OUTCOMES = _weighted(
    [(Outcome.UPHELD, 0.3), (Outcome.PARTIALLY_UPHELD, 0.35), (Outcome.NOT_UPHELD, 0.35)]
)
_PRIMARY_SERVICE_TABLE = _weighted(_PRIMARY_SERVICES)
_SERVICE_TABLES = {key: _weighted(pairs) for key, pairs in _SERVICES_BY_TRUST_TYPE.items()}


# Complainants by the patient's age: older patients use more care (and complain more per head).
_PATIENT_AGE_TABLE = _weighted(
    [(PatientAge.UNDER_18, 0.08), (PatientAge.ADULT, 0.55), (PatientAge.OLDER, 0.37)]
)


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cum = table
    return values[bisect.bisect(cum, rng.random() * cum[-1])]


def _nhs_number(rng: random.Random) -> str:
    """A valid (modulus 11) number in the 999 range the NHS keeps for testing."""
    while True:
        digits = [9, 9, 9, *(rng.randrange(10) for _ in range(6))]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)
