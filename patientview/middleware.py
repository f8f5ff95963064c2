"""Answers for requests the application cannot serve: too large, or no database to save to."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)
_View = TypeVar("_View", bound=Callable[..., Any])


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def accepts_file_uploads(view: _View) -> _View:
    """Marks a view that takes a file: its requests may be up to UPLOAD_REQUEST_MAX_BYTES."""
    view.accepts_file_uploads = True  # type: ignore[attr-defined]
    return view


# What an FFT upload's request may add to its file: the form's other fields and the multipart
# boundaries.
FFT_REQUEST_OVERHEAD_BYTES = 1024 * 1024


def accepts_fft_uploads(view: _View) -> _View:
    """Marks a view that takes an FFT export: its requests may be up to FFT_UPLOAD_MAX_BYTES."""
    view.accepts_file_uploads = "fft"  # type: ignore[attr-defined]
    return view


def accepts_paper_uploads(view: _View) -> _View:
    """Marks a view that takes scanned paper forms: up to PAPER_UPLOAD_MAX_BYTES, and as much
    again, so files a little too large get the page's own error naming the limit."""
    view.accepts_file_uploads = "paper"  # type: ignore[attr-defined]
    return view


def _takes_files(view: Callable[..., Any]) -> bool | str:
    """False, True (attachments) or "fft" (FFT exports), as the view or its class says."""
    # A class-based view (a DRF APIView) says so on its class.
    view_class = getattr(view, "view_class", None)
    marked = getattr(view, "accepts_file_uploads", False) or getattr(
        view_class, "accepts_file_uploads", False
    )
    return marked if isinstance(marked, str) else bool(marked)


class RequestSizeLimitMiddleware:
    """Refuse bodies over the limit with 413 before anything reads them: 1 MB, or for the views
    that take a file three times the largest attachment accepted, or the largest FFT export and
    1 MB for the form around it. Checked once the view
    is known, before any view middleware (CSRF's reads the form) or the view reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        takes = _takes_files(view)
        if takes == "fft":
            limit = settings.FFT_UPLOAD_MAX_BYTES + FFT_REQUEST_OVERHEAD_BYTES
            mb = settings.FFT_UPLOAD_MAX_BYTES // (1024 * 1024)
            message = (
                f"The file is larger than {mb} MB: upload FFT exports of {mb} MB or less "
                "(split a larger one by month or by service)."
            )
            advice = "Choose a smaller file and try again. Nothing was saved."
        elif takes == "paper":
            limit = 2 * settings.PAPER_UPLOAD_MAX_BYTES
            mb = settings.PAPER_UPLOAD_MAX_BYTES // (1024 * 1024)
            message = (
                f"The files are larger than {2 * mb} MB: upload scans of {mb} MB or less "
                "at a time (split a large batch in two)."
            )
            advice = "Choose fewer files and try again. Nothing was saved."
        elif takes:
            limit = settings.UPLOAD_REQUEST_MAX_BYTES
            message = gettext(
                "The file is larger than %(limit)s MB: attach files of %(most)s MB or less."
            ) % {
                "limit": limit // (1024 * 1024),
                "most": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
            }
            advice = gettext("Choose a smaller file and try again. Nothing was saved.")
        else:
            limit = settings.MAX_REQUEST_BODY_BYTES
            message = gettext(
                "The request body is %(length)s bytes; the limit is %(limit)s bytes (1 MB)."
            ) % {"length": length, "limit": limit}
            advice = gettext("Shorten your feedback and try again. Nothing was saved.")
        if length <= limit:
            return None
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(
            render_to_string("errors/413.html", {"message": message, "advice": advice}),
            status=413,
        )


class DatabaseUnavailableMiddleware:
    """A database outage is a 503 with a clear message, never a bare 500.

    Services write inside one transaction, so a request that fails here has saved nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception)
        message = gettext(
            "The service is temporarily unavailable and nothing was saved. "
            "Please try again in a few minutes."
        )
        if _wants_json(request):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(
                render_to_string("errors/503.html", {"message": message}), status=503
            )
        response["Retry-After"] = "60"
        return response
