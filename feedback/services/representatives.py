"""Complaints made on someone else's behalf: asking for the patient's consent and recording it.

Regulation 5 of the NHS complaints regulations (2009): a representative may complain for a
patient who has died, a child (with parental responsibility), someone who lacks capacity, or a
patient who consents. Consent still to be asked for pauses the response clock: the organisation
sends the consent letter (the item waits for the complainant, as for any information) and
records the patient's answer. Given, the clock runs again; refused, the organisation still looks
into the complaint but shares none of the patient's information with the representative.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import (
    CONSENT_OUTCOMES,
    RESUMES,
    TERMINAL_STATUSES,
    ComplainantStatus,
    Consent,
    Status,
)
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Feedback, User
from feedback.services import workflow
from feedback.services.transitions import allowed_moves, item_locked


def consent_awaited(item: Feedback) -> bool:
    """Someone wrote on the patient's behalf and the patient's consent is still to be asked
    for or recorded, on an item still being handled."""
    return (
        item.complainant_status == ComplainantStatus.ON_BEHALF
        and item.consent == Consent.TO_BE_SOUGHT
        and item.status not in TERMINAL_STATUSES
    )


def can_request_consent(item: Feedback) -> bool:
    """The consent letter can be sent now: consent awaited on a complaint or concern (one with
    a clock) whose clock can be paused."""
    return (
        consent_awaited(item)
        and clocks.has_clock(item.kind)
        and Status.AWAITING_COMPLAINANT in allowed_moves(item)
    )


def complaint_request_consent(*, feedback: Feedback, actor: User, note: str = "") -> Feedback:
    """Send the representative the consent letter (``note``): the clock stops until the
    patient's answer is recorded (``complaint_record_consent``)."""
    letter = note.strip()
    if not letter:
        raise InvalidFeedback(
            {"note": "Enter the letter asking for the patient's consent (start from a template)."}
        )
    with transaction.atomic():
        item = item_locked(feedback)
        if not can_request_consent(item):
            raise IllegalTransition(
                "Consent is asked for only on a complaint or concern made on the patient's "
                "behalf, with consent still to be asked for, once it has been acknowledged."
            )
        item = workflow.complaint_request_information(feedback=item, actor=actor, note=letter)
        audit_record(
            feedback=item,
            actor=actor,
            action="consent_requested",
            from_value=Consent.TO_BE_SOUGHT,
            to_value=Consent.TO_BE_SOUGHT,
            detail={"letter": letter},
        )
    return item


def complaint_record_consent(
    *, feedback: Feedback, actor: User, consent: str, note: str = ""
) -> Feedback:
    """Record the patient's answer. Either way the item goes on (its clock running again if it
    was paused for the answer): given, the representative is told what is found; refused, the
    response to them leaves out the patient's personal information."""
    if consent not in CONSENT_OUTCOMES:
        raise InvalidFeedback(
            {"consent": f"consent must be {' or '.join(CONSENT_OUTCOMES)}; {consent} is not."}
        )
    with transaction.atomic():
        item = item_locked(feedback)
        if not consent_awaited(item):
            raise IllegalTransition(
                "There is no consent to record: the item was not made on the patient's behalf "
                "with consent still to be asked for, or it is closed."
            )
        if item.paused_at is not None and item.status in RESUMES:
            item = workflow.complaint_resume(feedback=item, actor=actor)
        item.consent = consent
        item.consent_recorded_at = timezone.now()
        item.save(update_fields=["consent", "consent_recorded_at"])
        audit_record(
            feedback=item,
            actor=actor,
            action="consent_recorded",
            from_value=Consent.TO_BE_SOUGHT,
            to_value=consent,
            detail={"note": note.strip()} if note.strip() else {},
        )
    return item
