"""The generated test set: forms filled in programmatically with handwriting-like fonts, then
"printed" to images that look scanned or photographed (rotation, perspective skew, blur, noise,
shading). Used by the tests, the benchmark (``bench/paper.py``) and the browser test; every page
knows what was written on it, so accuracy is measured, not guessed. No Django.

Handwriting-like fonts come from Debian's packages (fonts-dkg-handwriting, fonts-breip,
fonts-femkeklaver, fonts-humor-sans; ``.ci/run`` installs them). Where none is installed the
page is written in DejaVu Sans and ``HANDWRITING_FONTS`` is empty: the figures then say so.
"""

from __future__ import annotations

import functools
import io
import random
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2
from PIL import Image, ImageDraw, ImageFont

from paper.scan.layout import ENGLISH, FORMS, QR_BOX, Box
from paper.scan.printing import form_pdf
from paper.scan.reader import DPI, PX_PER_MM

_CANDIDATE_FONTS = (
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/truetype/breip/Breip.ttf",
    "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf",
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
)
HANDWRITING_FONTS: tuple[str, ...] = tuple(p for p in _CANDIDATE_FONTS if Path(p).exists())
FALLBACK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PENS = ((20, 20, 25), (20, 40, 120), (10, 10, 60))


@dataclass
class Filled:
    """One generated page and what was written on it."""

    form: str
    answers: dict[str, str]
    image: np.ndarray  # BGR
    blank: bool = False
    qr_damaged: bool = False
    transforms: dict[str, float] = field(default_factory=dict)

    def jpeg(self, quality: int = 85) -> bytes:
        ok, data = cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("could not encode the page")
        return data.tobytes()


@functools.lru_cache(maxsize=8)
def blank_form(
    form: str,
    organisation_code: str,
    batch: str,
    service_name: str = "",
    large_print: bool = False,
    language: str = ENGLISH,
) -> np.ndarray:
    """The printed form at the reader's resolution, RGB."""
    pdf = pypdfium2.PdfDocument(
        form_pdf(
            form=form,
            organisation_name="Test NHS Trust",
            organisation_code=organisation_code,
            batch=batch,
            service_name=service_name,
            large_print=large_print,
            language=language,
        )
    )
    try:
        return np.array(pdf[0].render(scale=DPI / 72).to_pil().convert("RGB"))
    finally:
        pdf.close()


def _px(value_mm: float) -> int:
    return round(value_mm * PX_PER_MM)


def _draw_tick(
    draw: ImageDraw.ImageDraw, box: Box, rng: random.Random, pen: tuple[int, ...]
) -> None:
    x, y, w, h = _px(box.x), _px(box.y), _px(box.w), _px(box.h)
    width = rng.randint(2, 4)
    if rng.random() < 0.5:  # a tick
        points = [
            (x + w * rng.uniform(0.1, 0.25), y + h * rng.uniform(0.45, 0.6)),
            (x + w * rng.uniform(0.35, 0.5), y + h * rng.uniform(0.75, 0.95)),
            (x + w * rng.uniform(0.8, 1.05), y + h * rng.uniform(-0.1, 0.15)),
        ]
        draw.line(points, fill=pen, width=width, joint="curve")
    else:  # a cross
        a = rng.uniform(0.1, 0.2)
        draw.line(
            [(x + w * a, y + h * a), (x + w * (1 - a), y + h * (1 - a))], fill=pen, width=width
        )
        draw.line(
            [(x + w * (1 - a), y + h * a), (x + w * a, y + h * (1 - a))], fill=pen, width=width
        )


def _write(
    draw: ImageDraw.ImageDraw,
    box: Box,
    words: str,
    rng: random.Random,
    pen: tuple[int, ...],
    fonts: tuple[str, ...],
) -> str:
    """Write ``words`` into the box in a handwriting font, line by line as they fit; returns what
    was written (the words that did not fit are left out, as a person runs out of room)."""
    font_path = rng.choice(fonts) if fonts else FALLBACK_FONT
    size = _px(rng.uniform(4.2, 5.5))
    font = ImageFont.truetype(font_path, size)
    average = max(font.getlength("abcdefghij klmnopqrstuvwxyz") / 27, 1)
    per_line = max(int((_px(box.w) - _px(5)) / average), 8)
    line_height = int(size * 1.35)
    lines_fit = max((_px(box.h) - _px(3)) // line_height, 1)
    lines = textwrap.wrap(words, per_line)[:lines_fit]
    x, y = _px(box.x) + _px(2.5), _px(box.y) + _px(2)
    for i, line in enumerate(lines):
        draw.text((x + rng.randint(-3, 3), y + i * line_height), line, font=font, fill=pen)
    return " ".join(lines)


def fill_form(
    form: str,
    *,
    rng: random.Random,
    comment: str,
    organisation_code: str = "RJ1",
    batch: str = "TESTBATCH1",
    name: str = "",
    contact: str = "",
    large_print: bool = False,
    spoil_qr: bool = False,
    ticks: dict[str, list[str]] | None = None,
    fonts: tuple[str, ...] = HANDWRITING_FONTS,
    language: str = ENGLISH,
) -> tuple[np.ndarray, dict[str, str]]:
    """The form filled in: one option ticked in each question (or those ``ticks`` names), the
    comment written, and the contact details when given, in one of ``fonts``. Returns the RGB
    image and the answers."""
    layout = FORMS[form]
    image = Image.fromarray(
        blank_form(form, organisation_code, batch, "", large_print, language).copy()
    )
    draw = ImageDraw.Draw(image)
    pen = rng.choice(PENS)
    answers: dict[str, str] = {}
    for group in layout.ticks:
        chosen = (
            [o for o in group.options if o.value in ticks.get(group.name, [])]
            if ticks is not None
            else [rng.choice(group.options)]
        )
        for option in chosen:
            _draw_tick(draw, option.box, rng, pen)
        answers[group.name] = ",".join(o.value for o in chosen)
    for text_field in layout.texts:
        words = {"text": comment, "name": name, "contact": contact}.get(text_field.name, "")
        answers[text_field.name] = (
            _write(draw, text_field.box, words, rng, pen, fonts) if words else ""
        )
    if spoil_qr:
        # Ink over the QR code (a signature, a coffee ring): the code cannot be read.
        q = QR_BOX
        draw.rectangle(
            (
                _px(q.x + q.w * 0.2),
                _px(q.y + q.h * 0.3),
                _px(q.x + q.w * 0.8),
                _px(q.y + q.h * 0.7),
            ),
            fill=pen,
        )
    return np.array(image), answers


def degrade(
    rgb: np.ndarray, *, rng: random.Random, photo: bool
) -> tuple[np.ndarray, dict[str, float]]:
    """The page as a scanner or a phone saw it: turned by any angle (a quarter turn or more,
    plus a few degrees), skewed by perspective (photos), shaded, blurred and noisy. BGR out."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    h, w = bgr.shape[:2]
    quarter = rng.choice((0, 90, 180, 270))
    tilt = rng.uniform(-6, 6) if photo else rng.uniform(-2.5, 2.5)
    angle = quarter + tilt
    pad = int(max(h, w) * (0.18 if photo else 0.06))
    background = (
        tuple(int(v) for v in np.array([rng.randint(60, 140)] * 3) + rng.randint(-20, 20))
        if photo
        else (250, 250, 250)
    )
    canvas = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=background)
    ch, cw = canvas.shape[:2]
    # Perspective: each corner pulled in by up to 4% (photos) of the page's size.
    pull = 0.04 if photo else 0.005
    src = np.array([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]], np.float32)
    dst = src + np.array(
        [[rng.uniform(-pull, pull) * w, rng.uniform(-pull, pull) * h] for _ in range(4)],
        np.float32,
    )
    canvas = cv2.warpPerspective(
        canvas, cv2.getPerspectiveTransform(src, dst), (cw, ch), borderValue=background
    )
    rotation = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, 1.0)
    cos, sin = abs(rotation[0, 0]), abs(rotation[0, 1])
    nw, nh = int(ch * sin + cw * cos), int(ch * cos + cw * sin)
    rotation[0, 2] += nw / 2 - cw / 2
    rotation[1, 2] += nh / 2 - ch / 2
    out: Any = cv2.warpAffine(canvas, rotation, (nw, nh), borderValue=background)
    out = out.astype(np.float32)
    # Shading: a gradient from one side, as a hand or a phone casts (down to 55% light).
    strength = rng.uniform(0.25, 0.45) if photo else rng.uniform(0.0, 0.12)
    gx, gy = np.meshgrid(np.linspace(0, 1, nw), np.linspace(0, 1, nh))
    direction = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(direction) * gx + np.sin(direction) * gy
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    out *= (1 - strength * ramp)[..., None]
    sigma = rng.uniform(0.4, 1.3)
    out = cv2.GaussianBlur(out, (0, 0), sigma)
    noise = rng.uniform(3, 9)
    out += (
        np.random.default_rng(rng.randint(0, 2**31)).normal(0, noise, out.shape).astype(np.float32)
    )
    out = np.clip(out, 0, 255).astype(np.uint8)
    # Phones photograph at about this size; scanners at 150-200 dpi.
    scale = rng.uniform(0.75, 1.0) if photo else 1.0
    if scale != 1.0:
        out = cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return out, {"angle": angle, "shade": strength, "blur": sigma, "noise": noise, "scale": scale}


def generate(
    count: int,
    *,
    comments: list[str],
    seed: int = 0,
    organisation_code: str = "RJ1",
    batch: str = "TESTBATCH1",
    photo_share: float = 0.5,
    language: str = ENGLISH,
) -> list[Filled]:
    """``count`` pages: FFT cards and complaint forms in turn, each with one of ``comments``,
    half of them with a name and contact details, a share of them photographed, printed in
    ``language``."""
    rng = random.Random(seed)  # noqa: S311 (a test set, not a secret)
    pages = []
    for i in range(count):
        form = "fft" if i % 2 == 0 else "complaint"
        with_contact = rng.random() < 0.5
        rgb, answers = fill_form(
            form,
            rng=rng,
            comment=comments[i % len(comments)],
            organisation_code=organisation_code,
            batch=batch,
            name=rng.choice(("Sam Patel", "Jo Evans", "Ann Clarke")) if with_contact else "",
            contact=rng.choice(("jo@example.com", "07700 900123")) if with_contact else "",
            large_print=rng.random() < 0.2,
            language=language,
        )
        image, transforms = degrade(rgb, rng=rng, photo=rng.random() < photo_share)
        pages.append(Filled(form, answers, image, transforms=transforms))
    return pages


def blank_sheet(*, seed: int = 0) -> Filled:
    """A blank sheet as scanned (the back of a form): paper, noise and a little shading."""
    rng = random.Random(seed)  # noqa: S311 (a test set, not a secret)
    paper = np.full((_px(297), _px(210), 3), 255, dtype=np.uint8)
    image, transforms = degrade(paper, rng=rng, photo=False)
    return Filled("", {}, image, blank=True, transforms=transforms)


def encode_pdf(images: list[np.ndarray], *, dpi: int = DPI) -> bytes:
    """The pages as one PDF of JPEG images, as a scanner saves a batch."""
    pil = [Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)) for img in images]
    out = io.BytesIO()
    pil[0].save(out, format="PDF", save_all=True, append_images=pil[1:], resolution=dpi, quality=85)
    return out.getvalue()
