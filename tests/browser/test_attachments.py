"""Attachments in a real browser: the staff item page and the patient's tracking page with files
and with a refused file, accessible (no serious or critical axe violation, 400% zoom), and a file
attached and downloaded through the page as a person would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedback.choices import Status
from feedback.models import Attachment, AuditEvent
from feedback.services.attachments import attachment_add
from tests.attachment_files import EXE, PDF, png, upload
from tests.browser.conftest import Browsing
from tests.browser.test_staff_pages import check, sign_in
from tests.factories import FeedbackFactory, TrustFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trust(db: None) -> Any:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust")


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(username="handler", organisation=trust)


def choose_file(b: Browsing, path: Path, name: str, content: bytes) -> None:
    """Choose a file in the page's file upload, as from the computer's file picker."""
    path.write_bytes(content)
    chosen = path.with_name(name)
    path.rename(chosen)
    b.page.locator("input[type=file]").set_input_files(str(chosen))


def test_staff_item_page_with_attachments_and_a_refused_file(
    browsing: Browsing, trust: Any, handler: Any, attachment_storage: Path, tmp_path: Path
) -> None:
    item = FeedbackFactory(provider=trust, handled_by=trust, route="trust")
    attachment_add(
        feedback=item, uploaded_file=upload("IMG_0042.png", png(), "image/png"), by_patient=True
    )
    sign_in(browsing, "handler")
    page = browsing.page
    browsing.goto(f"/staff/items/{item.pk}/")
    check(browsing, "staff item: with an attachment")

    # A program named as a letter: the page comes back with the problem (400).
    # (The form is sent to ...#attach, so the page comes back scrolled to the problem.)
    attach = f"/staff/items/{item.pk}/attachments/"
    browsing.expected_errors.update({attach, f"{attach}#attach"})
    choose_file(browsing, tmp_path / "a", "letter.pdf", EXE)
    with page.expect_navigation():
        page.get_by_role("button", name="Attach file").click()
    assert page.locator(".nhsuk-error-summary").is_visible()
    assert "Attach a PDF, JPEG, PNG, Word document or plain text file" in (
        page.locator("#attach .nhsuk-error-message").inner_text()
    )
    check(browsing, "staff item: attachment refused")

    choose_file(browsing, tmp_path / "b", "Reply from the ward.pdf", PDF)
    with page.expect_navigation():
        page.get_by_role("button", name="Attach file").click()
    assert Attachment.objects.filter(feedback=item).count() == 2
    check(browsing, "staff item: file attached, with message")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Reply from the ward.pdf").click()
    download = downloading.value
    assert download.suggested_filename == "Reply from the ward.pdf"
    assert Path(download.path()).read_bytes() == PDF
    assert AuditEvent.objects.filter(action="attachment_downloaded", actor=handler).count() == 1


def test_tracking_page_the_patient_adds_a_photo_and_a_refused_file(
    browsing: Browsing, trust: Any, attachment_storage: Path, tmp_path: Path
) -> None:
    item = FeedbackFactory(
        provider=trust, handled_by=trust, route="trust", status=Status.ACKNOWLEDGED
    )
    b, page = browsing, browsing.page
    b.goto(f"/track/{item.tracking_token}/")
    check(b, "tracking: with the file upload")

    b.expected_errors.add(f"/track/{item.tracking_token}/attachments/")
    choose_file(b, tmp_path / "a", "photo.jpg", EXE)
    with page.expect_navigation():
        page.get_by_role("button", name="Add file").click()
    assert page.locator(".nhsuk-error-summary").is_visible()
    check(b, "tracking: file refused")

    choose_file(b, tmp_path / "b", "IMG_0042.png", png())
    with page.expect_navigation():
        page.get_by_role("button", name="Add file").click()
    assert "IMG_0042.png" in page.locator("#own-files").inner_text()
    check(b, "tracking: photo added, listed")
