"""The patient's side after sending: a receipt with the private link, adding information and
answering a request from the tracking page (the clock restarts), withdrawing with a reason,
reading the response once they prove it is them, and a closed complaint reopened."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from feedback.choices import Kind, NotificationKind, Status
from feedback.models import AuditEvent, Feedback, Identity, Notification, PatientMessage
from feedback.services import workflow
from feedback.services.intake import feedback_submit
from feedback.services.notifications import notification_send
from feedback.services.steps import available_steps
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db

RESPONSE = "We are sorry about the care on the ward. You can ask the Ombudsman to look at it."


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


def routed(trust, **fields):
    values = {
        "provider": trust,
        "handled_by": trust,
        "route": "trust",
        "analysis_state": "done",
        "response_due": timezone.localdate() + dt.timedelta(days=28),
    }
    return FeedbackFactory(**(values | fields))


def test_every_channel_sends_a_receipt_with_the_private_link(trust, handler):
    for channel in ("web", "api", "phone", "letter"):
        item = feedback_submit(
            kind=Kind.COMPLAINT,
            text="The ward was cold.",
            provider=trust,
            channel=channel,
            email=f"{channel}@example.com",
            actor=handler if channel in ("phone", "letter") else None,
        )
        notification = Notification.objects.get(feedback=item, kind=NotificationKind.RECEIPT)
        notification_send(notification_id=notification.pk)
        assert f"/track/{item.tracking_token}/" in mail.outbox[-1].body
    quiet = feedback_submit(kind=Kind.COMPLAINT, text="No email given.", provider=trust)
    assert not Notification.objects.filter(feedback=quiet).exists()


def test_staff_entering_a_letter_are_given_the_link_to_send(client: Client, trust, handler):
    client.force_login(handler)
    response = client.post(
        "/staff/entries/new/",
        {"channel": "letter", "kind": "complaint", "provider": trust.ods_code,
         "text": "Letter about the ward.", "service_type": ""},
        follow=True,
    )  # fmt: skip
    item = Feedback.objects.get()
    assert f"/track/{item.tracking_token}/" in response.content.decode()


def test_answering_a_request_from_the_tracking_page_restarts_the_clock(
    client: Client, trust, handler
):
    item = routed(trust)
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    paused = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    workflow.complaint_request_information(feedback=item, actor=handler, note="consent")
    Feedback.objects.filter(pk=item.pk).update(paused_at=paused)
    due_before = Feedback.objects.get(pk=item.pk).response_due
    page = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "Send the information asked for" in page
    response = client.post(
        f"/track/{item.tracking_token}/add/", {"text": "I consent to you reading my notes."}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.ACKNOWLEDGED
    assert item.response_due == due_before + dt.timedelta(days=5)
    message = PatientMessage.objects.get(feedback=item)
    assert message.answers_request
    assert AuditEvent.objects.filter(feedback=item, action="patient_answered").exists()
    client.force_login(handler)
    staff_page = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert "I consent to you reading my notes." in staff_page


def test_adding_nothing_is_refused_on_the_page(client: Client, trust):
    item = routed(trust)
    response = client.post(f"/track/{item.tracking_token}/add/", {"text": "  "})
    assert response.status_code == 400
    assert "Enter what you want to add" in response.content.decode()
    assert not PatientMessage.objects.exists()


def test_the_patient_withdraws_with_a_reason(client: Client, trust):
    item = routed(trust)
    refused = client.post(f"/track/{item.tracking_token}/withdraw/", {"reason": ""})
    assert refused.status_code == 400
    assert "Tell us why you want to withdraw it" in refused.content.decode()
    client.post(f"/track/{item.tracking_token}/withdraw/", {"reason": "Sorted out by phone."})
    item.refresh_from_db()
    assert item.status == Status.WITHDRAWN
    event = AuditEvent.objects.get(feedback=item, action="status_changed")
    assert event.actor is None and event.detail == {"reason": "Sorted out by phone."}


def test_the_response_shows_after_a_code_sent_to_the_patients_email(client: Client, trust):
    item = routed(trust, status=Status.RESPONDED, response_text=RESPONSE)
    Identity.objects.create(feedback=item, name="Ann Example", email="ann@example.com")
    url = f"/track/{item.tracking_token}/"
    page = client.get(url).content.decode()
    assert RESPONSE not in page and "a***@example.com" in page
    client.post(f"{url}response/", {"action": "send"})
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    wrong = client.post(f"{url}response/", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and RESPONSE not in wrong.content.decode()
    client.post(f"{url}response/", {"code": code})
    assert RESPONSE in client.get(url).content.decode()
    assert RESPONSE not in Client().get(url).content.decode()  # another browser, same link
    assert AuditEvent.objects.filter(feedback=item, action="response_read_by_patient").exists()


def test_without_an_email_the_page_says_how_the_response_was_sent(client: Client, trust):
    item = routed(trust, status=Status.RESPONDED, response_text=RESPONSE)
    Identity.objects.create(feedback=item, name="Ann Example", phone="07700 900 982")
    page = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert RESPONSE not in page and "sent to you by phone" in page
    anonymous = routed(trust, status=Status.RESPONDED, response_text="Thank you, we fixed it.")
    assert (
        "Thank you, we fixed it."
        in client.get(f"/track/{anonymous.tracking_token}/").content.decode()
    )


def test_a_closed_complaint_is_reopened_with_a_new_clock(trust, handler):
    item = routed(
        trust,
        status=Status.CLOSED,
        closed_at=timezone.now() - dt.timedelta(days=20),
        response_due=timezone.localdate() - dt.timedelta(days=40),
    )
    Identity.objects.create(feedback=item, email="ann@example.com")
    assert "reopen" in available_steps(item)
    reopened = workflow.complaint_reopen(
        feedback=item, actor=handler, reason="Not satisfied with the answer about pain relief."
    )
    assert reopened.status == Status.INVESTIGATING
    assert reopened.response_due == timezone.localdate() + dt.timedelta(days=28)
    assert reopened.closed_at is None and reopened.reopened_at is not None
    assert Notification.objects.filter(feedback=item, kind=NotificationKind.REOPENED).exists()
    long_closed = routed(
        trust, status=Status.CLOSED, closed_at=timezone.now() - dt.timedelta(days=200)
    )
    assert "reopen" not in available_steps(long_closed)
    with pytest.raises(workflow.IllegalTransition):
        workflow.complaint_reopen(feedback=long_closed, actor=handler, reason="Too late.")
