"""Codes of NHS England's KO41a collection of written complaints (hospital and community health).

A complaint's response is coded by subject (one complaint may have several), service area and
profession, and by outcome: upheld, partially upheld or not upheld.
"""

from __future__ import annotations

from django.db import models


class Outcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTIALLY_UPHELD = "partially_upheld", "Partially upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"


class Subject(models.TextChoices):
    ACCESS_TO_TREATMENT = "access_to_treatment", "Access to treatment or drugs"
    ADMISSIONS_DISCHARGES = "admissions_discharges", "Admissions, discharges and transfers"
    APPOINTMENTS = "appointments", "Appointments, including delays and cancellations"
    CLINICAL_TREATMENT = "clinical_treatment", "Clinical treatment"
    COMMISSIONING = "commissioning", "Commissioning"
    COMMUNICATIONS = "communications", "Communications"
    CONSENT = "consent", "Consent"
    END_OF_LIFE_CARE = "end_of_life_care", "End of life care"
    FACILITIES = "facilities", "Facilities"
    INTEGRATED_CARE = "integrated_care", "Integrated care"
    MENTAL_HEALTH_ACT = "mental_health_act", "Mental Health Act"
    PATIENT_CARE = "patient_care", "Patient care, including nutrition and hydration"
    PRESCRIBING = "prescribing", "Prescribing"
    PRIVACY_DIGNITY = "privacy_dignity", "Privacy, dignity and wellbeing"
    RESTRAINT = "restraint", "Restraint"
    STAFF_NUMBERS = "staff_numbers", "Staff numbers"
    TRUST_ADMIN = "trust_admin", "Trust admin, policies and procedures"
    TRANSPORT = "transport", "Transport (ambulances and other)"
    VALUES_BEHAVIOURS = "values_behaviours", "Values and behaviours (staff)"
    WAITING_TIMES = "waiting_times", "Waiting times"
    OTHER = "other", "Other"


class ServiceArea(models.TextChoices):
    INPATIENT = "inpatient", "Inpatient hospital services"
    OUTPATIENT = "outpatient", "Outpatient hospital services"
    EMERGENCY = "emergency", "A&E and urgent care"
    MATERNITY = "maternity", "Maternity services"
    MENTAL_HEALTH = "mental_health", "Mental health services"
    AMBULANCE = "ambulance", "Ambulance services"
    COMMUNITY = "community", "Community health services"
    PRIMARY_CARE = "primary_care", "Primary care (commissioned)"
    OTHER = "other", "Other"


class Profession(models.TextChoices):
    MEDICAL = "medical", "Medical (including surgical)"
    NURSING = "nursing", "Nursing, midwifery and health visiting"
    ALLIED_HEALTH = "allied_health", "Allied health professionals"
    AMBULANCE = "ambulance", "Ambulance staff"
    SCIENTIFIC = "scientific", "Scientific, technical and therapeutic"
    ADMIN = "admin", "Administrative and clerical"
    ESTATES = "estates", "Estates and ancillary"
    OTHER = "other", "Other"
