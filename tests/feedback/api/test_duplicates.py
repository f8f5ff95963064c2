"""The staff API for duplicates and links: candidates, a link, a merge; scoped as every item."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from feedback.choices import Role, Status
from feedback.models import AuditEvent, Feedback, FeedbackLink
from tests.factories import UserFactory
from tests.feedback.duplicate_items import PAT_NHS, SAM, complaint, reading, topic

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust, role=Role.HANDLER)


@pytest.fixture
def pair(trust):
    """A complaint and the same patient writing again a week later, in other words."""
    meaning = topic()
    first = complaint(trust, days_ago=8, patient=PAT_NHS, read_as=reading(meaning))
    again = complaint(trust, days_ago=1, patient=PAT_NHS, read_as=reading(meaning, 0.1))
    return first, again


def test_candidates_say_why_and_leave_out_an_unrelated_complaint(trust, handler, pair):
    first, again = pair
    complaint(trust, days_ago=2, patient=SAM, read_as=reading(topic()))
    response = client_for(handler).get(f"/api/v1/queue/{again.pk}/duplicates/")
    assert response.status_code == 200
    [candidate] = response.json()
    assert candidate["id"] == first.pk
    assert candidate["reasons"][:3] == [
        "same NHS number",
        "same email address",
        "same phone number",
    ]
    assert candidate["reasons"][3].startswith("text ") and candidate["reasons"][3].endswith(
        "% alike"
    )
    assert candidate["similarity"] >= 0.89
    # Nothing identifying is in the answer: only that the details are the same.
    assert "pat@example.com" not in response.content.decode()


def test_link_then_merge_through_the_api(trust, handler, pair):
    first, again = pair
    client = client_for(handler)
    linked = client.post(f"/api/v1/queue/{again.pk}/links/", {"item": first.pk}, format="json")
    assert linked.status_code == 201
    assert [i["id"] for i in linked.json()["linked"]] == [first.pk]
    assert [i["id"] for i in client.get(f"/api/v1/queue/{first.pk}/links/").json()["linked"]] == [
        again.pk
    ]
    twice = client.post(f"/api/v1/queue/{first.pk}/links/", {"item": again.pk}, format="json")
    assert twice.status_code == 409
    assert "already linked" in twice.json()["detail"]

    merged = client.post(f"/api/v1/queue/{again.pk}/merge/", {"into": first.pk}, format="json")
    assert merged.status_code == 200
    assert (merged.json()["status"], merged.json()["duplicate_of"]) == (Status.CLOSED, first.pk)
    kept = client.get(f"/api/v1/queue/{first.pk}/links/").json()
    assert [i["id"] for i in kept["merged_here"]] == [again.pk]
    actions = set(AuditEvent.objects.filter(feedback=first).values_list("action", flat=True))
    assert {"linked", "duplicate_merged"} <= actions
    # The patient's tracking API says so.
    tracking = APIClient().get(f"/api/v1/tracking/{again.tracking_token}/").json()
    assert tracking["joined_to_another"] is True


@pytest.mark.parametrize(
    ("arrange", "status", "why"),
    [
        (lambda first, again: (again, again), 400, "cannot be merged into itself"),
        (
            lambda first, again: (_closed(again), first),
            409,
            "a closed or withdrawn item cannot be merged",
        ),
        (lambda first, again: (again, _closed(first)), 409, "still being handled"),
    ],
)
def test_a_refused_merge_says_why(handler, pair, arrange, status, why):
    item, into = arrange(*pair)
    response = client_for(handler).post(
        f"/api/v1/queue/{item.pk}/merge/", {"into": into.pk}, format="json"
    )
    assert response.status_code == status
    assert why in str(response.json())
    assert not Feedback.objects.filter(duplicate_of__isnull=False).exists()


def _closed(item):
    Feedback.objects.filter(pk=item.pk).update(status=Status.CLOSED)
    return item


def test_another_organisations_item_never_shows_and_cannot_be_linked_or_merged(
    trust, other_trust, handler
):
    mine = complaint(trust, patient=PAT_NHS)
    theirs = complaint(other_trust, patient=PAT_NHS)
    client = client_for(handler)
    assert client.get(f"/api/v1/queue/{mine.pk}/duplicates/").json() == []
    for method, url, body in [
        ("get", f"/api/v1/queue/{theirs.pk}/duplicates/", None),
        ("get", f"/api/v1/queue/{theirs.pk}/links/", None),
        ("post", f"/api/v1/queue/{mine.pk}/links/", {"item": theirs.pk}),
        ("post", f"/api/v1/queue/{theirs.pk}/links/", {"item": mine.pk}),
        ("post", f"/api/v1/queue/{mine.pk}/merge/", {"into": theirs.pk}),
        ("post", f"/api/v1/queue/{theirs.pk}/merge/", {"into": mine.pk}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
    assert not FeedbackLink.objects.exists()
    assert not Feedback.objects.filter(duplicate_of__isnull=False).exists()
    assert not AuditEvent.objects.exists()


def test_bad_input_is_400_by_field(handler, pair):
    first, _ = pair
    client = client_for(handler)
    assert "item" in client.post(f"/api/v1/queue/{first.pk}/links/", {}, format="json").json()
    assert (
        "into"
        in client.post(f"/api/v1/queue/{first.pk}/merge/", {"into": "x"}, format="json").json()
    )


def test_the_schema_describes_the_endpoints():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert paths["/api/v1/queue/{id}/duplicates/"]["get"]["operationId"] == "queue_item_duplicates"
    assert paths["/api/v1/queue/{id}/links/"]["post"]["operationId"] == "queue_item_link_create"
    merge = paths["/api/v1/queue/{id}/merge/"]["post"]
    assert set(merge["responses"]) == {"200", "400", "404", "409"}
    components = schema["components"]["schemas"]
    assert "reasons" in components["DuplicateCandidateOutput"]["properties"]
    assert "joined_to_another" in components["TrackingOutput"]["properties"]
