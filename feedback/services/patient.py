"""What a patient does from their private tracking link, and proving it is them.

The tracking link is the patient's key: with it they add information, answer a request for
information (which restarts a paused clock), withdraw with a reason, and read the final response.
A response to someone who gave their contact details may hold those details, so reading it needs
a code sent to the email address they gave (the link alone is not enough); without an email, the
page says how the response reached them. Every step is audited; the actor is the patient (none).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from feedback.audit import audit_record
from feedback.choices import TERMINAL_STATUSES, Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Feedback, Identity, PatientMessage
from feedback.services.intake import clean_text
from feedback.services.transitions import item_locked

CODE_SECONDS = 15 * 60
CODE_TRIES = 5


def patient_add_information(*, feedback: Feedback, text: str) -> PatientMessage:
    """More information from the patient; an answer when the team is waiting for one (the clock
    starts again, later by the days it was paused)."""
    from feedback.services.workflow import complaint_resume

    text = clean_text(text)
    limit = settings.FEEDBACK_TEXT_MAX_LENGTH
    if not text:
        raise InvalidFeedback({"text": gettext("Enter what you want to add.")})
    if len(text) > limit:
        raise InvalidFeedback(
            {
                "text": gettext("What you add must be %(limit)s characters or fewer.")
                % {"limit": limit}
            }
        )
    with transaction.atomic():
        item = item_locked(feedback)
        if item.status in TERMINAL_STATUSES:
            raise IllegalTransition(gettext("This feedback is closed: you cannot add to it here."))
        answering = item.status == Status.AWAITING_COMPLAINANT
        message = PatientMessage.objects.create(feedback=item, text=text, answers_request=answering)
        audit_record(
            feedback=item,
            actor=None,
            action="patient_answered" if answering else "patient_added_information",
            detail={"characters": len(text)},
        )
        if answering:
            complaint_resume(feedback=item, actor=None)
    return message


def patient_withdraw(*, feedback: Feedback, reason: str) -> Feedback:
    from feedback.services.workflow import complaint_withdraw

    item = Feedback.objects.get(pk=feedback.pk)
    if item.status in TERMINAL_STATUSES or item.status == Status.RESPONDED:
        raise IllegalTransition(gettext("This feedback has been answered or closed already."))
    return complaint_withdraw(feedback=item, actor=None, reason=reason)


# --- Reading the response -----------------------------------------------------------------------


def response_source(feedback: Feedback) -> Feedback:
    """The item whose final response answers this one: itself, or, for an item merged into
    another as a duplicate, that other item (its complainant is sent that response)."""
    if feedback.duplicate_of_id is None:
        return feedback
    return Feedback.objects.select_related("handled_by").get(pk=feedback.duplicate_of_id)


@dataclass(frozen=True)
class ResponseAccess:
    """How the tracking page may show the final response."""

    show: bool  # the response may be shown on this page now
    needs_code: bool  # a code sent to the patient's email would show it
    email_hint: str  # where the code goes, partly hidden ("p***@example.com")
    sent_by: str  # how the response reached a patient who gave no email


def _session_key(item: Feedback) -> str:
    return f"response_code:{item.pk}"


def response_access(*, feedback: Feedback, session: dict) -> ResponseAccess:
    identity = Identity.objects.filter(feedback=feedback).first()
    if identity is None:
        # Anonymous: nothing about them was given, so the response holds nothing to protect.
        return ResponseAccess(True, False, "", "")
    if session.get(_session_key(feedback), {}).get("verified"):
        return ResponseAccess(True, False, "", "")
    if identity.email:
        return ResponseAccess(False, True, _hide(identity.email), "")
    how = gettext("by phone") if identity.phone else gettext("by post")
    return ResponseAccess(False, False, "", how)


def _hide(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def response_code_send(*, feedback: Feedback, session: dict) -> None:
    """Send a 6-digit code to the email the patient gave; only its digest stays in the session."""
    from feedback.services.notifications import security_code_send

    identity = Identity.objects.filter(feedback=feedback).first()
    if identity is None or not identity.email:
        raise InvalidFeedback({"code": gettext("There is no email address to send a code to.")})
    code = f"{secrets.randbelow(1_000_000):06d}"
    session[_session_key(feedback)] = {
        "digest": _digest(feedback, code),
        "expires": time.time() + CODE_SECONDS,
        "tries": 0,
    }
    security_code_send(feedback=feedback, email=identity.email, code=code)
    with transaction.atomic():
        audit_record(feedback=feedback, actor=None, action="response_code_sent")


def response_code_check(*, feedback: Feedback, session: dict, code: str) -> bool:
    state = dict(session.get(_session_key(feedback)) or {})
    if not state or time.time() > state.get("expires", 0):
        raise InvalidFeedback({"code": gettext("The code has expired: ask for a new one.")})
    if state.get("tries", 0) >= CODE_TRIES:
        raise InvalidFeedback({"code": gettext("Too many wrong codes: ask for a new one.")})
    state["tries"] = state.get("tries", 0) + 1
    good = hmac.compare_digest(state.get("digest", ""), _digest(feedback, code.strip()))
    if good:
        state = {"verified": True}
        with transaction.atomic():
            audit_record(feedback=feedback, actor=None, action="response_read_by_patient")
    session[_session_key(feedback)] = state
    if not good:
        raise InvalidFeedback({"code": gettext("That code is not right. Check the email we sent.")})
    return True


def _digest(feedback: Feedback, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{feedback.tracking_token}:{code}".encode(), hashlib.sha256).hexdigest()
