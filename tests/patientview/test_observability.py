"""What an operator sees: metrics to scrape, a request id in every answer and log line, and
the request id carried into the worker's task."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings

from patientview.observability import request_id
from tests.factories import FeedbackFactory


@pytest.mark.django_db
def test_prometheus_can_scrape_the_services_own_figures(client: Client, trust):
    FeedbackFactory(provider=trust)  # waiting for analysis
    with override_settings(METRICS_TOKEN="scrape-me"):
        refused = client.get("/metrics/", REMOTE_ADDR="10.0.0.9")
        body = client.get(
            "/metrics/", REMOTE_ADDR="10.0.0.9", HTTP_AUTHORIZATION="Bearer scrape-me"
        )
    assert refused.status_code == 403
    assert body.status_code == 200
    text = body.content.decode()
    assert "patientview_items_awaiting_analysis 1.0" in text
    for name in (
        "patientview_analysis_lag_seconds",
        "patientview_items_set_aside",
        "patientview_emails_unsent",
        "patientview_risk_checks_pending",
        "django_http_requests_total_by_method_total",
    ):
        assert name in text, name


@pytest.mark.django_db
def test_every_answer_names_its_request_and_a_given_id_is_kept(client: Client):
    made = client.get("/")
    assert len(made["X-Request-ID"]) == 32
    kept = client.get("/", HTTP_X_REQUEST_ID="lb-1234abcd")
    assert kept["X-Request-ID"] == "lb-1234abcd"
    junk = client.get("/", HTTP_X_REQUEST_ID="<script>")
    assert junk["X-Request-ID"] != "<script>"


def test_log_records_carry_the_request_id(caplog):
    from patientview.observability import RequestIdFilter

    token = request_id.set("abc12345")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    assert record.request_id == "abc12345"


def test_a_task_published_during_a_request_carries_its_id_to_the_worker():
    from celery.signals import before_task_publish

    import patientview.celery  # noqa: F401  (connects the signals)

    headers: dict[str, str] = {}
    token = request_id.set("req-9876abcd")
    try:
        before_task_publish.send(sender="feedback.tasks.analyse_feedback", headers=headers)
    finally:
        request_id.reset(token)
    assert headers["request_id"] == "req-9876abcd"
