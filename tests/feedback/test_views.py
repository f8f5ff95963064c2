"""Patient pages: the one-question-a-page journey, its errors, the confirmation and tracking."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from feedback.choices import Status
from feedback.models import Feedback, Identity
from feedback.services import workflow
from feedback.services.notifications import notification_send
from tests.factories import FeedbackFactory, UserFactory


def answer(client: Client, step: str, data: dict[str, str], **query: str):
    url = "/feedback/new/" if step == "kind" else f"/feedback/new/{step}/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, data)


def complete_journey(client: Client, trust, **overrides: str):
    answers = {
        "kind": "complaint",
        "service_type": "acute",
        "provider": trust.ods_code,
        "area": "",
        "wants_commissioner": "",
        "fft_rating": "4",
        "text": "My mum waited 12 hours in A&E.",
        "safety_answer": "no",
        "name": "Ann Example",
        "email": "ann@example.com",
        "phone": "",
        "nhs_number": "",
        **overrides,
    }
    answer(client, "kind", {"kind": answers["kind"]})
    answer(client, "service", {"service_type": answers["service_type"]})
    where = {"provider": answers["provider"], "area": answers["area"]}
    if answers["wants_commissioner"]:
        where["wants_commissioner"] = answers["wants_commissioner"]
    answer(client, "where", where)
    answer(client, "experience", {"fft_rating": answers["fft_rating"]})
    answer(client, "what-happened", {"text": answers["text"]})
    answer(client, "safety", {"safety_answer": answers["safety_answer"]})
    answer(
        client,
        "patient",
        {
            k: answers.get(k, "")
            for k in ("relationship", "relationship_other", "patient_name", "consent")
        }
        | {"complainant_status": answers.get("complainant_status") or "patient"},
    )
    answer(
        client,
        "your-details",
        {
            k: answers[k]
            for k in ("name", "email", "phone", "nhs_number", "patient_age")
            if k in answers
        },
    )
    return answer(client, "communication", {})


@pytest.mark.django_db
def test_start_page_links_to_the_first_question(client: Client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/feedback/new/"' in response.content
    assert b"Start now" in response.content


@pytest.mark.django_db
def test_each_page_asks_one_question_and_leads_to_the_next(client: Client, trust):
    first = client.get("/feedback/new/")
    assert "What would you like to tell us?" in first.content.decode()
    assert 'class="nhsuk-back-link" href="/"' in first.content.decode()

    response = answer(client, "kind", {"kind": "complaint"})
    assert response["Location"] == "/feedback/new/service/"
    response = answer(client, "service", {"service_type": "acute"})
    assert response["Location"] == "/feedback/new/where/"
    second = client.get("/feedback/new/where/").content.decode()
    assert 'class="nhsuk-back-link" href="/feedback/new/service/"' in second
    response = answer(client, "where", {"provider": trust.ods_code, "area": ""})
    assert response["Location"] == "/feedback/new/experience/"
    page = client.get("/feedback/new/experience/").content.decode()
    assert "Overall, how was your experience of our service?" in page
    assert '<div class="nhsuk-radios__divider">or</div>' in page
    response = answer(client, "experience", {"fft_rating": "2"})
    assert response["Location"] == "/feedback/new/what-happened/"
    response = answer(client, "what-happened", {"text": "My mum waited 12 hours."})
    assert response["Location"] == "/feedback/new/safety/"
    page = client.get("/feedback/new/safety/").content.decode()
    assert "Is anyone at risk of harm?" in page
    assert "If someone is in danger now" in page and "Call 999" in page
    response = answer(client, "safety", {"safety_answer": "no"})
    assert response["Location"] == "/feedback/new/patient/"
    assert "Are you the patient?" in client.get("/feedback/new/patient/").content.decode()
    response = answer(client, "patient", {"complainant_status": "patient"})
    assert response["Location"] == "/feedback/new/your-details/"
    response = answer(
        client, "your-details", {"name": "", "email": "", "phone": "", "nhs_number": ""}
    )
    assert response["Location"] == "/feedback/new/communication/"
    page = client.get("/feedback/new/communication/").content.decode()
    assert "Do you need information in another format, or support to talk to us?" in page
    response = answer(client, "communication", {})
    assert response["Location"] == "/feedback/new/check/"
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_answers_are_kept_when_going_back(client: Client, trust):
    answer(client, "kind", {"kind": "concern"})
    content = client.get("/feedback/new/").content.decode()
    assert re.search(r'value="concern"\s+checked', content)


@pytest.mark.django_db
def test_check_your_answers_lists_every_answer_with_a_change_link(client: Client, trust):
    response = complete_journey(client, trust)
    assert response["Location"] == "/feedback/new/check/"
    content = client.get("/feedback/new/check/").content.decode()
    assert "Check your answers before sending your feedback" in content
    assert "nhsuk-summary-list" in content
    for shown in (
        "Complaint",
        "Hospital (acute)",
        trust.name,
        "My mum waited 12 hours in A&amp;E.",
        "Ann Example",
        "ann@example.com",
        "Poor",
        "Anyone at risk of harm",
    ):
        assert shown in content
    assert 'href="/feedback/new/safety/?change=1"' in content
    assert 'href="/feedback/new/experience/?change=1"' in content
    assert 'href="/feedback/new/what-happened/?change=1"' in content
    assert 'Change<span class="nhsuk-u-visually-hidden"> what happened</span>' in content


@pytest.mark.django_db
def test_change_link_returns_to_check_your_answers(client: Client, trust):
    complete_journey(client, trust)
    page = client.get("/feedback/new/what-happened/?change=1").content.decode()
    assert 'class="nhsuk-back-link" href="/feedback/new/check/"' in page
    response = answer(client, "what-happened", {"text": "Changed my mind."}, change="1")
    assert response["Location"] == "/feedback/new/check/"
    assert "Changed my mind." in client.get("/feedback/new/check/").content.decode()


@pytest.mark.django_db
def test_sending_saves_the_feedback_and_shows_the_private_tracking_link(client: Client, trust):
    complete_journey(client, trust)
    response = client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/submitted/{item.tracking_token}/"
    assert (item.kind, item.service_type, item.provider) == ("complaint", "acute", trust)
    assert item.text == "My mum waited 12 hours in A&E."
    assert item.fft_rating == 4
    assert Identity.objects.get(feedback=item).email == "ann@example.com"
    confirmation = client.get(response["Location"]).content.decode()
    assert "Feedback sent" in confirmation
    assert f"/track/{item.tracking_token}/" in confirmation
    # The answers, with the patient's details, leave the session once saved.
    assert "feedback_answers" not in client.session


@pytest.mark.django_db
def test_a_complainant_is_told_of_free_advocacy_and_the_ombudsman(client: Client, trust):
    start = client.get("/").content.decode()
    assert "NHS complaints advocacy" in start and "Ombudsman" in start
    complete_journey(client, trust)
    confirmation = client.get(client.post("/feedback/new/check/")["Location"]).content.decode()
    assert "independent NHS complaints advocate" in confirmation
    assert "local council arranges it" in confirmation
    assert "Parliamentary and Health Service Ombudsman" in confirmation


@pytest.mark.django_db
def test_a_compliment_is_not_told_how_to_complain(client: Client, trust):
    complete_journey(client, trust, kind="compliment")
    confirmation = client.get(client.post("/feedback/new/check/")["Location"]).content.decode()
    assert "complaints advocate" not in confirmation


@pytest.mark.django_db
def test_sending_twice_saves_one_item(client: Client, trust):
    complete_journey(client, trust)
    first = client.post("/feedback/new/check/")
    second = client.post("/feedback/new/check/")
    assert Feedback.objects.count() == 1
    assert second["Location"] == first["Location"]


@pytest.mark.django_db
def test_not_sure_of_the_service_sends_no_service_type(client: Client, trust):
    complete_journey(client, trust, service_type="unsure")
    assert "Something else, or not sure" in client.get("/feedback/new/check/").content.decode()
    client.post("/feedback/new/check/")
    assert Feedback.objects.get().service_type == ""


@pytest.mark.django_db
def test_patient_can_ask_for_the_commissioner_on_a_complaint(client: Client, trust):
    complete_journey(client, trust, wants_commissioner="on")
    client.post("/feedback/new/check/")
    assert Feedback.objects.get().wants_commissioner is True


@pytest.mark.django_db
def test_commissioner_choice_is_not_offered_for_a_compliment(client: Client, trust):
    answer(client, "kind", {"kind": "compliment"})
    assert "wants_commissioner" not in client.get("/feedback/new/where/").content.decode()
    complete_journey(client, trust, kind="compliment", wants_commissioner="on")
    client.post("/feedback/new/check/")
    assert Feedback.objects.get().wants_commissioner is False


@pytest.mark.django_db
def test_check_page_sends_an_unfinished_journey_to_the_first_unanswered_question(
    client: Client, trust
):
    assert client.get("/feedback/new/check/")["Location"] == "/feedback/new/"
    answer(client, "kind", {"kind": "complaint"})
    assert client.get("/feedback/new/check/")["Location"] == "/feedback/new/service/"
    assert client.post("/feedback/new/check/")["Location"] == "/feedback/new/service/"
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("step", "data", "field", "message"),
    [
        ("kind", {}, "kind", "Select if this is a complaint, concern, compliment or suggestion"),
        ("service", {}, "service_type", "Select the kind of service"),
        (
            "where",
            {"provider": "NOPE", "area": ""},
            "provider",
            "Select an NHS trust from the list",
        ),
        ("experience", {}, "fft_rating", "Select how your experience was overall, or select"),
        ("experience", {"fft_rating": "7"}, "fft_rating", "Select one of the answers shown"),
        ("what-happened", {"text": "  "}, "text", "Enter what happened"),
        (
            "what-happened",
            {"text": "x" * (settings.FEEDBACK_TEXT_MAX_LENGTH + 1)},
            "text",
            f"What happened must be {settings.FEEDBACK_TEXT_MAX_LENGTH} characters or fewer",
        ),
        (
            "your-details",
            {"email": "not-an-email"},
            "email",
            "Enter an email address in the correct format, like name@example.com",
        ),
    ],
)
def test_a_problem_is_summarised_and_linked_to_its_field(
    client: Client, trust, step, data, field, message
):
    response = answer(client, step, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("There is a problem") == 1
    assert "<title>Error: " in content
    # The summary links to the field, and the field shows the same message.
    assert re.search(rf'<a href="#{field}">\s*{re.escape(message)}', content)
    assert f'id="{field}-error"' in content
    assert re.search(rf'id="{field}"', content)
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_the_service_rejecting_an_nhs_number_shows_it_on_the_details_page(client: Client, trust):
    complete_journey(client, trust, nhs_number="943 476 5918")
    response = client.post("/feedback/new/check/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Your contact details" in content
    assert re.search(r'<a href="#nhs_number">\s*Enter a valid 10-digit NHS number', content)
    assert 'action="/feedback/new/your-details/?change=1"' in content
    assert Feedback.objects.count() == 0
    answer(client, "your-details", {"nhs_number": "943 476 5919"}, change="1")
    client.post("/feedback/new/check/")
    assert Identity.objects.get().nhs_number == "9434765919"


@pytest.mark.django_db
def test_unknown_question_is_not_found(client: Client):
    assert client.get("/feedback/new/favourite-colour/").status_code == 404


@pytest.mark.django_db
def test_pages_use_the_vendored_nhs_design_system_and_nothing_from_a_cdn(client: Client):
    content = client.get("/").content.decode()
    assert "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css" in content
    assert "/static/js/init.js" in content
    assert not re.search(r'(src|href)="(https?:)?//', content)
    css = (
        Path(settings.BASE_DIR) / "static/vendor/nhsuk-frontend/nhsuk-frontend.min.css"
    ).read_text()
    assert "@font-face" not in css
    assert not re.search(r"url\([\"']?(https?:)?//", css)
    for image in re.findall(r"url\(\"?/static/([^\")]+)", css):
        assert (Path(settings.BASE_DIR) / "static" / image).is_file(), image


@pytest.mark.django_db
def test_tracking_page_shows_status_tag_handler_and_due_dates(client: Client, trust):
    item = FeedbackFactory(provider=trust, handled_by=trust)
    content = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "Received" in content
    assert "nhsuk-tag" in content
    assert trust.name in content
    assert item.text not in content


@pytest.mark.django_db
def test_tracking_page_says_acknowledged_and_offers_the_ombudsman_after_a_reply(
    client: Client, trust
):
    item = FeedbackFactory(provider=trust, handled_by=trust, status=Status.ACKNOWLEDGED)
    assert "Acknowledged" in client.get(f"/track/{item.tracking_token}/").content.decode()
    item.status = Status.RESPONDED
    item.save()
    content = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "Parliamentary and Health Service Ombudsman" in content


@pytest.mark.django_db
def test_unknown_tracking_link_is_not_found(client: Client):
    assert client.get("/track/not-a-token/").status_code == 404


# Staff pages (the lead's): kept here until they move to their own module.


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
def test_two_sends_racing_with_the_same_answers_save_one_item(client: Client, trust):
    complete_journey(client, trust)
    # The second request read the session before the first one cleared it.
    answers = dict(client.session["feedback_answers"])
    first = client.post("/feedback/new/check/")
    session = client.session
    session["feedback_answers"] = answers
    session.save()
    second = client.post("/feedback/new/check/")
    assert Feedback.objects.count() == 1
    assert second["Location"] == first["Location"]


@pytest.mark.django_db
def test_a_text_of_control_characters_alone_is_refused_on_its_page(client):
    response = client.post("/feedback/new/what-happened/", {"text": "\x1b\x07 "})
    assert response.status_code == 200
    assert "Enter what happened" in response.content.decode()


@pytest.mark.django_db
def test_an_item_sent_to_the_cqc_tells_the_patient_what_the_cqc_does(client: Client, trust, cqc):
    item = FeedbackFactory(
        provider=trust,
        handled_by=cqc,
        route="cqc",
        response_due=timezone.localdate() + dt.timedelta(days=28),
    )
    page = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "What the Care Quality Commission does with it" in page
    assert "does not investigate or reply to other individual complaints" in page
    assert "Reply by" not in page  # no four-week reply is promised


@pytest.mark.django_db
def test_a_trust_item_still_shows_its_reply_date_and_no_cqc_text(client: Client, trust):
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route="trust",
        response_due=timezone.localdate() + dt.timedelta(days=28),
    )
    page = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "Reply by" in page
    assert "Care Quality Commission does" not in page


@pytest.mark.django_db
def test_the_cqc_acknowledgement_email_explains_instead_of_promising_a_reply(trust, cqc):
    item = FeedbackFactory(
        provider=trust,
        handled_by=cqc,
        route="cqc",
        response_due=timezone.localdate() + dt.timedelta(days=28),
    )
    Identity.objects.create(feedback=item, email="pat@example.com")
    workflow.complaint_acknowledge(feedback=item, actor=UserFactory(organisation=cqc))
    notification_send(notification_id=item.notifications.get().pk)
    message = mail.outbox[-1]
    assert message.subject.startswith("The Care Quality Commission has received")
    assert "does not investigate or reply to other individual complaints" in message.body
    assert "full response by" not in message.body


@pytest.mark.django_db
def test_the_cqc_acknowledgement_and_page_do_not_offer_complaints_advocacy(client: Client, cqc):
    item = FeedbackFactory(kind="complaint", handled_by=cqc, route="cqc")
    Identity.objects.create(feedback=item, email="pat@example.com")
    workflow.complaint_acknowledge(feedback=item, actor=UserFactory(organisation=cqc))
    notification_send(notification_id=item.notifications.get().pk)
    assert "complaints advocate" not in mail.outbox[-1].body
    page = client.get(f"/track/{item.tracking_token}/").content.decode()
    assert "complaints advocate" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["complaint", "concern"])
def test_the_acknowledgement_email_tells_of_free_advocacy_and_the_ombudsman(trust, kind):
    item = FeedbackFactory(kind=kind, provider=trust, handled_by=trust, route="trust")
    Identity.objects.create(feedback=item, email="pat@example.com")
    workflow.complaint_acknowledge(feedback=item, actor=UserFactory(organisation=trust))
    notification_send(notification_id=item.notifications.get().pk)
    body = mail.outbox[-1].body
    assert "Free help to make a complaint" in body
    assert "independent NHS complaints advocate" in body
    assert "Your local council arranges it" in body
    assert "Parliamentary and Health Service Ombudsman" in body
    assert "0345 015 4033" in body
    # Plain words as the patient reads them: no markup.
    assert "<" not in body and "&quot;" not in body


@pytest.mark.django_db
def test_the_tracking_page_tells_a_complainant_of_advocacy_but_not_a_compliment(
    client: Client, trust
):
    complaint = FeedbackFactory(kind="complaint", provider=trust, handled_by=trust, route="trust")
    page = client.get(f"/track/{complaint.tracking_token}/").content.decode()
    assert "independent NHS complaints advocate" in page
    assert "local council arranges it" in page
    assert "Parliamentary and Health Service Ombudsman" in page
    compliment = FeedbackFactory(kind="compliment", provider=trust, handled_by=trust, route="trust")
    page = client.get(f"/track/{compliment.tracking_token}/").content.decode()
    assert "complaints advocate" not in page
    assert "Ombudsman" not in page
