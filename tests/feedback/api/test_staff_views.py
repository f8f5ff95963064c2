"""The staff API: permission matrix per endpoint, 409 for illegal moves, a complaint end to end."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.choices import Role
from feedback.models import AuditEvent, Feedback, Identity
from tests.factories import FeedbackFactory, UserFactory

RESPONSE = {
    "response_text": (
        "We have looked into what happened and apologise. If you are unhappy with this response "
        "you can contact the Parliamentary and Health Service Ombudsman."
    ),
    "outcome": "upheld",
    "subjects": ["waiting_times", "communications"],
    "service_area": "emergency",
    "profession": "nursing",
}


@pytest.fixture
def item(trust):
    feedback = FeedbackFactory(provider=trust, handled_by=trust, route="trust")
    Identity.objects.create(feedback=feedback, name="Pat Smith", email="pat@example.com")
    return feedback


ENDPOINTS = [
    ("get", "/api/v1/queue/", None),
    ("get", "/api/v1/queue/{pk}/", None),
    ("post", "/api/v1/queue/{pk}/acknowledge/", {}),
    ("post", "/api/v1/queue/{pk}/investigate/", {"approach": "detailed"}),
    ("post", "/api/v1/queue/{pk}/request-information/", {"note": "need consent"}),
    ("post", "/api/v1/queue/{pk}/resume/", {}),
    ("post", "/api/v1/queue/{pk}/respond/", RESPONSE),
    ("post", "/api/v1/queue/{pk}/close/", {}),
    ("post", "/api/v1/queue/{pk}/withdraw/", {"reason": "sorted"}),
    ("post", "/api/v1/queue/{pk}/reroute/", {"to": "QMJ", "reason": "GP matter"}),
    ("post", "/api/v1/queue/{pk}/assign/", {"assignee": None}),
    ("post", "/api/v1/queue/{pk}/agree-deadline/", {"agreed_due": "2099-01-01"}),
    ("post", "/api/v1/queue/{pk}/identity/", {}),
    ("get", "/api/v1/queue/{pk}/audit/", None),
    ("get", "/api/v1/queue/{pk}/duplicates/", None),
    ("get", "/api/v1/queue/{pk}/links/", None),
    ("post", "/api/v1/queue/{pk}/links/", {"item": 1}),
    ("post", "/api/v1/queue/{pk}/merge/", {"into": 1}),
    (
        "post",
        "/api/v1/queue/entries/",
        {"kind": "complaint", "text": "x", "channel": "phone", "provider": "RAL"},
    ),
    ("get", "/api/v1/fft-uploads/", None),
    ("post", "/api/v1/fft-uploads/", {}),
]


def call(client, method, url, body):
    if method == "get":
        return client.get(url)
    return client.post(url, body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_is_refused(item, method, path, body):
    response = call(APIClient(), method, path.format(pk=item.pk), body)
    assert response.status_code == 403
    assert Feedback.objects.get(pk=item.pk).status == "received"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), [e for e in ENDPOINTS if "{pk}" in e[1]])
def test_another_organisation_gets_404_and_changes_nothing(item, other_trust, method, path, body):
    client = APIClient()
    client.force_authenticate(UserFactory(organisation=other_trust, role=Role.MANAGER))
    response = call(client, method, path.format(pk=item.pk), body)
    assert response.status_code == 404
    assert Feedback.objects.get(pk=item.pk).status == "received"
    assert not AuditEvent.objects.filter(feedback=item).exists()


@pytest.mark.django_db
def test_another_organisations_queue_does_not_list_the_item(item, other_trust):
    client = APIClient()
    client.force_authenticate(UserFactory(organisation=other_trust))
    assert client.get("/api/v1/queue/").json()["count"] == 0


@pytest.mark.django_db
def test_a_user_without_an_organisation_is_refused(item):
    client = APIClient()
    client.force_authenticate(UserFactory(organisation=None))
    assert client.get("/api/v1/queue/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.HANDLER, Role.MANAGER, Role.ADMINISTRATOR])
def test_own_organisation_every_role_works_the_queue(item, role):
    client = APIClient()
    client.force_authenticate(UserFactory(organisation=item.handled_by, role=role))
    assert client.get("/api/v1/queue/").json()["results"][0]["id"] == item.pk
    assert client.post(f"/api/v1/queue/{item.pk}/acknowledge/").status_code == 200
    identity = client.post(f"/api/v1/queue/{item.pk}/identity/")
    assert identity.json()["name"] == "Pat Smith"
    audit = client.get(f"/api/v1/queue/{item.pk}/audit/")
    if role == Role.HANDLER:
        assert audit.status_code == 403
    else:
        assert audit.status_code == 200
        assert [e["action"] for e in audit.json()][-1] == "identity_viewed"


@pytest.mark.django_db
def test_an_illegal_move_is_409(item):
    client = APIClient()
    client.force_authenticate(UserFactory(organisation=item.handled_by))
    response = client.post(f"/api/v1/queue/{item.pk}/respond/", RESPONSE, format="json")
    assert response.status_code == 409
    assert "cannot be moved" in response.json()["detail"]


@pytest.mark.django_db
def test_bad_step_input_is_400_with_the_field(item):
    client = APIClient()
    client.force_authenticate(UserFactory(organisation=item.handled_by))
    client.post(f"/api/v1/queue/{item.pk}/acknowledge/")
    client.post(f"/api/v1/queue/{item.pk}/investigate/", {"approach": "detailed"}, format="json")
    response = client.post(
        f"/api/v1/queue/{item.pk}/respond/",
        RESPONSE | {"response_text": "Sorry.", "subjects": []},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"subjects"}
    response = client.post(
        f"/api/v1/queue/{item.pk}/respond/", RESPONSE | {"response_text": "Sorry."}, format="json"
    )
    assert response.status_code == 400
    assert "Ombudsman" in response.json()["response_text"][0]


@pytest.mark.django_db
def test_queue_filters(trust):
    handler = UserFactory(organisation=trust)
    client = APIClient()
    client.force_authenticate(handler)
    mine = FeedbackFactory(
        provider=trust, handled_by=trust, assigned_to=handler, sentiment=5, risk_safeguarding=True
    )
    FeedbackFactory(provider=trust, handled_by=trust, kind="compliment", sentiment=1)
    assert [r["id"] for r in client.get("/api/v1/queue/?assignee=me").json()["results"]] == [
        mine.pk
    ]
    assert [r["id"] for r in client.get("/api/v1/queue/?risk=safeguarding").json()["results"]] == [
        mine.pk
    ]
    assert [r["id"] for r in client.get("/api/v1/queue/?sentiment=5").json()["results"]] == [
        mine.pk
    ]
    assert client.get("/api/v1/queue/?kind=compliment").json()["count"] == 1
    assert client.get("/api/v1/queue/?risk=nonsense").status_code == 400


@pytest.mark.django_db
def test_one_complaint_from_submission_to_closure_through_the_api(trust, icb, cqc):
    from feedback.services.analysis import feedback_analyse_batch

    patient = APIClient()
    submitted = patient.post(
        "/api/v1/feedback/",
        {
            "kind": "complaint",
            "provider": trust.ods_code,
            "text": "I waited nine hours in A&E and nobody told me why.",
            "email": "pat@example.com",
        },
        format="json",
    ).json()
    token = submitted["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    feedback_analyse_batch(first_id=submitted["id"])
    tracking = patient.get(f"/api/v1/tracking/{token}/").json()
    assert tracking["handled_by"]["ods_code"] == trust.ods_code

    staff = APIClient()
    staff.force_authenticate(UserFactory(organisation=trust))
    pk = submitted["id"]
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("investigate", {"approach": "early_resolution"}, "investigating"),
        ("request-information", {"note": "Which day was it?"}, "awaiting_complainant"),
        ("resume", {}, "investigating"),
        ("respond", RESPONSE, "responded"),
        ("close", {"resolved": True}, "closed"),
    ]
    for step, body, status in steps:
        response = staff.post(f"/api/v1/queue/{pk}/{step}/", body, format="json")
        assert response.status_code == 200, (step, response.content)
        assert response.json()["status"] == status
        assert patient.get(f"/api/v1/tracking/{token}/").json()["status"] == status
    item = Feedback.objects.get(pk=pk)
    assert item.outcome == "upheld" and item.closed_at and item.resolved_at
    actions = list(AuditEvent.objects.filter(feedback=item).values_list("action", flat=True))
    assert actions[:3] == ["submitted", "analysed", "routed"]
    assert actions.count("status_changed") == 6


@pytest.mark.django_db
def test_the_api_says_which_steps_are_open_as_the_item_page_does(trust):
    from rest_framework.test import APIClient

    from feedback.choices import Status
    from tests.factories import FeedbackFactory, UserFactory

    handler = UserFactory(organisation=trust)
    api = APIClient()
    api.force_authenticate(handler)
    new = FeedbackFactory(provider=trust, handled_by=trust)
    # Paused as the workflow pauses an item: the status and the moment the clock stopped.
    paused = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        status=Status.AWAITING_COMPLAINANT,
        status_before_pause=Status.ACKNOWLEDGED,
        paused_at=timezone.now(),
    )
    assert "acknowledge" in api.get(f"/api/v1/queue/{new.pk}/").json()["steps"]
    steps = api.get(f"/api/v1/queue/{paused.pk}/").json()["steps"]
    # While waiting for the complainant, resume is open and acknowledge is not.
    assert "resume" in steps and "acknowledge" not in steps
