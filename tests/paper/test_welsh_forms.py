"""Forms in Welsh as staff and patients meet them: staff print a batch in Cymraeg and get a PDF
whose every label is Welsh; a Welsh form filled in, scanned and uploaded is read back (its ticks,
its QR code, the handwriting with Tesseract's Welsh data) and becomes feedback in Welsh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pypdfium2
import pytest
from django.conf import settings
from django.test import Client

from feedback.choices import Channel
from feedback.models import Feedback
from paper import services
from paper.models import PageStatus, PrintBatch, ScanUpload
from paper.scan import reader, synthetic
from paper.scan.layout import CYMRAEG, FORMS, QrPayload, layout_in
from tests.factories import UserFactory
from tests.paper.scans import pdf_of, upload

pytestmark = pytest.mark.django_db(transaction=True)

# What a patient in Wales might write on the card.
SYLWADAU = [
    "Roedd y nyrsys yn garedig iawn ac fe esboniwyd popeth i mi.",
    "Bu'n rhaid aros pedair awr a doedd neb yn dweud pam.",
]


@pytest.fixture
def handler(trust: Any) -> Any:
    return UserFactory(organisation=trust)


@pytest.fixture
def client(handler: Any) -> Client:
    client = Client()
    client.force_login(handler)
    return client


@pytest.fixture(autouse=True)
def _read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        services, "enqueue_reading", lambda pk: services.scan_upload_read(upload_id=pk)
    )
    monkeypatch.setattr("feedback.services.intake.enqueue_analysis", lambda pk: None)


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _print(client: Client, form: str, language: str | None) -> tuple[PrintBatch, str]:
    data = {"form": form, "copies": "2", "service_name": "Ward 7"}
    if language is not None:
        data["language"] = language
    response = client.post("/staff/paper/", data)
    assert response.status_code == 302
    batch = PrintBatch.objects.latest("pk")
    pdf = client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    return batch, _pdf_text(pdf.content)


def test_the_print_page_offers_english_and_cymraeg(client):
    html = client.get("/staff/paper/").content.decode()
    assert "Language of the form" in html
    assert "English" in html and "Cymraeg" in html
    assert "Welsh forms will follow" not in html


@pytest.mark.parametrize("form", ["fft", "complaint"])
def test_a_form_printed_in_welsh_has_every_label_in_welsh(client, form):
    batch, text = _print(client, form, "cy")
    assert batch.language == "cy"
    welsh = layout_in(form, "cy")
    for words in [
        welsh.title,
        *(g.question for g in welsh.ticks),
        *(o.label for g in welsh.ticks for o in g.options),
        *(t.label for t in welsh.texts),
    ]:
        assert words in text, words
    assert f"swp {batch.code}" in text and "Ffurflen" in text
    english = FORMS[form]
    for words in [english.title, *(t.label for t in english.texts), "Hand it back to staff"]:
        assert words not in text
    assert "Cymraeg" in client.get("/staff/paper/").content.decode()


def test_a_form_printed_without_choosing_is_english_as_before(client):
    batch, text = _print(client, "fft", None)
    assert batch.language == "en"
    assert "Friends and Family Test" in text and "Very good" in text
    assert "Prawf Ffrindiau a Theulu" not in text


def test_welsh_words_the_portal_already_has_are_the_portals_own():
    catalogue = polib.pofile(
        str(Path(settings.BASE_DIR) / "locale" / "cy" / "LC_MESSAGES" / "django.po")
    )
    portal = {e.msgid: e.msgstr for e in catalogue if not e.obsolete and e.msgstr}
    shared = {english: welsh for english, welsh in CYMRAEG.items() if english in portal}
    assert len(shared) >= 16
    assert shared == {english: portal[english] for english in shared}


def test_the_qr_code_says_welsh_and_an_english_one_is_as_it_was():
    welsh = QrPayload("fft", 1, "ABCDEFGHJK", "RAL", "Ward 7", "cy")
    assert welsh.encode() == "NHSPV|1|fft|ABCDEFGHJK|RAL|Ward 7|cy"
    assert QrPayload.decode(welsh.encode()) == welsh
    english = QrPayload("fft", 1, "ABCDEFGHJK", "RAL", "Ward 7")
    assert english.encode() == "NHSPV|1|fft|ABCDEFGHJK|RAL|Ward 7"
    # A form printed before there were Welsh ones reads as English.
    assert QrPayload.decode("NHSPV|1|fft|ABCDEFGHJK|RAL|Ward 7") == english
    assert QrPayload.decode("NHSPV|1|fft|ABCDEFGHJK|RAL|Ward 7|fr") is None


def test_welsh_handwriting_is_read_in_welsh_when_its_data_is_installed(monkeypatch, tmp_path):
    has_welsh = Path(reader.tessdata_path(), "cym.traineddata").is_file()
    assert reader.ocr_language("cy") == ("cym" if has_welsh else "eng")
    assert reader.ocr_language("en") == "eng"
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert reader.ocr_language("cy") == "eng"


def test_a_welsh_scan_is_read_back_and_becomes_welsh_feedback(client, trust, handler):
    batch = services.print_batch_create(actor=handler, form="fft", copies=2, language="cy")
    pages = synthetic.generate(
        2,
        comments=SYLWADAU,
        seed=7,
        organisation_code=trust.ods_code,
        batch=batch.code,
        language="cy",
    )
    response = client.post("/staff/paper/uploads/", {"scans": [upload("ward.pdf", pdf_of(pages))]})
    result = ScanUpload.objects.get()
    assert response["Location"] == f"/staff/paper/uploads/{result.pk}/"
    scanned = list(result.pages.order_by("number"))
    assert [p.status for p in scanned] == [PageStatus.TO_CHECK] * 2
    for page, filled in zip(scanned, pages, strict=True):
        assert page.qr_text.endswith("|cy") and page.batch == batch
        assert page.language == "cy"
        for group in FORMS[page.form].ticks:
            assert page.fields[group.name]["value"] == filled.answers[group.name]
        # Welsh handwriting in a handwriting font reads poorly, but it is read.
        assert page.fields["text"]["value"]

    page = scanned[0]
    form = services.page_proposal(page)
    assert form["language"] == "cy"
    # The person checking types in what the patient wrote.
    form.update(text=SYLWADAU[0], name="", email="", phone="")
    form["kind"] = form.get("kind") or "suggestion"
    response = client.post(f"/staff/paper/pages/{page.pk}/", form)
    assert response.status_code == 302, response.context["form"].errors
    item = Feedback.objects.get()
    assert (item.channel, item.language, item.provider) == (Channel.PAPER, "cy", trust)
    assert item.fft_rating == int(pages[0].answers["fft_rating"])


def test_an_english_scan_still_becomes_english_feedback(client, trust, handler):
    batch = services.print_batch_create(actor=handler, form="complaint", copies=1)
    pages = synthetic.generate(
        2, comments=SYLWADAU, seed=5, organisation_code=trust.ods_code, batch=batch.code
    )
    client.post("/staff/paper/uploads/", {"scans": [upload("ward.pdf", pdf_of(pages[1:]))]})
    page = ScanUpload.objects.get().pages.get()
    assert page.language == "en" and not page.qr_text.endswith("|cy")
    form = services.page_proposal(page)
    form.update(text="Written on the form.", name="", email="", phone="")
    form["kind"] = form.get("kind") or "concern"
    response = client.post(f"/staff/paper/pages/{page.pk}/", form)
    assert response.status_code == 302, response.context["form"].errors
    assert Feedback.objects.get().language == settings.LANGUAGE_CODE
