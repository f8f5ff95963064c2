"""The staff API for duplicates and links: candidates, a link, a merge; scoped as every item."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from feedback.choices import Role, Status
from feedback.models import AuditEvent, Feedback, FeedbackLink
from feedback.services import merging, workflow
from tests.factories import UserFactory
from tests.feedback.duplicate_items import PAT_NHS, RESPONSE, SAM, complaint, reading, topic

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


def _merged(trust, handler):
    kept = complaint(trust, days_ago=8, patient=PAT_NHS, status=Status.ACKNOWLEDGED)
    duplicate = complaint(trust, days_ago=1, patient=PAT_NHS, status=Status.ACKNOWLEDGED)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    return kept, duplicate


def test_unmerge_through_the_api_reopens_the_duplicate(trust, handler):
    kept, duplicate = _merged(trust, handler)
    client = client_for(handler)
    url = f"/api/v1/queue/{duplicate.pk}/unmerge/"
    assert "reason" in client.post(url, {}, format="json").json()
    response = client.post(url, {"reason": "a different visit"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["duplicate_of"]) == (
        Status.ACKNOWLEDGED,
        None,
    )
    assert client.get(f"/api/v1/queue/{kept.pk}/links/").json()["merged_here"] == []
    assert AuditEvent.objects.filter(feedback=duplicate, action="unmerged").exists()
    again = client.post(url, {"reason": "again"}, format="json")
    assert again.status_code == 409 and "was not merged" in again.json()["detail"]


def test_unlink_through_the_api(handler, pair):
    first, again = pair
    client = client_for(handler)
    client.post(f"/api/v1/queue/{again.pk}/links/", {"item": first.pk}, format="json")
    response = client.delete(f"/api/v1/queue/{first.pk}/links/{again.pk}/")
    assert response.status_code == 200 and response.json()["linked"] == []
    assert not FeedbackLink.objects.exists()
    assert client.delete(f"/api/v1/queue/{first.pk}/links/{again.pk}/").status_code == 409


def test_another_organisation_cannot_unmerge_or_unlink(trust, other_trust, handler, pair):
    first, again = pair
    FeedbackLink.objects.create(first_id=first.pk, second_id=again.pk, linked_by=handler)
    kept, duplicate = _merged(trust, handler)
    stranger = client_for(UserFactory(organisation=other_trust, role=Role.HANDLER))
    unmerge = stranger.post(
        f"/api/v1/queue/{duplicate.pk}/unmerge/", {"reason": "x"}, format="json"
    )
    assert unmerge.status_code == 404
    assert stranger.delete(f"/api/v1/queue/{first.pk}/links/{again.pk}/").status_code == 404
    assert Feedback.objects.get(pk=duplicate.pk).duplicate_of_id == kept.pk
    assert FeedbackLink.objects.exists()


def test_the_api_never_shows_the_id_of_an_item_kept_that_left_the_queue(
    trust, other_trust, handler
):
    kept = complaint(trust, days_ago=20, status=Status.INVESTIGATING, patient=PAT_NHS)
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    duplicate = complaint(trust, days_ago=1, patient=PAT_NHS)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    workflow.complaint_reroute(feedback=kept, actor=handler, to=other_trust, reason="theirs")
    client = client_for(handler)
    assert client.get(f"/api/v1/queue/{duplicate.pk}/").json()["duplicate_of"] is None
    assert client.get(f"/api/v1/queue/{duplicate.pk}/links/").json()["duplicate_of"] is None
    listed = client.get("/api/v1/queue/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["duplicate_of"] for r in rows if r["id"] == duplicate.pk] == [None]


def test_withdrawing_the_item_kept_reopens_its_duplicate_in_the_api(trust, handler):
    kept, duplicate = _merged(trust, handler)
    client = client_for(handler)
    withdrawn = client.post(
        f"/api/v1/queue/{kept.pk}/withdraw/", {"reason": "the patient withdrew"}, format="json"
    )
    assert withdrawn.status_code == 200, withdrawn.content
    item = client.get(f"/api/v1/queue/{duplicate.pk}/").json()
    assert (item["status"], item["duplicate_of"]) == (Status.ACKNOWLEDGED, None)
