"""Staff pages in a real browser: every page in each state has no serious or critical axe
violations, works at 400% zoom, and loads without console errors or CSP violations."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from feedback.choices import Channel, Kind, Role, Status
from feedback.models import FeedbackTheme
from tests.browser.conftest import Browsing
from tests.factories import CqcFactory, FeedbackFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(username="handler", organisation=trust)


def security_code(username: str) -> str:
    """The code the member of staff's authenticator shows now (a confirmed device is made)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from feedback.models import User

    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def sign_in(b: Browsing, username: str, password: str = PASSWORD) -> None:
    b.goto("/staff/login/")
    b.page.get_by_label("Username").fill(username)
    b.page.get_by_label("Password", exact=True).fill(password)
    b.page.get_by_label("Security code").fill(security_code(username))
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
    FeedbackFactory(
        provider=trust,
        handled_by=trust,
        communication_needs=["bsl", "interpreter"],
        interpreter_language="Polish",
    )
    browsing.page.reload()
    assert browsing.page.locator("a[href^='/staff/items/']").count() == 5
    check(browsing, "staff queue: with items")


def test_queue_searched_with_a_saved_view_and_the_templates_page(
    browsing: Browsing, trust: Any
) -> None:
    from feedback.choices import Role

    UserFactory(username="manager", organisation=trust, role=Role.MANAGER)
    FeedbackFactory(provider=trust, handled_by=trust, text="The parking machine took my money.")
    FeedbackFactory(provider=trust, handled_by=trust, text="Kind nurses on ward 2.")
    sign_in(browsing, "manager")
    page = browsing.page
    page.get_by_label("Search your queue").fill("parking")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert page.locator("mark").first.inner_text().lower() == "parking"
    page.get_by_text("Save these filters as a view").click()
    page.get_by_label("Name of the view").fill("Parking")
    with page.expect_navigation():
        page.get_by_role("button", name="Save view").click()
    check(browsing, "staff queue: searched, with a saved view")
    browsing.goto("/staff/templates/")
    check(browsing, "reply templates: a manager's page")
    browsing.expected_errors.add("/staff/templates/")  # the 400 of a form with errors
    with page.expect_navigation():
        page.get_by_role("button", name="Save template").click()
    check(browsing, "reply templates: with errors")


def test_item_page_in_each_state(browsing: Browsing, trust: Any, handler: Any) -> None:
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route_rule="trust:default",
        communication_needs=["large_print"],
    )
    sign_in(browsing, "handler")
    browsing.goto(f"/staff/items/{item.pk}/")
    check(browsing, "staff item: received")

    # A step sent with its required answers missing: the page comes back with errors (400).
    browsing.expected_errors.add(f"/staff/items/{item.pk}/reroute/")
    submit(browsing, "#step-reroute")
    assert browsing.page.locator(".nhsuk-error-summary").count() >= 1
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
    # A first sign-in: password only, and the set-up page is where it leads.
    browsing.goto("/staff/login/")
    browsing.page.get_by_label("Username").fill("handler")
    browsing.page.get_by_label("Password", exact=True).fill(PASSWORD)
    with browsing.page.expect_navigation():
        browsing.page.get_by_role("button", name="Sign in").click()
    assert browsing.page.url.endswith("/staff/two-factor/")
    check(browsing, "staff two-factor: set up")
    submit(browsing, "main form[method='post']")
    check(browsing, "staff two-factor: with errors")


def dashboard_examples(*trusts: Any, count: int = 60, seed: int = 3) -> None:
    """A year of answered, late, open and paused items with themes, spread over the trusts."""
    rng = random.Random(seed)
    now = timezone.now()
    themes = ["staff_manner", "timeliness_of_care", "kept_informed", "food_drink", "transport"]
    for n in range(count):
        trust = trusts[n % len(trusts)]
        days_ago = rng.randint(0, 360)
        received = now - dt.timedelta(days=days_ago)
        kind = rng.choice([Kind.COMPLAINT, Kind.COMPLAINT, Kind.CONCERN, Kind.COMPLIMENT])
        fields: dict[str, Any] = {
            "provider": trust,
            "handled_by": trust,
            "route": "trust",
            "kind": kind,
            "channel": rng.choice([Channel.WEB, Channel.WEB, Channel.API, Channel.PHONE]),
            "service_type": "acute",
            "analysis_state": "done",
            "received_at": received,
            "sentiment": 1 if kind == Kind.COMPLIMENT else rng.choice([3, 4, 4, 5]),
            "acknowledge_due": (received + dt.timedelta(days=3)).date(),
            "acknowledged_at": received + dt.timedelta(days=rng.choice([1, 2, 5])),
            "risk_safeguarding": n % 17 == 0,
        }
        if kind != Kind.COMPLIMENT:
            fields["response_due"] = (received + dt.timedelta(days=28)).date()
            took = rng.choice([12, 20, 26, 27, 35])
            if days_ago > took:
                fields.update(
                    status=Status.RESPONDED, responded_at=received + dt.timedelta(days=took)
                )
            elif n % 5 == 0:
                fields.update(status=Status.AWAITING_COMPLAINANT, paused_at=now)
            else:
                fields.update(status=Status.INVESTIGATING)
        item = FeedbackFactory(**fields)
        FeedbackTheme.objects.create(feedback=item, theme=rng.choice(themes), score=0.8)
    # Counted into the dashboards' aggregates, as the worker does within a minute.
    from analytics.stats import stats_refresh

    stats_refresh()


def open_every_details(b: Browsing) -> None:
    b.page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")


def test_dashboards_empty_and_with_figures(browsing: Browsing, trust: Any) -> None:
    UserFactory(username="manager", organisation=trust, role=Role.MANAGER)
    sign_in(browsing, "manager")
    pages = {
        "response times": "/staff/dashboard/",
        "what patients say": "/staff/dashboard/feedback/",
        "peers": "/staff/dashboard/peers/",
    }
    for name, url in pages.items():
        browsing.goto(url)
        check(browsing, f"dashboard {name}: empty")

    peer = TrustFactory(icb=trust.icb, name="Whittington Health NHS Trust")
    dashboard_examples(trust, peer)
    for name, url in pages.items():
        browsing.goto(url)
        assert browsing.page.locator("svg[role='img']").count() >= 1 or name == "peers"
        open_every_details(browsing)
        check(browsing, f"dashboard {name}: with figures, tables open")

    browsing.goto("/staff/dashboard/?period=3_months&kind=complaint")
    check(browsing, "dashboard response times: filtered")


def test_national_dashboard_for_the_cqc(browsing: Browsing, trust: Any) -> None:
    cqc = CqcFactory()
    UserFactory(username="inspector", organisation=cqc)
    dashboard_examples(trust, TrustFactory(), count=30)
    sign_in(browsing, "inspector")
    browsing.goto("/staff/dashboard/peers/")
    open_every_details(browsing)
    check(browsing, "dashboard peers: England")


def test_item_with_a_possible_risk_to_check_and_the_privacy_page(
    browsing: Browsing, trust: Any
) -> None:
    UserFactory(username="manager", organisation=trust, role=Role.MANAGER)
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route="trust",
        route_rule="trust_default",
        risk_check="pending",
        risk_check_flags=["safeguarding", "patient_unsure"],
        risk_check_due=timezone.localdate(),
        triage_scores={"safeguarding": 0.31, "primary_care": 0.02},
        analysed_at=timezone.now(),
    )
    sign_in(browsing, "manager")
    browsing.goto("/staff/queue/")
    check(browsing, "staff queue: an urgent item to check")
    browsing.goto(f"/staff/items/{item.pk}/")
    check(browsing, "staff item: possible risk to check")
    browsing.expected_errors.add(f"/staff/items/{item.pk}/dismiss-risk/")
    submit(browsing, "#step-dismiss-risk")
    check(browsing, "staff item: dismissing without a reason")
    browsing.goto("/staff/privacy/")
    check(browsing, "staff privacy: empty")


def test_an_item_written_in_polish_on_the_queue_and_its_page(
    browsing: Browsing, trust: Any, handler: Any
) -> None:
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route="trust",
        route_rule="trust_default",
        text="Mój tata leżał na korytarzu w A&E przez całą noc bez koca.",
        text_language="pl",
        text_language_confidence=0.9991,
        analysis_state="done",
        analysed_at=timezone.now(),
    )
    sign_in(browsing, "handler")
    page = browsing.page
    tag = page.locator(".app-language-tag")
    assert tag.inner_text() == "Written in Polish: needs a reader of Polish"
    check(browsing, "staff queue: an item written in Polish")
    browsing.goto(f"/staff/items/{item.pk}/")
    assert page.locator("#language-reader").is_visible()
    assert "needs a reader of Polish" in page.locator("#language-reader").inner_text()
    check(browsing, "staff item: written in Polish")
