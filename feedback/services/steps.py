"""The steps a page or the staff API offers on an item, by name, and applying one to many items.

Each step runs a transition of :mod:`feedback.services.workflow`; which steps make sense from an
item's state comes from the same guards (``allowed_moves``) the transitions check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from feedback.choices import (
    TERMINAL_STATUSES,
    RiskCheck,
    Status,
)
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Feedback, User
from feedback.services import representatives, triage
from feedback.services.transitions import REOPEN, RESUME, allowed_moves
from feedback.services.workflow import (
    complaint_acknowledge,
    complaint_agree_deadline,
    complaint_assign,
    complaint_close,
    complaint_reopen,
    complaint_request_information,
    complaint_reroute,
    complaint_respond,
    complaint_resume,
    complaint_start_investigation,
    complaint_withdraw,
)

# ---------------------------------------------------------------------------------------------
# The steps by name, for the staff pages and the staff API alike: each front end only adds how
# it reads the step's input (a form, a serializer) and hands the cleaned data to ``run``.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowStep:
    label: str
    target: str | None  # the status it moves to; None for steps that are not transitions
    run: Callable[[Feedback, User, dict[str, Any]], Feedback]


WORKFLOW_STEPS: dict[str, WorkflowStep] = {
    "acknowledge": WorkflowStep(
        "Acknowledge",
        Status.ACKNOWLEDGED,
        lambda f, u, d: complaint_acknowledge(feedback=f, actor=u),
    ),
    "investigate": WorkflowStep(
        "Start investigation",
        Status.INVESTIGATING,
        lambda f, u, d: complaint_start_investigation(feedback=f, actor=u, **d),
    ),
    "request-information": WorkflowStep(
        "Ask the complainant for information",
        Status.AWAITING_COMPLAINANT,
        lambda f, u, d: complaint_request_information(feedback=f, actor=u, **d),
    ),
    "request-consent": WorkflowStep(
        "Ask for the patient's consent",
        Status.AWAITING_COMPLAINANT,
        lambda f, u, d: representatives.complaint_request_consent(feedback=f, actor=u, **d),
    ),
    "record-consent": WorkflowStep(
        "Record the patient's consent",
        None,
        lambda f, u, d: representatives.complaint_record_consent(feedback=f, actor=u, **d),
    ),
    "resume": WorkflowStep(
        "Resume: the complainant has replied",
        None,
        lambda f, u, d: complaint_resume(feedback=f, actor=u),
    ),
    "respond": WorkflowStep(
        "Record the final response",
        Status.RESPONDED,
        lambda f, u, d: complaint_respond(feedback=f, actor=u, **d),
    ),
    "close": WorkflowStep(
        "Close", Status.CLOSED, lambda f, u, d: complaint_close(feedback=f, actor=u, **d)
    ),
    "withdraw": WorkflowStep(
        "Withdraw", Status.WITHDRAWN, lambda f, u, d: complaint_withdraw(feedback=f, actor=u, **d)
    ),
    "reroute": WorkflowStep(
        "Reroute to another organisation",
        None,
        lambda f, u, d: complaint_reroute(feedback=f, actor=u, **d),
    ),
    "assign": WorkflowStep(
        "Assign", None, lambda f, u, d: complaint_assign(feedback=f, actor=u, **d)
    ),
    "agree-deadline": WorkflowStep(
        "Agree a later response date",
        None,
        lambda f, u, d: complaint_agree_deadline(feedback=f, actor=u, **d),
    ),
    "reopen": WorkflowStep(
        "Reopen for a further response",
        None,
        lambda f, u, d: complaint_reopen(feedback=f, actor=u, **d),
    ),
    "confirm-risk": WorkflowStep(
        "Confirm the possible risk and send it to the CQC",
        None,
        lambda f, u, d: triage.risk_check_confirm(feedback=f, actor=u, **d),
    ),
    "dismiss-risk": WorkflowStep(
        "Dismiss the possible risk",
        None,
        lambda f, u, d: triage.risk_check_dismiss(feedback=f, actor=u, **d),
    ),
    "correct-analysis": WorkflowStep(
        "Correct the sentiment and themes",
        None,
        lambda f, u, d: triage.analysis_correct(feedback=f, actor=u, **d),
    ),
}
# Steps that are not status moves and make sense only in some states.
RISK_CHECK_STEPS = frozenset({"confirm-risk", "dismiss-risk"})


def available_steps(item: Feedback) -> list[str]:
    """The steps that make sense from the item's state: what the pages and the API offer."""
    allowed = allowed_moves(item)
    names = []
    consent_awaited = representatives.consent_awaited(item)
    for name, step in WORKFLOW_STEPS.items():
        if name == "request-consent":
            if representatives.can_request_consent(item):
                names.append(name)
            continue
        if name == "record-consent":
            if consent_awaited:
                names.append(name)
            continue
        if name == "resume":
            # Waiting for the patient's consent, the way on is recording it.
            if allowed_moves(item, RESUME) and not consent_awaited:
                names.append(name)
            continue
        if name == "reopen":
            if allowed_moves(item, REOPEN):
                names.append(name)
            continue
        if step.target is not None and step.target not in allowed:
            continue
        if name in RISK_CHECK_STEPS:
            if item.risk_check == RiskCheck.PENDING and item.status not in TERMINAL_STATUSES:
                names.append(name)
            continue
        if name == "correct-analysis":
            if item.analysed_at is not None:
                names.append(name)
            continue
        if step.target is None and not allowed and name != "assign":
            continue
        names.append(name)
    return names


# Steps a handler may apply to many items at once from the queue (each item its own transition,
# audited as if done on its page).
BULK_STEPS = ("acknowledge", "assign")


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    refused: list[tuple[int, str]]  # (item, why)


def bulk_apply(
    *, items: Iterable[Feedback], actor: User, step: str, data: dict[str, Any]
) -> BulkResult:
    """Apply ``step`` to each item on its own: an item whose state forbids it is refused with the
    reason, and the rest go ahead."""
    if step not in BULK_STEPS:
        raise InvalidFeedback({"action": f"Choose one of: {', '.join(BULK_STEPS)}."})
    done: list[int] = []
    refused: list[tuple[int, str]] = []
    for item in items:
        if step not in available_steps(item):
            refused.append((item.pk, f"not possible while {item.get_status_display().lower()}"))
            continue
        try:
            WORKFLOW_STEPS[step].run(item, actor, data)
        except (IllegalTransition, InvalidFeedback) as exc:
            refused.append((item.pk, str(exc)))
        else:
            done.append(item.pk)
    return BulkResult(done=done, refused=refused)
