"""Complaints made on someone else's behalf (regulation 5): "Are you the patient?", the
representative's relationship and the patient's consent, the consent step that pauses the clock,
who is who on the staff pages, and exports and subject access that keep both people apart."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.ml.analyser import ModelUnavailable
from feedback import clocks
from feedback.choices import Status
from feedback.errors import IllegalTransition
from feedback.models import AuditEvent, Feedback, Identity
from feedback.services import representatives, workflow
from feedback.services.steps import available_steps
from tests.factories import FeedbackFactory, UserFactory
from tests.feedback.test_views import answer, complete_journey

pytestmark = pytest.mark.django_db

ON_BEHALF = {
    "complainant_status": "on_behalf",
    "relationship": "child",
    "relationship_other": "",
    "patient_name": "Edith Marsh",
    "consent": "to_be_sought",
}
RESPONSE = (
    "We are sorry your mother waited so long. We have changed how the ward checks on patients. "
    "If you are not satisfied you can ask the Parliamentary and Health Service Ombudsman."
)


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


def _journey_to_patient_page(client: Client, trust) -> None:
    answer(client, "kind", {"kind": "complaint"})
    answer(client, "service", {"service_type": "acute"})
    answer(client, "where", {"provider": trust.ods_code, "area": ""})
    answer(client, "experience", {"fft_rating": "5"})
    answer(client, "what-happened", {"text": "My mother Edith waited 14 hours on a trolley."})
    answer(client, "safety", {"safety_answer": "no"})


def _errors(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (field id, message)."""
    return re.findall(r'<li><a href="#([a-z_]+)">([^<]+)</a></li>', page)


# --- The patient's journey -----------------------------------------------------------------


def test_the_patient_page_asks_who_is_writing_and_says_what_is_missing(client: Client, trust):
    _journey_to_patient_page(client, trust)
    page = client.get("/feedback/new/patient/").content.decode()
    assert "<h1" in page and "Are you the patient?" in page
    assert 'data-reveal="conditional-on-behalf"' in page
    for wording in (
        "How do you know the patient?",
        "The patient&#x27;s full name",
        "I will need to ask them",
        "Not needed: the patient has died",
        "Not needed: the patient cannot decide for themselves (lacks capacity)",
        "Not needed: the patient is a child and I have parental responsibility",
    ):
        assert wording in page

    response = answer(client, "patient", {})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert page.startswith("<!") and "<title>Error: Are you the patient?" in page
    assert _errors(page) == [
        (
            "complainant_status",
            "Select yes if you are the patient, or no if you are writing for someone else",
        )
    ]

    page = answer(client, "patient", {"complainant_status": "on_behalf"}).content.decode()
    assert _errors(page) == [
        ("relationship", "Select how you know the patient"),
        ("consent", "Select whether the patient has agreed"),
    ]
    # The answers revealed under "No" stay open when they have errors.
    assert "nhsuk-radios__conditional--hidden" not in page

    page = answer(
        client,
        "patient",
        {"complainant_status": "on_behalf", "relationship": "other", "consent": "given"},
    ).content.decode()
    assert _errors(page) == [("relationship_other", "Enter how you know the patient")]
    assert Feedback.objects.count() == 0


def test_a_representative_goes_through_the_journey_and_checks_their_answers(client: Client, trust):
    _journey_to_patient_page(client, trust)
    response = answer(client, "patient", ON_BEHALF)
    assert response["Location"] == "/feedback/new/your-details/"
    details = client.get("/feedback/new/your-details/").content.decode()
    assert "These are your details, as the person writing for the patient" in details
    answer(client, "your-details", {"name": "Sam Marsh", "email": "sam@example.com"})
    answer(client, "communication", {})

    check = client.get("/feedback/new/check/").content.decode()
    for key, value in (
        ("Are you the patient?", "No, I am writing for someone else"),
        ("How you know the patient", "Son or daughter"),
        ("The patient&#x27;s name", "Edith Marsh"),
        ("Has the patient agreed?", "I will need to ask them"),
        ("Your full name", "Sam Marsh"),
    ):
        assert re.search(rf"{re.escape(key)}</dt>\s*<dd[^>]*>\s*{re.escape(value)}", check), key
    assert check.count('href="/feedback/new/patient/?change=1"') == 4

    # Changing the answer from the check page comes back to it.
    response = answer(client, "patient", ON_BEHALF | {"consent": "given"}, change="1")
    assert response["Location"] == "/feedback/new/check/"
    client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert (item.complainant_status, item.relationship, item.consent) == (
        "on_behalf",
        "child",
        "given",
    )
    # Both people are kept apart from what was said, with the writer's contact details.
    identity = Identity.objects.get(feedback=item)
    assert (identity.name, identity.patient_name) == ("Sam Marsh", "Edith Marsh")
    assert "Edith Marsh" not in item.text


def test_a_patient_who_says_yes_keeps_no_representative_answers(client: Client, trust):
    complete_journey(client, trust, **(ON_BEHALF | {"complainant_status": "on_behalf"}))
    # Changes their mind: it is their own care after all.
    answer(client, "patient", ON_BEHALF | {"complainant_status": "patient"}, change="1")
    check = client.get("/feedback/new/check/").content.decode()
    assert "How you know the patient" not in check and "Edith Marsh" not in check
    client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert (item.complainant_status, item.relationship, item.consent) == ("patient", "", "")
    assert Identity.objects.get(feedback=item).patient_name == ""


def test_someone_else_is_described_in_their_own_words(client: Client, trust):
    complete_journey(
        client,
        trust,
        **(ON_BEHALF | {"relationship": "other", "relationship_other": "Neighbour"}),
    )
    assert "Neighbour" in client.get("/feedback/new/check/").content.decode()
    client.post("/feedback/new/check/")
    assert Feedback.objects.get().relationship_other == "Neighbour"


# --- The API and staff entry ---------------------------------------------------------------


def _post(trust, **fields: Any):
    body = {"kind": "complaint", "text": "My dad was left in pain.", "provider": trust.ods_code}
    return APIClient().post("/api/v1/feedback/", body | fields, format="json")


def test_the_api_takes_a_representatives_complaint(trust):
    response = _post(
        trust,
        complainant_status="on_behalf",
        relationship="carer",
        consent="lacks_capacity",
        patient_name="Tom Reed",
        name="Ann Reed",
    )
    assert response.status_code == 201, response.content
    item = Feedback.objects.get()
    assert (item.relationship, item.consent) == ("carer", "lacks_capacity")
    assert Identity.objects.get(feedback=item).patient_name == "Tom Reed"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"complainant_status": "on_behalf", "consent": "given"}, "relationship", "parent, "),
        (
            {"complainant_status": "on_behalf", "relationship": "uncle", "consent": "given"},
            "relationship",
            "relationship must be one of parent, partner, child, relative, friend, carer, "
            "advocate, other",
        ),
        ({"complainant_status": "on_behalf", "relationship": "friend"}, "consent", "given, "),
        (
            {"complainant_status": "on_behalf", "relationship": "friend", "consent": "refused"},
            "consent",
            "consent must be one of given, to_be_sought, died, lacks_capacity, child",
        ),
        (
            {"complainant_status": "on_behalf", "relationship": "other", "consent": "given"},
            "relationship_other",
            "knows the patient",
        ),
        ({"complainant_status": "patient", "relationship": "friend"}, "relationship", "on_behalf"),
        ({"consent": "given"}, "consent", "set complainant_status to on_behalf"),
        ({"complainant_status": "myself"}, "complainant_status", "patient or on_behalf"),
    ],
)
def test_the_api_names_the_field_and_the_allowed_values_with_400(trust, fields, field, words):
    response = _post(trust, **fields)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert words in " ".join(response.json()[field])
    assert Feedback.objects.count() == 0


def test_staff_enter_a_call_from_a_representative(client: Client, trust):
    client.force_login(UserFactory(organisation=trust))
    response = client.post(
        "/staff/entries/new/",
        {
            "channel": "phone",
            "kind": "complaint",
            "provider": trust.ods_code,
            "text": "Calling about my wife's discharge.",
            "complainant_status": "on_behalf",
            "relationship": "partner",
            "patient_name": "Mary Hill",
            "consent": "to_be_sought",
        },
    )
    assert response.status_code == 302
    item = Feedback.objects.get()
    assert (item.relationship, item.consent) == ("partner", "to_be_sought")
    assert Identity.objects.get(feedback=item).patient_name == "Mary Hill"


def test_staff_entry_refuses_a_representative_without_a_relationship(client: Client, trust):
    client.force_login(UserFactory(organisation=trust))
    response = client.post(
        "/staff/entries/new/",
        {
            "channel": "letter",
            "kind": "complaint",
            "provider": trust.ods_code,
            "text": "A letter from a daughter.",
            "complainant_status": "on_behalf",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select how you know the patient" in page
    assert Feedback.objects.count() == 0


# --- The consent step and the clock --------------------------------------------------------


def _acknowledged(trust, handler, **fields: Any) -> Feedback:
    received = timezone.now()
    made = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route="trust",
        analysis_state="done",
        received_at=received,
        acknowledge_due=clocks.acknowledge_due(received),
        response_due=timezone.localtime(received).date() + dt.timedelta(days=28),
        complainant_status="on_behalf",
        relationship="parent",
        consent="to_be_sought",
        **fields,
    )
    Identity.objects.create(feedback=made, name="Sam Marsh", patient_name="Edith Marsh")
    return workflow.complaint_acknowledge(feedback=made, actor=handler)


def test_asking_for_consent_pauses_the_clock_and_recording_it_resumes(trust, handler):
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        acknowledged = _acknowledged(trust, handler)
        due = acknowledged.response_due
        steps = available_steps(acknowledged)
        assert "request-consent" in steps and "record-consent" in steps
        paused = representatives.complaint_request_consent(
            feedback=acknowledged, actor=handler, note="Please ask your mother to sign."
        )
        assert paused.status == Status.AWAITING_COMPLAINANT
        assert timezone.localtime(paused.paused_at).date() == dt.date(2026, 11, 2)
        # The way on is recording the answer, not resuming as if it had come.
        assert "resume" not in available_steps(paused)
        assert "request-consent" not in available_steps(paused)

    with time_machine.travel(dt.datetime(2026, 11, 9, 10, 0, tzinfo=dt.UTC), tick=False):
        resumed = representatives.complaint_record_consent(
            feedback=paused, actor=handler, consent="given", note="Signed form by post."
        )
    assert resumed.status == Status.ACKNOWLEDGED and resumed.paused_at is None
    assert resumed.paused_days == 7
    assert resumed.response_due == due + dt.timedelta(days=7)
    assert resumed.consent == "given"
    assert timezone.localtime(resumed.consent_recorded_at).date() == dt.date(2026, 11, 9)
    assert "record-consent" not in available_steps(resumed)
    actions = list(AuditEvent.objects.filter(feedback=resumed).values_list("action", "to_value"))
    assert ("consent_requested", "to_be_sought") in actions
    assert ("consent_recorded", "given") in actions


def test_consent_arriving_before_the_letter_is_recorded_without_a_pause(trust, handler):
    acknowledged = _acknowledged(trust, handler)
    recorded = representatives.complaint_record_consent(
        feedback=acknowledged, actor=handler, consent="given"
    )
    assert (recorded.status, recorded.paused_days, recorded.consent) == (
        Status.ACKNOWLEDGED,
        0,
        "given",
    )


def test_consent_is_asked_for_only_when_it_is_still_to_be_sought(trust, handler):
    acknowledged = _acknowledged(trust, handler)
    acknowledged.consent = "died"
    acknowledged.save()
    assert "request-consent" not in available_steps(acknowledged)
    assert "record-consent" not in available_steps(acknowledged)
    with pytest.raises(IllegalTransition):
        representatives.complaint_request_consent(
            feedback=acknowledged, actor=handler, note="Letter"
        )
    with pytest.raises(IllegalTransition):
        representatives.complaint_record_consent(
            feedback=acknowledged, actor=handler, consent="given"
        )


def test_the_staff_api_records_consent_and_refuses_what_it_cannot(trust, handler):
    acknowledged = _acknowledged(trust, handler)
    api = APIClient()
    api.force_authenticate(handler)
    url = f"/api/v1/queue/{acknowledged.pk}"
    assert api.post(f"{url}/request-consent/", {"note": ""}, format="json").status_code == 400
    response = api.post(f"{url}/request-consent/", {"note": "Please sign."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "awaiting_complainant"
    response = api.post(f"{url}/record-consent/", {"consent": "maybe"}, format="json")
    assert response.status_code == 400
    assert "consent must be given or refused" in json.dumps(response.json())
    response = api.post(f"{url}/record-consent/", {"consent": "refused"}, format="json")
    assert response.status_code == 200
    assert (response.json()["consent"], response.json()["status"]) == ("refused", "acknowledged")
    assert api.post(f"{url}/record-consent/", {"consent": "given"}, format="json").status_code == (
        409
    )


def test_the_consent_steps_are_for_the_items_own_organisation(trust, other_trust, handler):
    acknowledged = _acknowledged(trust, handler)
    outsider = UserFactory(organisation=other_trust)
    for step, body in (
        ("request-consent", {"note": "x"}),
        ("record-consent", {"consent": "given"}),
    ):
        page, api = Client(), APIClient()
        page.force_login(outsider)
        api.force_authenticate(outsider)
        assert page.post(f"/staff/items/{acknowledged.pk}/{step}/", body).status_code == 404
        assert (
            api.post(f"/api/v1/queue/{acknowledged.pk}/{step}/", body, format="json").status_code
            == 404
        )
        signed_out = Client().post(f"/staff/items/{acknowledged.pk}/{step}/", body)
        assert signed_out.status_code == 302
        assert APIClient().post(f"/api/v1/queue/{acknowledged.pk}/{step}/", body).status_code in (
            401,
            403,
        )
    acknowledged.refresh_from_db()
    assert (acknowledged.status, acknowledged.consent) == ("acknowledged", "to_be_sought")


# --- From the journey to closure -----------------------------------------------------------


def _route_by_rules(monkeypatch) -> None:
    from feedback.services import analysis

    def unavailable() -> Any:
        raise ModelUnavailable("not loaded in this test")

    monkeypatch.setattr(analysis, "reader", unavailable)
    while analysis.feedback_analyse_batch():
        pass


def test_a_representatives_complaint_through_consent_to_closure(
    client: Client, trust, cqc, handler, monkeypatch
):
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        complete_journey(client, trust, **ON_BEHALF, name="Sam Marsh")
        client.post("/feedback/new/check/")
        _route_by_rules(monkeypatch)
        made = Feedback.objects.get()
        assert made.handled_by == trust
        due = made.response_due

        staff = Client()
        staff.force_login(handler)
        queue = staff.get("/staff/queue/").content.decode()
        assert "On behalf of the patient: consent needed" in queue
        staff.post(f"/staff/items/{made.pk}/acknowledge/")
        page = staff.get(f"/staff/items/{made.pk}/").content.decode()
        assert 'id="consent-needed"' in page
        assert "A representative, on the patient's behalf (Son or daughter)" in page
        assert "To be asked for" in page
        assert "Sam Marsh" not in page and "Edith Marsh" not in page  # until asked to show

        # The consent letter starts from the template, filled in with both names (audited).
        page = staff.get(
            f"/staff/items/{made.pk}/", {"template": "request-consent:default-consent"}
        ).content.decode()
        letter = re.search(r'name="request-consent-note"[^>]*>([^<]*)<', page)
        assert letter is not None
        assert "Dear Sam Marsh" in letter.group(1)
        assert "care of Edith Marsh" in letter.group(1)
        assert AuditEvent.objects.filter(feedback=made, action="identity_viewed").exists()
        response = staff.post(
            f"/staff/items/{made.pk}/request-consent/",
            {"request-consent-note": letter.group(1).replace("&#x27;", "'")},
        )
        assert response.status_code == 302
        made.refresh_from_db()
        assert made.status == Status.AWAITING_COMPLAINANT

    with time_machine.travel(dt.datetime(2026, 11, 12, 9, 0, tzinfo=dt.UTC), tick=False):
        staff.force_login(handler)  # a new working day, a new sign-in
        staff.post(
            f"/staff/items/{made.pk}/record-consent/",
            {"record-consent-consent": "given", "record-consent-note": "Signed form received"},
        )
        made.refresh_from_db()
        assert (made.status, made.paused_days) == (Status.ACKNOWLEDGED, 10)
        assert made.response_due == due + dt.timedelta(days=10)
        page = staff.get(f"/staff/items/{made.pk}/").content.decode()
        assert "The patient has agreed" in page and 'id="consent-needed"' not in page
        staff.post(f"/staff/items/{made.pk}/investigate/", {"investigate-approach": "detailed"})
        staff.post(
            f"/staff/items/{made.pk}/respond/",
            {
                "respond-response_text": RESPONSE,
                "respond-outcome": "upheld",
                "respond-subjects": ["waiting_times"],
                "respond-service_area": "emergency",
                "respond-profession": "nursing",
            },
        )
        staff.post(f"/staff/items/{made.pk}/close/", {"close-resolved": "on"})
        shown = staff.post(f"/staff/items/{made.pk}/identity/").content.decode()
    made.refresh_from_db()
    assert made.status == Status.CLOSED
    assert made.consent == "given"
    assert "Representative's name" in shown and "Sam Marsh" in shown
    assert "Patient's name" in shown and "Edith Marsh" in shown


def test_refused_consent_is_recorded_and_the_item_still_answered(client: Client, trust, handler):
    acknowledged = _acknowledged(trust, handler)
    paused = representatives.complaint_request_consent(
        feedback=acknowledged, actor=handler, note="Please sign."
    )
    staff = Client()
    staff.force_login(handler)
    staff.post(f"/staff/items/{paused.pk}/record-consent/", {"record-consent-consent": "refused"})
    paused.refresh_from_db()
    assert (paused.status, paused.consent) == (Status.ACKNOWLEDGED, "refused")
    page = staff.get(f"/staff/items/{paused.pk}/").content.decode()
    assert 'id="consent-refused"' in page
    assert "do not share the patient's personal information" in page
    queue = staff.get("/staff/queue/").content.decode()
    assert "On behalf of the patient: consent refused" in queue
