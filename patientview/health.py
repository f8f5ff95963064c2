"""GET /health/: database, broker, worker heartbeat and model status."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from feedback.services.health import health_check


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    report = health_check()
    return JsonResponse(report.as_dict(), status=503 if report.status == "down" else 200)
