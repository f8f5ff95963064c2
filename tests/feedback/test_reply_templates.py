"""Reply templates: a handler starts the request for information or the final response from a
template filled in for the item, and edits it; managers keep their organisation's own."""

from __future__ import annotations

import pytest
from django.test import Client

from feedback.choices import Role, Status
from feedback.models import AuditEvent, Identity, ReplyTemplate
from tests.factories import FeedbackFactory, UserFactory


@pytest.fixture
def investigating(trust):
    item = FeedbackFactory(provider=trust, handled_by=trust, status=Status.INVESTIGATING)
    Identity.objects.create(feedback=item, name="Ann Example", email="ann@example.com")
    return item


@pytest.mark.django_db
def test_a_handler_fills_the_final_response_from_the_standard_template(
    client: Client, trust, investigating
):
    handler = UserFactory(organisation=trust, first_name="Sam", last_name="Jones")
    client.force_login(handler)
    page = client.get(
        f"/staff/items/{investigating.pk}/", {"template": "respond:default-response"}
    ).content.decode()
    assert "Dear Ann Example," in page
    assert f"(reference {investigating.pk})" in page
    assert "Parliamentary and" in page and "Ombudsman" in page
    assert "Sam Jones" in page and trust.name in page
    # Filling in the name read the contact details: audited as viewing them.
    assert AuditEvent.objects.filter(feedback=investigating, action="identity_viewed").exists()


@pytest.mark.django_db
def test_the_item_page_offers_the_templates_for_its_open_steps(
    client: Client, trust, investigating
):
    client.force_login(UserFactory(organisation=trust))
    page = client.get(f"/staff/items/{investigating.pk}/").content.decode()
    assert 'value="respond:default-response"' in page
    assert 'value="request-information:default-information"' in page


@pytest.mark.django_db
def test_a_manager_adds_a_template_handlers_then_see(client: Client, trust, investigating):
    manager = UserFactory(organisation=trust, role=Role.MANAGER)
    client.force_login(manager)
    response = client.post(
        "/staff/templates/",
        {
            "step": "request-information",
            "name": "Ask for dates",
            "body": "Dear {patient_name}, please tell us the dates you visited {organisation}.",
        },
    )
    assert response.status_code == 302
    template = ReplyTemplate.objects.get()
    client.force_login(UserFactory(organisation=trust))
    page = client.get(
        f"/staff/items/{investigating.pk}/",
        {"template": f"request-information:{template.pk}"},
    ).content.decode()
    assert f"please tell us the dates you visited {trust.name}." in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"step": "respond", "name": "No ombudsman", "body": "Dear {patient_name}, sorry."},
            "Parliamentary and Health Service Ombudsman",
        ),
        (
            {"step": "request-information", "name": "Typo", "body": "Dear {patient_nmae},"},
            "Unknown placeholder {patient_nmae}",
        ),
        (
            {"step": "request-information", "name": "Brace", "body": "Dear {patient_name,"},
            "is not closed",
        ),
        ({"step": "request-information", "name": "", "body": "Hello"}, "Enter a name"),
    ],
)
def test_a_template_that_would_send_a_bad_reply_is_refused(client: Client, trust, data, message):
    client.force_login(UserFactory(organisation=trust, role=Role.MANAGER))
    response = client.post("/staff/templates/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReplyTemplate.objects.exists()


@pytest.mark.django_db
def test_handlers_and_other_organisations_cannot_change_templates(
    client: Client, trust, other_trust
):
    manager = UserFactory(organisation=trust, role=Role.MANAGER)
    client.force_login(manager)
    client.post(
        "/staff/templates/",
        {"step": "request-information", "name": "Ours", "body": "Dear {patient_name}."},
    )
    ours = ReplyTemplate.objects.get()
    client.force_login(UserFactory(organisation=trust))  # a handler
    response = client.post(
        "/staff/templates/",
        {"step": "request-information", "name": "Mine", "body": "Hello."},
    )
    assert response.status_code == 400 and ReplyTemplate.objects.count() == 1
    client.force_login(UserFactory(organisation=other_trust, role=Role.MANAGER))
    client.post(f"/staff/templates/{ours.pk}/delete/")
    assert ReplyTemplate.objects.filter(pk=ours.pk).exists()
    assert "Ours" not in client.get("/staff/templates/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["{reference:d}", "{reference!r}", "{reference:>2000000000}"])
def test_placeholders_with_formatting_are_refused(client: Client, trust, body):
    client.force_login(UserFactory(organisation=trust, role=Role.MANAGER))
    response = client.post(
        "/staff/templates/", {"step": "request-information", "name": "Bad", "body": body}
    )
    assert response.status_code == 400
    assert not ReplyTemplate.objects.exists()


@pytest.mark.django_db
def test_a_link_from_another_site_does_not_read_the_contact_details(
    client: Client, trust, investigating
):
    client.force_login(UserFactory(organisation=trust))
    page = client.get(
        f"/staff/items/{investigating.pk}/",
        {"template": "respond:default-response"},
        headers={"Sec-Fetch-Site": "cross-site"},
    ).content.decode()
    assert "Dear Sir or Madam," in page
    assert not AuditEvent.objects.filter(feedback=investigating, action="identity_viewed").exists()
