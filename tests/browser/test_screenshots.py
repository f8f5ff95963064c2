"""Screenshots of the main pages, for the README and for people reviewing a change.

Written to var/browser/screenshots/ on every run. To refresh the ones in the README:

    SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from feedback.choices import Status
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
    next_page(page)  # contact details are optional
    shot(patient, "4-check-your-answers")
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    shot(patient, "5-confirmation")
    patient.goto(f"/track/{items[1].tracking_token}/")
    shot(patient, "6-tracking")

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

    dashboard_examples(trust, TrustFactory(icb=icb, name="Whittington Health NHS Trust"), count=90)
    staff.goto("/staff/dashboard/")
    shot(staff, "10-dashboard")

    assert len(list(OUT.glob("*.png"))) >= 10
