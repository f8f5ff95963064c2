"""End to end on real processes: submit over HTTP, a real worker analyses and routes the item."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration


def wait_until_routed(stack, tracking_path: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = stack.request("GET", tracking_path)
        assert status == 200, body
        if body["handled_by"]:
            return body
        time.sleep(0.5)
    raise AssertionError(f"not routed within {timeout} s: {body}")


def test_items_submitted_over_the_api_are_analysed_and_routed_by_a_real_worker(directory, stack):
    cases = [
        (
            {
                "kind": "complaint",
                "provider": "RJ1",
                "text": "I waited six hours in A&E and the nurse was rude.",
            },
            ("trust", "RJ1"),
        ),
        (
            {
                "kind": "complaint",
                "area": "QMJ",
                "service_type": "gp",
                "text": "My GP practice never answers the phone.",
            },
            ("icb", "QMJ"),
        ),
        (
            {
                "kind": "concern",
                "provider": "RJ1",
                "text": "A carer hit my mother and took money from her purse.",
            },
            ("cqc", "CQC"),
        ),
    ]
    submitted = []
    for payload, expected in cases:
        status, body = stack.request("POST", "/api/v1/feedback/", payload)
        assert status == 201, body
        assert body["tracking_url"].startswith(stack.base_url)
        submitted.append((body["tracking_url"].removeprefix(stack.base_url), expected))

    for tracking_path, (kind, ods_code) in submitted:
        body = wait_until_routed(stack, tracking_path.replace("/track/", "/api/v1/tracking/"))
        assert body["handled_by"]["kind"] == kind
        assert body["handled_by"]["ods_code"] == ods_code
        assert body["analysis_state"] == "done"
