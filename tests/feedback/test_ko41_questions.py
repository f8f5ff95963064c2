"""The KO41 return's two questions about the complainant: asked of complaints only, optional,
and counted in the return instead of "not known"."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from feedback.models import Feedback
from tests.feedback.test_views import answer, complete_journey


@pytest.mark.django_db
def test_a_complainant_says_who_is_writing_and_how_old_the_patient_is(client: Client, trust):
    answer(client, "kind", {"kind": "complaint"})
    page = client.get("/feedback/new/your-details/").content.decode()
    assert "How old is the person who had the care?" in page
    # Who is writing is the "Are you the patient?" page's answer, asked once.
    assert "Are you the patient?" in client.get("/feedback/new/patient/").content.decode()
    complete_journey(
        client,
        trust,
        complainant_status="on_behalf",
        relationship="child",
        consent="given",
        patient_age="65_plus",
    )
    check = client.get("/feedback/new/check/").content.decode()
    assert "No, I am writing for someone else" in check and "65 or over" in check
    client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert (item.complainant_status, item.patient_age) == ("on_behalf", "65_plus")


@pytest.mark.django_db
def test_the_age_question_is_optional(client: Client, trust):
    complete_journey(client, trust, complainant_status="patient", patient_age="")
    client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert (item.complainant_status, item.patient_age) == ("patient", "")


@pytest.mark.django_db
def test_a_compliment_is_not_asked_about_the_patient(client: Client, trust):
    answer(client, "kind", {"kind": "compliment"})
    page = client.get("/feedback/new/your-details/").content.decode()
    assert "How old is the person who had the care?" not in page
    # An answer kept from before the patient changed the kind is not sent.
    answer(client, "kind", {"kind": "complaint"})
    complete_journey(client, trust, patient_age="0_17")
    answer(client, "kind", {"kind": "compliment"}, change="1")
    client.post("/feedback/new/check/")
    assert Feedback.objects.get().patient_age == ""


@pytest.mark.django_db
def test_the_api_takes_them_and_names_the_field_when_wrong(trust):
    api = APIClient()
    body = {"kind": "complaint", "text": "Long wait.", "provider": "RAL", "patient_age": "70"}
    response = api.post("/api/v1/feedback/", body, format="json")
    assert response.status_code == 400
    assert "patient_age must be 0_17, 18_64 or 65_plus" in response.json()["patient_age"][0]
    body |= {"patient_age": "18_64", "complainant_status": "patient"}
    assert api.post("/api/v1/feedback/", body, format="json").status_code == 201
    item = Feedback.objects.get()
    assert (item.patient_age, item.complainant_status) == ("18_64", "patient")
