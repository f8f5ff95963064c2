"""Paper forms in a real browser, from printing to confirmed feedback: a member of staff prints
a batch, uploads 50 generated scans (and a blank sheet) as one PDF, the pages are read by a
worker thread as the imports queue would read them while the page follows it, then the handler
checks every page beside its images, corrects the handwriting and confirms it: 50 paper items,
each with its scan attached. Bad uploads are refused with the reason and nothing saved. Every
page state: no serious or critical axe violations, reflow at 400% zoom."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import cv2
import pytest

from tests.browser.conftest import Browsing
from tests.browser.test_staff_pages import check, sign_in, submit
from tests.factories import UserFactory
from tests.paper.comments import COMMENTS

pytestmark = pytest.mark.django_db(transaction=True)

FORMS = 50


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(username="handler", organisation=trust)


@pytest.fixture
def worker_thread(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The worker's part runs in a thread once the upload is committed, as the imports queue
    would run it beside the web process: the page follows it until it is done."""
    from django.db import connection

    from paper import services

    threads: list[threading.Thread] = []

    def read(pk: int) -> None:
        try:
            services.scan_upload_read(upload_id=pk)
        finally:
            connection.close()

    def enqueue(pk: int) -> None:
        thread = threading.Thread(target=read, args=(pk,), daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(services, "enqueue_reading", enqueue)
    return threads


def _scans(trust: Any, batch_code: str) -> tuple[bytes, list[Any]]:
    """50 filled forms (one with its QR code spoilt) and a blank sheet, as one scanned PDF."""
    from paper.scan import synthetic

    pages = synthetic.generate(
        FORMS - 1,
        comments=COMMENTS,
        seed=50,
        organisation_code=trust.ods_code,
        batch=batch_code,
        photo_share=0.3,
    )
    rng = random.Random(51)
    rgb, answers = synthetic.fill_form(
        "fft",
        rng=rng,
        comment=COMMENTS[0],
        organisation_code=trust.ods_code,
        batch=batch_code,
        spoil_qr=True,
    )
    spoilt = synthetic.Filled("fft", answers, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    pages = [*pages[:10], spoilt, *pages[10:]]
    images = [p.image for p in pages]
    images.insert(25, synthetic.blank_sheet(seed=3).image)
    return synthetic.encode_pdf(images), pages


def test_fifty_scans_from_upload_to_confirmed_items(
    browsing: Browsing,
    trust: Any,
    handler: Any,
    worker_thread: list[threading.Thread],
    attachment_storage: Any,
) -> None:
    from feedback.choices import Channel
    from feedback.models import Attachment, Feedback
    from paper.models import PageStatus, PrintBatch, ScanPage, ScanUpload

    sign_in(browsing, "handler")
    browsing.goto("/staff/paper/")
    check(browsing, "paper forms: print, empty")
    browsing.page.get_by_label("Complaint or concern form").check()
    browsing.page.get_by_label("Ward or service printed on the form (optional)").fill("Ward 7")
    browsing.page.get_by_label("How many copies?").fill("60")
    with browsing.page.expect_download() as download:
        browsing.page.get_by_role("button", name="Print (download the PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    batch = PrintBatch.objects.get()
    browsing.goto("/staff/paper/")
    assert batch.code in browsing.page.content()
    check(browsing, "paper forms: with a batch")

    # Bad uploads: the reason on the page, nothing saved.
    browsing.goto("/staff/paper/uploads/")
    check(browsing, "paper uploads: empty")
    browsing.expected_errors.add("/staff/paper/uploads/")
    not_a_scan = attachment_storage.parent / "minutes.pdf"
    not_a_scan.write_bytes(b"These are the minutes of the meeting, not a scan.\n")
    browsing.page.set_input_files("#paper-scans", str(not_a_scan))
    submit(browsing, "main form[method='post']")
    assert "minutes.pdf is not a PDF, JPEG or PNG" in browsing.page.content()
    check(browsing, "paper uploads: with errors")
    from tests.paper.scans import encrypted_pdf

    locked = attachment_storage.parent / "locked.pdf"
    locked.write_bytes(encrypted_pdf())
    browsing.page.set_input_files("#paper-scans", str(locked))
    submit(browsing, "main form[method='post']")
    assert "locked.pdf is protected by a password (encrypted)" in browsing.page.content()
    assert not ScanUpload.objects.exists()

    content, pages = _scans(trust, batch.code)
    scan = attachment_storage.parent / "ward 7 forms.pdf"
    scan.write_bytes(content)
    browsing.page.set_input_files("#paper-scans", str(scan))
    started = time.perf_counter()
    submit(browsing, "main form[method='post']")
    upload = ScanUpload.objects.get()
    # The page follows the reading (it reloads itself) until every page is read.
    deadline = started + 600
    while "pages read:" not in browsing.page.locator("main").inner_text():
        assert time.perf_counter() < deadline, "the pages were not read in 10 minutes"
        time.sleep(1)
    read_s = time.perf_counter() - started
    print(f"\n{FORMS + 1} scanned pages read in {read_s:.1f} s")
    for thread in worker_thread:
        thread.join(timeout=60)
    text = browsing.page.content()
    assert f"All {FORMS + 1} pages read: {FORMS} to check, 0 confirmed, 1 blank." in text
    assert "Page 26: nothing written or printed on it, so it was skipped." in text
    check(browsing, "paper upload: read, pages to check")

    checked = 0
    truth = {
        ScanPage.objects.get(upload=upload, number=n).pk: page
        for n, page in zip([n for n in range(1, FORMS + 2) if n != 26], pages, strict=True)
    }
    browsing.page.get_by_role("link", name="Check the pages").click()
    while "/staff/paper/pages/" in browsing.page.url:
        pk = int(browsing.page.url.rstrip("/").rsplit("/", 1)[1])
        page = truth[pk]
        if checked == 0:
            check(browsing, "paper page: checking screen")
        if page.answers.get("fft_rating") and "fft_rating" in page.answers:
            # The rating read from the tick box is already chosen.
            rating = browsing.page.locator(
                f"input[name='fft_rating'][value='{page.answers['fft_rating']}']"
            )
            assert rating.is_checked(), pk
        if "kind" in page.answers and page.form == "complaint":
            assert browsing.page.locator(
                f"input[name='kind'][value='{page.answers['kind']}']"
            ).is_checked()
        if "QR code not read" in browsing.page.content():
            check(browsing, "paper page: QR code not read")
            browsing.page.get_by_label("Organisation (ODS code)").fill(trust.ods_code)
        # The handler corrects the handwriting from the image.
        browsing.page.get_by_label("What they wrote").fill(page.answers["text"])
        browsing.page.get_by_label("Email address").fill("")
        browsing.page.get_by_label("Phone number").fill("")
        if page.answers.get("contact", "").count("@"):
            browsing.page.get_by_label("Email address").fill(page.answers["contact"])
        with browsing.page.expect_navigation():
            browsing.page.get_by_role("button", name="Confirm: it becomes feedback").click()
        checked += 1
        assert checked <= FORMS
    assert checked == FORMS
    assert f"/staff/paper/uploads/{upload.pk}/" in browsing.page.url
    assert f"All {FORMS + 1} pages read: 0 to check, {FORMS} confirmed, 1 blank." in (
        browsing.page.content()
    )
    check(browsing, "paper upload: every page confirmed")

    items = Feedback.objects.filter(channel=Channel.PAPER, provider=trust)
    assert items.count() == FORMS
    assert Attachment.objects.filter(feedback__in=items).count() == FORMS
    assert set(upload.pages.exclude(status=PageStatus.BLANK).values_list("status", flat=True)) == {
        PageStatus.CONFIRMED
    }
    texts = sorted(items.values_list("text", flat=True))
    assert texts == sorted(p.answers["text"] for p in pages)
