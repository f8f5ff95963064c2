"""Scanned uploads for the paper tests: generated pages as a PDF or photos, and files that must
be refused (made here, each time)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.pdfgen.canvas import Canvas

from paper.scan import synthetic
from tests.paper.comments import COMMENTS


def generated(count: int, *, organisation_code: str, batch: str, seed: int = 0) -> list:
    return synthetic.generate(
        count, comments=COMMENTS, seed=seed, organisation_code=organisation_code, batch=batch
    )


def pdf_of(pages: list, *, blank_after: int | None = None) -> bytes:
    images = [p.image for p in pages]
    if blank_after is not None:
        images.insert(blank_after, synthetic.blank_sheet(seed=1).image)
    return synthetic.encode_pdf(images)


def encrypted_pdf(*, user_password: str = "secret") -> bytes:  # noqa: S107
    out = io.BytesIO()
    canvas = Canvas(out, encrypt=user_password)
    canvas.drawString(100, 700, "A scanned form")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def upload(name: str, content: bytes, claimed: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=claimed)
