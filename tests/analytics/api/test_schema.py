"""Property-based tests of the regulator API against its own OpenAPI schema (schemathesis).

Schemathesis reads /api/schema/ from the WSGI application in-process, generates requests for
every regulator operation from the documented parameters (valid values and edge cases), sends
them with a national token through the whole Django stack, and checks that no answer is a server
error and that every status code, content type, header and body matches the schema.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from feedback.choices import Route, Status
from feedback.models import FeedbackTheme, Identity
from tests.analytics.regulator import issue, item, reset_throttles
from tests.factories import CqcFactory, IcbFactory, TrustFactory

REGULATOR_PATHS = r"^/api/v1/(exports|aggregates|ko41)/"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def regulator_schema(transactional_db, monkeypatch):
    from patientview.wsgi import application

    # Thousands of requests from one token: the throttle has its own test.
    for scope in ("regulator", "regulator_stream"):
        monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, scope, "1000000/minute")
    reset_throttles()
    return schemathesis.openapi.from_wsgi("/api/schema/", application).include(
        path_regex=REGULATOR_PATHS
    )


@pytest.fixture
def national_token(transactional_db) -> str:
    """A CQC token, and items that fill every field of the export somewhere."""
    icb = IcbFactory(ods_code="QMJ")
    trust = TrustFactory(ods_code="RAL", icb=icb)
    cqc = CqcFactory()
    received = dt.datetime(2026, 10, 5, 9, tzinfo=dt.UTC)
    answered = item(
        provider=trust,
        handled_by=trust,
        received=received,
        status=Status.RESPONDED,
        sentiment=5,
        sentiment_label="negative",
        sentiment_confidence=0.9,
        model_version="test",
        response_due=dt.date(2026, 11, 2),
        responded_at=received + dt.timedelta(days=20),
        outcome="upheld",
        ko41_subjects=["waiting_times"],
        ko41_service_area="emergency",
        ko41_profession="nursing",
        communication_needs=["large_print", "interpreter"],
        interpreter_language="Polish",
        text="=cmd Dr Patel ignored me. Call 07700 900123.",
    )
    FeedbackTheme.objects.create(feedback=answered, theme="timeliness_of_care", score=0.8)
    Identity.objects.create(feedback=answered, name="Pat Lee", email="pat@example.com")
    item(provider=trust, handled_by=cqc, route=Route.CQC, received=received, risk_safeguarding=True)
    item(provider=None, handled_by=icb, area=icb, route=Route.ICB, received=received)
    _, plain = issue(cqc)
    return plain


OPERATIONS = [
    "/api/v1/exports/feedback/",
    "/api/v1/exports/feedback/csv/",
    "/api/v1/exports/feedback/ndjson/",
    "/api/v1/aggregates/feedback/",
    "/api/v1/ko41/",
]


def test_every_regulator_operation_is_covered(regulator_schema):
    paths = {result.ok().path for result in regulator_schema.get_all_operations()}
    assert paths == set(OPERATIONS)


@pytest.mark.parametrize("path", OPERATIONS)
def test_regulator_api_conforms_to_its_schema(path, regulator_schema, national_token):
    # Strategies per operation, run with Hypothesis directly: the pytest plugin's lazy loader does
    # not support this pytest version, and this way needs no plugin at all.
    operation = regulator_schema[path]["GET"]
    headers = {"Authorization": f"Bearer {national_token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    conforms()


# Whole-period streams and returns need parameters that go together (a month, or both dates);
# random generation seldom hits them, so these documented requests run as well.
EXPLICIT = [
    ("/api/v1/exports/feedback/", {}, 200),
    ("/api/v1/exports/feedback/", {"page_size": 1}, 200),
    ("/api/v1/exports/feedback/", {"cursor": "not-a-cursor"}, 404),
    ("/api/v1/exports/feedback/csv/", {"month": "2026-10"}, 200),
    (
        "/api/v1/exports/feedback/csv/",
        {"received_from": "2026-10-01", "received_to": "2026-10-31"},
        200,
    ),
    ("/api/v1/exports/feedback/csv/", {}, 400),
    ("/api/v1/exports/feedback/ndjson/", {"month": "2026-10", "risk": "safeguarding"}, 200),
    ("/api/v1/exports/feedback/ndjson/", {"month": "2026-10", "theme": "timeliness_of_care"}, 200),
    ("/api/v1/aggregates/feedback/", {"group_by": ["theme", "sentiment", "route"]}, 200),
    ("/api/v1/ko41/", {"year": 2026}, 200),
    ("/api/v1/ko41/", {"year": 2026, "quarter": 3, "organisation": "RAL"}, 200),
    ("/api/v1/ko41/", {"year": 2026, "organisation": "RYR"}, 404),
]


@pytest.mark.parametrize(("path", "query", "status"), EXPLICIT)
def test_documented_requests_conform_to_the_schema(
    path, query, status, regulator_schema, national_token
):
    case = regulator_schema[path]["GET"].Case(query=query)
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {national_token}"}, checks=CHECKS
    )
    assert response.status_code == status


@pytest.mark.parametrize("path", OPERATIONS)
def test_without_a_token_every_operation_answers_401_as_documented(path, regulator_schema):
    case = regulator_schema[path]["GET"].Case(query={"month": "2026-10", "year": 2026})
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 401
