"""A handler ticks items in the queue and acknowledges or assigns them together: each item gets
its own audited step; an item whose state forbids it is listed with the reason, the rest go on."""

from __future__ import annotations

import pytest
from django.test import Client

from feedback.choices import Status
from feedback.models import AuditEvent, Feedback
from tests.factories import FeedbackFactory, UserFactory


def _bulk(client: Client, **data):
    return client.post("/staff/queue/bulk/", data, follow=True)


@pytest.mark.django_db
def test_acknowledge_several_and_hear_which_could_not_be(client: Client, trust, other_trust):
    handler = UserFactory(organisation=trust)
    new = [FeedbackFactory(provider=trust, handled_by=trust) for _ in range(3)]
    closed = FeedbackFactory(provider=trust, handled_by=trust, status=Status.CLOSED)
    theirs = FeedbackFactory(provider=other_trust, handled_by=other_trust)
    client.force_login(handler)
    ticked = [*(i.pk for i in new), closed.pk, theirs.pk]
    page = _bulk(client, items=ticked, action="acknowledge").content.decode()
    assert "Acknowledge: done for 3 items." in page
    assert f"#{closed.pk}: not possible while closed" in page
    assert f"#{theirs.pk}: not in your queue" in page
    for item in new:
        item.refresh_from_db()
        assert item.status == Status.ACKNOWLEDGED
        event = AuditEvent.objects.get(feedback=item, to_value=Status.ACKNOWLEDGED)
        assert event.actor == handler
    theirs.refresh_from_db()
    assert theirs.status == Status.RECEIVED  # another trust's item is untouched


@pytest.mark.django_db
def test_assign_several_to_a_colleague(client: Client, trust):
    handler = UserFactory(organisation=trust)
    colleague = UserFactory(organisation=trust, username="sam.handler")
    items = [FeedbackFactory(provider=trust, handled_by=trust) for _ in range(2)]
    client.force_login(handler)
    page = _bulk(
        client, items=[i.pk for i in items], action="assign", assignee="sam.handler"
    ).content.decode()
    assert "Assign: done for 2 items." in page
    assert set(Feedback.objects.values_list("assigned_to", flat=True)) == {colleague.pk}
    assert AuditEvent.objects.filter(action="assigned", to_value="sam.handler").count() == 2


@pytest.mark.django_db
def test_nothing_ticked_is_a_clear_error_and_changes_nothing(client: Client, trust):
    handler = UserFactory(organisation=trust)
    item = FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(handler)
    page = _bulk(client, action="acknowledge").content.decode()
    assert "Tick at least one item." in page
    item.refresh_from_db()
    assert item.status == Status.RECEIVED


@pytest.mark.django_db
def test_someone_from_another_organisation_cannot_be_assigned(client: Client, trust, other_trust):
    handler = UserFactory(organisation=trust)
    UserFactory(organisation=other_trust, username="outsider")
    item = FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(handler)
    _bulk(client, items=[item.pk], action="assign", assignee="outsider")
    item.refresh_from_db()
    assert item.assigned_to is None


@pytest.mark.django_db
def test_the_queue_offers_a_tick_box_for_each_item(client: Client, trust):
    handler = UserFactory(organisation=trust)
    item = FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(handler)
    page = client.get("/staff/queue/").content.decode()
    assert f'id="tick-{item.pk}"' in page
    assert "Apply to the items ticked" in page
