"""The complaint workflow: each step checks its transition, saves, and audits in one transaction.

Steps lock the item's row (``select_for_update``) so two handlers pressing buttons at once cannot
both move it; an illegal move raises ``IllegalTransition`` (409 in the API, a message on the page).
The lock is PostgreSQL's ``FOR NO KEY UPDATE`` (``no_key=True``): it keeps other steps off the
row but lets rows that point at it (audit rows, notifications) be written meanwhile, so a step on
one item that writes to a merged or partner item cannot deadlock with a step on that item writing
back (an undone merge while the item kept is answered, for one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import (
    ALLOWED_TRANSITIONS,
    MERGES,
    OPEN_STATUSES,
    REOPENS,
    RESUMES,
    ROUTE_FOR_QUEUE_KIND,
    TERMINAL_STATUSES,
    UNMERGES,
    CorrectionKind,
    InvestigationApproach,
    NotificationKind,
    OrganisationKind,
    RiskCheck,
    RiskFlag,
    Status,
)
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import AuditEvent, Feedback, Identity, Notification, Organisation, User
from feedback.selectors import feedback_visible_to
from feedback.services import joint
from feedback.services.notifications import notification_schedule

OMBUDSMAN = "Parliamentary and Health Service Ombudsman"


def _locked(feedback: Feedback) -> Feedback:
    # Lock only the item row: handled_by is a nullable join, which PostgreSQL will not lock.
    return (
        Feedback.objects.select_for_update(of=("self",), no_key=True)
        .select_related("handled_by")
        .get(pk=feedback.pk)
    )


# How a move is made: an ordinary step, resuming after a pause, reopening a closed complaint,
# handing the item to another organisation (it starts again from "received" there), closing it
# as a duplicate of another item, or undoing that merge.
STEP, RESUME, REOPEN, REROUTE, MERGE, UNMERGE = (
    "step",
    "resume",
    "reopen",
    "reroute",
    "merge",
    "unmerge",
)


def allowed_moves(item: Feedback, how: str = STEP) -> frozenset[str]:
    """Every guard on a status move, in one place: the transitions map, and the rules that
    depend on the item's kind, its pause or the date."""
    status = item.status
    if how == RESUME:
        return RESUMES.get(status, frozenset()) if item.paused_at is not None else frozenset()
    if how == REOPEN:
        return REOPENS.get(status, frozenset()) if can_reopen(item) else frozenset()
    if how == REROUTE:
        return frozenset() if status in TERMINAL_STATUSES else frozenset({Status.RECEIVED})
    if how == MERGE:
        return frozenset() if _merge_refusal(item) else MERGES.get(status, frozenset())
    if how == UNMERGE:
        return UNMERGES.get(status, frozenset()) if item.duplicate_of_id else frozenset()
    allowed = ALLOWED_TRANSITIONS[status]
    if clocks.has_clock(item.kind) and status != Status.RESPONDED:
        # A complaint or concern closes only once its final response is recorded.
        allowed = allowed - {Status.CLOSED}
    return allowed


def _refusal(item: Feedback, to: str, how: str) -> str:
    if how == RESUME:
        return "Only an item waiting for the complainant can be resumed."
    if how == REOPEN:
        if item.duplicate_of_id is not None:
            return f"It was merged into #{item.duplicate_of_id}: reopen that one instead."
        return (
            f"Only a complaint or concern closed in the last {settings.REOPEN_WITHIN_DAYS} "
            "days can be reopened."
        )
    if how == REROUTE:
        return "A closed or withdrawn item cannot be rerouted."
    if how == MERGE:
        return _merge_refusal(item) or f"#{item.pk} cannot be merged now."
    if how == UNMERGE:
        return f"#{item.pk} was not merged into another item."
    if (
        to == Status.CLOSED
        and clocks.has_clock(item.kind)
        and item.status not in (*TERMINAL_STATUSES, Status.RESPONDED)
    ):
        return "A complaint or concern is closed only after the final response is recorded."
    return (
        f"A {item.get_kind_display().lower()} that is "
        f"{Status(item.status).label.lower()} cannot be moved to {Status(to).label.lower()}."
    )


def _move(
    item: Feedback, to: str, actor: User | None, *, how: str = STEP, **detail: object
) -> None:
    """Check the move against ``allowed_moves``, set the status and audit it; the caller saves
    the item. A reroute of an item that is already "received" changes no status and audits none
    here (the reroute has its own audit row)."""
    if to not in allowed_moves(item, how):
        raise IllegalTransition(_refusal(item, to, how))
    if item.status == to:
        return
    audit_record(
        feedback=item,
        actor=actor,
        action="status_changed",
        from_value=item.status,
        to_value=to,
        detail={k: v for k, v in detail.items() if v not in ("", None)},
    )
    item.status = to


def complaint_acknowledge(*, feedback: Feedback, actor: User) -> Feedback:
    with transaction.atomic():
        item = _locked(feedback)
        _move(item, Status.ACKNOWLEDGED, actor)
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
        item = _locked(feedback)
        _move(item, Status.INVESTIGATING, actor, approach=approach)
        item.investigation_approach = approach
        item.save()
    return item


def complaint_request_information(*, feedback: Feedback, actor: User, note: str = "") -> Feedback:
    """Wait for the complainant (consent, information): the response clock stops."""
    with transaction.atomic():
        item = _locked(feedback)
        before = item.status
        _move(item, Status.AWAITING_COMPLAINANT, actor, note=note.strip())
        item.status_before_pause = before
        item.paused_at = timezone.now()
        item.save()
    return item


def complaint_resume(*, feedback: Feedback, actor: User | None) -> Feedback:
    """The complainant answered: the clock runs again, later by the days it stood still."""
    with transaction.atomic():
        item = _locked(feedback)
        if item.paused_at is None or item.status not in RESUMES:
            raise IllegalTransition(_refusal(item, Status.ACKNOWLEDGED, RESUME))
        now = timezone.now()
        days = clocks.paused_days(item.paused_at, now)
        _move(
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
        item = _locked(feedback)
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
        _move(item, Status.RESPONDED, actor, outcome=outcome)
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
            _share_response(kept=item, duplicate=duplicate, actor=actor)
    return item


def _share_response(*, kept: Feedback, duplicate: Feedback, actor: User | None) -> None:
    """Send the kept item's final response to the complainant of an item merged into it (once)."""
    if Notification.objects.filter(feedback=duplicate, kind=NotificationKind.RESPONSE).exists():
        return
    notification_schedule(feedback=duplicate, kind=NotificationKind.RESPONSE)
    audit_record(
        feedback=duplicate,
        actor=actor,
        action="response_shared",
        to_value=f"#{kept.pk}",
        detail={"from": kept.pk},
    )


def complaint_close(*, feedback: Feedback, actor: User, resolved: bool = True) -> Feedback:
    """Close an item. Complaints and concerns close after their response; others at any time."""
    with transaction.atomic():
        item = _locked(feedback)
        _move(item, Status.CLOSED, actor, resolved=resolved)
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
        item = _locked(feedback)
        _move(item, Status.WITHDRAWN, actor, reason=reason.strip())
        item.withdrawn_at = timezone.now()
        item.save()
        _duplicates_reopen(
            kept=item,
            actor=actor,
            reason=f"the item it was merged into (#{item.pk}) was withdrawn",
        )
    return item


def can_reopen(item: Feedback, today: dt.date | None = None) -> bool:
    """A closed complaint or concern, closed within the reopening period (not one merged into
    another: its answer comes from that one)."""
    if item.status != Status.CLOSED or not clocks.has_clock(item.kind) or item.closed_at is None:
        return False
    if item.duplicate_of_id is not None:
        return False
    today = today or timezone.localdate()
    closed = clocks.local_date(item.closed_at)
    return (today - closed).days <= settings.REOPEN_WITHIN_DAYS


def complaint_reopen(*, feedback: Feedback, actor: User, reason: str) -> Feedback:
    """The complainant is not satisfied: look again for a further local response (PHSO), with a
    new response clock from today."""
    if not reason.strip():
        raise InvalidFeedback({"reason": "Say why the complaint is being reopened."})
    with transaction.atomic():
        item = _locked(feedback)
        _move(item, Status.INVESTIGATING, actor, how=REOPEN, reason=reason.strip())
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
        item = _locked(feedback)
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
        item = _locked(feedback)
        if Status.RECEIVED not in allowed_moves(item, REROUTE):
            raise IllegalTransition(_refusal(item, Status.RECEIVED, REROUTE))
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
        _move(item, Status.RECEIVED, actor, how=REROUTE, reason=reason.strip())
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
        _duplicates_reopen(
            kept=item,
            actor=actor,
            reason="the item it was merged into went to another organisation's queue",
            name_them=False,
        )
    return item


def _merge_refusal(item: Feedback) -> str | None:
    """Why ``item`` cannot be closed as a duplicate of another, or None."""
    if item.duplicate_of_id is not None:
        return f"#{item.pk} was already merged into #{item.duplicate_of_id}."
    if item.status in TERMINAL_STATUSES:
        return (
            f"#{item.pk} is {Status(item.status).label.lower()}: a closed or withdrawn item "
            "cannot be merged."
        )
    if item.status == Status.RESPONDED:
        return f"#{item.pk} has had its final response: close it instead of merging it."
    if not clocks.has_clock(item.kind):
        return (
            f"#{item.pk} is a {item.get_kind_display().lower()}: only complaints and concerns "
            "are merged. Link it instead."
        )
    if item.risk_check == RiskCheck.PENDING:
        return f"#{item.pk} has a possible risk to check first: confirm or dismiss it, then merge."
    return None


def _kept_refusal(kept: Feedback) -> str | None:
    """Why no item can be merged into ``kept``, or None."""
    if kept.duplicate_of_id is not None:
        return (
            f"#{kept.pk} was itself merged into #{kept.duplicate_of_id}: merge into "
            f"#{kept.duplicate_of_id} instead."
        )
    if kept.status in TERMINAL_STATUSES:
        return (
            f"#{kept.pk} is {Status(kept.status).label.lower()}: merge only into an item still "
            "being handled."
        )
    if not clocks.has_clock(kept.kind):
        return (
            f"#{kept.pk} is a {kept.get_kind_display().lower()}: merge only into a complaint "
            "or concern."
        )
    if kept.risk_check == RiskCheck.PENDING:
        return (
            f"#{kept.pk} has a possible risk to check first: confirm or dismiss it, then merge "
            "into it."
        )
    return None


def merge_refusal(feedback: Feedback, into: Feedback) -> str | None:
    """Why ``feedback`` cannot be merged into ``into`` now, or None: what the item page asks
    before offering the button, and what ``complaint_merge`` checks under its locks."""
    if feedback.pk == into.pk:
        return "An item cannot be merged into itself."
    refusal = _merge_refusal(feedback) or _kept_refusal(into)
    if refusal:
        return refusal
    if Feedback.objects.filter(duplicate_of_id=feedback.pk).exists():
        return (
            f"Other items were merged into #{feedback.pk}: merge #{into.pk} into #{feedback.pk} "
            "instead."
        )
    if not _same_complainant(feedback, into):
        return (
            f"#{feedback.pk} and #{into.pk} do not give the same email address, so the answer to "
            "one could reach someone else: only one person's complaints are merged. Link them "
            "instead; each complainant gets their own response."
        )
    return None


def _same_complainant(feedback: Feedback, into: Feedback) -> bool:
    """Whether both items give the same email address (in any case): the one contact a merged
    complainant's answer is sent to, so sharing the kept item's response tells nobody anything
    they were not already sent. An NHS number or phone number alone is not enough (anyone can
    type another person's), nor is text alike (two people telling one incident)."""
    emails = dict(
        Identity.objects.filter(feedback_id__in=[feedback.pk, into.pk]).values_list(
            "feedback_id", "email"
        )
    )
    mine = (emails.get(feedback.pk) or "").strip().lower()
    theirs = (emails.get(into.pk) or "").strip().lower()
    return bool(mine) and mine == theirs


def complaint_merge(*, feedback: Feedback, into: Feedback, actor: User) -> Feedback:
    """Close ``feedback`` as a duplicate of ``into``: one investigation and one final response,
    which its complainant is sent too. Its complainant is told now; an answer ``into`` has
    already had is sent to them now. Audited on both items."""
    if feedback.pk == into.pk:
        raise InvalidFeedback({"into": "An item cannot be merged into itself."})
    with transaction.atomic():
        # Both rows locked, the lower id first, so two merges of the same pair cannot deadlock.
        locked = {
            row.pk: row
            for row in Feedback.objects.select_for_update(of=("self",), no_key=True)
            .select_related("handled_by")
            .filter(pk__in=[feedback.pk, into.pk])
            .order_by("pk")
        }
        item, kept = locked.get(feedback.pk), locked.get(into.pk)
        visible = feedback_visible_to(actor).filter(pk__in=[feedback.pk, into.pk]).count()
        if item is None or kept is None or visible != 2 or item.handled_by_id != kept.handled_by_id:
            raise IllegalTransition("Both items must be in your organisation's queue.")
        refusal = merge_refusal(item, kept)
        if refusal:
            raise IllegalTransition(refusal)
        # What undoing the merge restores: the status, and a pause waiting for the complainant.
        before = {
            "into": kept.pk,
            "from_status": item.status,
            "status_before_pause": item.status_before_pause,
            "paused_at": item.paused_at.isoformat() if item.paused_at else "",
        }
        _move(item, Status.CLOSED, actor, how=MERGE, merged_into=kept.pk)
        item.duplicate_of = kept
        item.closed_at = timezone.now()
        item.paused_at = None
        item.status_before_pause = ""
        item.save()
        audit_record(
            feedback=item,
            actor=actor,
            action="merged",
            to_value=f"#{kept.pk}",
            detail=before,
        )
        audit_record(
            feedback=kept,
            actor=actor,
            action="duplicate_merged",
            to_value=f"#{item.pk}",
            detail={"merged": item.pk},
        )
        notification_schedule(feedback=item, kind=NotificationKind.MERGED)
        if kept.status == Status.RESPONDED:
            _share_response(kept=kept, duplicate=item, actor=actor)
    return item


def _state_before_merge(item: Feedback) -> dict[str, str]:
    """The status (and pause) ``item`` had when it was merged, from its audit trail: the
    "merged" row (since it records them), else the status move it made."""
    merged = (
        AuditEvent.objects.filter(feedback=item, action="merged").order_by("-at", "-pk").first()
    )
    detail = dict(merged.detail) if merged is not None else {}
    if not detail.get("from_status"):
        move = (
            AuditEvent.objects.filter(feedback=item, action="status_changed", to_value="closed")
            .order_by("-at", "-pk")
            .first()
        )
        detail["from_status"] = move.from_value if move is not None else ""
    return {k: str(v or "") for k, v in detail.items()}


def _unmerge(item: Feedback, *, actor: User | None, reason: str, tell_kept: bool) -> None:
    """Reopen ``item`` (locked, merged) in its queue where it was before the merge; the caller
    holds the transaction. Its response clock resumes from where it stopped: the days it stood
    closed move its response date later, as a pause's do; an item merged while waiting for the
    complainant waits again, paused since it first was (resuming counts those days)."""
    kept_id = item.duplicate_of_id
    before = _state_before_merge(item)
    to = before.get("from_status", "")
    if to not in OPEN_STATUSES:
        to = Status.ACKNOWLEDGED if item.acknowledged_at else Status.RECEIVED
    paused_at = dt.datetime.fromisoformat(before["paused_at"]) if before.get("paused_at") else None
    if to == Status.AWAITING_COMPLAINANT and paused_at is None:
        to = before.get("status_before_pause") or Status.ACKNOWLEDGED
    now = timezone.now()
    _move(item, to, actor, how=UNMERGE, reason=reason)
    if to == Status.AWAITING_COMPLAINANT:
        item.paused_at = paused_at
        item.status_before_pause = before.get("status_before_pause") or Status.ACKNOWLEDGED
    else:
        days = clocks.paused_days(item.closed_at or now, now)
        item.paused_days += days
        if item.response_due is not None:
            item.response_due += dt.timedelta(days=days)
    item.duplicate_of = None
    item.closed_at = None
    item.resolved_at = None
    item.save()
    audit_record(
        feedback=item,
        actor=actor,
        action="unmerged",
        detail={"reason": reason} | ({"from": kept_id} if tell_kept else {}),
    )
    if tell_kept and kept_id is not None:
        audit_record(
            feedback=Feedback.objects.get(pk=kept_id),
            actor=actor,
            action="duplicate_unmerged",
            to_value=f"#{item.pk}",
            detail={"unmerged": item.pk, "reason": reason},
        )


def _duplicates_reopen(
    *, kept: Feedback, actor: User | None, reason: str, name_them: bool = True
) -> None:
    """Reopen, in their own queue, the items merged into ``kept`` now that ``kept`` will not be
    answered there (withdrawn, or handed to another organisation), so their complainants are
    answered after all. One whose complainant was sent ``kept``'s response already has its
    answer and stays closed."""
    answered = Notification.objects.filter(kind=NotificationKind.RESPONSE).values("feedback_id")
    for duplicate in (
        Feedback.objects.select_for_update(of=("self",), no_key=True)
        .filter(duplicate_of_id=kept.pk)
        .exclude(pk__in=answered)
        .order_by("pk")
    ):
        _unmerge(duplicate, actor=actor, reason=reason, tell_kept=False)
        if not name_them:
            # ``kept`` is now another organisation's, which may not see its old duplicates.
            continue
        audit_record(
            feedback=kept,
            actor=actor,
            action="duplicate_reopened",
            to_value=f"#{duplicate.pk}",
            detail={"reopened": duplicate.pk},
        )


def complaint_unmerge(*, feedback: Feedback, actor: User, reason: str) -> Feedback:
    """Undo a merge made by mistake: the duplicate is reopened in the queue where it was before
    the merge, its clock resuming from where it stopped. Audited on both items."""
    if not reason.strip():
        raise InvalidFeedback({"reason": "Say why the merge is being undone."})
    with transaction.atomic():
        item = _locked(feedback)
        if not feedback_visible_to(actor).filter(pk=item.pk).exists():
            raise IllegalTransition("The item must be in your organisation's queue.")
        if not allowed_moves(item, UNMERGE):
            raise IllegalTransition(_refusal(item, Status.RECEIVED, UNMERGE))
        # The item kept is told too while it is in this queue (another's may not see this one).
        kept_here = Feedback.objects.filter(
            duplicates=item, handled_by_id=item.handled_by_id
        ).exists()
        _unmerge(item, actor=actor, reason=reason.strip(), tell_kept=kept_here)
    return item


def complaint_assign(*, feedback: Feedback, actor: User, assignee: User | None) -> Feedback:
    with transaction.atomic():
        item = _locked(feedback)
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
