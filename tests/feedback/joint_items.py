"""A joint complaint for the tests: led by the Royal Free (the ``trust`` fixture), with a
community trust and a GP practice as the organisations it could invite."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from feedback.choices import OrganisationKind, Role, Status
from feedback.models import Feedback, Identity, Organisation
from tests.factories import FeedbackFactory, TrustFactory, UserFactory

RESPONSE = (
    "We are sorry. We have looked into your care with the community team. If you are not "
    "satisfied you can ask the Parliamentary and Health Service Ombudsman to look at it."
)


def respond_kwargs(**extra: Any) -> dict[str, Any]:
    return {
        "response_text": RESPONSE,
        "outcome": "partially_upheld",
        "subjects": ["communications"],
        "service_area": "inpatient",
        "profession": "nursing",
    } | extra


def community_trust() -> Organisation:
    return TrustFactory(ods_code="RKE", name="Whittington Health NHS Trust")


def gp_practice(icb: Organisation) -> Organisation:
    return Organisation.objects.create(
        ods_code="F83004",
        name="Camden Health Centre",
        kind=OrganisationKind.GP_PRACTICE,
        icb=icb,
    )


def complaint(lead: Organisation, **extra: Any) -> Feedback:
    """A complaint of ``lead``'s queue, acknowledged and being investigated."""
    extra.setdefault("status", Status.INVESTIGATING)
    extra.setdefault("route", "trust")
    item = FeedbackFactory(
        provider=lead,
        handled_by=lead,
        analysis_state="done",
        received_at=timezone.now() - dt.timedelta(days=2),
        acknowledge_due=timezone.localdate() + dt.timedelta(days=1),
        response_due=timezone.localdate() + dt.timedelta(days=26),
        text="The ward discharged my mother and the district nurses never came.",
        **extra,
    )
    Identity.objects.create(feedback=item, name="Pat Example", email="pat@example.com")
    return item


def staff(organisation: Organisation, name: str, role: str = Role.HANDLER) -> Any:
    return UserFactory(username=name, organisation=organisation, role=role)
