"""How an item's status moves: the row lock a step takes, every guard on a move (the transitions
map of ``feedback.choices`` and the rules that depend on the item's kind, pause, date or merge), the
refusal a handler is shown, and the move itself with its audit row.

Steps lock the item's row with PostgreSQL's ``FOR NO KEY UPDATE`` (``no_key=True``): it keeps
other steps off the row but lets rows that point at it (audit rows, notifications) be written
meanwhile, so a step on one item that writes to a merged or partner item cannot deadlock with a
step on that item writing back (an undone merge while the item kept is answered, for one).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import (
    ALLOWED_TRANSITIONS,
    MERGES,
    REOPENS,
    RESUMES,
    TERMINAL_STATUSES,
    UNMERGES,
    RiskCheck,
    Status,
)
from feedback.errors import IllegalTransition
from feedback.models import Feedback, User


def item_locked(feedback: Feedback) -> Feedback:
    """The item's row, locked for a step (FOR NO KEY UPDATE: see the module's docstring)."""
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
        return frozenset() if merge_guard(item) else MERGES.get(status, frozenset())
    if how == UNMERGE:
        return UNMERGES.get(status, frozenset()) if item.duplicate_of_id else frozenset()
    allowed = ALLOWED_TRANSITIONS[status]
    if clocks.has_clock(item.kind) and status != Status.RESPONDED:
        # A complaint or concern closes only once its final response is recorded.
        allowed = allowed - {Status.CLOSED}
    return allowed


def move_refusal(item: Feedback, to: str, how: str) -> str:
    """What a handler is told when ``item`` cannot move to ``to`` (``how``)."""
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
        return merge_guard(item) or f"#{item.pk} cannot be merged now."
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


def move(item: Feedback, to: str, actor: User | None, *, how: str = STEP, **detail: object) -> None:
    """Check the move against ``allowed_moves``, set the status and audit it; the caller saves
    the item. A reroute of an item that is already "received" changes no status and audits none
    here (the reroute has its own audit row)."""
    if to not in allowed_moves(item, how):
        raise IllegalTransition(move_refusal(item, to, how))
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


def merge_guard(item: Feedback) -> str | None:
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
