"""Complaints made on someone else's behalf, as they leave the service: regulator exports that
say who wrote and name neither person, subject access that gives both, and the receipt that
tells a representative about the consent form."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from feedback.models import Identity, Notification
from feedback.services.notifications import notification_send
from tests.analytics.regulator import client_for, issue, item, reset_throttles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONTH = "month=2026-10"


# --- Exports and subject access ------------------------------------------------------------


@pytest.fixture
def represented(trust):
    made = item(
        provider=trust,
        handled_by=trust,
        text="Edith Marsh was left without water. Sam Marsh, her son.",
        text_redacted="",
        complainant_status="on_behalf",
        relationship="child",
        consent="died",
        received=dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC),
    )
    Identity.objects.create(
        feedback=made, name="Sam Marsh", email="sam@example.com", patient_name="Edith Marsh"
    )
    return made


def test_exports_say_who_wrote_and_name_neither_person(trust, represented):
    reset_throttles()
    _, plain = issue(trust)
    api = client_for(plain)
    csv_text = b"".join(
        api.get(f"/api/v1/exports/feedback/csv/?{MONTH}").streaming_content
    ).decode()
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert (rows[0]["on_behalf"], rows[0]["relationship"], rows[0]["consent"]) == (
        "true",
        "child",
        "died",
    )
    pages = api.get(f"/api/v1/exports/feedback/?{MONTH}").json()["results"]
    ndjson = b"".join(
        api.get(f"/api/v1/exports/feedback/ndjson/?{MONTH}").streaming_content
    ).decode()
    assert (pages[0]["on_behalf"], pages[0]["relationship"], pages[0]["consent"]) == (
        True,
        "child",
        "died",
    )
    for output in (csv_text, json.dumps(pages), ndjson):
        assert "Edith" not in output and "Marsh" not in output and "sam@" not in output
    assert rows[0]["text"].startswith("[NAME]")


def test_subject_access_includes_both_people(client: Client, trust, represented):
    client.force_login(UserFactory(organisation=trust, role="manager"))
    response = client.post("/staff/privacy/", {"email": "sam@example.com", "action": "download"})
    record = json.loads(response.content)["items"][0]
    assert record["written_by"] == "Someone on the patient's behalf"
    assert record["relationship_to_patient"] == "Son or daughter"
    assert record["patient_consent"] == "Not needed: the patient has died"
    assert record["contact_details"]["name"] == "Sam Marsh"
    assert record["contact_details"]["patient_name"] == "Edith Marsh"


def test_the_receipt_tells_a_representative_about_the_consent_form(trust):
    response = APIClient().post(
        "/api/v1/feedback/",
        {
            "kind": "complaint",
            "text": "My friend was sent home too soon.",
            "provider": trust.ods_code,
            "complainant_status": "on_behalf",
            "relationship": "friend",
            "consent": "to_be_sought",
            "email": "friend@example.com",
        },
        format="json",
    )
    assert response.status_code == 201
    notification = Notification.objects.get(kind="receipt")
    notification_send(notification_id=notification.pk)
    assert "consent form for the patient to sign" in mail.outbox[-1].body
