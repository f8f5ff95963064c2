"""The patient's journey in a real browser: accessible in every state, with and without
JavaScript, at 400% zoom, and by keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from feedback.choices import OrganisationKind, Status
from feedback.models import Feedback, Organisation
from tests.browser.conftest import Browsing
from tests.factories import FeedbackFactory, TrustFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "My mother waited 12 hours on a trolley in A&E and nobody told us why."


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


def continue_(b: Browsing) -> None:
    # Wait for the next page itself: on a busy machine the old page is still "loaded" when the
    # click returns, and axe would read a page half parsed.
    with b.page.expect_navigation():
        b.page.get_by_role("button", name="Continue").click()


def check(b: Browsing, name: str) -> None:
    b.assert_accessible(name)
    b.assert_reflows_at_400_percent_zoom(name)


def test_every_patient_page_in_every_state_has_no_serious_axe_violations(
    browsing: Browsing, trust: Any
) -> None:
    b, page = browsing, browsing.page
    b.goto("/")
    check(b, "start")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()

    # Question 1: empty, with an error, answered.
    check(b, "kind: empty")
    continue_(b)
    assert page.locator(".nhsuk-error-summary").is_visible()
    check(b, "kind: with errors")
    page.get_by_label("Complaint").check()
    check(b, "kind: answered")
    continue_(b)

    check(b, "service: empty")
    continue_(b)
    check(b, "service: with errors")
    page.get_by_label("Hospital (acute)").check()
    check(b, "service: answered")
    continue_(b)

    check(b, "where: empty")
    place = page.get_by_label("If you do not know, where was the care?")
    place.fill("x" * 101)
    continue_(b)
    check(b, "where: with errors")
    page.get_by_label("If you do not know, where was the care?").fill("")
    page.get_by_label("NHS trust", exact=True).select_option(label=trust.name)
    check(b, "where: answered")
    continue_(b)

    check(b, "experience: empty")
    continue_(b)
    check(b, "experience: with errors")
    page.get_by_label("Don't know", exact=True).check()
    check(b, "experience: answered")
    continue_(b)

    check(b, "what happened: empty")
    continue_(b)
    check(b, "what happened: with errors (empty)")
    textarea = page.get_by_label("Tell us what happened")
    textarea.fill("x" * (settings.FEEDBACK_TEXT_MAX_LENGTH + 10))
    # The character count (JavaScript) tells the patient before they send it.
    assert "10 characters too many" in page.locator(".nhsuk-character-count__status").inner_text()
    check(b, "what happened: over the limit (count)")
    continue_(b)
    check(b, "what happened: with errors (too long)")
    page.get_by_label("Tell us what happened").fill(TEXT)
    check(b, "what happened: answered")
    continue_(b)

    check(b, "safety: empty")
    continue_(b)
    assert page.locator(".nhsuk-error-summary").is_visible()
    check(b, "safety: with errors")
    page.get_by_label("No", exact=True).check()
    check(b, "safety: answered")
    continue_(b)

    # Are you the patient? "No" reveals who they are to the patient and the patient's consent.
    check(b, "patient: empty")
    relationship = page.get_by_label("Son or daughter")
    assert not relationship.is_visible()
    continue_(b)
    assert page.locator(".nhsuk-error-summary").is_visible()
    check(b, "patient: with errors")
    page.get_by_label("No, I am writing for someone else").check()
    assert page.get_by_label("Son or daughter").is_visible()
    check(b, "patient: someone else, revealed")
    continue_(b)
    assert page.locator(".nhsuk-error-summary").is_visible()
    check(b, "patient: someone else, with errors")
    page.get_by_label("Son or daughter").check()
    page.get_by_label("The patient's full name").fill("Edith Example")
    page.get_by_label("I will need to ask them").check()
    check(b, "patient: someone else, answered")
    continue_(b)

    check(b, "your details: empty")
    page.get_by_label("Email address").fill("not an email")
    continue_(b)
    check(b, "your details: with errors")
    page.get_by_label("Full name").fill("Ann Example")
    page.get_by_label("Email address").fill("ann@example.com")
    page.get_by_label("NHS number").fill("943 476 5918")  # wrong check digit
    check(b, "your details: filled")
    continue_(b)

    check(b, "communication: empty")
    language = page.get_by_label("Which language do you need an interpreter for?")
    assert not language.is_visible()
    page.get_by_label("An interpreter", exact=True).check()
    # Ticking the box reveals the language question beneath it (NHS conditional checkboxes).
    assert language.is_visible()
    check(b, "communication: interpreter ticked")
    continue_(b)
    assert page.locator(".nhsuk-error-summary").is_visible()
    check(b, "communication: with errors")
    page.get_by_label("Which language do you need an interpreter for?").fill("Polish")
    page.get_by_label("Large print").check()
    check(b, "communication: answered")
    continue_(b)

    check(b, "check your answers")
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    # The service rejects the NHS number: the problem is shown where it was asked.
    assert "Your contact details" in page.locator("h1").inner_text()
    check(b, "your details: NHS number rejected on sending")
    page.get_by_label("NHS number").fill("943 476 5919")
    continue_(b)
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()

    assert page.locator("h1").inner_text() == "Feedback sent"
    check(b, "confirmation")
    with page.expect_navigation():
        page.locator("#tracking-link").click()
    assert page.locator("#status").inner_text() == "Received"
    check(b, "tracking: received")

    item = Feedback.objects.get()
    item.handled_by = trust
    item.status = Status.RESPONDED
    item.save()
    page.reload()
    check(b, "tracking: responded")


def test_unknown_tracking_link_is_an_accessible_not_found_page(browsing: Browsing) -> None:
    browsing.expected_errors.add("/track/not-a-link/")
    browsing.goto("/track/not-a-link/")
    assert browsing.page.locator("h1").inner_text() == "Page not found"
    # The browser logs the page's own 404 status; anything else is a problem.
    browsing.problems = [p for p in browsing.problems if "status of 404" not in p]
    browsing.assert_accessible("tracking: unknown link")


def test_a_patient_searches_for_their_gp_practice_and_chooses_it(
    browsing: Browsing, trust: Any
) -> None:
    icb = trust.icb
    for code, name, address, postcode in [
        ("B82007", "Townhead Surgery", "Townhead, Settle, North Yorkshire", "BD24 9JA"),
        ("B82018", "Cross Hills Group Practice", "Holme Lane, Cross Hills, Keighley", "BD20 7LG"),
    ]:
        Organisation.objects.create(
            ods_code=code,
            name=name,
            kind=OrganisationKind.GP_PRACTICE,
            icb=icb,
            address=address,
            postcode=postcode,
        )
    b, page = browsing, browsing.page
    b.goto("/feedback/new/")
    page.get_by_label("Complaint").check()
    continue_(b)
    page.get_by_label("GP practice").check()
    continue_(b)
    check(b, "where (GP): search")
    page.get_by_label("Find the GP practice").fill("zzz")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert "No GP practice found" in page.content()
    check(b, "where (GP): nothing found")
    page.get_by_label("Find the GP practice").fill("settle")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    check(b, "where (GP): results")
    page.get_by_label("Townhead Surgery").check()
    continue_(b)
    assert page.url.endswith("/feedback/new/experience/")
    with page.expect_navigation():
        page.get_by_role("link", name="Back").click()
    # Coming back, the practice chosen is shown and still chosen.
    assert page.get_by_label("Townhead Surgery").is_checked()
    assert not b.problems, b.problems


def test_the_journey_works_without_javascript(browsing_without_js: Browsing, trust: Any) -> None:
    b, page = browsing_without_js, browsing_without_js.page
    b.goto("/")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    continue_(b)
    # Without JavaScript the error summary is still there and its links still go to the field.
    page.locator(".nhsuk-error-summary a").click()
    assert page.url.endswith("#kind")
    page.get_by_label("Concern").check()
    continue_(b)
    page.get_by_label("Something else, or I am not sure").check()
    continue_(b)
    page.get_by_label("NHS trust", exact=True).select_option(label=trust.name)
    continue_(b)
    page.get_by_label("Good", exact=True).check()
    continue_(b)
    assert "You can enter up to 5000 characters" in page.content()
    page.get_by_label("Tell us what happened").fill(TEXT)
    continue_(b)
    page.get_by_label("I'm not sure", exact=True).check()
    continue_(b)
    # Without JavaScript the questions for someone writing for the patient are always shown.
    page.get_by_label("No, I am writing for someone else").check()
    page.get_by_label("Someone else", exact=True).check()
    page.get_by_label("If someone else, how do you know them?").fill("Neighbour")
    page.get_by_label("Not needed: the patient has died").check()
    continue_(b)
    continue_(b)  # contact details are optional
    # Without JavaScript the language question is always shown, after its box.
    page.get_by_label("An interpreter", exact=True).check()
    page.get_by_label("Which language do you need an interpreter for?").fill("Urdu")
    continue_(b)
    with page.expect_navigation():
        page.get_by_role("button", name="Send feedback").click()
    assert page.locator("h1").inner_text() == "Feedback sent"
    page.locator("#tracking-link").click()
    assert page.locator("#status").inner_text() == "Received"
    assert not b.problems, b.problems
    item = Feedback.objects.get()
    assert (item.kind, item.service_type, item.text) == ("concern", "", TEXT)
    assert (item.relationship, item.relationship_other, item.consent) == (
        "other",
        "Neighbour",
        "died",
    )
    assert (item.communication_needs, item.interpreter_language) == (["interpreter"], "Urdu")


FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const visible = (style) =>
    (style.boxShadow && style.boxShadow !== 'none') ||
    (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 &&
     !/rgba\\(0, 0, 0, 0\\)|transparent/.test(style.outlineColor));
  // Radios and checkboxes hide the native control and draw focus on the label's ::before.
  const label = el.matches('.nhsuk-radios__input, .nhsuk-checkboxes__input')
    ? el.parentElement.querySelector('label') : null;
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: (el.getAttribute('name') || ''),
    text: (el.innerText || el.value || '').trim().slice(0, 60),
    classes: el.className,
    focusVisible: el.matches(':focus-visible'),
    indicator: label ? visible(getComputedStyle(label, '::before')) : visible(getComputedStyle(el)),
  };
}"""


class Keyboard:
    """Moves through a page with Tab alone, checking at every stop that focus can be seen."""

    def __init__(self, b: Browsing) -> None:
        self.b = b
        self.page = b.page
        self.stops: list[dict[str, Any]] = []

    def focused(self) -> dict[str, Any] | None:
        state: dict[str, Any] | None = self.page.evaluate(FOCUS_STATE)
        return state

    def assert_focus_visible(self) -> dict[str, Any]:
        state = self.focused()
        assert state is not None, f"focus lost on {self.page.url}"
        assert state["focusVisible"] and state["indicator"], f"focus not visible: {state}"
        self.stops.append(state)
        return state

    def tab_to(self, matches: Any, limit: int = 40) -> dict[str, Any]:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            state = self.assert_focus_visible()
            if matches(state):
                return state
        raise AssertionError(f"never reached the element by Tab on {self.page.url}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def go(self, key: str = "Enter") -> None:
        """Press a key that loads another page, and wait for it."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def is_button(label: str) -> Any:
    return lambda s: s["tag"] in ("button", "a") and s["text"] == label


def test_whole_patient_journey_by_keyboard_with_focus_always_visible(
    browsing: Browsing, trust: Any
) -> None:
    keys = Keyboard(browsing)
    browsing.goto("/")
    first = keys.tab_to(lambda s: True)
    assert first["text"] == "Skip to main content"
    keys.tab_to(is_button("Start now"))
    keys.go()

    # Sending the page unanswered: the error summary takes focus and its link leads to the radios.
    keys.tab_to(is_button("Continue"))
    keys.go()
    summary = keys.focused()
    assert summary is not None and "nhsuk-error-summary" in summary["classes"]
    keys.tab_to(lambda s: s["tag"] == "a" and "Select if this is a complaint" in s["text"])
    keys.press("Enter")
    assert keys.assert_focus_visible()["id"] == "kind"
    keys.press("Space")  # Complaint
    keys.tab_to(is_button("Continue"))
    keys.go()

    keys.tab_to(lambda s: s["name"] == "service_type")
    keys.press("ArrowDown")  # from the first radio to the second: Mental health service
    assert keys.assert_focus_visible()["id"] == "service_type-2"
    keys.tab_to(is_button("Continue"))
    keys.go()

    keys.tab_to(lambda s: s["id"] == "provider")
    keys.page.keyboard.type("Royal Free")  # a closed select picks the option typed
    assert keys.page.input_value("#provider") == trust.ods_code
    keys.tab_to(lambda s: s["id"] == "wants_commissioner")
    keys.tab_to(is_button("Continue"))
    keys.go()

    # Radios are one tab stop: arrow keys move (and select) within them, past the divider.
    keys.tab_to(lambda s: s["name"] == "fft_rating")
    for _ in range(5):
        keys.press("ArrowDown")
    assert keys.assert_focus_visible()["id"] == "fft_rating-6"  # Don't know
    keys.tab_to(is_button("Continue"))
    keys.go()

    keys.tab_to(lambda s: s["id"] == "text")
    keys.page.keyboard.type(TEXT)
    keys.tab_to(is_button("Continue"))
    keys.go()

    keys.tab_to(lambda s: s["name"] == "safety_answer")
    keys.press("ArrowDown")
    keys.press("ArrowDown")
    assert keys.assert_focus_visible()["id"] == "safety_answer-3"  # No
    keys.tab_to(is_button("Continue"))
    keys.go()

    keys.tab_to(lambda s: s["name"] == "complainant_status")
    keys.press("Space")
    assert keys.assert_focus_visible()["id"] == "complainant_status"  # Yes
    keys.tab_to(is_button("Continue"))
    keys.go()

    keys.tab_to(lambda s: s["id"] == "name")
    keys.page.keyboard.type("Ann Example")
    keys.tab_to(lambda s: s["id"] == "email")
    keys.page.keyboard.type("ann@example.com")
    keys.tab_to(is_button("Continue"))
    keys.go()

    # Checkboxes are a tab stop each; the interpreter's reveals the language box next in order.
    keys.tab_to(lambda s: s["id"] == "communication_needs-interpreter")
    keys.press("Space")
    keys.tab_to(lambda s: s["id"] == "interpreter_language")
    keys.page.keyboard.type("Polish")
    keys.tab_to(is_button("Continue"))
    keys.go()

    assert "Check your answers" in keys.page.locator("h1").inner_text()
    keys.tab_to(is_button("Send feedback"))
    keys.go()
    assert keys.page.locator("h1").inner_text() == "Feedback sent"
    keys.tab_to(lambda s: s["id"] == "tracking-link")
    keys.go()
    assert keys.page.locator("#status").inner_text() == "Received"

    item = Feedback.objects.get()
    assert (item.kind, item.service_type, item.provider_id) == (
        "complaint",
        "mental_health",
        trust.pk,
    )
    assert item.identity.name == "Ann Example"
    assert (item.communication_needs, item.interpreter_language) == (["interpreter"], "Polish")
    # Every kind of control was reached and showed its focus.
    reached = {s["tag"] for s in keys.stops}
    assert {"a", "button", "input", "select", "textarea"} <= reached
    assert not browsing.problems, browsing.problems


def test_tracking_page_shows_each_status_as_a_tag(browsing: Browsing, trust: Any) -> None:
    for status in Status:
        item = FeedbackFactory(provider=trust, handled_by=trust, status=status)
        browsing.goto(f"/track/{item.tracking_token}/")
        tag = browsing.page.locator("#status .nhsuk-tag")
        assert tag.inner_text() == status.label
        assert re.search(r"nhsuk-tag--\w+", tag.get_attribute("class") or "")
        browsing.assert_accessible(f"tracking: {status.label.lower()}")


def test_tracking_page_actions_and_the_response_in_each_state(
    browsing: Browsing, trust: Any
) -> None:
    from django.core import mail

    from feedback.models import Identity

    b, page = browsing, browsing.page
    item = FeedbackFactory(
        provider=trust, handled_by=trust, status=Status.AWAITING_COMPLAINANT, route="trust"
    )
    b.goto(f"/track/{item.tracking_token}/")
    check(b, "tracking: waiting for the patient, with the form to answer")
    b.expected_errors.add(f"/track/{item.tracking_token}/add/")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert page.locator(".nhsuk-error-message").count() >= 1
    check(b, "tracking: answer left empty")

    answered = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        status=Status.RESPONDED,
        route="cqc",
        response_text="We have looked into it. You can ask the Ombudsman to review it.",
    )
    Identity.objects.create(feedback=answered, email="pat@example.com")
    b.goto(f"/track/{answered.tracking_token}/")
    check(b, "tracking: sent to the CQC, response behind a code")
    with page.expect_navigation():
        page.get_by_role("button", name="Email me a code").click()
    check(b, "tracking: code sent")
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    page.get_by_label("Code from the email").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Show the response").click()
    assert "We have looked into it." in page.locator("#response + .nhsuk-inset-text").inner_text()
    check(b, "tracking: the response shown")
