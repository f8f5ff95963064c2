"""Duplicates merged: one person's complaint sent twice is closed as a duplicate of the one kept,
whose final response its complainant is sent too; a merge made by mistake is undone, and the
duplicates of an item that will not be answered where they were (withdrawn, handed to another
organisation) are reopened in their own queue. Candidates are found by
``feedback.services.duplicates``; docs/adr/0016.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import OPEN_STATUSES, TERMINAL_STATUSES, NotificationKind, RiskCheck, Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import AuditEvent, Feedback, Identity, Notification, User
from feedback.selectors import feedback_visible_to
from feedback.services.notifications import notification_schedule
from feedback.services.transitions import (
    MERGE,
    UNMERGE,
    allowed_moves,
    item_locked,
    merge_guard,
    move,
    move_refusal,
)


def share_response(*, kept: Feedback, duplicate: Feedback, actor: User | None) -> None:
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
    refusal = merge_guard(feedback) or _kept_refusal(into)
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
        move(item, Status.CLOSED, actor, how=MERGE, merged_into=kept.pk)
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
            share_response(kept=kept, duplicate=item, actor=actor)
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
    move(item, to, actor, how=UNMERGE, reason=reason)
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
    # Its complainant was told it was joined to another: they are told it is handled on its own.
    notification_schedule(feedback=item, kind=NotificationKind.UNMERGED)
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


def duplicates_reopen(
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
        item = item_locked(feedback)
        if not feedback_visible_to(actor).filter(pk=item.pk).exists():
            raise IllegalTransition("The item must be in your organisation's queue.")
        if not allowed_moves(item, UNMERGE):
            raise IllegalTransition(move_refusal(item, Status.RECEIVED, UNMERGE))
        # The item kept is told too while it is in this queue (another's may not see this one).
        kept_here = Feedback.objects.filter(
            duplicates=item, handled_by_id=item.handled_by_id
        ).exists()
        _unmerge(item, actor=actor, reason=reason.strip(), tell_kept=kept_here)
    return item
