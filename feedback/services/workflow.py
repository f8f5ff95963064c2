"""The complaint workflow: each step checks its transition, saves, and audits in one transaction.

Steps lock the item's row (``feedback.services.transitions.item_locked``) so two handlers pressing
buttons at once cannot both move it; an illegal move raises ``IllegalTransition`` (409 in the API, a
message on the page). Merging duplicates is ``feedback.services.merging``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import (
    RESUMES,
    ROUTE_FOR_QUEUE_KIND,
    TERMINAL_STATUSES,
    CorrectionKind,
    InvestigationApproach,
    NotificationKind,
    OrganisationKind,
    RiskFlag,
    Status,
)
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Feedback, Identity, Organisation, User
from feedback.services import joint, merging
from feedback.services.notifications import notification_schedule
from feedback.services.transitions import (
    REOPEN,
    REROUTE,
    RESUME,
    allowed_moves,
    item_locked,
    move,
    move_refusal,
)

OMBUDSMAN = "Parliamentary and Health Service Ombudsman"


def complaint_acknowledge(*, feedback: Feedback, actor: User) -> Feedback:
    with transaction.atomic():
        item = item_locked(feedback)
        move(item, Status.ACKNOWLEDGED, actor)
        item.acknowledged_at = timezone.now()
        item.save()
        notification_schedule(feedback=item, kind=NotificationKind.ACKNOWLEDGEMENT)
    return item


def complaint_start_investigation(
    *, feedback: Feedback, actor: User, approach: str = InvestigationApproach.DETAILED
) -> Feedback:
    if approach not in InvestigationApproach.values:
        raise InvalidFeedback({"approach": "Choose early resolution or a detailed investigation."})
    with transaction.atomic():
        item = item_locked(feedback)
        move(item, Status.INVESTIGATING, actor, approach=approach)
        item.investigation_approach = approach
        item.save()
    return item


def complaint_request_information(*, feedback: Feedback, actor: User, note: str = "") -> Feedback:
    """Wait for the complainant (consent, information): the response clock stops."""
    with transaction.atomic():
        item = item_locked(feedback)
        before = item.status
        move(item, Status.AWAITING_COMPLAINANT, actor, note=note.strip())
        item.status_before_pause = before
        item.paused_at = timezone.now()
        item.save()
    return item


def complaint_resume(*, feedback: Feedback, actor: User | None) -> Feedback:
    """The complainant answered: the clock runs again, later by the days it stood still."""
    with transaction.atomic():
        item = item_locked(feedback)
        if item.paused_at is None or item.status not in RESUMES:
            raise IllegalTransition(move_refusal(item, Status.ACKNOWLEDGED, RESUME))
        now = timezone.now()
        days = clocks.paused_days(item.paused_at, now)
        move(
            item,
            item.status_before_pause or Status.ACKNOWLEDGED,
            actor,
            how=RESUME,
            paused_days=days,
        )
        item.paused_days += days
        if item.response_due is not None:
            item.response_due += dt.timedelta(days=days)
        item.paused_at = None
        item.status_before_pause = ""
        item.save()
    return item


def complaint_respond(
    *,
    feedback: Feedback,
    actor: User,
    response_text: str,
    outcome: str,
    subjects: Sequence[str],
    service_area: str,
    profession: str,
    late_reason: str = "",
) -> Feedback:
    """Record the final response, coded for KO41, and send it to the complainant."""
    errors: dict[str, str] = {}
    response_text = response_text.strip()
    if not response_text:
        errors["response_text"] = "Enter the response to the complainant."
    elif "ombudsman" not in response_text.lower():
        errors["response_text"] = (
            f"The response must tell the complainant they can go to the {OMBUDSMAN} "
            "if they are not satisfied."
        )
    if outcome not in Outcome.values:
        errors["outcome"] = "Choose upheld, partially upheld or not upheld."
    if not subjects or any(s not in Subject.values for s in subjects):
        errors["subjects"] = "Choose at least one KO41 subject from the list."
    if service_area not in ServiceArea.values:
        errors["service_area"] = "Choose a KO41 service area from the list."
    if profession not in Profession.values:
        errors["profession"] = "Choose a KO41 profession from the list."
    with transaction.atomic():
        item = item_locked(feedback)
        today = timezone.localdate()
        if clocks.is_overdue(item.response_due, today) and not late_reason.strip():
            errors["late_reason"] = (
                "The response is late: tell the complainant why it took longer than "
                f"the target date of {item.response_due:%d %B %Y}."
            )
        # A joint complaint (regulation 9): one coordinated response, once every partner has
        # added its part, naming every organisation involved (ADR 0018).
        partners = joint.joint_partners_of(item)
        if waiting := joint.joint_response_problem(partners):
            errors["partners"] = waiting
        if errors:
            raise InvalidFeedback(errors)
        move(item, Status.RESPONDED, actor, outcome=outcome)
        item.responded_at = timezone.now()
        item.response_text = joint.joint_response_text(item, response_text, partners)
        item.late_reason = late_reason.strip()
        item.outcome = outcome
        item.ko41_subjects = sorted(set(subjects))
        item.ko41_service_area = service_area
        item.ko41_profession = profession
        item.save()
        notification_schedule(feedback=item, kind=NotificationKind.RESPONSE)
        for duplicate in Feedback.objects.filter(duplicate_of=item).order_by("pk"):
            merging.share_response(kept=item, duplicate=duplicate, actor=actor)
    return item


def complaint_close(*, feedback: Feedback, actor: User, resolved: bool = True) -> Feedback:
    """Close an item. Complaints and concerns close after their response; others at any time."""
    with transaction.atomic():
        item = item_locked(feedback)
        move(item, Status.CLOSED, actor, resolved=resolved)
        item.closed_at = timezone.now()
        if resolved:
            item.resolved_at = item.closed_at
        item.save()
    return item


def complaint_withdraw(*, feedback: Feedback, actor: User | None, reason: str) -> Feedback:
    """Stop handling an item (the complainant withdrew it, or cannot be reached): says why."""
    if not reason.strip():
        raise InvalidFeedback({"reason": "Say why the item is being withdrawn."})
    with transaction.atomic():
        item = item_locked(feedback)
        move(item, Status.WITHDRAWN, actor, reason=reason.strip())
        item.withdrawn_at = timezone.now()
        item.save()
        merging.duplicates_reopen(
            kept=item,
            actor=actor,
            reason=f"the item it was merged into (#{item.pk}) was withdrawn",
        )
    return item


def complaint_reopen(*, feedback: Feedback, actor: User, reason: str) -> Feedback:
    """The complainant is not satisfied: look again for a further local response (PHSO), with a
    new response clock from today."""
    if not reason.strip():
        raise InvalidFeedback({"reason": "Say why the complaint is being reopened."})
    with transaction.atomic():
        item = item_locked(feedback)
        move(item, Status.INVESTIGATING, actor, how=REOPEN, reason=reason.strip())
        now = timezone.now()
        item.reopened_at = now
        item.closed_at = None
        item.resolved_at = None
        if item.handled_by is not None:
            item.response_due = clocks.response_due(now, item.handled_by)
        item.late_reason = ""
        item.save()
        notification_schedule(feedback=item, kind=NotificationKind.REOPENED)
    return item


AGREED_DATE_LIMIT_MONTHS = 12


def complaint_agree_deadline(*, feedback: Feedback, actor: User, agreed_due: dt.date) -> Feedback:
    """Record the response date agreed with the complainant (regulation 14): it becomes the
    response target. A date past the 6-month limit must be agreed before that limit passes (the
    limit then moves with it); no agreed date lies more than 12 months after the complaint came
    in. The 6-month letter duty still applies to what the limit is."""
    with transaction.atomic():
        item = item_locked(feedback)
        if item.status in TERMINAL_STATUSES or item.status == Status.RESPONDED:
            raise IllegalTransition("The response has been sent or the item is closed.")
        if not clocks.has_clock(item.kind):
            raise IllegalTransition("Compliments and suggestions have no response date.")
        today = timezone.localdate()
        limit = clocks.statutory_due(item.received_at)
        latest = clocks.add_months(clocks.local_date(item.received_at), AGREED_DATE_LIMIT_MONTHS)
        if agreed_due <= today:
            raise InvalidFeedback({"agreed_due": f"Enter a date after today ({today:%d %B %Y})."})
        if agreed_due > latest:
            raise InvalidFeedback(
                {
                    "agreed_due": f"Enter a date no later than {latest:%d %B %Y}, 12 months "
                    "after the complaint was received."
                }
            )
        if agreed_due > limit and today > limit:
            raise InvalidFeedback(
                {
                    "agreed_due": "A date past the 6-month limit must be agreed before "
                    f"{limit:%d %B %Y}, when that limit passed."
                }
            )
        audit_record(
            feedback=item,
            actor=actor,
            action="deadline_agreed",
            from_value=str(item.response_due or ""),
            to_value=str(agreed_due),
        )
        item.agreed_due = agreed_due
        item.response_due = agreed_due
        item.statutory_due = clocks.statutory_due(item.received_at, agreed_due)
        item.save()
    return item


def complaint_reroute(
    *,
    feedback: Feedback,
    actor: User,
    to: Organisation,
    reason: str,
    concern: str = "",
    correction: bool = True,
) -> Feedback:
    """Hand the item to another organisation's queue; its history moves with it.

    ``concern`` (a RiskFlag value) says what the CQC should act on when the item goes there; the
    reroute is kept as a correction of the route (a training example) unless ``correction`` is
    off, as when a confirmed risk check records its own.
    """
    from feedback.services.triage import correction_record

    if not reason.strip():
        raise InvalidFeedback({"reason": "Say why the item is being rerouted."})
    with transaction.atomic():
        item = item_locked(feedback)
        if Status.RECEIVED not in allowed_moves(item, REROUTE):
            raise IllegalTransition(move_refusal(item, Status.RECEIVED, REROUTE))
        if to.kind not in ROUTE_FOR_QUEUE_KIND:
            raise InvalidFeedback(
                {"to": f"{to.name} has no queue: send it to the integrated care board instead."}
            )
        if item.handled_by_id == to.pk:
            raise InvalidFeedback({"to": "The item is already in that organisation's queue."})
        if concern and (concern not in RiskFlag.values or to.kind != OrganisationKind.CQC):
            raise InvalidFeedback(
                {"concern": "Say what the CQC should act on only when sending it to the CQC."}
            )
        from_org = item.handled_by
        audit_record(
            feedback=item,
            actor=actor,
            action="rerouted",
            from_value=from_org.ods_code if from_org else "",
            to_value=to.ods_code,
            detail={"reason": reason.strip(), "from_status": item.status}
            | ({"concern": concern} if concern else {}),
        )
        before_route = item.route
        joint.joint_on_reroute(item=item, to=to, actor=actor)
        item.handled_by = to
        item.route = ROUTE_FOR_QUEUE_KIND[to.kind]
        if correction:
            correction_record(
                feedback=item,
                actor=actor,
                kind=CorrectionKind.ROUTE,
                before={
                    "route": before_route,
                    "organisation": from_org.ods_code if from_org else "",
                },
                after={
                    "route": item.route,
                    "organisation": to.ods_code,
                    "labels": [concern] if concern else [],
                },
            )
        item.route_rule = "rerouted"
        item.route_evidence = [*item.route_evidence, f"rerouted by staff: {reason.strip()}"]
        item.assigned_to = None
        # The new organisation starts from "received" but the patient's clock does not restart:
        # its own target applies from the day the patient first wrote.
        move(item, Status.RECEIVED, actor, how=REROUTE, reason=reason.strip())
        item.acknowledged_at = None
        item.paused_at = None
        item.status_before_pause = ""
        if clocks.has_clock(item.kind):
            # A date agreed with the complainant stands whoever answers; otherwise the new
            # organisation's own target.
            item.response_due = item.agreed_due or clocks.response_due(
                item.received_at, to
            ) + dt.timedelta(days=item.paused_days)
        item.save()
        # Its duplicates stay in this queue: nobody here answers the item now. No id in the
        # reason: the item is no longer one this queue's staff may see.
        merging.duplicates_reopen(
            kept=item,
            actor=actor,
            reason="the item it was merged into went to another organisation's queue",
            name_them=False,
        )
    return item


def complaint_assign(*, feedback: Feedback, actor: User, assignee: User | None) -> Feedback:
    with transaction.atomic():
        item = item_locked(feedback)
        if assignee is not None and assignee.organisation_id != item.handled_by_id:
            raise InvalidFeedback({"assignee": "Assign the item to someone in your organisation."})
        audit_record(
            feedback=item,
            actor=actor,
            action="assigned",
            from_value=item.assigned_to.get_username() if item.assigned_to else "",
            to_value=assignee.get_username() if assignee else "",
        )
        item.assigned_to = assignee
        item.save()
    return item


def identity_reveal(*, feedback: Feedback, actor: User) -> Identity | None:
    """The patient's contact details, for a member of staff who asked to see them (audited)."""
    with transaction.atomic():
        identity = Identity.objects.filter(feedback=feedback).first()
        audit_record(
            feedback=feedback,
            actor=actor,
            action="identity_viewed",
            detail={"present": identity is not None},
        )
    return identity
