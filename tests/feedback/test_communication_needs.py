"""Communication needs (Accessible Information Standard): asked in the journey, the API and on
the staff entry page; shown to staff on the queue and the item; said back to the patient in
emails; offered to reply templates; exported (tests/analytics/test_exports.py)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from feedback.choices import NotificationKind, Role
from feedback.models import Feedback, Identity, Notification
from feedback.services.intake import feedback_submit
from feedback.services.notifications import notification_send
from feedback.services.privacy import subject_access_export
from feedback.services.reply_templates import reply_template_fill
from tests.factories import FeedbackFactory, UserFactory
from tests.feedback.test_views import answer, complete_journey

pytestmark = pytest.mark.django_db


def test_the_journey_asks_for_communication_needs_and_saves_them(client: Client, trust):
    complete_journey(client, trust)
    page = client.get("/feedback/new/communication/").content.decode()
    assert "Do you need information in another format, or support to talk to us?" in page
    for label in ("Easy read", "Large print", "Braille", "Audio", "British Sign Language (BSL)"):
        assert label in page
    # The language box is revealed by the interpreter box (NHS conditional checkboxes).
    assert 'data-aria-controls="conditional-interpreter_language"' in page
    response = answer(
        client,
        "communication",
        {"communication_needs": ["large_print", "interpreter"], "interpreter_language": "Polish"},
    )
    assert response["Location"] == "/feedback/new/check/"
    check = client.get("/feedback/new/check/").content.decode()
    assert "Large print, an interpreter (Polish)" in check
    client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert item.communication_needs == ["large_print", "interpreter"]
    assert item.interpreter_language == "Polish"


def test_an_interpreter_without_a_language_is_asked_for_it(client: Client, trust):
    complete_journey(client, trust)
    response = answer(client, "communication", {"communication_needs": ["interpreter"]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert (
        '<a href="#interpreter_language">Enter the language the interpreter should speak</a>'
        in (page)
    )
    # Shown open, next to its box, so the patient sees where to type.
    assert 'class="nhsuk-checkboxes__conditional" id="conditional-interpreter_language"' in page


def test_a_language_typed_then_the_interpreter_unticked_is_not_kept(client: Client, trust):
    complete_journey(client, trust)
    answer(
        client,
        "communication",
        {"communication_needs": ["braille"], "interpreter_language": "Urdu"},
    )
    assert "Urdu" not in client.get("/feedback/new/check/").content.decode()
    client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert (item.communication_needs, item.interpreter_language) == (["braille"], "")


def test_no_needs_is_an_answer(client: Client, trust):
    complete_journey(client, trust)
    assert "Communication needs" in client.get("/feedback/new/check/").content.decode()
    client.post("/feedback/new/check/")
    assert Feedback.objects.get().communication_needs == []


def test_the_api_takes_communication_needs(trust):
    response = APIClient().post(
        "/api/v1/feedback/",
        {
            "kind": "complaint",
            "text": "Nobody signed for me.",
            "provider": trust.ods_code,
            "communication_needs": ["bsl", "interpreter"],
            "interpreter_language": "Arabic",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    item = Feedback.objects.get()
    assert (item.communication_needs, item.interpreter_language) == (
        ["bsl", "interpreter"],
        "Arabic",
    )


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"communication_needs": ["sign_language"]},
            "communication_needs",
            "easy_read, large_print",
        ),
        ({"communication_needs": "large_print"}, "communication_needs", "must be a list of"),
        ({"communication_needs": ["interpreter"]}, "interpreter_language", "Enter the language"),
        ({"interpreter_language": "Polish"}, "interpreter_language", "choose an interpreter"),
        (
            {"communication_needs": ["interpreter"], "interpreter_language": "=HYPERLINK(1)"},
            "interpreter_language",
            "in letters",
        ),
    ],
)
def test_the_api_names_a_bad_communication_need_with_400(trust, fields, field, words):
    response = APIClient().post(
        "/api/v1/feedback/",
        {"kind": "complaint", "text": "Hello", "provider": trust.ods_code, **fields},
        format="json",
    )
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert Feedback.objects.count() == 0


def test_staff_enter_a_callers_communication_needs(client: Client, trust):
    client.force_login(UserFactory(organisation=trust))
    page = client.get("/staff/entries/new/").content.decode()
    assert "British Sign Language (BSL)" in page
    response = client.post(
        "/staff/entries/new/",
        {
            "channel": "phone",
            "kind": "complaint",
            "provider": trust.ods_code,
            "text": "Called through a relay service.",
            "communication_needs": ["bsl", "easy_read"],
        },
    )
    assert response.status_code == 302
    assert Feedback.objects.get().communication_needs == ["easy_read", "bsl"]


def test_staff_see_the_needs_on_the_queue_and_the_item(client: Client, trust):
    needs = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        communication_needs=["large_print", "interpreter"],
        interpreter_language="Tigrinya",
    )
    plain = FeedbackFactory(provider=trust, handled_by=trust)
    client.force_login(UserFactory(organisation=trust))
    queue = client.get("/staff/queue/").content.decode()
    assert queue.count("Communication needs: Large print, an interpreter (Tigrinya)") == 1
    item_page = client.get(f"/staff/items/{needs.pk}/").content.decode()
    assert 'id="communication-needs"' in item_page
    assert "Large print, an interpreter (Tigrinya)" in item_page
    assert (
        'id="communication-needs"' not in client.get(f"/staff/items/{plain.pk}/").content.decode()
    )


def test_the_receipt_says_the_needs_back_to_the_patient(trust):
    item = feedback_submit(
        kind="complaint",
        text="The letter was in small print.",
        provider=trust,
        email="pat@example.com",
        communication_needs=["large_print"],
    )
    notification = Notification.objects.get(feedback=item, kind=NotificationKind.RECEIPT)
    notification_send(notification_id=notification.pk)
    assert "You told us you need: large print." in mail.outbox[-1].body


def test_a_reply_template_can_name_the_needs(trust):
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        communication_needs=["bsl", "interpreter"],
        interpreter_language="Polish",
    )
    user = UserFactory(organisation=trust)
    body = "We will meet you with {communication_needs}."
    filled = reply_template_fill(item=item, user=user, body=body)
    assert filled == "We will meet you with British Sign Language (BSL), an interpreter (Polish)."
    plain = FeedbackFactory(provider=trust, handled_by=trust)
    assert reply_template_fill(item=plain, user=user, body=body).endswith("none recorded.")


def test_a_subject_access_request_includes_the_needs(trust):
    item = FeedbackFactory(
        provider=trust, handled_by=trust, communication_needs=["audio"], interpreter_language=""
    )
    Identity.objects.create(feedback=item, email="pat@example.com")
    manager = UserFactory(organisation=trust, role=Role.MANAGER)
    record = subject_access_export(user=manager, email="pat@example.com")
    assert record["items"][0]["communication_needs"] == "Audio"
