"""Possible duplicates on the item page in a real browser: no serious or critical axe violation,
reflow at 400% zoom, and the link and merge buttons doing what they say."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.choices import Status
from feedback.models import Feedback
from tests.browser.conftest import REPORT_DIR, Browsing
from tests.browser.test_staff_pages import check, sign_in
from tests.factories import TrustFactory, UserFactory
from tests.feedback.duplicate_items import PAT_NHS, SAM, complaint, reading, topic

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


def test_possible_duplicates_link_and_merge(browsing: Browsing, trust: Any) -> None:
    UserFactory(username="handler", organisation=trust)
    meaning = topic()
    first = complaint(trust, days_ago=8, patient=PAT_NHS, read_as=reading(meaning))
    by_text = complaint(trust, days_ago=5, patient=SAM, read_as=reading(meaning, 0.1))
    again = complaint(trust, days_ago=1, patient=PAT_NHS, read_as=reading(meaning, 0.1))
    sign_in(browsing, "handler")

    browsing.goto(f"/staff/items/{again.pk}/")
    section = browsing.page.locator("#candidates")
    assert section.get_by_role("link", name=f"#{first.pk}").is_visible()
    assert "Same NHS number" in section.inner_text()
    check(browsing, "item page: possible duplicates")
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    top = browsing.page.locator("#duplicates").bounding_box()
    bottom = browsing.page.locator("#attachments").bounding_box()
    assert top is not None and bottom is not None
    browsing.page.screenshot(
        path=str(REPORT_DIR / "duplicates.png"),
        full_page=True,
        clip={"x": 0, "y": top["y"] - 16, "width": 1280, "height": bottom["y"] - top["y"] + 32},
    )

    with browsing.page.expect_navigation():
        section.get_by_role("button", name=f"Link #{by_text.pk} to this item").click()
    assert browsing.page.get_by_text(f"Linked to #{by_text.pk}.").is_visible()
    assert browsing.page.locator("#linked-items").get_by_role("link", name=f"#{by_text.pk}")

    with browsing.page.expect_navigation():
        browsing.page.get_by_role("button", name=f"Merge this item into #{first.pk}").click()
    assert browsing.page.url.endswith(f"/staff/items/{first.pk}/#duplicates")
    assert browsing.page.locator("#merged-here").get_by_role("link", name=f"#{again.pk}")
    check(browsing, "item page: a duplicate merged into it")
    assert Feedback.objects.get(pk=again.pk).status == Status.CLOSED

    browsing.goto(f"/staff/items/{again.pk}/")
    assert browsing.page.locator("#merged-into").get_by_role("link", name=f"#{first.pk}")
    check(browsing, "item page: merged into another")

    browsing.goto(f"/track/{again.tracking_token}/")
    assert browsing.page.locator("#joined").is_visible()
    check(browsing, "tracking page: joined to another")
