"""Answers for requests the application cannot serve: too large, or no database to save to."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class RequestSizeLimitMiddleware:
    """Refuse bodies over the limit with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = f"The request body is {length} bytes; the limit is {limit} bytes (1 MB)."
            if _wants_json(request):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(
                render_to_string("errors/413.html", {"message": message}), status=413
            )
        return self.get_response(request)


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
        message = (
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
