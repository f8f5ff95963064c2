"""The reader on generated scans and photos: marks found at any rotation, the QR code read, the
ticks right, the handwriting sent to Tesseract; blank and spoilt pages told apart. No Django."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from paper.scan import reader, synthetic
from paper.scan.layout import FORMS, QrPayload
from tests.paper.comments import COMMENTS


@pytest.fixture(scope="module")
def pages() -> list[synthetic.Filled]:
    # Half photographed (perspective, shadow, a table around the page), every rotation.
    return synthetic.generate(16, comments=COMMENTS, seed=7, batch="K7M2Q9XZAB")


def test_every_generated_page_is_aligned_and_its_qr_code_read(pages):
    for page in pages:
        reading = reader.read_page(page.image, ocr=False)
        assert reading.status == "read", page.transforms
        assert reading.qr == QrPayload(page.form, 1, "K7M2Q9XZAB", "RJ1", "")
        assert reading.form == page.form


def test_the_boxes_ticked_are_read_with_confidence(pages):
    for page in pages:
        reading = reader.read_page(page.image, ocr=False)
        for group in FORMS[page.form].ticks:
            field = reading.fields[group.name]
            assert field.value == page.answers[group.name], (group.name, page.transforms)
            assert not field.low


def test_rotation_by_any_angle_is_undone():
    rng = random.Random(3)
    rgb, answers = synthetic.fill_form("fft", rng=rng, comment=COMMENTS[0])
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    for turn in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE):
        reading = reader.read_page(cv2.rotate(bgr, turn), ocr=False)
        assert reading.fields["fft_rating"].value == answers["fft_rating"]


def test_two_ticks_in_one_question_are_doubtful():
    rgb, _ = synthetic.fill_form(
        "complaint",
        rng=random.Random(1),
        comment=COMMENTS[1],
        ticks={"kind": ["complaint", "concern"], "service_type": []},
    )
    reading = reader.read_page(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), ocr=False)
    assert reading.fields["kind"].confidence == 0.0
    assert reading.fields["kind"].low
    # Nothing ticked: no answer, and not certain there is none.
    assert reading.fields["service_type"].value == ""
    assert reading.fields["service_type"].low


def test_printed_words_are_read_by_tesseract_and_empty_boxes_are_not():
    dejavu = (synthetic.FALLBACK_FONT,)
    rgb, answers = synthetic.fill_form(
        "fft", rng=random.Random(5), comment=COMMENTS[3], name="Ann Clarke", fonts=dejavu
    )
    reading = reader.read_page(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    read = " ".join(reading.fields["text"].value.split()).lower()
    assert _cer(answers["text"].lower(), read) < 0.1, read
    assert 0 < reading.fields["text"].confidence <= 1
    assert reading.fields["contact"].value == ""
    assert reading.fields["contact"].confidence == 1.0


def test_a_blank_sheet_is_blank():
    assert reader.read_page(synthetic.blank_sheet(seed=2).image).status == "blank"


def test_a_page_without_marks_is_unaligned_and_shown_whole():
    page = np.full((1400, 1000, 3), 255, np.uint8)
    cv2.putText(page, "A letter, not our form", (80, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 5)
    reading = reader.read_page(page)
    assert reading.status == "unaligned"
    assert reading.fields == {}


def test_a_spoilt_qr_code_leaves_the_organisation_unknown_but_the_form_is_still_read():
    rgb, answers = synthetic.fill_form(
        "complaint", rng=random.Random(9), comment=COMMENTS[2], spoil_qr=True
    )
    reading = reader.read_page(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), ocr=False)
    assert reading.status == "read"
    assert reading.qr is None
    assert reading.form == "complaint"  # from the square printed in its slot
    assert reading.fields["kind"].value == answers["kind"]


def test_qr_payloads_round_trip_and_other_codes_are_not_ours():
    payload = QrPayload("fft", 1, "ABCDEFGH23", "RJ1", "Ward 7 | North")
    decoded = QrPayload.decode(payload.encode())
    assert decoded is not None
    assert (decoded.batch, decoded.organisation, decoded.service) == (
        "ABCDEFGH23",
        "RJ1",
        "Ward 7 / North",
    )
    assert QrPayload.decode("https://www.nhs.uk/") is None
    assert QrPayload.decode("NHSPV|9|fft|B|RJ1|") is None  # a version this reader does not know


def _cer(truth: str, read: str) -> float:
    from paper.scan.metrics import character_error_rate

    return character_error_rate(truth, read)


def _printed(lines: list[str]) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (900, 80 * len(lines) + 40), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(synthetic.FALLBACK_FONT, 40)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 80 * i), line, font=font, fill=0)
    return np.array(image)


def test_tesseract_reads_words_with_their_lines_boxes_and_confidences():
    words = reader.ocr_words(_printed(["Kind nurses on the ward", "Parking was hard"]))
    assert [w.text for w in words] == [
        "Kind",
        "nurses",
        "on",
        "the",
        "ward",
        "Parking",
        "was",
        "hard",
    ]
    assert [w.line for w in words] == [(1, 1, 1)] * 5 + [(1, 1, 2)] * 3
    assert all(w.confidence > 80 for w in words)
    assert words[0].top < words[0].bottom < words[-1].top


def test_each_thread_keeps_its_own_tesseract_loaded():
    import threading

    first = reader.tesseract_api("eng")
    assert reader.tesseract_api("eng") is first
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(reader.tesseract_api("eng")))
    thread.start()
    thread.join()
    assert other and other[0] is not first


def test_tessdata_is_found_from_the_environment_first(monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert reader.tessdata_path() == f"{tmp_path}/"
    monkeypatch.delenv("TESSDATA_PREFIX")
    assert (Path(reader.tessdata_path()) / "eng.traineddata").is_file()
