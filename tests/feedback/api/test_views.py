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
def test_the_fft_rating_is_kept_and_a_wrong_one_named(api, trust):
    body = {"kind": "compliment", "text": "Kind nurses.", "provider": trust.ods_code}
    response = api.post("/api/v1/feedback/", {**body, "fft_rating": 1}, format="json")
    assert response.status_code == 201, response.content
    assert Feedback.objects.get(pk=response.json()["id"]).fft_rating == 1
    response = api.post("/api/v1/feedback/", body, format="json")
    assert Feedback.objects.get(pk=response.json()["id"]).fft_rating is None

    response = api.post("/api/v1/feedback/", {**body, "fft_rating": 7}, format="json")
    assert response.status_code == 400
    assert response.json()["fft_rating"] == [
        "fft_rating must be 1 (very good) to 5 (very poor), or 6 (don't know); "
        "7 is not one of them."
    ]
    assert Feedback.objects.count() == 2


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


@pytest.mark.django_db
def test_a_retry_with_the_same_idempotency_key_returns_the_same_item(api, trust):
    body = {"kind": "complaint", "text": "Double click.", "provider": trust.ods_code}
    first = api.post("/api/v1/feedback/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    second = api.post("/api/v1/feedback/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Feedback.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "Gwasanaeth ardderchog, diolch yn fawr i'r nyrsys ar ward 4.",  # Welsh
        "الخدمة كانت سيئة جداً والانتظار طويل",  # Arabic, right to left
        "Brilliant care 👍🏽❤️ thank you",
        "a" * 4000,  # one very long word
        "<script>alert('x')</script> & <b>bold</b>",
    ],
)
def test_any_language_and_markup_is_stored_as_written(api, trust, text):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "compliment", "text": text, "provider": trust.ods_code},
        format="json",
    )
    assert response.status_code == 201
    assert Feedback.objects.get(pk=response.json()["id"]).text == text


@pytest.mark.django_db
def test_control_characters_are_removed_and_null_bytes_refused(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "Line one\x07\x1b\nline two", "provider": trust.ods_code},
        format="json",
    )
    assert response.status_code == 201
    assert Feedback.objects.get().text == "Line one\nline two"
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "nul\x00byte", "provider": trust.ods_code},
        format="json",
    )
    assert response.status_code == 400
    assert "text" in response.json()


@pytest.mark.django_db
def test_bodies_over_one_megabyte_are_413(api, trust):
    response = api.post(
        "/api/v1/feedback/", data="x" * (1024 * 1024 + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert "limit is 1048576 bytes" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("kind=complaint", "text/plain", 415),
        ("[1, 2]", "application/json", 400),
    ],
)
def test_malformed_bodies_and_wrong_content_types_are_4xx(api, trust, data, content_type, status):
    response = api.post("/api/v1/feedback/", data=data, content_type=content_type)
    assert response.status_code == status
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_submissions_are_throttled(api, trust, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"feedback_submit": "3/minute"})
    body = {"kind": "compliment", "text": "Thanks", "provider": trust.ods_code}
    codes = [api.post("/api/v1/feedback/", body, format="json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    cache.clear()


@pytest.mark.django_db
def test_a_trust_code_in_lower_case_is_accepted(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "compliment", "text": "Lovely staff.", "provider": trust.ods_code.lower()},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Feedback.objects.get().provider == trust


@pytest.mark.django_db
def test_an_icb_code_sent_as_provider_says_to_send_it_as_area(api, trust, icb):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "No dentist anywhere.", "provider": icb.ods_code},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["provider"][0]
    assert "QMJ is an integrated care board" in message and "`area`" in message
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "No dentist anywhere.", "area": trust.ods_code},
        format="json",
    )
    assert response.status_code == 400
    assert "`provider`" in response.json()["area"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    # JSON escapes, as a client sends them: a NUL, a lone surrogate, a space.
    [
        ("provider", r"R\u0000J1"),
        ("area", r"\u0000"),
        ("provider", r"\ud800"),
        ("provider", "R J1"),
    ],
)
def test_a_malformed_code_is_400_naming_the_field_and_the_shape(api, trust, field, value):
    body = '{"kind": "complaint", "text": "Hello", "' + field + '": "' + value + '"}'
    response = api.post("/api/v1/feedback/", body, content_type="application/json")
    assert response.status_code == 400
    assert "3 to 10 letters and digits" in response.json()[field][0]
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_a_phone_that_is_not_a_number_is_400_naming_the_field(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "Hello", "provider": trust.ods_code, "phone": "abc"},
        format="json",
    )
    assert response.status_code == 400
    assert "telephone number" in response.json()["phone"][0]
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_the_patients_answer_on_risk_is_taken_and_stored(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {
            "kind": "concern",
            "text": "Something is not right on the ward.",
            "provider": trust.ods_code,
            "safety_answer": "harm",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Feedback.objects.get().safety_answer == "harm"


@pytest.mark.django_db
def test_an_unknown_answer_on_risk_is_400_naming_the_field_and_the_answers(api, trust):
    response = api.post(
        "/api/v1/feedback/",
        {"kind": "concern", "text": "Hello", "provider": trust.ods_code, "safety_answer": "yes"},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["safety_answer"][0]
    assert "harm, detained, no or unsure" in message
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_another_clients_equal_idempotency_key_never_returns_their_item(trust, other_trust):
    patient_a = APIClient(REMOTE_ADDR="192.0.2.10")
    patient_b = APIClient(REMOTE_ADDR="192.0.2.20")
    a = patient_a.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "My appointment was cancelled.", "provider": trust.ods_code},
        format="json",
        HTTP_IDEMPOTENCY_KEY="1",
    )
    b = patient_b.post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "Nobody called me back.", "provider": other_trust.ods_code},
        format="json",
        HTTP_IDEMPOTENCY_KEY="1",
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert a.json()["tracking_url"] != b.json()["tracking_url"]
    assert Feedback.objects.get(pk=b.json()["id"]).text == "Nobody called me back."


@pytest.mark.django_db
def test_the_same_key_with_different_content_is_422_naming_the_header(api, trust):
    body = {"kind": "complaint", "text": "First.", "provider": trust.ods_code}
    first = api.post("/api/v1/feedback/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    changed = api.post(
        "/api/v1/feedback/", body | {"text": "Second."}, format="json", HTTP_IDEMPOTENCY_KEY="k-9"
    )
    assert first.status_code == 201
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()
    assert Feedback.objects.count() == 1
