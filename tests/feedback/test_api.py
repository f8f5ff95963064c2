import pytest
from rest_framework.test import APIClient

from feedback.models import Feedback, Identity


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.mark.django_db
def test_submit_returns_201_with_id_status_and_tracking_url(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {
            "kind": "complaint",
            "text": "The discharge letter never reached my GP.",
            "provider": trust.ods_code,
            "email": "pat@example.com",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    item = Feedback.objects.get(pk=body["id"])
    assert body["status"] == "received"
    assert body["tracking_url"].endswith(f"/track/{item.tracking_token}/")
    assert item.channel == "api"
    assert Identity.objects.get(feedback=item).email == "pat@example.com"


@pytest.mark.django_db
def test_submit_reports_field_errors_with_400(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "moan", "text": "", "provider": "NOPE", "nhs_number": "1234567890"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) >= {"kind", "text", "provider"}
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_submit_reports_invalid_nhs_number_with_400(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {
            "kind": "complaint",
            "text": "Hello",
            "provider": trust.ods_code,
            "nhs_number": "1234567890",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "NHS number" in response.json()["nhs_number"][0]


@pytest.mark.django_db
def test_text_over_the_limit_names_the_limit(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "a" * 5001, "provider": trust.ods_code},
        format="json",
    )
    assert response.status_code == 400
    assert "5000" in response.json()["text"][0]


@pytest.mark.django_db
def test_tracking_shows_status_and_handler(api, trust):
    item = Feedback.objects.create(
        kind="complaint", text="x", provider=trust, handled_by=trust, route="trust"
    )
    response = api.get(f"/api/v1/tracking/{item.tracking_token}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received"
    assert body["handled_by"] == {"name": trust.name, "kind": "trust", "ods_code": trust.ods_code}
    assert "text" not in body


@pytest.mark.django_db
def test_tracking_unknown_token_is_404(api):
    assert api.get("/api/v1/tracking/not-a-token/").status_code == 404


@pytest.mark.django_db
def test_openapi_schema_is_generated_with_the_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/feedback/" in schema["paths"]
    assert "/api/v1/tracking/{token}/" in schema["paths"]
    components = schema["components"]["schemas"]
    assert "FeedbackSubmitInputRequest" in components
    assert "TrackingOutput" in components
