"""Staff pages in a real browser: every page in each state has no serious or critical axe
violations, works at 400% zoom, and loads without console errors or CSP violations."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.choices import Status
from tests.browser.conftest import Browsing
from tests.factories import FeedbackFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(username="handler", organisation=trust)


def sign_in(b: Browsing, username: str, password: str = PASSWORD) -> None:
    b.goto("/staff/login/")
    b.page.get_by_label("Username").fill(username)
    b.page.get_by_label("Password", exact=True).fill(password)
    with b.page.expect_navigation():
        b.page.get_by_role("button", name="Sign in").click()


def check(b: Browsing, name: str) -> None:
    b.assert_accessible(name)
    b.assert_reflows_at_400_percent_zoom(name)


def submit(b: Browsing, form_selector: str) -> None:
    """Send one of the page's forms as it is (its button may be further down the page)."""
    with b.page.expect_navigation():
        b.page.locator(form_selector).evaluate("form => form.requestSubmit()")


def test_sign_in_page_empty_and_with_errors(browsing: Browsing, handler: Any) -> None:
    browsing.goto("/staff/login/")
    check(browsing, "staff sign in: empty")
    browsing.page.get_by_label("Username").fill("handler")
    browsing.page.get_by_label("Password", exact=True).fill("not the password")
    with browsing.page.expect_navigation():
        browsing.page.get_by_role("button", name="Sign in").click()
    assert browsing.page.locator(".nhsuk-error-summary").is_visible()
    check(browsing, "staff sign in: with errors")


def test_queue_empty_and_with_items(browsing: Browsing, trust: Any, handler: Any) -> None:
    sign_in(browsing, "handler")
    assert browsing.page.url.endswith("/staff/queue/")
    check(browsing, "staff queue: empty")

    for status in (Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING):
        FeedbackFactory(provider=trust, handled_by=trust, status=status)
    FeedbackFactory(provider=trust, handled_by=trust, risk_safeguarding=True)
    browsing.page.reload()
    assert browsing.page.locator("a[href^='/staff/items/']").count() == 4
    check(browsing, "staff queue: with items")


def test_item_page_in_each_state(browsing: Browsing, trust: Any, handler: Any) -> None:
    item = FeedbackFactory(provider=trust, handled_by=trust, route_rule="trust:default")
    sign_in(browsing, "handler")
    browsing.goto(f"/staff/items/{item.pk}/")
    check(browsing, "staff item: received")

    # A step sent with its required answers missing: the page comes back with errors (400).
    browsing.expected_errors.add(f"/staff/items/{item.pk}/reroute/")
    submit(browsing, "#step-reroute")
    assert browsing.page.locator(".nhsuk-error-summary").count() >= 1
    browsing.problems = [p for p in browsing.problems if "status of 400" not in p]
    check(browsing, "staff item: step with errors")

    browsing.goto(f"/staff/items/{item.pk}/")
    submit(browsing, f"form[action='/staff/items/{item.pk}/identity/']")
    check(browsing, "staff item: contact details shown")

    browsing.goto(f"/staff/items/{item.pk}/")
    submit(browsing, "#step-acknowledge")
    item.refresh_from_db()
    assert item.status == Status.ACKNOWLEDGED
    check(browsing, "staff item: acknowledged, with message")


def test_entry_page_empty_and_with_errors(browsing: Browsing, handler: Any) -> None:
    sign_in(browsing, "handler")
    browsing.goto("/staff/entries/new/")
    check(browsing, "staff entry: empty")
    browsing.expected_errors.add("/staff/entries/new/")
    submit(browsing, "main form[method='post']")
    assert browsing.page.locator(".nhsuk-error-summary").count() == 1
    check(browsing, "staff entry: with errors")


def test_two_factor_set_up_page(browsing: Browsing, handler: Any) -> None:
    sign_in(browsing, "handler")
    browsing.goto("/staff/two-factor/")
    check(browsing, "staff two-factor: set up")
    submit(browsing, "main form[method='post']")
    check(browsing, "staff two-factor: with errors")
