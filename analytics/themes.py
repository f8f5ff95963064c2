"""The patient-experience framework (version 6) used to label NHS feedback.

Each theme is the column of the same label in the shared FFT data set. Slugs are the stable keys
stored on analysed items and used in the API; labels are what people read.
"""

from __future__ import annotations

from typing import NamedTuple


class Theme(NamedTuple):
    slug: str
    label: str


THEMES: tuple[Theme, ...] = (
    Theme("organisation_efficiency", "Organisation & efficiency"),
    Theme("funding", "Funding & use of financial resources"),
    Theme("staff_manner", "Staff manner & personal attributes"),
    Theme("staff_numbers", "Number & deployment of staff"),
    Theme("staff_responsiveness", "Staff responsiveness"),
    Theme("staff_continuity", "Staff continuity"),
    Theme("competence_training", "Competence & training"),
    Theme("unspecified_communication", "Unspecified communication"),
    Theme("staff_listening", "Staff listening, understanding & involving patients"),
    Theme("information_from_staff", "Information directly from staff during care"),
    Theme("information_guidance", "Information provision & guidance"),
    Theme("kept_informed", "Being kept informed, clarity & consistency of information"),
    Theme("contacting_services", "Contacting services"),
    Theme("appointment_arrangements", "Appointment arrangements"),
    Theme("appointment_method", "Appointment method"),
    Theme("timeliness_of_care", "Timeliness of care"),
    Theme("pain_management", "Pain management"),
    Theme("diagnosis_triage", "Diagnosis & triage"),
    Theme("referrals_continuity", "Referals & continuity of care"),
    Theme("discharge", "Discharge"),
    Theme("care_plans", "Care plans"),
    Theme("patient_records", "Patient records"),
    Theme("cleanliness_infection_control", "Cleanliness, tidiness & infection control"),
    Theme("medical_equipment", "Provision of medical equipment"),
    Theme("service_location", "Service location"),
    Theme("transport", "Transport to/ from services"),
    Theme("parking", "Parking"),
    Theme("electronic_entertainment", "Electronic entertainment"),
    Theme("feeling_safe", "Feeling safe"),
    Theme("patient_appearance", "Patient appearance & grooming"),
    Theme("mental_health_act", "Mental Health Act"),
    Theme("equality_diversity_inclusion", "Equality, Diversity & Inclusion"),
    Theme("admission", "Admission"),
    Theme("safeguarding", "Safeguarding concerns?"),
    Theme("environment_facilities", "Environment & Facilities"),
    Theme("medication", "Supplying & understanding medication"),
    Theme("activities_fresh_air", "Activities & access to fresh air"),
    Theme("food_drink", "Food & drink provision & facilities"),
    Theme("sensory_experience", "Sensory experience"),
    Theme("impact_of_treatment", "Impact of treatment/ care"),
    Theme("psychological_therapy", "Psychological therapy arrangements"),
    Theme("existence_of_services", "Existence of services"),
    Theme("choice_of_services", "Choice of services"),
    Theme("out_of_hours_support", "Out of hours support (community services)"),
    Theme("learning_organisation", "Learning organisation"),
    Theme("interaction_with_family", "Interaction with family/ carers"),
    Theme("negative_experience", "Negative experience & dissatisfaction"),
    Theme("positive_experience", "Positive experience & gratitude"),
)

THEME_SLUGS: tuple[str, ...] = tuple(t.slug for t in THEMES)
THEME_LABELS: dict[str, str] = {t.slug: t.label for t in THEMES}
