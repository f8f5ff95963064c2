import pytest
from django.test import Client

from feedback.models import Feedback
from tests.factories import FeedbackFactory, UserFactory


@pytest.mark.django_db
def test_start_page_links_to_the_form(client: Client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/feedback/new/"' in response.content


@pytest.mark.django_db
def test_form_submission_redirects_to_confirmation_with_tracking_link(client: Client, trust):
    response = client.post(
        "/feedback/new/",
        {"kind": "complaint", "provider": trust.ods_code, "text": "My mum waited 12 hours."},
    )
    item = Feedback.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/submitted/{item.tracking_token}/"
    confirmation = client.get(response["Location"])
    assert f"/track/{item.tracking_token}/".encode() in confirmation.content


@pytest.mark.django_db
def test_form_errors_are_summarised_and_nothing_is_saved(client: Client, trust):
    response = client.post("/feedback/new/", {"kind": "", "text": "", "nhs_number": "123"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Choose complaint, concern, compliment or suggestion." in content
    assert "Tell us about your experience." in content
    assert "Choose the NHS trust that gave the care, or the area it was in." in content
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_form_rejects_invalid_nhs_number(client: Client, trust):
    response = client.post(
        "/feedback/new/",
        {"kind": "complaint", "provider": trust.ods_code, "text": "x", "nhs_number": "9434765918"},
    )
    assert "Enter a valid 10-digit NHS number" in response.content.decode()
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_script_in_feedback_is_shown_escaped(client: Client, trust):
    handler = UserFactory(organisation=trust)
    item = FeedbackFactory(provider=trust, handled_by=trust, text="<script>alert(1)</script>")
    client.force_login(handler)
    content = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["queue", "item"])
def test_staff_pages_permission_matrix(client: Client, trust, other_trust, url_name):
    item = FeedbackFactory(provider=trust, handled_by=trust, text="Own organisation's item")
    url = "/staff/queue/" if url_name == "queue" else f"/staff/items/{item.pk}/"

    # Anonymous: sent to sign in.
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")

    # Another organisation: the item does not exist for them, and their queue does not show it.
    client.force_login(UserFactory(organisation=other_trust))
    response = client.get(url)
    if url_name == "item":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert f"/staff/items/{item.pk}/" not in response.content.decode()

    # Own organisation: visible.
    client.force_login(UserFactory(organisation=trust))
    response = client.get(url)
    assert response.status_code == 200
    assert f"/staff/items/{item.pk}/".encode() in response.content or b"Own organisation" in (
        response.content
    )


@pytest.mark.django_db
def test_queue_is_newest_first(client: Client, trust):
    from datetime import timedelta

    from django.utils import timezone

    old = FeedbackFactory(
        provider=trust, handled_by=trust, received_at=timezone.now() - timedelta(days=2)
    )
    new = FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(UserFactory(organisation=trust))
    content = client.get("/staff/queue/").content.decode()
    assert content.index(f"/staff/items/{new.pk}/") < content.index(f"/staff/items/{old.pk}/")


@pytest.mark.django_db
def test_tracking_page_shows_status_and_handler(client: Client, trust):
    item = FeedbackFactory(provider=trust, handled_by=trust)
    content = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "Received" in content
    assert trust.name in content
    assert item.text not in content
