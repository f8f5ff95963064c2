"""Reads. Every queryset a member of staff sees is scoped here, in one place."""

from __future__ import annotations

import re
import time

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.signals import post_delete, post_save
from django.http import Http404

from feedback.choices import OrganisationKind, RiskCheck, Route, Status
from feedback.models import Feedback, Organisation, User

CQC_ODS_CODE = "CQC"


def feedback_visible_to(user: User) -> QuerySet[Feedback]:
    """The items in the queue of the user's organisation (the scoping rule, narrowed to the
    user's own queue: staff work only their own); nothing for a user without one."""
    if not user.is_authenticated or user.organisation_id is None:
        return Feedback.objects.none()
    return Feedback.objects.visible_to(user).filter(handled_by_id=user.organisation_id)


def feedback_queue(user: User) -> QuerySet[Feedback]:
    """The user's queue, urgent first (``urgent`` 0: the CQC's items and possible risks still
    to check), then newest first."""
    urgent = Case(
        When(Q(route=Route.CQC) | Q(risk_check=RiskCheck.PENDING), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        feedback_visible_to(user)
        .select_related("provider", "handled_by")
        .annotate(urgent=urgent)
        .order_by("urgent", "-received_at", "-pk")
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


# What new_tracking_token makes: 32 random bytes, URL-safe base64 (43 characters). Anything
# else is not a link we gave out, and is refused before any query (a NUL would otherwise reach
# PostgreSQL, which cannot compare it, and answer 500).
TRACKING_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def feedback_get_by_token(token: str) -> Feedback:
    if not TRACKING_TOKEN.fullmatch(token):
        raise Http404("No feedback with that tracking link.")
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


# The organisation directory changes a few times a year (import_ods); every submission looks up one
# or two ODS codes in it. Each process keeps a copy of the active trusts and ICBs for a minute, so
# a submission costs no query for them; a code not in the copy is looked up in the database (a
# trust imported a moment ago is found at once). A trust marked closed may still be accepted for
# up to a minute in another process; one saved in this process clears the copy at once.
ORGANISATION_DIRECTORY_TTL_SECONDS = 60.0
_directory: dict[tuple[str, str], Organisation] = {}
_directory_loaded_at = float("-inf")


def organisation_directory_clear(**_: object) -> None:
    global _directory_loaded_at
    _directory.clear()
    _directory_loaded_at = float("-inf")


post_save.connect(organisation_directory_clear, sender=Organisation, weak=False)
post_delete.connect(organisation_directory_clear, sender=Organisation, weak=False)


def organisation_active_by_ods_code(ods_code: str, *, kind: str) -> Organisation | None:
    """The active trust or ICB with this ODS code (a trust with its ICB), or None.

    Served from the process's copy of the directory; the objects are shared between requests and
    must not be changed.
    """
    global _directory_loaded_at
    now = time.monotonic()
    if now - _directory_loaded_at > ORGANISATION_DIRECTORY_TTL_SECONDS:
        fresh = {
            (org.kind, org.ods_code): org
            for org in Organisation.objects.filter(
                is_active=True, kind__in=[OrganisationKind.TRUST, OrganisationKind.ICB]
            ).select_related("icb")
        }
        _directory.clear()
        _directory.update(fresh)
        _directory_loaded_at = now
    found = _directory.get((kind, ods_code))
    if found is None:
        found = (
            Organisation.objects.filter(ods_code=ods_code, kind=kind, is_active=True)
            .select_related("icb")
            .first()
        )
    return found
