"""Enumerations shared by the feedback app: kinds, channels, service types, routes, statuses.

The words routing is written in (kinds, service types, routes, risk flags, safety answers) are
the reader's (``analytics.ml.vocabulary``, no Django): the choices below are built from it member
by member, so a value, and a label routing quotes in its evidence, is written once, there.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.db import models

from analytics.ml import vocabulary


class Kind(models.TextChoices):
    COMPLAINT = vocabulary.Kind.COMPLAINT.value, "Complaint"
    CONCERN = vocabulary.Kind.CONCERN.value, "Concern"
    COMPLIMENT = vocabulary.Kind.COMPLIMENT.value, "Compliment"
    SUGGESTION = vocabulary.Kind.SUGGESTION.value, "Suggestion"


class Channel(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "REST API"
    PHONE = "phone", "Phone call"
    LETTER = "letter", "Letter"
    PAPER = "paper", "Paper form"
    FFT_IMPORT = "fft_import", "FFT import"


class FftRating(models.IntegerChoices):
    """The answer to the Friends and Family Test question (since 2020): "Overall, how was your
    experience of our service?", numbered as NHS FFT exports number them."""

    VERY_GOOD = 1, "Very good"
    GOOD = 2, "Good"
    NEITHER = 3, "Neither good nor poor"
    POOR = 4, "Poor"
    VERY_POOR = 5, "Very poor"
    DONT_KNOW = 6, "Don't know"


FFT_QUESTION = "Overall, how was your experience of our service?"


class ServiceType(models.TextChoices):
    # Value and label both the reader's: routing quotes the label ("service type: GP practice").
    ACUTE = vocabulary.ServiceType.ACUTE.choice
    MENTAL_HEALTH = vocabulary.ServiceType.MENTAL_HEALTH.choice
    COMMUNITY = vocabulary.ServiceType.COMMUNITY.choice
    AMBULANCE = vocabulary.ServiceType.AMBULANCE.choice
    NHS_111 = vocabulary.ServiceType.NHS_111.choice
    PATIENT_TRANSPORT = vocabulary.ServiceType.PATIENT_TRANSPORT.choice
    GP = vocabulary.ServiceType.GP.choice
    DENTAL = vocabulary.ServiceType.DENTAL.choice
    PHARMACY = vocabulary.ServiceType.PHARMACY.choice
    OPTOMETRY = vocabulary.ServiceType.OPTOMETRY.choice


# Since 1 July 2023 integrated care boards handle commissioner complaints about primary care.
PRIMARY_CARE_SERVICES: frozenset[str] = vocabulary.PRIMARY_CARE_SERVICES


class Route(models.TextChoices):
    TRUST = vocabulary.Route.TRUST.value, "NHS trust"
    ICB = vocabulary.Route.ICB.value, "Integrated care board"
    CQC = vocabulary.Route.CQC.value, "Care Quality Commission"


class OrganisationKind(models.TextChoices):
    TRUST = "trust", "NHS trust"
    ICB = "icb", "Integrated care board"
    CQC = "cqc", "Care Quality Commission"
    # NHS England's national triage queue: feedback whose organisation and area nobody could
    # name waits here for staff to assign it (DOMAIN.md: never a dead end).
    NATIONAL = "national", "NHS England"
    # Primary care: patients name the practice; the ICB that commissions it handles feedback.
    GP_PRACTICE = "gp_practice", "GP practice"
    DENTAL_PRACTICE = "dental_practice", "Dental practice"
    PHARMACY = "pharmacy", "Pharmacy"


# The kind of organisation a patient picks for each primary care service (ODS has no opticians'
# file in the directory we load: for an optician the patient names the area).
PRACTICE_KIND_FOR_SERVICE: Mapping[str, str] = MappingProxyType(
    {
        ServiceType.GP: OrganisationKind.GP_PRACTICE,
        ServiceType.DENTAL: OrganisationKind.DENTAL_PRACTICE,
        ServiceType.PHARMACY: OrganisationKind.PHARMACY,
    }
)
SERVICE_FOR_PRACTICE_KIND: Mapping[str, str] = MappingProxyType(
    {kind: service for service, kind in PRACTICE_KIND_FOR_SERVICE.items()}
)
PRACTICE_KINDS: frozenset[str] = frozenset(SERVICE_FOR_PRACTICE_KIND)
# The organisations that have a queue of their own, and the route an item in it takes. A
# practice has none: its ICB handles feedback about it.
ROUTE_FOR_QUEUE_KIND: Mapping[str, str] = MappingProxyType(
    {
        OrganisationKind.TRUST: Route.TRUST,
        OrganisationKind.ICB: Route.ICB,
        OrganisationKind.CQC: Route.CQC,
        OrganisationKind.NATIONAL: Route.ICB,
    }
)


class PatientAge(models.TextChoices):
    """The age band of the person who had the care, as the KO41 complaints returns count it."""

    UNDER_18 = "0_17", "Under 18"
    ADULT = "18_64", "18 to 64"
    OLDER = "65_plus", "65 or over"


class CommunicationNeed(models.TextChoices):
    """A way the patient needs information or support, as the Accessible Information Standard
    (NHS England, DCB1605) records it."""

    EASY_READ = "easy_read", "Easy read"
    LARGE_PRINT = "large_print", "Large print"
    BRAILLE = "braille", "Braille"
    AUDIO = "audio", "Audio"
    BSL = "bsl", "British Sign Language (BSL)"
    INTERPRETER = "interpreter", "An interpreter"


class ComplainantStatus(models.TextChoices):
    """Who is complaining, as the KO41 complaints returns count it."""

    PATIENT = "patient", "The patient"
    ON_BEHALF = "on_behalf", "Someone on the patient's behalf"


class Relationship(models.TextChoices):
    """How someone writing on the patient's behalf knows them."""

    PARENT = "parent", "Parent or guardian"
    PARTNER = "partner", "Partner, husband or wife"
    CHILD = "child", "Son or daughter"
    RELATIVE = "relative", "Another relative"
    FRIEND = "friend", "Friend"
    CARER = "carer", "Carer"
    ADVOCATE = "advocate", "Advocate"
    OTHER = "other", "Someone else"


class Consent(models.TextChoices):
    """Whether a representative may act for the patient (regulation 5 of the NHS complaints
    regulations 2009): the patient agreed, agreement is still to be asked for, agreement is not
    needed (the patient died, lacks capacity, or is a child and the representative has parental
    responsibility), or the patient refused (recorded by staff)."""

    GIVEN = "given", "The patient has agreed"
    TO_BE_SOUGHT = "to_be_sought", "To be asked for"
    DIED = "died", "Not needed: the patient has died"
    LACKS_CAPACITY = "lacks_capacity", "Not needed: the patient lacks capacity"
    CHILD = "child", "Not needed: a child, and the representative has parental responsibility"
    REFUSED = "refused", "The patient refused"


# What the person writing may say; refusal is for staff to record.
CONSENT_ANSWERS: tuple[str, ...] = (
    Consent.GIVEN,
    Consent.TO_BE_SOUGHT,
    Consent.DIED,
    Consent.LACKS_CAPACITY,
    Consent.CHILD,
)
# What staff record once asked for it.
CONSENT_OUTCOMES: tuple[str, ...] = (Consent.GIVEN, Consent.REFUSED)
# The same as (value, label) choices, for the API's fields and their schema's enums.
CONSENT_ANSWER_CHOICES: list[tuple[str, str]] = [(v, Consent(v).label) for v in CONSENT_ANSWERS]
CONSENT_OUTCOME_CHOICES: list[tuple[str, str]] = [(v, Consent(v).label) for v in CONSENT_OUTCOMES]


class SafetyAnswer(models.TextChoices):
    """The patient's own answer to "Is anyone at risk of harm?" ("" when it was not asked).

    Value and label both the reader's: routing quotes the label ("patient answered: ...")."""

    HARM = vocabulary.SafetyAnswer.HARM.choice
    DETAINED = vocabulary.SafetyAnswer.DETAINED.choice
    NO = vocabulary.SafetyAnswer.NO.choice
    UNSURE = vocabulary.SafetyAnswer.UNSURE.choice


# The answers that send an item to the CQC whatever the reader says.
SAFETY_ANSWERS_FOR_CQC: frozenset[str] = vocabulary.SAFETY_ANSWERS_FOR_CQC


class RiskCheck(models.TextChoices):
    """A person's check of an item the reader was unsure about ("" when none was asked for)."""

    PENDING = "pending", "To check"
    CONFIRMED = "confirmed", "Confirmed: sent to the CQC"
    DISMISSED = "dismissed", "Dismissed"


class CorrectionKind(models.TextChoices):
    ROUTE = "route", "Route"
    RISK_CONFIRMED = "risk_confirmed", "Possible risk confirmed"
    RISK_DISMISSED = "risk_dismissed", "Possible risk dismissed"
    SENTIMENT = "sentiment", "Sentiment"
    THEMES = "themes", "Themes"


class RiskFlag(models.TextChoices):
    SAFEGUARDING = vocabulary.RiskFlag.SAFEGUARDING.value, "Safeguarding concern"
    MENTAL_HEALTH_ACT = vocabulary.RiskFlag.MENTAL_HEALTH_ACT.value, "Mental Health Act"
    SERIOUS_RISK = vocabulary.RiskFlag.SERIOUS_RISK.value, "Serious risk to safety"


class TrustType(models.TextChoices):
    ACUTE = "acute", "Acute"
    MENTAL_HEALTH = "mental_health", "Mental health"
    COMMUNITY = "community", "Community"
    AMBULANCE = "ambulance", "Ambulance"
    SPECIALIST = "specialist", "Specialist"


class Role(models.TextChoices):
    HANDLER = "handler", "Handler"
    MANAGER = "manager", "Manager"
    ADMINISTRATOR = "administrator", "Administrator"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INVESTIGATING = "investigating", "Investigating"
    AWAITING_COMPLAINANT = "awaiting_complainant", "Awaiting complainant"
    RESPONDED = "responded", "Responded"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


TERMINAL_STATUSES: frozenset[str] = frozenset({Status.CLOSED, Status.WITHDRAWN})
# The response clock runs in these (a complaint waiting for the organisation).
CLOCK_RUNNING_STATUSES: tuple[str, ...] = (
    Status.RECEIVED,
    Status.ACKNOWLEDGED,
    Status.INVESTIGATING,
)
# Not yet answered: the clock running, or paused while the complainant is asked for information.
OPEN_STATUSES: tuple[str, ...] = (*CLOCK_RUNNING_STATUSES, Status.AWAITING_COMPLAINANT)

# The one map of allowed moves (PHSO NHS Complaint Standards): received -> acknowledged ->
# investigating -> responded -> closed, with a pause while waiting for the complainant, and
# withdrawal at any point before the end. Rerouting hands the item to another organisation's queue
# as newly received there, so it is allowed from every open status.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.ACKNOWLEDGED, Status.WITHDRAWN, Status.CLOSED}),
    Status.ACKNOWLEDGED: frozenset(
        {Status.INVESTIGATING, Status.AWAITING_COMPLAINANT, Status.WITHDRAWN, Status.CLOSED}
    ),
    Status.INVESTIGATING: frozenset(
        {Status.AWAITING_COMPLAINANT, Status.RESPONDED, Status.WITHDRAWN}
    ),
    # Waiting for the complainant, only withdrawal is a step of its own; the item goes back to
    # where it was by resuming (RESUMES), never by acknowledging or investigating again.
    Status.AWAITING_COMPLAINANT: frozenset({Status.WITHDRAWN}),
    Status.RESPONDED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}


# Resuming after a pause returns the item to the status it had before it.
RESUMES: dict[str, frozenset[str]] = {
    Status.AWAITING_COMPLAINANT: frozenset({Status.ACKNOWLEDGED, Status.INVESTIGATING}),
}
# Reopening a closed complaint for a further local response (within REOPEN_WITHIN_DAYS).
REOPENS: dict[str, frozenset[str]] = {Status.CLOSED: frozenset({Status.INVESTIGATING})}
# Merging a complaint or concern into another about the same matter closes it as a duplicate,
# before its own response: the answer comes from the item it was merged into. An item answered
# already is closed in the ordinary way instead.
MERGES: dict[str, frozenset[str]] = {status: frozenset({Status.CLOSED}) for status in OPEN_STATUSES}
# Undoing a merge (by mistake, or because the item kept was withdrawn or left the queue) reopens the
# duplicate where it was before the merge: any open status.
UNMERGES: dict[str, frozenset[str]] = {Status.CLOSED: frozenset(OPEN_STATUSES)}


class InvestigationApproach(models.TextChoices):
    EARLY_RESOLUTION = "early_resolution", "Early resolution"
    DETAILED = "detailed", "Detailed investigation"


class NotificationKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt with the tracking link"
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    RESPONSE = "response", "Final response"
    REOPENED = "reopened", "Complaint reopened"
    MERGED = "merged", "Joined to another item about the same matter"
    UNMERGED = "unmerged", "Handled on its own again after being joined to another"


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (no email address)"


class AnalysisState(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"


class FftUploadStatus(models.TextChoices):
    """Where an FFT upload is: waiting for the worker, having its rows checked, having them
    saved, then done (rows added), rejected (a row or the file was wrong: nothing saved) or
    failed (the service broke; upload the file again, rows already saved are not added twice)."""

    QUEUED = "queued", "Waiting to start"
    CHECKING = "checking", "Checking the rows"
    SAVING = "saving", "Saving the rows"
    DONE = "done", "Done"
    REJECTED = "rejected", "Not saved: problems found"
    FAILED = "failed", "Failed"


# The one map of an upload's moves. The worker claims a queued upload; one whose worker failed or
# died goes back to the queue (the periodic sweep finds a stale claim) and starts over from its
# file, which the rows' digests make harmless: rows saved the first time are not added again.
FFT_UPLOAD_TRANSITIONS: dict[str, frozenset[str]] = {
    FftUploadStatus.QUEUED: frozenset({FftUploadStatus.CHECKING, FftUploadStatus.FAILED}),
    FftUploadStatus.CHECKING: frozenset(
        {
            FftUploadStatus.SAVING,
            FftUploadStatus.REJECTED,
            FftUploadStatus.FAILED,
            FftUploadStatus.QUEUED,
        }
    ),
    FftUploadStatus.SAVING: frozenset(
        {FftUploadStatus.DONE, FftUploadStatus.FAILED, FftUploadStatus.QUEUED}
    ),
    FftUploadStatus.DONE: frozenset(),
    FftUploadStatus.REJECTED: frozenset(),
    FftUploadStatus.FAILED: frozenset(),
}
FFT_UPLOAD_RUNNING: tuple[str, ...] = (
    FftUploadStatus.QUEUED,
    FftUploadStatus.CHECKING,
    FftUploadStatus.SAVING,
)

# What a done FFT upload's rows were, as its audit records them (the result page shows them):
# answers to the FFT question, comments on other questions of the survey (kept as feedback with
# no FFT rating), and other questions' rows without a comment (not taken).
FFT_ANSWERS = "fft_answers"
OTHER_QUESTION_COMMENTS = "other_question_comments"
OTHER_QUESTION_SKIPPED = "other_question_skipped"
FFT_ROW_KINDS = (FFT_ANSWERS, OTHER_QUESTION_COMMENTS, OTHER_QUESTION_SKIPPED)
