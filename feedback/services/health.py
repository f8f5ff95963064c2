"""What the health endpoint reports: database, broker, worker heartbeat and model."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from analytics.ml.status import artifacts_status
from feedback.choices import AnalysisState
from feedback.models import Feedback, WorkerHeartbeat

# Beat sends a heartbeat every 30 s; two missed beats and a slow queue still count as alive.
HEARTBEAT_STALE_AFTER = dt.timedelta(seconds=120)


@dataclass(frozen=True)
class Health:
    status: str  # ok | degraded | down
    database: str
    broker: str
    worker: dict[str, Any]
    model: dict[str, Any]
    analysis: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except DatabaseError:
        return "unavailable"


def _broker() -> str:
    from patientview.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "unavailable"


def health_check() -> Health:
    database = _database()
    broker = _broker()
    worker: dict[str, Any] = {"status": "unknown"}
    if database == "ok":
        beat = WorkerHeartbeat.objects.order_by("-at").first()
        if beat is None:
            worker = {"status": "no heartbeat yet"}
        else:
            age = (timezone.now() - beat.at).total_seconds()
            worker = {
                "status": "ok" if age <= HEARTBEAT_STALE_AFTER.total_seconds() else "stale",
                "hostname": beat.hostname,
                "seconds_since_heartbeat": round(age, 1),
                "model_status": beat.model_status,
            }
    analysis: dict[str, Any] = {}
    if database == "ok":
        day_ago = timezone.now() - dt.timedelta(hours=24)
        oldest = (
            Feedback.objects.filter(analysis_state=AnalysisState.QUEUED)
            .order_by("received_at")
            .values_list("received_at", flat=True)
            .first()
        )
        analysis = {
            "queued": Feedback.objects.filter(analysis_state=AnalysisState.QUEUED).count(),
            "oldest_queued_seconds": round((timezone.now() - oldest).total_seconds())
            if oldest
            else 0,
            # Items whose analysis kept failing, routed by rules for people to check.
            "set_aside_last_24_hours": Feedback.objects.filter(
                needs_review=True,
                analysis_attempts__gte=settings.ANALYSIS_MAX_ATTEMPTS,
                analysed_at__gte=day_ago,
            ).count(),
        }
    artifacts = artifacts_status(settings.ANALYSIS_ARTIFACTS_DIR)
    model = {"status": artifacts.status, "version": artifacts.version, "detail": artifacts.detail}
    if worker.get("model_status") and worker["model_status"] != "ok":
        model["status"] = "degraded"
        model["detail"] = "the worker could not load the model; items are routed by rules alone"
    if database != "ok":
        status = "down"
    elif (
        broker != "ok"
        or worker["status"] != "ok"
        or model["status"] != "ok"
        or analysis.get("set_aside_last_24_hours")
    ):
        status = "degraded"
    else:
        status = "ok"
    return Health(
        status=status,
        database=database,
        broker=broker,
        worker=worker,
        model=model,
        analysis=analysis,
    )


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    from analytics.ml.analyser import ModelUnavailable
    from feedback.services.analysis import reader

    try:
        version = reader().model_version
        model_status = "ok"
    except ModelUnavailable:
        version, model_status = "", "unavailable"
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={"at": timezone.now(), "model_status": model_status, "model_version": version},
    )
    return beat
