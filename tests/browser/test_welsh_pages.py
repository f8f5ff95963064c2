"""A Welsh speaker's journey in a real browser (docs/adr/0021): from the "Cymraeg" link to the
tracking page, every page in Welsh, axe clean, no sideways scrolling at 400% zoom, the character
count counting in Welsh; and screenshots of three Welsh pages for the README.

The screenshots go to var/browser/screenshots/ on every run; to refresh the README's:

    SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/browser/test_welsh_pages.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from feedback.models import Feedback
from feedback.services.notifications import notification_send
from tests.browser.conftest import Browsing
from tests.browser.test_screenshots import OUT
from tests.factories import TrustFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = ("11-welsh-start", "12-welsh-question-with-error", "13-welsh-tracking")


def check(b: Browsing, name: str) -> None:
    assert b.page.locator("html").get_attribute("lang") == "cy", name
    b.assert_accessible(name)
    b.assert_reflows_at_400_percent_zoom(name)


def continue_(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Parhau").click()


def test_a_welsh_speaker_sends_feedback_and_tracks_it_in_welsh(
    new_browsing: Callable[..., Browsing],
) -> None:
    trust = TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")
    started = time.time()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in SCREENSHOTS:  # never pass on an old picture
        (OUT / f"{name}.png").unlink(missing_ok=True)

    b = new_browsing(width=1024, height=768)
    page = b.page
    b.goto("/")
    switcher = page.locator("#language-cy")
    assert (switcher.get_attribute("lang"), switcher.get_attribute("hreflang")) == ("cy", "cy")
    with page.expect_navigation():
        switcher.click()
    assert page.url.endswith("/cy/")
    assert page.get_by_role("heading", level=1).inner_text() == "Dweud wrth y GIG am eich gofal"
    check(b, "Welsh start page")
    page.screenshot(path=str(OUT / f"{SCREENSHOTS[0]}.png"), full_page=True)

    page.get_by_role("link", name="Fersiwn hawdd ei ddeall").click()
    page.wait_for_load_state()
    assert "Gallwch chi ddweud wrth y GIG am y gofal a gawsoch chi." in page.content()
    check(b, "Welsh easy read start page")

    with page.expect_navigation():
        page.get_by_role("button", name="Dechrau nawr").click()
    continue_(page)  # nothing chosen: the error, in Welsh
    assert page.title().startswith("Gwall: ")
    assert "Mae problem" in page.locator(".nhsuk-error-summary").inner_text()
    check(b, "Welsh question with an error")
    page.screenshot(path=str(OUT / f"{SCREENSHOTS[1]}.png"), full_page=True)
    page.get_by_label("Cwyn", exact=True).check()
    continue_(page)
    page.get_by_label("Ysbyty (acíwt)").check()
    check(b, "Welsh kind of service")
    continue_(page)
    page.get_by_label("Ymddiriedolaeth GIG", exact=True).select_option(label=trust.name)
    check(b, "Welsh where")
    continue_(page)
    page.get_by_label("Gwael iawn", exact=True).check()
    continue_(page)
    box = page.get_by_label("Dywedwch wrthym ni beth ddigwyddodd")
    box.fill("Bu'n rhaid i Mam aros 12 awr yn yr adran frys heb i neb ddweud dim wrthym ni.")
    # The count is the component's, in Welsh: the page's words for it.
    page.locator(".nhsuk-character-count__status:not(.nhsuk-u-visually-hidden)").wait_for()
    assert "nod ar ôl" in page.locator(".nhsuk-character-count").inner_text()
    check(b, "Welsh what happened")
    continue_(page)
    page.get_by_label("Nac oes", exact=True).check()
    continue_(page)
    page.get_by_label("Ie", exact=True).check()
    check(b, "Welsh are you the patient")
    continue_(page)
    page.get_by_label("Cyfeiriad e-bost").fill("ann@example.com")
    check(b, "Welsh contact details")
    continue_(page)
    check(b, "Welsh communication needs")
    continue_(page)
    assert "Gwiriwch eich atebion" in page.get_by_role("heading", level=1).inner_text()
    check(b, "Welsh check your answers")
    with page.expect_navigation():
        page.get_by_role("button", name="Anfon adborth").click()
    assert "Adborth wedi'i anfon" in page.content().replace("&#x27;", "'")
    check(b, "Welsh confirmation")

    with page.expect_navigation():
        page.locator("#tracking-link").click()
    item = Feedback.objects.get()
    assert page.url.endswith(f"/cy/track/{item.tracking_token}/")
    assert "Eich cwyn" in page.get_by_role("heading", level=1).inner_text()
    check(b, "Welsh tracking page")
    page.screenshot(path=str(OUT / f"{SCREENSHOTS[2]}.png"), full_page=True)
    with page.expect_navigation():
        page.locator("#easy-read-link").click()
    assert "Rydym ni wedi cael eich adborth." in page.locator("#easy-read").inner_text()
    check(b, "Welsh tracking page in easy read")

    notification_send(notification_id=item.notifications.get().pk)
    assert mail.outbox[-1].subject == "Rydym ni wedi cael eich cwyn"

    # Back to English from any page: the same page, in English.
    with page.expect_navigation():
        page.locator("#language-en-gb").click()
    assert f"/track/{item.tracking_token}/?easy-read=1" in page.url and "/cy/" not in page.url
    assert page.locator("html").get_attribute("lang") == "en-GB"

    for name in SCREENSHOTS:
        written = OUT / f"{name}.png"
        assert written.exists() and written.stat().st_mtime >= started, name


def test_a_welsh_page_not_found_is_accessible(browsing: Browsing) -> None:
    browsing.expected_errors.add("/cy/track/nothing-here/")
    browsing.goto("/cy/track/nothing-here/")
    assert "Heb ddod o hyd" in browsing.page.get_by_role("heading", level=1).inner_text()
    check(browsing, "Welsh page not found")


def test_a_browser_set_to_welsh_opens_the_welsh_start_page(
    new_browsing: Callable[..., Browsing],
) -> None:
    b = new_browsing(locale="cy")
    b.goto("/")
    assert b.page.url.endswith("/cy/")
    with b.page.expect_navigation():
        b.page.locator("#language-en-gb").click()
    # Chosen: English stays English, though the browser still asks for Welsh.
    assert b.page.url == b.base_url + "/"
    assert b.page.locator("html").get_attribute("lang") == "en-GB"
