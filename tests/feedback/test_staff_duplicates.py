"""Possible duplicates on the staff item page, and what the patient of a merged item sees."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from feedback.choices import Role, Status
from feedback.models import AuditEvent, Feedback, FeedbackLink
from feedback.services import merging, workflow
from tests.factories import UserFactory
from tests.feedback.duplicate_items import PAT, PAT_NHS, RESPONSE, SAM, complaint, reading, topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust, role=Role.HANDLER)


@pytest.fixture
def client(handler) -> Client:
    client = Client()
    client.force_login(handler)
    return client


@pytest.fixture
def pair(trust):
    meaning = topic()
    first = complaint(trust, days_ago=8, patient=PAT_NHS, read_as=reading(meaning))
    again = complaint(trust, days_ago=1, patient=PAT_NHS, read_as=reading(meaning, 0.1))
    return first, again


def section(page: str) -> str:
    return page[page.index('id="duplicates"') : page.index('id="attachments"')]


def test_the_item_page_lists_possible_duplicates_with_why_and_buttons(trust, client, pair):
    first, again = pair
    unrelated = complaint(trust, days_ago=3, patient=SAM, read_as=reading(topic()))
    page = section(client.get(f"/staff/items/{again.pk}/").content.decode())
    assert "Possible duplicates" in page
    assert f'href="/staff/items/{first.pk}/">#{first.pk}</a>' in page
    # The day in England, as the page shows it (just after midnight in summer UTC is a day behind).
    assert timezone.localtime(first.received_at).strftime("%-d %b %Y") in page
    assert "Same NHS number; same email address; same phone number; text " in page
    assert f"#{unrelated.pk}" not in page
    # One form a button, each with its CSRF token: link, and merge either way round.
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert forms == [
        f"/staff/items/{again.pk}/links/",
        f"/staff/items/{first.pk}/merge/",
        f"/staff/items/{again.pk}/merge/",
    ]
    assert page.count("csrfmiddlewaretoken") == 3
    # Nothing identifying: only that the details are the same.
    assert "9434765919" not in page and "pat@example.com" not in page


def test_linking_from_the_page_shows_the_link_on_both_items(client, pair):
    first, again = pair
    response = client.post(f"/staff/items/{again.pk}/links/", {"other": first.pk}, follow=True)
    assert f"Linked to #{first.pk}." in response.content.decode()
    for item, other in ((first, again), (again, first)):
        page = section(client.get(f"/staff/items/{item.pk}/").content.decode())
        linked = page[page.index('id="linked-items"') :]
        assert f'href="/staff/items/{other.pk}/">#{other.pk}</a>' in linked
        # A linked item is no longer offered as a possible duplicate.
        assert 'id="candidates"' in page and "<table" not in page
    timeline = client.get(f"/staff/items/{first.pk}/").content.decode()
    assert f"Linked to another item (#{again.pk})" in timeline


def test_merging_from_the_page_closes_the_duplicate_and_shows_it_on_both(client, pair):
    first, again = pair
    response = client.post(
        f"/staff/items/{again.pk}/merge/", {"into": first.pk, "back": again.pk}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/staff/items/{first.pk}/#duplicates"
    kept = response.content.decode()
    assert f"#{again.pk} merged into #{first.pk} and closed as a duplicate" in kept
    assert f'href="/staff/items/{again.pk}/">#{again.pk}</a>' in section(kept)
    assert Feedback.objects.get(pk=again.pk).status == Status.CLOSED
    duplicate = section(client.get(f"/staff/items/{again.pk}/").content.decode())
    assert f'Merged into <a href="/staff/items/{first.pk}/">#{first.pk}</a>' in duplicate
    assert AuditEvent.objects.filter(feedback=again, action="merged").exists()
    assert AuditEvent.objects.filter(feedback=first, action="duplicate_merged").exists()


def test_a_refused_merge_shows_why_on_the_page(client, pair):
    first, again = pair
    Feedback.objects.filter(pk=first.pk).update(status=Status.WITHDRAWN)
    response = client.post(
        f"/staff/items/{again.pk}/merge/", {"into": first.pk, "back": again.pk}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/staff/items/{again.pk}/#duplicates"
    page = response.content.decode()
    assert (
        f"Not merged: #{first.pk} is withdrawn: merge only into an item still being handled."
        in (page)
    )
    assert 'role="alert"' in page
    assert Feedback.objects.get(pk=again.pk).duplicate_of_id is None


def test_another_organisations_item_cannot_be_linked_or_merged_from_the_page(
    trust, other_trust, client
):
    mine, theirs = complaint(trust, patient=PAT_NHS), complaint(other_trust, patient=PAT_NHS)
    assert f"#{theirs.pk}" not in section(client.get(f"/staff/items/{mine.pk}/").content.decode())
    for path, data in [
        (f"/staff/items/{mine.pk}/links/", {"other": theirs.pk}),
        (f"/staff/items/{theirs.pk}/links/", {"other": mine.pk}),
        (f"/staff/items/{mine.pk}/merge/", {"into": theirs.pk}),
        (f"/staff/items/{theirs.pk}/merge/", {"into": mine.pk}),
    ]:
        assert client.post(path, data).status_code == 404, path
    assert not FeedbackLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_forms_need_a_csrf_token(handler, pair):
    first, again = pair
    client = Client(enforce_csrf_checks=True)
    client.force_login(handler)
    assert client.post(f"/staff/items/{again.pk}/links/", {"other": first.pk}).status_code == 403
    assert client.post(f"/staff/items/{again.pk}/merge/", {"into": first.pk}).status_code == 403


def test_a_compliment_is_not_checked(trust, client):
    compliment = complaint(trust, kind="compliment", patient=PAT_NHS)
    page = section(client.get(f"/staff/items/{compliment.pk}/").content.decode())
    assert "Only complaints and concerns are checked for duplicates." in page


def test_the_patient_of_a_merged_item_is_told_and_reads_the_answer_there(trust, handler):
    kept = complaint(trust, days_ago=9, status=Status.INVESTIGATING, text="Kept item's own words.",
                     patient=PAT)  # fmt: skip
    duplicate = complaint(trust, days_ago=2, patient={"name": "Pat", "email": PAT["email"]})
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    track = f"/track/{duplicate.tracking_token}/"
    page = Client().get(track).content.decode()
    assert "has been joined to another about the same matter" in page
    assert "We will send it to you when it is ready" in page
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    # The answer shows after the code sent to the patient's own address, as for any response.
    patient = Client()
    page = patient.get(track).content.decode()
    assert RESPONSE["response_text"][:40] not in page
    patient.post(f"{track}response/", {"action": "send"})
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == [PAT["email"]]
    patient.post(f"{track}response/", {"code": code})
    page = patient.get(track).content.decode()
    assert RESPONSE["response_text"][:40] in page
    assert "Kept item's own words." not in page
    assert "Parliamentary and Health Service Ombudsman" in page


def test_a_merge_made_by_mistake_is_undone_from_the_duplicates_page(client, pair):
    first, again = pair
    merging.complaint_merge(feedback=again, into=first, actor=_handler_of(first))
    page = section(client.get(f"/staff/items/{again.pk}/").content.decode())
    assert f'action="/staff/items/{again.pk}/unmerge/"' in page

    refused = client.post(f"/staff/items/{again.pk}/unmerge/", {"reason": ""}, follow=True)
    assert "Say why the merge is being undone." in refused.content.decode()
    response = client.post(
        f"/staff/items/{again.pk}/unmerge/", {"reason": "two different visits"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/staff/items/{again.pk}/#duplicates"
    assert f"Merge undone: #{again.pk} is open again in your queue." in response.content.decode()
    assert Feedback.objects.get(pk=again.pk).status == Status.RECEIVED
    assert "Merge undone: reopened in the queue" in response.content.decode()
    kept = section(client.get(f"/staff/items/{first.pk}/").content.decode())
    assert 'id="merged-here"' not in kept


def test_a_link_made_by_mistake_is_removed_from_the_page(client, pair):
    first, again = pair
    client.post(f"/staff/items/{again.pk}/links/", {"other": first.pk})
    page = section(client.get(f"/staff/items/{first.pk}/").content.decode())
    assert f'action="/staff/items/{first.pk}/unlink/"' in page
    response = client.post(f"/staff/items/{first.pk}/unlink/", {"other": again.pk}, follow=True)
    assert f"Link to #{again.pk} removed." in response.content.decode()
    assert not FeedbackLink.objects.exists()
    for item in (first, again):
        assert 'id="linked-items"' not in section(
            client.get(f"/staff/items/{item.pk}/").content.decode()
        )


def test_the_page_never_shows_the_id_of_an_item_kept_that_left_the_queue(
    trust, other_trust, client, handler
):
    kept = complaint(trust, days_ago=20, status=Status.INVESTIGATING, patient=PAT)
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    duplicate = complaint(trust, days_ago=1, patient=PAT)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    workflow.complaint_reroute(feedback=kept, actor=handler, to=other_trust, reason="theirs")
    page = section(client.get(f"/staff/items/{duplicate.pk}/").content.decode())
    assert "Merged into an item no longer in your queue" in page
    assert f"#{kept.pk}" not in page


def test_withdrawing_the_item_kept_puts_its_duplicate_back_in_the_queue_page(client, handler, pair):
    first, again = pair
    merging.complaint_merge(feedback=again, into=first, actor=handler)
    workflow.complaint_withdraw(feedback=first, actor=handler, reason="withdrawn by the patient")
    queue = client.get("/staff/queue/?status=received").content.decode()
    assert f'href="/staff/items/{again.pk}/"' in queue
    page = client.get(f"/staff/items/{again.pk}/").content.decode()
    assert 'id="merged-into"' not in page


def _handler_of(item):
    return UserFactory(organisation=item.handled_by, role=Role.HANDLER)
