"""Reads. Every queryset a member of staff sees is scoped here, in one place."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from feedback.choices import OrganisationKind, Status
from feedback.models import Feedback, Organisation, User

CQC_ODS_CODE = "CQC"


def feedback_visible_to(user: User) -> QuerySet[Feedback]:
    """The items in the queue of the user's organisation; nothing for a user without one."""
    if not user.is_authenticated or user.organisation_id is None:
        return Feedback.objects.none()
    return Feedback.objects.filter(handled_by_id=user.organisation_id)


def feedback_queue(user: User) -> QuerySet[Feedback]:
    return (
        feedback_visible_to(user)
        .select_related("provider", "handled_by")
        .order_by("-received_at", "-pk")
    )


def feedback_get_for_user(user: User, pk: int) -> Feedback:
    """One item of the user's queue; another organisation's item does not exist for them."""
    try:
        return feedback_queue(user).select_related("area").get(pk=pk)
    except Feedback.DoesNotExist as exc:
        raise Http404("No such item in your organisation's queue.") from exc


def feedback_open_with_clock() -> QuerySet[Feedback]:
    """Items whose response clock is running (not paused, not finished)."""
    return Feedback.objects.filter(
        status__in=[Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING],
        response_due__isnull=False,
        handled_by__isnull=False,
    )


def feedback_get_by_token(token: str) -> Feedback:
    try:
        return Feedback.objects.select_related("handled_by").get(tracking_token=token)
    except Feedback.DoesNotExist as exc:
        raise Http404("No feedback with that tracking link.") from exc


def organisation_trusts() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.TRUST, is_active=True).order_by("name")


def organisation_icbs() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.ICB, is_active=True).order_by("name")


def organisation_cqc() -> Organisation:
    return Organisation.objects.get(ods_code=CQC_ODS_CODE)
