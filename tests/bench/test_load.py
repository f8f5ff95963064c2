"""The load bench's bodies are valid submissions, so its errors column counts only real errors."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from bench.load_bodies import make_bodies
from feedback.models import Feedback


@pytest.mark.django_db
def test_every_body_the_load_bench_sends_is_accepted(trust, icb, tmp_path):
    bodies = tmp_path / "bodies.jsonl"
    make_bodies(bodies, [trust.ods_code], [icb.ods_code], 300)
    lines = bodies.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    kinds = {json.loads(line)["kind"] for line in lines}
    assert kinds == {"complaint", "concern", "compliment", "suggestion"}
    api = APIClient()
    for line in lines:
        response = api.post("/api/v1/feedback/", line.encode(), content_type="application/json")
        assert response.status_code == 201, (response.content, line)
    assert Feedback.objects.count() == 300


def test_the_bare_endpoint_is_not_in_the_products_urls():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/bare/")
