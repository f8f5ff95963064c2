"""Faults on the real stack: nothing a patient submits is lost, nothing is done twice."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone

from feedback.choices import AnalysisState
from feedback.models import AuditEvent, Feedback, FeedbackTheme, Organisation
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration

TEXTS = [
    "The paramedics were kind and explained everything to my mum.",
    "I waited eleven hours in A&E on a trolley and nobody told me what was happening.",
    "The receptionist was rude and the appointment was cancelled twice.",
    "Staff on the ward were lovely, the food was cold.",
    "Nothing could be improved, thank you.",
]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def done_count() -> int:
    return Feedback.objects.filter(analysis_state=AnalysisState.DONE).count()


def test_workers_killed_mid_batch_lose_nothing_and_do_nothing_twice(directory, processes):
    provider = Organisation.objects.get(ods_code="RJ1")
    received = timezone.now() - dt.timedelta(minutes=5)
    Feedback.objects.bulk_create(
        Feedback(
            kind="complaint",
            provider=provider,
            area=provider.icb,
            text=f"{TEXTS[i % len(TEXTS)]} (item {i})",
            received_at=received,
        )
        for i in range(2000)
    )
    # Nothing was enqueued: the periodic requeue alone must find every item, and claims left by
    # a killed worker are handed out again after 8 s.
    env = {"ANALYSIS_CLAIM_TIMEOUT_SECONDS": "8", "ANALYSIS_REQUEUE_AFTER_SECONDS": "0"}
    worker = processes.start_worker(beat=True, **env)
    caught_mid_batch: list[list[int]] = []
    for threshold in (200, 700, 1200):
        wait_for(lambda t=threshold: done_count() >= t, 180, f"{threshold} items analysed")
        wait_for(
            lambda: Feedback.objects.filter(analysis_state=AnalysisState.PROCESSING).exists(),
            60,
            "a batch in progress",
            interval=0.05,
        )
        in_flight = list(
            Feedback.objects.filter(analysis_state=AnalysisState.PROCESSING).values_list(
                "pk", flat=True
            )
        )
        processes.kill(worker)
        caught_mid_batch.append(in_flight)
        worker = processes.start_worker(beat=True, **env)
    wait_for(lambda: done_count() == 2000, 300, "all 2,000 items analysed")

    assert Feedback.objects.exclude(analysis_state=AnalysisState.DONE).count() == 0
    assert Feedback.objects.filter(handled_by__isnull=True).count() == 0
    for action in ("analysed", "routed"):
        per_item = (
            AuditEvent.objects.filter(action=action).values("feedback").annotate(n=Count("pk"))
        )
        assert per_item.count() == 2000
        assert not per_item.filter(n__gt=1).exists(), f"an item was {action} twice"
    duplicates = (
        FeedbackTheme.objects.values("feedback", "theme").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    interrupted = [pk for batch in caught_mid_batch for pk in batch]
    assert interrupted, "no batch was caught in progress"
    # Items whose batch was killed were claimed again: more than one attempt, one result.
    assert Feedback.objects.filter(pk__in=interrupted, analysis_attempts__gt=1).exists()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_submissions_survive_the_broker_going_down(directory, processes, tmp_path: Path):
    port = free_port()
    redis_args = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", str(tmp_path),
    ]  # fmt: skip
    redis = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        broker = {"CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
        time.sleep(0.5)
        processes.start_worker(beat=True, **broker)
        processes.start_web(**broker)
        redis.terminate()
        redis.wait()

        ids = []
        for i in range(20):
            status, body = processes.request(
                "POST",
                "/api/v1/feedback/",
                {"kind": "concern", "provider": "RJ1", "text": f"{TEXTS[i % 5]} ({i})"},
            )
            assert status == 201, body
            ids.append(body["id"])
        assert Feedback.objects.filter(pk__in=ids).count() == 20

        redis = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(
            lambda: (
                Feedback.objects.filter(pk__in=ids, analysis_state=AnalysisState.DONE).count() == 20
            ),
            180,
            "the 20 items analysed once the broker is back",
        )
        assert AuditEvent.objects.filter(feedback_id__in=ids, action="routed").count() == 20
    finally:
        redis.terminate()
        redis.wait()


def test_without_a_database_the_api_and_form_answer_503(processes):
    closed = free_port()
    processes.start_web(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/patientview")
    status, body = processes.request(
        "POST", "/api/v1/feedback/", {"kind": "complaint", "provider": "RJ1", "text": "Hello"}
    )
    assert status == 503
    assert "nothing was saved" in body["detail"]
    import urllib.error
    import urllib.request

    # Pages that need the database (here the tracking page, for a link of the right shape: any
    # other shape is "not found" before any query) say so in plain words.
    token = "A" * 43
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(processes.base_url + f"/track/{token}/", timeout=30)
    assert caught.value.code == 503
    assert b"nothing was saved" in caught.value.read()
    status, health = processes.request("GET", "/health/")
    assert status == 503 and health["database"] == "unavailable"


def test_without_the_model_items_are_routed_by_rules_and_flagged(
    directory, processes, tmp_path: Path
):
    empty = tmp_path / "no-model"
    empty.mkdir()
    processes.start_worker(beat=True, ANALYSIS_ARTIFACTS_DIR=str(empty))
    processes.start_web(ANALYSIS_ARTIFACTS_DIR=str(empty))
    status, body = processes.request(
        "POST",
        "/api/v1/feedback/",
        {
            "kind": "complaint",
            "provider": "RJ1",
            "text": "My son was sectioned and not told his rights.",
        },
    )
    assert status == 201
    wait_for(
        lambda: Feedback.objects.filter(pk=body["id"], analysis_state=AnalysisState.DONE).exists(),
        120,
        "the item routed without the model",
    )
    item = Feedback.objects.get(pk=body["id"])
    assert item.needs_review
    assert item.route == "cqc"
    assert item.sentiment is None
    status, health = processes.request("GET", "/health/")
    assert status == 200
    assert health["status"] == "degraded"
    assert health["model"]["status"] != "ok"
