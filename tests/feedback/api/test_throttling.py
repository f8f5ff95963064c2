"""The submission throttle (one counter per address and window) and the directory's cached copy."""

from __future__ import annotations

import json
import os

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from feedback.api.throttling import SubmissionRateThrottle
from feedback.models import Feedback
from feedback.selectors import organisation_active_by_ods_code

API = "/api/v1/feedback/"
# The suite's Redis, as the settings find it: REDIS_URL, or the broker's when that is Redis.
REDIS_URL = os.environ.get("REDIS_URL", "") or os.environ.get("CELERY_BROKER_URL", "")


def _submit(api: APIClient, trust) -> int:
    body = {"kind": "compliment", "text": "Thanks", "provider": trust.ods_code}
    return api.post(API, body, format="json").status_code


@pytest.mark.django_db
def test_over_the_rate_is_429_with_retry_after_and_the_next_window_is_open(trust, monkeypatch):
    caches["default"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "2/minute"})
    now = [600.0]
    monkeypatch.setattr(SubmissionRateThrottle, "timer", lambda self: now[0])
    api = APIClient()
    assert [_submit(api, trust) for _ in range(3)] == [201, 201, 429]
    response = api.post(API, {"kind": "compliment", "text": "x", "provider": "RAL"}, format="json")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    now[0] += 60  # the next minute
    assert _submit(api, trust) == 201
    assert Feedback.objects.count() == 3
    caches["default"].clear()


@pytest.mark.django_db
def test_each_client_address_has_its_own_counter(trust, monkeypatch):
    caches["default"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "1/minute"})
    one, two = APIClient(REMOTE_ADDR="192.0.2.1"), APIClient(REMOTE_ADDR="192.0.2.2")
    assert [_submit(one, trust), _submit(one, trust)] == [201, 429]
    assert _submit(two, trust) == 201
    caches["default"].clear()


@pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="needs Redis (REDIS_URL)")
@pytest.mark.django_db
def test_on_redis_the_counter_is_one_key_that_expires(trust, monkeypatch):
    caches_setting = {"default": {"BACKEND": "patientview.cache.PooledRedisCache",
                                  "LOCATION": REDIS_URL}}  # fmt: skip
    with override_settings(CACHES=caches_setting):
        cache = caches["default"]
        client = cache.redis_client()  # type: ignore[attr-defined]
        # Only the throttle's keys: this Redis database may be a broker's too.
        for key in client.keys("*throttle_feedback_submit*"):
            client.delete(key)
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "3/minute"})
        api = APIClient()
        assert [_submit(api, trust) for _ in range(4)] == [201, 201, 201, 429]
        keys = client.keys("*throttle_feedback_submit*")
        assert len(keys) == 1
        assert int(client.get(keys[0])) == 4
        assert 0 < client.ttl(keys[0]) <= 61
        assert cache.redis_client() is client  # type: ignore[attr-defined]  # one client, reused
        client.delete(*keys)


@pytest.mark.django_db
def test_with_the_counters_unreachable_submissions_are_still_saved(trust, monkeypatch):
    caches_setting = {"default": {"BACKEND": "patientview.cache.PooledRedisCache",
                                  "LOCATION": "redis://127.0.0.1:1/0"}}  # fmt: skip
    with override_settings(CACHES=caches_setting):
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "1/minute"})
        api = APIClient()
        assert [_submit(api, trust) for _ in range(2)] == [201, 201]
    assert Feedback.objects.count() == 2


@pytest.mark.django_db
def test_control_characters_alone_are_named_with_the_other_fields_at_fault(trust):
    body = {"kind": "complaint", "text": "\x01\x02", "question": "q" * 301, "provider": "RAL"}
    response = APIClient().post(API, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"text", "question"}


@pytest.mark.django_db
def test_the_directory_copy_sees_a_closed_trust_saved_in_this_process(trust):
    assert organisation_active_by_ods_code("RAL", kind="trust") == trust
    assert organisation_active_by_ods_code("QMJ", kind="trust") is None  # an ICB, not a trust
    trust.is_active = False
    trust.save()
    assert organisation_active_by_ods_code("RAL", kind="trust") is None
    response = APIClient().post(
        API, {"kind": "compliment", "text": "Thanks", "provider": "RAL"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "provider": [
            "RAL is not the ODS code of an NHS trust, GP practice, dental practice or pharmacy "
            "in the directory."
        ]
    }


@pytest.mark.django_db
def test_a_new_forwarded_for_header_each_time_does_not_get_round_the_limit(trust, monkeypatch):
    caches["default"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "30/minute"})
    api = APIClient()
    answers = [
        api.post(
            API,
            {"kind": "compliment", "text": "Thanks", "provider": trust.ods_code},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(35)
    ]
    assert answers.count(201) == 30 and answers[30:] == [429] * 5
    caches["default"].clear()


@pytest.mark.django_db
def test_the_web_forms_last_step_is_throttled_too_and_keeps_the_answers(client, trust, monkeypatch):
    from tests.feedback.test_views import complete_journey

    caches["default"].clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "2/minute"})
    sent = []
    for _ in range(3):
        complete_journey(client, trust)
        sent.append(client.post("/feedback/new/check/", HTTP_X_FORWARDED_FOR="198.51.100.7"))
    assert [r.status_code for r in sent] == [302, 302, 429]
    assert "Please wait before sending more feedback" in sent[2].content.decode()
    assert int(sent[2]["Retry-After"]) > 0
    assert Feedback.objects.count() == 2
    # The answers are still there to send once the wait is over.
    assert "My mum waited 12 hours" in client.get("/feedback/new/check/").content.decode()
    caches["default"].clear()


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(rf):
    from patientview.client import client_address

    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9")
    assert client_address(request) == "10.0.0.5"  # no proxy trusted: the socket's address
    with override_settings(TRUSTED_PROXIES=1):
        assert client_address(request) == "198.51.100.9"  # what our proxy appended
    with override_settings(TRUSTED_PROXIES=1):
        forged = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")
        assert client_address(forged) == "10.0.0.5"
