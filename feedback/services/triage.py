"""A person's word on what the reader was unsure of, and corrections of what it found.

When the reader thinks an item may raise a safeguarding concern, the use of Mental Health Act
powers or a serious risk, but not surely enough to send it to the CQC, the item keeps its route
and is marked for a check within one working day. The handler confirms it (the item goes to the
CQC in the same step, audited) or dismisses it with a reason (audited). Every such decision, every
reroute and every correction of sentiment or themes is kept as a ``Correction``: a labelled
example the next training run may learn from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from analytics.themes import THEME_SLUGS
from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import CorrectionKind, RiskCheck, RiskFlag
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Correction, Feedback, FeedbackTheme, User
from feedback.selectors import organisation_cqc
from feedback.services.transitions import item_locked

# An item in a language the reader cannot read has not been read for risks by anyone: a person
# checks it (with a reader of its language) within the same working day as any possible risk.
UNREAD_LANGUAGE = "unread_language"
# What a check is about: the reader's unsure labels, or the patient's "I'm not sure".
CHECK_LABELS: dict[str, str] = {
    RiskFlag.SAFEGUARDING.value: "possible safeguarding concern",
    RiskFlag.MENTAL_HEALTH_ACT.value: "possible Mental Health Act concern",
    RiskFlag.SERIOUS_RISK.value: "possible serious risk to safety",
    "patient_unsure": "the patient was not sure if anyone is at risk of harm",
    UNREAD_LANGUAGE: "written in a language the reader cannot read: nobody has read it for risks",
}
CHECK_WORKING_DAYS = 1


def risk_check_due(routed_at: dt.datetime) -> dt.date:
    """A possible risk is checked by the end of the next working day."""
    return clocks.add_working_days(clocks.local_date(routed_at), CHECK_WORKING_DAYS)


def correction_record(
    *, feedback: Feedback, actor: User, kind: str, before: dict[str, Any], after: dict[str, Any]
) -> Correction:
    return Correction.objects.create(
        feedback=feedback, actor=actor, kind=kind, before=before, after=after
    )


def _pending(item: Feedback) -> None:
    if item.risk_check != RiskCheck.PENDING:
        raise IllegalTransition("This item has no possible risk waiting to be checked.")


def risk_check_confirm(*, feedback: Feedback, actor: User, reason: str = "") -> Feedback:
    """The possible risk is real: the item goes to the CQC now, in one audited step."""
    from feedback.services.workflow import complaint_reroute

    with transaction.atomic():
        item = item_locked(feedback)
        _pending(item)
        flags = list(item.risk_check_flags)
        described = "; ".join(CHECK_LABELS.get(f, f) for f in flags)
        note = reason.strip()
        item = complaint_reroute(
            feedback=item,
            actor=actor,
            to=organisation_cqc(),
            reason=f"confirmed {described}" + (f": {note}" if note else ""),
            correction=False,
        )
        item.risk_check = RiskCheck.CONFIRMED
        item.risk_checked_at = timezone.now()
        item.risk_checked_by = actor
        item.save(update_fields=["risk_check", "risk_checked_at", "risk_checked_by"])
        audit_record(
            feedback=item,
            actor=actor,
            action="risk_check_confirmed",
            to_value=",".join(flags),
            detail={"reason": note} if note else {},
        )
        correction_record(
            feedback=item,
            actor=actor,
            kind=CorrectionKind.RISK_CONFIRMED,
            before={"route": "", "labels": []},
            after={"route": "cqc", "labels": [f for f in flags if f in RiskFlag.values]},
        )
    return item


def risk_check_dismiss(*, feedback: Feedback, actor: User, reason: str) -> Feedback:
    """The possible risk is not one: the item stays where it is; the reason is kept."""
    if not reason.strip():
        raise InvalidFeedback({"reason": "Say why there is no risk to act on."})
    with transaction.atomic():
        item = item_locked(feedback)
        _pending(item)
        flags = list(item.risk_check_flags)
        item.risk_check = RiskCheck.DISMISSED
        item.risk_checked_at = timezone.now()
        item.risk_checked_by = actor
        item.save(update_fields=["risk_check", "risk_checked_at", "risk_checked_by"])
        audit_record(
            feedback=item,
            actor=actor,
            action="risk_check_dismissed",
            from_value=",".join(flags),
            detail={"reason": reason.strip()},
        )
        correction_record(
            feedback=item,
            actor=actor,
            kind=CorrectionKind.RISK_DISMISSED,
            before={"labels": [f for f in flags if f in RiskFlag.values]},
            after={"labels": [], "not": [f for f in flags if f in RiskFlag.values]},
        )
    return item


def analysis_correct(
    *, feedback: Feedback, actor: User, sentiment: int | None, themes: Sequence[str]
) -> Feedback:
    """A handler's reading of the item's sentiment and themes replaces the reader's (audited)."""
    errors: dict[str, str] = {}
    if sentiment is not None and sentiment not in (1, 2, 3, 4, 5):
        errors["sentiment"] = "Choose a sentiment from 1 (very positive) to 5 (very negative)."
    unknown = sorted(set(themes) - set(THEME_SLUGS))
    if unknown:
        errors["themes"] = "Choose themes from the list."
    if errors:
        raise InvalidFeedback(errors)
    with transaction.atomic():
        item = item_locked(feedback)
        before_themes = sorted(item.themes.values_list("theme", flat=True))
        after_themes = sorted(set(themes))
        if sentiment is not None and sentiment != item.sentiment:
            correction_record(
                feedback=item,
                actor=actor,
                kind=CorrectionKind.SENTIMENT,
                before={"sentiment": item.sentiment},
                after={"sentiment": sentiment},
            )
            audit_record(
                feedback=item,
                actor=actor,
                action="sentiment_corrected",
                from_value=str(item.sentiment or ""),
                to_value=str(sentiment),
            )
            item.sentiment = sentiment
            item.sentiment_label = (
                "positive" if sentiment <= 2 else "neutral" if sentiment == 3 else "negative"
            )
            item.sentiment_confidence = 1.0
            item.save(update_fields=["sentiment", "sentiment_label", "sentiment_confidence"])
        if after_themes != before_themes:
            correction_record(
                feedback=item,
                actor=actor,
                kind=CorrectionKind.THEMES,
                before={"themes": before_themes},
                after={"themes": after_themes},
            )
            audit_record(
                feedback=item,
                actor=actor,
                action="themes_corrected",
                detail={"before": before_themes, "after": after_themes},
            )
            item.themes.exclude(theme__in=after_themes).delete()
            FeedbackTheme.objects.bulk_create(
                [
                    FeedbackTheme(feedback=item, theme=slug, score=1.0)
                    for slug in after_themes
                    if slug not in before_themes
                ]
            )
    return item
