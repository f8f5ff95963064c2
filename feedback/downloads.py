"""How an attached file is sent, the same from the staff pages, the staff API and the patient's
tracking page: always as a download, never shown in the browser, never kept by a cache."""

from __future__ import annotations

from django.core.files import File
from django.http import FileResponse

from feedback.models import Attachment


def attachment_response(attachment: Attachment, content: File) -> FileResponse:
    """``content`` (from ``attachment_open``) as a download named as the attachment is shown,
    with the type its content was found to be, which the browser may not second-guess."""
    response = FileResponse(
        content,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
