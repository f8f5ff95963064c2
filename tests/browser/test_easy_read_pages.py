"""Easy read pages in a real browser: no serious axe violations, no sideways scrolling at 400%
zoom, and the tracking page's easy read link works without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.choices import Route, Status
from tests.browser.conftest import Browsing
from tests.factories import CqcFactory, FeedbackFactory, TrustFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


def check(b: Browsing, name: str) -> None:
    b.assert_accessible(name)
    b.assert_reflows_at_400_percent_zoom(name)


def test_the_easy_read_start_page_is_accessible_and_starts_the_journey(
    browsing: Browsing,
) -> None:
    b, page = browsing, browsing.page
    b.goto("/")
    page.get_by_role("link", name="Easy read version").click()
    page.wait_for_load_state()
    assert page.url.endswith("/feedback/easy-read/")
    assert "If someone is in danger now, call 999." in page.locator("main").inner_text()
    # The pictures are hidden from screen readers: the sentences carry the meaning.
    assert page.locator("svg.app-easy-read__picture:not([aria-hidden='true'])").count() == 0
    check(b, "easy read start")
    page.get_by_role("button", name="Start now").click()
    page.wait_for_load_state()
    assert page.url.endswith("/feedback/new/")


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.AWAITING_COMPLAINANT, Status.CLOSED])
def test_the_tracking_page_in_easy_read_is_accessible(
    browsing: Browsing, trust: Any, status: str
) -> None:
    item = FeedbackFactory(provider=trust, handled_by=trust, route=Route.TRUST, status=status)
    browsing.goto(f"/track/{item.tracking_token}/?easy-read=1")
    assert browsing.page.locator("#easy-read .app-easy-read__point").count() >= 1
    check(browsing, f"tracking in easy read: {status}")


def test_the_tracking_page_in_easy_read_for_the_cqc_is_accessible(browsing: Browsing) -> None:
    cqc = CqcFactory()
    item = FeedbackFactory(handled_by=cqc, route=Route.CQC, route_rule="cqc_safeguarding")
    browsing.goto(f"/track/{item.tracking_token}/?easy-read=1")
    assert "Care Quality Commission checks that care is safe" in browsing.page.content()
    check(browsing, "tracking in easy read: CQC")


def test_the_easy_read_link_on_the_tracking_page_works_without_javascript(
    browsing_without_js: Browsing, trust: Any
) -> None:
    b, page = browsing_without_js, browsing_without_js.page
    item = FeedbackFactory(provider=trust, handled_by=trust, status=Status.INVESTIGATING)
    b.goto(f"/track/{item.tracking_token}/")
    page.get_by_role("link", name="Show this in easy read").click()
    page.wait_for_load_state()
    assert "The team is finding out what happened." in page.locator("#easy-read").inner_text()
    page.get_by_role("link", name="Show the usual words").click()
    page.wait_for_load_state()
    assert page.locator("#easy-read").count() == 0
    assert not b.problems, b.problems
