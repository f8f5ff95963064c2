"""Screenshots of the main pages, for the README and for people reviewing a change.

Written to var/browser/screenshots/ on every run. To refresh the ones in the README:

    SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from feedback.choices import Status
from feedback.models import FeedbackTheme, Identity
from tests.browser.conftest import Browsing
from tests.browser.test_end_to_end import COMPLAINT
from tests.browser.test_staff_pages import dashboard_examples, sign_in
from tests.factories import FeedbackFactory, IcbFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

OUT = Path(
    os.environ.get("SCREENSHOTS_DIR", Path(settings.BASE_DIR) / "var" / "browser" / "screenshots")
)


def shot(b: Browsing, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    b.page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def next_page(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def test_screenshots_of_the_main_pages(new_browsing: Callable[..., Browsing]) -> None:
    icb = IcbFactory(ods_code="QMJ", name="NHS North Central London Integrated Care Board")
    trust = TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust", icb=icb)
    UserFactory(username="handler", organisation=trust)
    now = timezone.now()
    examples = [
        (Status.RECEIVED, 1, 4, "negative", "trust:default", False),
        (Status.RECEIVED, 2, 5, "negative", "trust:default", False),
        (Status.INVESTIGATING, 20, 4, "negative", "trust:default", False),
        (Status.AWAITING_COMPLAINANT, 12, 3, "neutral", "trust:default", False),
        (Status.RECEIVED, 0, 5, "negative", "trust:default", True),
    ]
    items = []
    for status, days_ago, sentiment, label, rule, risk in examples:
        received = now - timedelta(days=days_ago)
        items.append(
            FeedbackFactory(
                provider=trust,
                handled_by=trust,
                status=status,
                received_at=received,
                sentiment=sentiment,
                sentiment_label=label,
                sentiment_confidence=0.81,
                route_rule=rule,
                route_evidence=["service type: hospital (acute)", "no safeguarding phrases"],
                acknowledge_due=(received + timedelta(days=3)).date(),
                response_due=(received + timedelta(days=28)).date(),
                risk_serious=risk,
                text=COMPLAINT,
            )
        )

    patient = new_browsing(width=1024, height=768)
    page = patient.page
    patient.goto("/")
    shot(patient, "1-start")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    page.get_by_label("Complaint").check()
    shot(patient, "2-question")
    next_page(page)
    page.get_by_label("Hospital (acute)").check()
    next_page(page)
    page.get_by_label("NHS trust", exact=True).select_option(label=trust.name)
    next_page(page)
    page.get_by_label("Very poor", exact=True).check()
    next_page(page)
    page.get_by_label("Tell us what happened").fill(COMPLAINT)
    shot(patient, "3-what-happened")
    next_page(page)
    page.get_by_label("No", exact=True).check()
    next_page(page)
    page.get_by_label("Yes", exact=True).check()  # the patient
    next_page(page)
    next_page(page)  # contact details are optional
    next_page(page)  # no communication needs
    shot(patient, "4-check-your-answers")
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    shot(patient, "5-confirmation")
    patient.goto(f"/track/{items[1].tracking_token}/")
    shot(patient, "6-tracking")

    # A complaint answered: the patient reads the response after a code sent to their email.
    answered = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        status=Status.RESPONDED,
        received_at=now - timedelta(days=30),
        responded_at=now - timedelta(days=2),
        acknowledge_due=(now - timedelta(days=27)).date(),
        response_due=(now - timedelta(days=2)).date(),
        statutory_due=(now + timedelta(days=150)).date(),
        model_version="minilm-ft-4l",
        text=COMPLAINT,
        sentiment=5,
        sentiment_label="negative",
        sentiment_confidence=0.9,
        route_rule="trust_default",
        route_evidence=["NHS trust named; no CQC or ICB rule matched", "kind: complaint"],
        response_text=(
            "Thank you for telling us about your mother's wait in our emergency department. "
            "We are sorry. The department was full that night and nobody kept you informed, "
            "which should not have happened. We have changed how the nurse in charge updates "
            "families every two hours. If you are not satisfied with this response, you can ask "
            "the Parliamentary and Health Service Ombudsman to look at it."
        ),
        outcome="partially_upheld",
        ko41_subjects=["waiting_times", "communications"],
        ko41_service_area="emergency",
        ko41_profession="nursing",
    )
    for theme, score in (("information_from_staff", 0.93), ("staff_numbers", 0.81)):
        FeedbackTheme.objects.create(feedback=answered, theme=theme, score=score)
    Identity.objects.create(feedback=answered, email="pat@example.com")
    patient.goto(f"/track/{answered.tracking_token}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Email me a code").click()
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body)
    assert code is not None
    page.get_by_label("Code from the email").fill(code.group(1))
    with page.expect_navigation():
        page.get_by_role("button", name="Show the response").click()
    shot(patient, "6b-tracking-with-the-response")

    phone = new_browsing(width=390, height=844)
    phone.goto("/feedback/new/")
    next_page(phone.page)
    shot(phone, "7-question-with-error-on-a-phone")

    staff = new_browsing(width=1280, height=800)
    sign_in(staff, "handler")
    shot(staff, "8-staff-queue")
    staff.goto(f"/staff/items/{items[1].pk}/")
    with staff.page.expect_navigation():
        staff.page.get_by_role("button", name="Acknowledge", exact=True).click()
    shot(staff, "9-staff-item")
    staff.goto(f"/staff/items/{answered.pk}/")
    shot(staff, "9b-staff-item-answered-with-labels")

    dashboard_examples(trust, TrustFactory(icb=icb, name="Whittington Health NHS Trust"), count=90)
    staff.goto("/staff/dashboard/")
    shot(staff, "10-dashboard")

    assert len(list(OUT.glob("*.png"))) >= 10
