"""GET /metrics/: Prometheus metrics, the web's (django-prometheus) and the service's own.

The service's figures are read when Prometheus scrapes, from the database and the broker:
items waiting for analysis and how long the oldest has waited, items set aside after failed
analyses, messages in each broker queue, emails not yet sent, possible risks waiting for a check,
and complaints past their response date per organisation. The endpoint answers a bearer token
(METRICS_TOKEN) or, without one set, only the machine itself.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from feedback.choices import AnalysisState, NotificationState, RiskCheck, Status

logger = logging.getLogger(__name__)
QUEUES = ("intake", "analysis", "exports")


class ServiceCollector:
    """The service's own gauges, computed at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from feedback.models import Feedback, Notification

        now = timezone.now()
        queued = Feedback.objects.filter(analysis_state=AnalysisState.QUEUED).aggregate(
            n=Count("pk"), oldest=Min("received_at")
        )
        yield _gauge(
            "patientview_items_awaiting_analysis", "Items received, not yet analysed", queued["n"]
        )
        oldest = queued["oldest"]
        yield _gauge(
            "patientview_analysis_lag_seconds",
            "Seconds since the oldest item still waiting for analysis was received",
            (now - oldest).total_seconds() if oldest else 0,
        )
        yield _gauge(
            "patientview_items_set_aside",
            "Items routed by rules after repeated failed analyses, flagged for people",
            Feedback.objects.filter(
                needs_review=True, analysis_attempts__gte=settings.ANALYSIS_MAX_ATTEMPTS
            ).count(),
        )
        yield _gauge(
            "patientview_emails_unsent",
            "Messages to patients not sent yet",
            Notification.objects.filter(
                state__in=[NotificationState.PENDING, NotificationState.SENDING]
            ).count(),
        )
        yield _gauge(
            "patientview_risk_checks_pending",
            "Possible risks waiting for a person's check",
            Feedback.objects.filter(risk_check=RiskCheck.PENDING).count(),
        )
        overdue = GaugeMetricFamily(
            "patientview_overdue_items",
            "Complaints and concerns past their response date, by organisation",
            labels=["organisation"],
        )
        rows = (
            Feedback.objects.filter(
                status__in=[Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING],
                response_due__lt=timezone.localdate(),
                handled_by__isnull=False,
            )
            .values("handled_by__ods_code")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            overdue.add_metric([row["handled_by__ods_code"]], row["n"])
        yield overdue
        broker = GaugeMetricFamily(
            "patientview_broker_queue_messages",
            "Messages waiting in each broker queue (Redis brokers)",
            labels=["queue"],
        )
        for queue, length in broker_queue_lengths().items():
            broker.add_metric([queue], length)
        yield broker


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def broker_queue_lengths() -> dict[str, int]:
    """LLEN of each queue on a Redis broker; nothing for other brokers or when it is down."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1)
        return {queue: int(client.llen(queue)) for queue in QUEUES}
    except redis.RedisError:
        logger.warning("broker unreachable for queue lengths")
        return {}


_service_registry = CollectorRegistry(auto_describe=False)
_service_registry.register(ServiceCollector())


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    body: Any = generate_latest(REGISTRY) + generate_latest(_service_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
