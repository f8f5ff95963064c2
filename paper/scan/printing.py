"""The printable forms as PDF (reportlab): NHS blue header, Arial-like type (Helvetica, the NHS
design system's fallback for Frutiger), tick boxes, writing boxes, the QR code (segno) and the
alignment marks, all placed from ``layout``. No Django.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from paper.scan.layout import (
    DOCUMENT_TITLE,
    ENGLISH,
    FOOTER,
    FORM_CODE_SLOTS,
    HEADER_BOX,
    MARKS,
    PAGE_HEIGHT_MM,
    QR_BOX,
    Box,
    FormLayout,
    QrPayload,
    layout_in,
)

NHS_BLUE = HexColor("#005EB8")
NHS_TEXT = HexColor("#212B32")
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"


@dataclass(frozen=True)
class Type:
    """Type sizes in points: standard print, or large print (16 point and over, as the RNIB's
    clear print guidance asks)."""

    title: float
    body: float
    label: float
    small: float


STANDARD = Type(title=20, body=12, label=12, small=9)
LARGE = Type(title=24, body=16, label=16, small=12)


def _rect(canvas: Canvas, box: Box, *, fill: bool = False, stroke: bool = True) -> None:
    # reportlab measures from the bottom left; the layout from the top left.
    canvas.rect(
        box.x * mm,
        (PAGE_HEIGHT_MM - box.y - box.h) * mm,
        box.w * mm,
        box.h * mm,
        stroke=int(stroke),
        fill=int(fill),
    )


def _text(
    canvas: Canvas, x: float, y: float, words: str, *, size: float, bold: bool = False
) -> None:
    """Words with their baseline ``y`` mm from the top."""
    canvas.setFont(FONT_BOLD if bold else FONT, size)
    canvas.drawString(x * mm, (PAGE_HEIGHT_MM - y) * mm, words)


def _fit(words: str, size: float, width_mm: float, font: str = FONT) -> float:
    """The largest size up to ``size`` at which ``words`` fit in ``width_mm``."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > 6 and stringWidth(words, font, size) > width_mm * mm:
        size -= 0.5
    return size


def _qr(canvas: Canvas, payload: QrPayload) -> None:
    # Error correction L: the fewest, largest modules for the payload (a biro over a corner is
    # what spoils a form's code, and then staff choose the organisation).
    code = segno.make(payload.encode(), error="l", micro=False)
    matrix = [list(row) for row in code.matrix_iter(scale=1, border=2)]
    module = QR_BOX.w / len(matrix)
    canvas.setFillColor(black)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                _rect(
                    canvas,
                    Box(QR_BOX.x + c * module, QR_BOX.y + r * module, module, module),
                    fill=True,
                    stroke=False,
                )


def _page(
    canvas: Canvas,
    layout: FormLayout,
    *,
    organisation_name: str,
    payload: QrPayload,
    service_name: str,
    sizes: Type,
) -> None:
    canvas.setFillColor(black)
    for mark in MARKS:
        _rect(canvas, mark, fill=True, stroke=False)
    _rect(canvas, FORM_CODE_SLOTS[layout.kind], fill=True, stroke=False)
    _qr(canvas, payload)

    canvas.setFillColor(NHS_BLUE)
    _rect(canvas, HEADER_BOX, fill=True, stroke=False)
    canvas.setFillColor(white)
    _text(
        canvas,
        HEADER_BOX.x + 4,
        HEADER_BOX.y + 10,
        layout.title,
        size=_fit(layout.title, sizes.title, HEADER_BOX.w - 8, FONT_BOLD),
        bold=True,
    )
    where = organisation_name + (f": {service_name}" if service_name else "")
    _text(
        canvas,
        HEADER_BOX.x + 4,
        HEADER_BOX.y + 20,
        where,
        size=_fit(where, sizes.body, HEADER_BOX.w - 8, FONT_BOLD),
        bold=True,
    )

    canvas.setFillColor(NHS_TEXT)
    canvas.setStrokeColor(black)
    canvas.setLineWidth(1.2)
    for group in layout.ticks:
        first = group.options[0].box
        _text(
            canvas,
            18.0,
            first.y - 3.5,
            group.question,
            size=_fit(group.question, sizes.body, 174.0, FONT_BOLD),
            bold=True,
        )
        for option in group.options:
            _rect(canvas, option.box)
            _text(
                canvas,
                option.box.x + option.box.w + 2.5,
                option.box.y + option.box.h - 1.5,
                option.label,
                size=_fit(option.label, sizes.label, 33.0),
            )
    canvas.setLineWidth(0.8)
    for text in layout.texts:
        _text(
            canvas,
            text.box.x,
            text.box.y - 2.0,
            text.label,
            size=_fit(text.label, sizes.body, text.box.w, FONT_BOLD),
            bold=True,
        )
        _rect(canvas, text.box)

    footer = FOOTER[payload.language].format(
        form=layout.kind, version=payload.version, batch=payload.batch
    )
    _text(canvas, 62.0, PAGE_HEIGHT_MM - 11.5, footer, size=_fit(footer, sizes.small, 128.0))


def form_pdf(
    *,
    form: str,
    organisation_name: str,
    organisation_code: str,
    batch: str,
    service_name: str = "",
    large_print: bool = False,
    copies: int = 1,
    language: str = ENGLISH,
) -> bytes:
    """``copies`` pages of the form for one printed batch, as one PDF, in English or Welsh
    (``language`` "en" or "cy": the QR code says which)."""
    layout = layout_in(form, language)
    payload = QrPayload(
        form=form,
        version=1,
        batch=batch,
        organisation=organisation_code,
        service=service_name,
        language=language,
    )
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(
        DOCUMENT_TITLE[language].format(
            title=layout.title, organisation=organisation_name, batch=batch
        )
    )
    canvas.setAuthor("NHS Patient View")
    sizes = LARGE if large_print else STANDARD
    for _ in range(copies):
        _page(
            canvas,
            layout,
            organisation_name=organisation_name,
            payload=payload,
            service_name=service_name,
            sizes=sizes,
        )
        canvas.showPage()
    canvas.save()
    return out.getvalue()
