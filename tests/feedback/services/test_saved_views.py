"""A handler saves the queue's filters under a name, privately or for the team, and sees how many
items each saved view holds."""

from __future__ import annotations

import pytest
from django.test import Client

from feedback.choices import Status
from feedback.models import SavedView
from tests.factories import FeedbackFactory, UserFactory


@pytest.mark.django_db
def test_a_saved_view_is_listed_with_its_count_and_opens_the_filters(client: Client, trust):
    handler = UserFactory(organisation=trust)
    FeedbackFactory(provider=trust, handled_by=trust, status=Status.INVESTIGATING)
    FeedbackFactory(provider=trust, handled_by=trust, status=Status.INVESTIGATING)
    FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(handler)
    response = client.post(
        "/staff/queue/views/",
        {"name": "Being investigated", "query": "status=investigating&page=3&evil=1"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/queue/?status=investigating"
    page = client.get("/staff/queue/").content.decode()
    assert "Being investigated" in page
    assert '<span class="nhsuk-tag nhsuk-tag--grey">2</span>' in page
    assert SavedView.objects.get().query == "status=investigating"  # only the queue's filters


@pytest.mark.django_db
def test_a_shared_view_is_seen_by_the_team_and_a_private_one_is_not(client: Client, trust):
    owner = UserFactory(organisation=trust, username="owner.handler")
    colleague = UserFactory(organisation=trust)
    client.force_login(owner)
    client.post(
        "/staff/queue/views/", {"name": "Team overdue", "query": "due=overdue", "shared": "on"}
    )
    client.post("/staff/queue/views/", {"name": "Mine only", "query": "assignee=me"})
    client.get("/staff/queue/")  # the owner reads the "saved" messages
    client.force_login(colleague)
    page = client.get("/staff/queue/").content.decode()
    assert "Team overdue" in page and "shared by owner.handler" in page
    assert "Mine only" not in page


@pytest.mark.django_db
def test_another_organisation_never_sees_a_shared_view(client: Client, trust, other_trust):
    client.force_login(UserFactory(organisation=trust))
    client.post("/staff/queue/views/", {"name": "Ours", "query": "kind=complaint", "shared": "on"})
    client.get("/staff/queue/")
    client.force_login(UserFactory(organisation=other_trust))
    assert "Ours" not in client.get("/staff/queue/").content.decode()


@pytest.mark.django_db
def test_a_view_needs_a_name_and_a_filter(client: Client, trust):
    client.force_login(UserFactory(organisation=trust))
    page = client.post("/staff/queue/views/", {"name": "", "query": ""}, follow=True)
    text = page.content.decode()
    assert "Enter a name for the view." in text
    assert "Choose a filter, a search or a sort before saving a view." in text
    assert not SavedView.objects.exists()


@pytest.mark.django_db
def test_only_the_owner_deletes_a_view(client: Client, trust):
    owner = UserFactory(organisation=trust)
    colleague = UserFactory(organisation=trust)
    client.force_login(owner)
    client.post("/staff/queue/views/", {"name": "Shared", "query": "kind=concern", "shared": "on"})
    view = SavedView.objects.get()
    client.force_login(colleague)
    client.post(f"/staff/queue/views/{view.pk}/delete/")
    assert SavedView.objects.exists()
    client.force_login(owner)
    client.post(f"/staff/queue/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


@pytest.mark.django_db
def test_a_my_items_view_counts_the_viewers_own_items(client: Client, trust):
    handler = UserFactory(organisation=trust)
    FeedbackFactory(provider=trust, handled_by=trust, assigned_to=handler)
    FeedbackFactory(provider=trust, handled_by=trust)
    FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(handler)
    client.post("/staff/queue/views/", {"name": "Mine", "query": "assignee=me"})
    page = client.get("/staff/queue/").content.decode()
    assert 'Mine <span class="nhsuk-tag nhsuk-tag--grey">1</span>' in page
