"""The words the routing rules are written in: kinds of feedback, services, routes, risk flags and
the patient's answer to "Is anyone at risk of harm?".

Plain ``StrEnum``s, no Django. The product's choices (``feedback/choices.py``) are built from
these member by member, so each value is written once, here. Where routing quotes a label in the
evidence it stores on an item ("service type: GP practice", "patient answered: Yes, ..."), the
label is written here too and the product reads it from here; the other labels (of a route, a
kind, a risk flag) are the product's alone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    """A ``StrEnum`` whose members also carry the label people read: ``NAME = value, label``."""

    _value_: str
    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @property
    def choice(self) -> tuple[str, str]:
        """``(value, label)``: a member of the product's ``TextChoices`` built from this one."""
        return self.value, self.label


class Kind(StrEnum):
    COMPLAINT = "complaint"
    CONCERN = "concern"
    COMPLIMENT = "compliment"
    SUGGESTION = "suggestion"


class ServiceType(Labelled):
    ACUTE = "acute", "Hospital (acute)"
    MENTAL_HEALTH = "mental_health", "Mental health service"
    COMMUNITY = "community", "Community health service"
    AMBULANCE = "ambulance", "Ambulance"
    NHS_111 = "111", "NHS 111"
    PATIENT_TRANSPORT = "patient_transport", "Patient transport"
    GP = "gp", "GP practice"
    DENTAL = "dental", "Dentist"
    PHARMACY = "pharmacy", "Pharmacy"
    OPTOMETRY = "optometry", "Optician"


# Since 1 July 2023 integrated care boards handle commissioner complaints about primary care.
PRIMARY_CARE_SERVICES: frozenset[str] = frozenset(
    {ServiceType.GP, ServiceType.DENTAL, ServiceType.PHARMACY, ServiceType.OPTOMETRY}
)


class Route(StrEnum):
    TRUST = "trust"
    ICB = "icb"
    CQC = "cqc"


class RiskFlag(StrEnum):
    SAFEGUARDING = "safeguarding"
    MENTAL_HEALTH_ACT = "mental_health_act"
    SERIOUS_RISK = "serious_risk"


class SafetyAnswer(Labelled):
    """The patient's own answer to "Is anyone at risk of harm?" ("" when it was not asked)."""

    HARM = "harm", "Yes, someone is being harmed or is at risk of harm"
    DETAINED = "detained", "Yes, it is about being detained under the Mental Health Act"
    NO = "no", "No"
    UNSURE = "unsure", "I'm not sure"


# The answers that send an item to the CQC whatever the reader says.
SAFETY_ANSWERS_FOR_CQC: frozenset[str] = frozenset({SafetyAnswer.HARM, SafetyAnswer.DETAINED})
