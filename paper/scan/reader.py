"""Reading a scanned or photographed form: find the alignment marks, straighten the page, read
the QR code, the tick boxes and (with Tesseract) the handwriting. No Django.

The steps, each with OpenCV on a grey image:
1. The paper's shading (a phone's shadow, a scanner's uneven lamp) is divided out by a blurred
   copy of the page, so one threshold separates ink from paper everywhere.
2. The alignment marks are the solid, square blobs; the four that span the largest area are the
   corners, the largest of them the top left. That fixes the rotation (any angle) and the
   perspective of a photo: the page is warped to a flat A4 at ``DPI``.
3. The QR code is read where it is printed; failing that, anywhere in the photo.
4. A tick box is ticked when enough of its inside is ink; the confidence says how far the ink
   is from the threshold, and a question with two ticks, or none, is doubtful.
5. A writing box with ink is read by Tesseract (``tesserocr``: the library in this process, its
   model loaded once per thread); its confidence is Tesseract's mean word confidence.
   Handwriting reads poorly: that is why staff confirm every page.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import tesserocr
from tesserocr import OEM, PSM, RIL, PyTessBaseAPI

from paper.scan.layout import (
    ENGLISH,
    FORM_CODE_SLOTS,
    FORMS,
    MARK_BIG_MM,
    MARK_SMALL_MM,
    MARKS,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    QR_BOX,
    WELSH,
    Box,
    FormLayout,
    QrPayload,
)

DPI = 150
PX_PER_MM = DPI / 25.4
PAGE_SIZE = (round(PAGE_WIDTH_MM * PX_PER_MM), round(PAGE_HEIGHT_MM * PX_PER_MM))
# Images are looked at no larger than this on their long side when finding the marks.
WORKING_LONG_SIDE = 1800
# A tick box is ticked when at least this share of its inside is darker than paper: on 500
# generated pages a tick or a cross covered 18% or more of a 7 mm box, an empty box none of it
# (specks, blur and shading included).
TICK_THRESHOLD = 0.03
# Below this share of ink a writing box is empty and is not sent to Tesseract.
EMPTY_TEXT_INK = 0.0008
# Below this share of ink a page with no marks is blank (the back of a sheet).
BLANK_PAGE_INK = 0.003
# Fields below this confidence are highlighted for the person checking.
LOW_CONFIDENCE = 0.8
# Tesseract's LSTM engine reading each stack of writing boxes as one block of text (what the
# command line's ``--oem 1 --psm 6`` asks for).
TESSERACT_OEM = OEM.LSTM_ONLY
TESSERACT_PSM = PSM.SINGLE_BLOCK
# Where Debian's tesseract-ocr-eng and -cym put the trained data (the wheel brings Tesseract,
# not its data).
DEBIAN_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"


@dataclass
class FieldReading:
    """What was read in one field, how sure the reader is (0-1), and where the field is on the
    straightened page (pixels: left, top, width, height)."""

    value: str
    confidence: float
    box: tuple[int, int, int, int]

    @property
    def low(self) -> bool:
        return self.confidence < LOW_CONFIDENCE

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "confidence": round(self.confidence, 3), "box": self.box}


@dataclass
class PageReading:
    """One page: ``status`` is "read" (marks found), "blank" (nothing on it) or "unaligned" (ink,
    but the marks were not found: the person checking reads the whole image)."""

    status: str
    qr: QrPayload | None = None
    form: str = ""
    fields: dict[str, FieldReading] = field(default_factory=dict)
    page: np.ndarray | None = None  # the straightened page, grey, when status is "read"
    ink: float = 0.0

    @property
    def qr_text(self) -> str:
        return self.qr.encode() if self.qr else ""

    @property
    def language(self) -> str:
        """The language the form was printed in, as its QR code says ("" when unread)."""
        return self.qr.language if self.qr else ""


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        return cv2.cvtColor(image, code)
    return image


def flatten(grey: np.ndarray, *, scale_px: float) -> np.ndarray:
    """The page with its shading divided out: paper near 255 everywhere, ink dark. The
    background is the page closed (ink removed) at a quarter size, then blurred."""
    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(3, int(scale_px * 0.25) | 1)
    background = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    background = cv2.GaussianBlur(background, (0, 0), k / 2)
    background = cv2.resize(
        background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    flat = cv2.divide(grey, np.maximum(background, 1), scale=255)
    return flat


def ink_mask(flat: np.ndarray, level: int = 150) -> np.ndarray:
    """Ink where the flattened page is well below paper white (light grey print stays paper)."""
    return (flat < level).astype(np.uint8)


# Inside a tick box anything clearly darker than paper is a mark: a thin blue biro line,
# blurred by the camera, is lighter than the printed black the marks are found by.
TICK_INK_LEVEL = 205


def _candidates(mask: np.ndarray) -> list[tuple[float, tuple[float, float]]]:
    """Solid, square blobs that could be alignment marks: (area, centre)."""
    h, w = mask.shape
    area_img = float(h * w)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours:
        area = cv2.contourArea(contour)
        # A 7 mm mark on a page that fills a quarter of the photo up to a 10 mm one on a page
        # that fills all of it.
        if not (area_img * 2e-5 < area < area_img * 4e-3):
            continue
        (cx, cy), (rw, rh), _ = cv2.minAreaRect(contour)
        if rw == 0 or rh == 0 or not 0.7 < rw / rh < 1.43:
            continue
        if area / (rw * rh) < 0.8:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        filled = mask[y : y + bh, x : x + bw].sum() / max(area, 1)
        if filled < 0.85:
            continue
        found.append((area, (cx, cy)))
    return found


def _quad_area(points: list[tuple[float, float]]) -> float:
    hull = cv2.convexHull(np.array(points, dtype=np.float32))
    return float(cv2.contourArea(hull)) if len(hull) == 4 else 0.0


def find_marks(mask: np.ndarray) -> list[tuple[float, float]] | None:
    """The four marks' centres, top left first and clockwise on the page, or None."""
    candidates = sorted(_candidates(mask), key=lambda c: -c[0])[:12]
    if len(candidates) < 4:
        return None
    best: tuple[float, tuple[Any, ...]] | None = None
    for four in itertools.combinations(candidates, 4):
        area = _quad_area([c[1] for c in four])
        if best is None or area > best[0]:
            best = (area, four)
    if best is None or best[0] == 0.0:
        return None
    four = best[1]
    centre = np.mean([c[1] for c in four], axis=0)
    # Clockwise on screen (y grows downwards), which is clockwise on the page: a photo is
    # never mirrored.
    ordered = sorted(four, key=lambda c: math.atan2(c[1][1] - centre[1], c[1][0] - centre[0]))
    # The top left mark is (10/7)^2 = 2 times the others. A photo's perspective makes near
    # marks larger, and the edges beside them longer: each mark's area is compared with the
    # two edges that meet at it.
    relative = []
    for i in range(4):
        here = ordered[i][1]
        edges = math.dist(here, ordered[i - 1][1]) * math.dist(here, ordered[(i + 1) % 4][1])
        relative.append(ordered[i][0] / max(edges, 1.0))
    start = max(range(4), key=lambda i: relative[i])
    if relative[start] < 1.4 * sorted(relative)[2]:
        return None
    ordered = ordered[start:] + ordered[:start]
    points = [c[1] for c in ordered]
    areas = sorted(c[0] for c in four)
    # The marks' sizes must agree with the quadrilateral they span (a page, not four specks).
    side = math.dist(points[0], points[1])
    expected = (PAGE_WIDTH_MM - 2 * 10 - (MARK_BIG_MM + MARK_SMALL_MM) / 2) / MARK_SMALL_MM
    small_side = math.sqrt(areas[0])
    if not 0.5 < side / (small_side * expected) < 2.0:
        return None
    return points


def _px(box: Box) -> tuple[int, int, int, int]:
    return (
        round(box.x * PX_PER_MM),
        round(box.y * PX_PER_MM),
        round(box.w * PX_PER_MM),
        round(box.h * PX_PER_MM),
    )


def _crop(image: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = _px(box)
    return image[max(y, 0) : y + h, max(x, 0) : x + w]


def straighten(grey: np.ndarray, marks: list[tuple[float, float]]) -> np.ndarray:
    source = np.array(marks, dtype=np.float32)
    target = np.array(
        [[m.centre[0] * PX_PER_MM, m.centre[1] * PX_PER_MM] for m in MARKS], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(source, target)
    return cv2.warpPerspective(grey, matrix, PAGE_SIZE, flags=cv2.INTER_AREA, borderValue=(255,))


_QR = cv2.QRCodeDetector()
# The QR code is straightened on its own at this resolution from the full-size image: at the
# page's 150 dpi a photo's modules are 4-5 pixels, too few once blurred.
QR_DPI = 300
QR_MARGIN_MM = 4.0


def _qr_region(full: np.ndarray, marks: list[tuple[float, float]], scale: float) -> np.ndarray:
    per_mm = QR_DPI / 25.4
    left, top = QR_BOX.x - QR_MARGIN_MM, QR_BOX.y - QR_MARGIN_MM
    side = QR_BOX.w + 2 * QR_MARGIN_MM
    source = np.array(marks, dtype=np.float32) / scale
    target = np.array(
        [[(m.centre[0] - left) * per_mm, (m.centre[1] - top) * per_mm] for m in MARKS],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(source, target)
    size = round(side * per_mm)
    return cv2.warpPerspective(
        full, matrix, (size, size), flags=cv2.INTER_CUBIC, borderValue=(255,)
    )


def _decode(image: np.ndarray) -> QrPayload | None:
    try:
        text, _, _ = _QR.detectAndDecode(image)
    except cv2.error:
        return None
    return QrPayload.decode(text) if text else None


def read_qr(region: np.ndarray | None, image: np.ndarray) -> QrPayload | None:
    """The form's QR code: where it is printed (straightened), as it is and sharpened by a
    threshold, else anywhere in the image."""
    attempts: list[np.ndarray] = []
    if region is not None:
        attempts.append(region)
        attempts.append(
            cv2.adaptiveThreshold(
                region, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 51, 10
            )
        )
    attempts.append(image)
    for attempt in attempts:
        payload = _decode(attempt)
        if payload is not None:
            return payload
    return None


def _form_from_slots(ink: np.ndarray) -> str:
    shares = {
        form: float(_crop(ink, box.inset(1.0)).mean()) for form, box in FORM_CODE_SLOTS.items()
    }
    form, share = max(shares.items(), key=lambda kv: kv[1])
    return form if share > 0.5 else ""


def read_ticks(layout: FormLayout, ink: np.ndarray) -> dict[str, FieldReading]:
    readings = {}
    for group in layout.ticks:
        shares = [
            (option.value, float(_crop(ink, option.box.inset(1.3)).mean()))
            for option in group.options
        ]
        ticked = [value for value, share in shares if share >= TICK_THRESHOLD]
        # How clear each box is: 1 far from the threshold, 0 on it.
        clarity = min(min(abs(share - TICK_THRESHOLD) / TICK_THRESHOLD, 1.0) for _, share in shares)
        if len(ticked) == 1:
            value, confidence = ticked[0], clarity
        else:
            # None ticked (left out) or several: the person checking decides, so both are
            # marked for checking.
            value = ticked[0] if ticked else ""
            confidence = 0.0 if len(ticked) > 1 else min(clarity, 0.5)
        first = group.options[0].box
        last = group.options[-1].box
        span = Box(
            first.x - 1,
            first.y - 1,
            max(o.box.x for o in group.options) + 42 - first.x,
            last.y + last.h - first.y + 2,
        )
        readings[group.name] = FieldReading(value, confidence, _px(span))
    return readings


def tessdata_path() -> str:
    """The directory of Tesseract's trained data: ``TESSDATA_PREFIX`` when set, else where the
    library looks by default if English is there, else Debian's."""
    prefix = os.environ.get("TESSDATA_PREFIX", "")
    return os.path.join(prefix, "") if prefix else _default_tessdata()


@functools.cache
def _default_tessdata() -> str:
    try:
        default, languages = tesserocr.get_languages()
    except RuntimeError:
        default, languages = "", []
    if default and "eng" in languages:
        return os.path.join(default, "")
    return DEBIAN_TESSDATA


def ocr_language(language: str = ENGLISH) -> str:
    """Tesseract's language for a form printed in ``language``: Welsh ("cym") when its trained
    data is installed, else English."""
    if language == WELSH and os.path.isfile(os.path.join(tessdata_path(), "cym.traineddata")):
        return "cym"
    return "eng"


_tesseract = threading.local()


def tesseract_api(lang: str = "eng") -> PyTessBaseAPI:
    """This thread's Tesseract for ``lang``, made the first time it is asked for (loading the
    model is the slow part: it is done once, not once a page). One per thread, as an API is not
    safe to share; a forked worker makes its own."""
    apis: dict[str, PyTessBaseAPI] | None = getattr(_tesseract, "apis", None)
    if apis is None or getattr(_tesseract, "pid", None) != os.getpid():
        apis = _tesseract.apis = {}
        _tesseract.pid = os.getpid()
    api = apis.get(lang)
    if api is None:
        api = apis[lang] = PyTessBaseAPI(
            path=tessdata_path(), lang=lang, oem=TESSERACT_OEM, psm=TESSERACT_PSM
        )
    return api


@dataclass(frozen=True)
class Word:
    """A word Tesseract read: its text, its line (block, paragraph, line: in reading order), its
    box's top and bottom in pixels, and its confidence (0-100)."""

    text: str
    line: tuple[int, int, int]
    top: int
    bottom: int
    confidence: float


def ocr_words(image: np.ndarray, *, lang: str = "eng") -> list[Word]:
    """The words in a grey image (black on white), with their lines numbered as Tesseract's
    TSV output numbers them."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape
    pixels = image.tobytes()  # held until Tesseract has read it (it does not copy)
    api = tesseract_api(lang)
    words: list[Word] = []
    try:
        api.SetImageBytes(pixels, width, height, 1, width)
        api.Recognize()
        iterator = api.GetIterator()
        if iterator is None:
            return words
        block = paragraph = line = 0
        while True:
            if not iterator.Empty(RIL.WORD):
                if iterator.IsAtBeginningOf(RIL.BLOCK):
                    block, paragraph, line = block + 1, 0, 0
                if iterator.IsAtBeginningOf(RIL.PARA):
                    paragraph, line = paragraph + 1, 0
                if iterator.IsAtBeginningOf(RIL.TEXTLINE):
                    line += 1
                _, top, _, bottom = iterator.BoundingBox(RIL.WORD)
                words.append(
                    Word(
                        iterator.GetUTF8Text(RIL.WORD) or "",
                        (block, paragraph, line),
                        top,
                        bottom,
                        iterator.Confidence(RIL.WORD),
                    )
                )
            if not iterator.Next(RIL.WORD):
                break
    finally:
        api.Clear()
    return words


# White between the writing boxes stacked into one image for Tesseract.
STACK_GAP_PX = 40


def read_texts(
    layout: FormLayout,
    page: np.ndarray,
    ink: np.ndarray,
    *,
    ocr: bool = True,
    language: str = ENGLISH,
) -> dict[str, FieldReading]:
    """The writing boxes: empty ones without asking Tesseract, the others stacked into one
    image and read in one recognition, each word then given to the box it lies in. A form
    printed in Welsh is read with Tesseract's Welsh data when it is installed."""
    readings: dict[str, FieldReading] = {}
    stack: list[tuple[str, np.ndarray]] = []
    for text_field in layout.texts:
        inner = text_field.box.inset(1.2)
        box = _px(text_field.box)
        crop = _crop(ink, inner)
        if float(crop.mean()) < EMPTY_TEXT_INK:
            readings[text_field.name] = FieldReading("", 1.0, box)
        elif not ocr:
            readings[text_field.name] = FieldReading("", 0.0, box)
        else:
            readings[text_field.name] = FieldReading("", 0.0, box)
            # Tesseract reads best from black on white: the flattened page, thresholded.
            stack.append((text_field.name, np.where(crop > 0, 0, 255).astype(np.uint8)))
    if not stack:
        return readings
    width = max(c.shape[1] for _, c in stack)
    parts, spans, top = [], [], 0
    for name, crop in stack:
        padded = np.full((crop.shape[0] + STACK_GAP_PX, width), 255, np.uint8)
        padded[STACK_GAP_PX // 2 : STACK_GAP_PX // 2 + crop.shape[0], : crop.shape[1]] = crop
        parts.append(padded)
        spans.append((name, top, top + padded.shape[0]))
        top += padded.shape[0]
    found = ocr_words(np.vstack(parts), lang=ocr_language(language))
    words: dict[str, dict[tuple[int, int, int], list[str]]] = {name: {} for name, _, _ in spans}
    confidences: dict[str, list[float]] = {name: [] for name, _, _ in spans}
    for word in found:
        text = word.text.strip()
        if not text:
            continue
        middle = word.top + (word.bottom - word.top) / 2
        name = next((n for n, start, end in spans if start <= middle < end), spans[-1][0])
        words[name].setdefault(word.line, []).append(text)
        confidences[name].append(max(float(word.confidence), 0.0) / 100)
    for name, _, _ in spans:
        value = "\n".join(" ".join(line) for _, line in sorted(words[name].items()))
        confidence = float(np.mean(confidences[name])) if confidences[name] else 0.0
        readings[name] = FieldReading(value, confidence, readings[name].box)
    return readings


def read_page(image: np.ndarray, *, ocr: bool = True) -> PageReading:
    """Read one page image (BGR or grey, any size and rotation)."""
    full = to_grey(image)
    scale = min(WORKING_LONG_SIDE / max(full.shape), 1.0)
    grey = full
    if scale < 1:
        grey = cv2.resize(full, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # About 10 mm on the page, if the page fills the image.
    mark_px = max(grey.shape) / PAGE_HEIGHT_MM * 10
    flat = flatten(grey, scale_px=mark_px * 3)
    mask = ink_mask(flat)
    ink = float(mask.mean())
    marks = find_marks(mask)
    if marks is None:
        qr = read_qr(None, grey)
        if qr is None and ink < BLANK_PAGE_INK:
            return PageReading("blank", ink=ink)
        return PageReading("unaligned", qr=qr, form=qr.form if qr else "", ink=ink)
    page = straighten(flat, marks)
    page_ink = ink_mask(page)
    qr = read_qr(_qr_region(full, marks, scale), grey)
    form = qr.form if qr else _form_from_slots(page_ink)
    reading = PageReading("read", qr=qr, form=form, page=page, ink=ink)
    layout = FORMS.get(form)
    if layout is not None:
        reading.fields = {
            **read_ticks(layout, ink_mask(page, TICK_INK_LEVEL)),
            **read_texts(layout, page, page_ink, ocr=ocr, language=reading.language or ENGLISH),
        }
    return reading


def decode_image(data: bytes) -> np.ndarray | None:
    """A JPEG or PNG's pixels (BGR), or None when it cannot be decoded."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    return image if image is not None and image.size else None
