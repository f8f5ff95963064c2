"""The FFT upload pages in a real browser: the upload page empty, with errors and with uploads,
an upload refused with its rows to correct, one done, and one being read (the page following
it): no serious or critical axe violations, reflow at 400% zoom, no console or CSP errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Browsing
from tests.browser.test_staff_pages import check, sign_in, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(username="handler", organisation=trust)


def test_fft_upload_pages(
    browsing: Browsing, trust: Any, handler: Any, monkeypatch: Any, attachment_storage: Any
) -> None:
    from feedback.choices import FftUploadStatus
    from feedback.models import FftUpload, User
    from feedback.services import fft_rows, fft_uploads
    from tests.fft_files import ROWS, csv_bytes

    # The worker's part runs as soon as the upload is committed; nothing is sent for analysis.
    monkeypatch.setattr(
        fft_uploads, "enqueue_processing", lambda pk: fft_uploads.fft_upload_process(upload_id=pk)
    )
    monkeypatch.setattr(fft_rows, "enqueue_analysis_batches", lambda ids: None)
    sign_in(browsing, "handler")
    browsing.goto("/staff/fft-uploads/")
    check(browsing, "fft uploads: empty")
    browsing.expected_errors.add("/staff/fft-uploads/")
    submit(browsing, "main form[method='post']")
    assert browsing.page.locator(".nhsuk-error-summary").count() == 1
    check(browsing, "fft uploads: with errors")

    bad = attachment_storage.parent / "october with mistakes.csv"
    bad.write_bytes(csv_bytes([*ROWS, ("31/09/2026", "", "Superb", "Fine", "")]))
    browsing.page.set_input_files("#fft-file", str(bad))
    submit(browsing, "main form[method='post']")
    assert "Rows to correct" in browsing.page.content()
    check(browsing, "fft upload: rejected, rows to correct")

    good = attachment_storage.parent / "october.csv"
    good.write_bytes(csv_bytes())
    browsing.goto("/staff/fft-uploads/")
    browsing.page.set_input_files("#fft-file", str(good))
    submit(browsing, "main form[method='post']")
    assert "Done: 6 of 6 rows added" in browsing.page.content()
    check(browsing, "fft upload: done")
    browsing.goto("/staff/fft-uploads/")
    check(browsing, "fft uploads: with uploads")

    running = FftUpload.objects.create(
        organisation=trust,
        uploaded_by=User.objects.get(username="handler"),
        file_name="november.csv",
        file_format="csv",
        file_size=100,
        file_digest="1" * 64,
        status=FftUploadStatus.CHECKING,
        rows_checked=5000,
    )
    browsing.goto(f"/staff/fft-uploads/{running.pk}/")
    check(browsing, "fft upload: running, the page following it")
