"""Joint complaints in a real browser: the lead's "Joint complaint" section (empty, with a
partner waiting, with errors), the partner's view of the item (empty form, errors, part added)
and its list. No serious or critical axe violation, reflow at 400% zoom."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.models import JointPartner
from tests.browser.conftest import Browsing
from tests.browser.test_staff_pages import check, sign_in, submit
from tests.factories import TrustFactory, UserFactory
from tests.feedback.joint_items import complaint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


def test_lead_invites_and_partner_adds_its_part(browsing: Browsing, trust: Any) -> None:
    community = TrustFactory(ods_code="RKE", name="Whittington Health NHS Trust")
    UserFactory(username="lead", organisation=trust)
    UserFactory(username="community", organisation=community)
    item = complaint(trust)

    sign_in(browsing, "lead")
    browsing.goto(f"/staff/items/{item.pk}/")
    assert browsing.page.locator("#joint-none").is_visible()
    check(browsing, "item page: not a joint complaint")

    # A form with errors comes back with 400, as the item page's other forms do.
    invite = f"/staff/items/{item.pk}/partners/"
    browsing.expected_errors.update({invite, f"{invite}#joint"})
    submit(browsing, "#joint-invite")
    assert browsing.page.locator(".nhsuk-error-summary").is_visible()
    check(browsing, "item page: invitation with errors")

    browsing.page.get_by_label("ODS code of the partner organisation").fill("RKE")
    browsing.page.get_by_label("Why is this organisation part of the complaint?").fill(
        "Discharged to the district nursing team"
    )
    with browsing.page.expect_navigation():
        browsing.page.get_by_role("button", name="Invite partner").click()
    assert browsing.page.locator("#joint-waiting").is_visible()
    check(browsing, "item page: a partner still to add its part")

    browsing.page.context.clear_cookies()
    sign_in(browsing, "community")
    browsing.goto("/staff/joint/")
    check(browsing, "joint complaints: your part")
    with browsing.page.expect_navigation():
        browsing.page.get_by_role("link", name=f"#{item.pk}").click()
    check(browsing, "partner's view of a joint complaint")

    findings = f"/staff/items/{item.pk}/contribution/"
    browsing.expected_errors.update({findings, f"{findings}#joint"})
    submit(browsing, "#joint-findings")
    assert browsing.page.locator(".nhsuk-error-summary").is_visible()
    check(browsing, "partner's view: findings with errors")

    browsing.page.get_by_label("Your organisation's part of the findings").fill(
        "The referral reached the district nurses a week late."
    )
    with browsing.page.expect_navigation():
        browsing.page.get_by_role("button", name="Add your part").click()
    assert browsing.page.locator("#joint-own-findings").is_visible()
    check(browsing, "partner's view: part added")
    assert JointPartner.objects.get().findings.startswith("The referral")
