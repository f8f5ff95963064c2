"""What an operator sees: a request id that follows an item from the web request into the
worker, logs as JSON lines carrying it, errors sent to a Sentry-compatible endpoint when one is
configured, and the service's own figures for Prometheus.

- ``RequestIdMiddleware`` takes the proxy's ``X-Request-ID`` (when it is a sane token) or makes
  one, answers with it, and puts it in a context variable every log record reads.
- A Celery task published during a request carries the id in its headers (``before_task_publish``)
  and the worker puts it back for the task's logs (``task_prerun``).
- ``LOG_FORMAT=json`` (production's default) writes one JSON object a line.
- ``SENTRY_DSN`` set: errors of the web and the worker are reported there (off by default).
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")
HEADER = "X-Request-ID"


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "") on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        rid = given if _SANE.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


def connect_celery(app: Any) -> None:
    """Carry the request id from the publishing web request into the worker's task logs."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    @before_task_publish.connect(weak=False)
    def _publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
        rid = request_id.get()
        if rid and headers is not None:
            headers["request_id"] = rid

    @task_prerun.connect(weak=False)
    def _prerun(task: Any = None, **_: Any) -> None:
        rid = getattr(getattr(task, "request", None), "request_id", None) or ""
        if not rid:
            headers = getattr(getattr(task, "request", None), "headers", None) or {}
            rid = headers.get("request_id", "") if isinstance(headers, dict) else ""
        request_id.set(str(rid))

    @task_postrun.connect(weak=False)
    def _postrun(**_: Any) -> None:
        request_id.set("")


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "patientview.observability.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }


def sentry_init(dsn: str, *, environment: str) -> None:
    """Report errors to a Sentry-compatible endpoint. Nothing about patients is sent: no
    request bodies, no user details, and events are scrubbed of local variables."""
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
    )
