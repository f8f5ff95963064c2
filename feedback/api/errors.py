"""API error handling: domain errors become 400 (bad input), 403 (not this organisation's step)
or 409 (illegal transition)."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from feedback.errors import IllegalTransition, InvalidFeedback, NotPermitted


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidFeedback):
        return Response(
            {field: [message] for field, message in exc.errors.items()},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, NotPermitted):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, IllegalTransition):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
