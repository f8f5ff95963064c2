"""End to end in the browser: a patient sends a complaint and follows it; a handler signs in,
finds it in the queue and acknowledges it; the patient's tracking page then says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from feedback.choices import Status
from feedback.models import Feedback
from tests.browser.conftest import Browsing
from tests.browser.test_staff_pages import sign_in
from tests.factories import CqcFactory, IcbFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

COMPLAINT = (
    "We waited nine hours in A&E with my father and nobody told us what was happening. "
    "When we asked, the receptionist was dismissive."
)


def send_complaint(b: Browsing, trust_name: str) -> None:
    page = b.page

    def continue_() -> None:
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()

    b.goto("/")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    page.get_by_label("Complaint").check()
    continue_()
    page.get_by_label("Hospital (acute)").check()
    continue_()
    page.get_by_label("NHS trust", exact=True).select_option(label=trust_name)
    continue_()
    page.get_by_label("Very poor", exact=True).check()
    continue_()
    page.get_by_label("Tell us what happened").fill(COMPLAINT)
    continue_()
    page.get_by_label("No", exact=True).check()
    continue_()
    page.get_by_label("Yes", exact=True).check()  # the patient
    continue_()
    page.get_by_label("Email address").fill("patient@example.com")
    continue_()
    continue_()  # no communication needs
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()


def test_patient_complains_handler_acknowledges_patient_sees_it(
    new_browsing: Callable[..., Browsing],
) -> None:
    CqcFactory()
    icb = IcbFactory(ods_code="QMJ", name="NHS North Central London Integrated Care Board")
    trust = TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust", icb=icb)
    UserFactory(username="handler", organisation=trust)

    patient = new_browsing()
    send_complaint(patient, trust.name)
    assert patient.page.locator("h1").inner_text() == "Feedback sent"
    with patient.page.expect_navigation():
        patient.page.locator("#tracking-link").click()
    tracking_url = patient.page.url
    assert patient.page.locator("#status").inner_text() == "Received"

    # What the worker does: analyse and route the queued item (here, in-process).
    from feedback.services.analysis import feedback_analyse_batch

    item = Feedback.objects.get()
    assert feedback_analyse_batch() == [item.pk]
    item.refresh_from_db()
    assert item.handled_by == trust, item.route_rule
    patient.page.reload()
    assert patient.page.locator("#handled-by").inner_text() == trust.name

    handler = new_browsing()
    sign_in(handler, "handler")
    link = handler.page.locator(f"a[href='/staff/items/{item.pk}/']")
    assert link.count() == 1, "the complaint is not in the handler's queue"
    with handler.page.expect_navigation():
        link.click()
    assert COMPLAINT.split(".")[0] in handler.page.locator("main").inner_text()
    with handler.page.expect_navigation():
        handler.page.locator("#step-acknowledge").get_by_role("button", name="Acknowledge").click()
    item.refresh_from_db()
    assert item.status == Status.ACKNOWLEDGED
    handler.assert_accessible("staff item: after acknowledging (end to end)")

    patient.page.goto(tracking_url)
    assert patient.page.locator("#status").inner_text() == "Acknowledged"
    assert "Acknowledged" in patient.page.locator(".nhsuk-summary-list").inner_text()
    patient.assert_accessible("tracking: acknowledged (end to end)")
    assert not patient.problems, patient.problems
