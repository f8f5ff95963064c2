"""Feedback written in another language (issue 19, item 2): the worker finds the language, keeps
the English reader's guesses off the item, routes it by the patient's answers, and staff,
dashboards and regulators see that it needs a reader of that language."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import MonthlyStat
from analytics.stats import stats_refresh
from feedback.choices import Role, Route
from feedback.models import AuditEvent, Feedback, FeedbackTheme
from feedback.services.analysis import feedback_analyse_batch
from tests.analytics.regulator import client_for, issue
from tests.factories import UserFactory

POLISH = (
    "Mój tata leżał na korytarzu w A&E przez całą noc bez koca i nikt nie przyszedł mu pomóc. "
    "Proszę o wyjaśnienie, dlaczego tak długo czekał."
)
POLISH_GP = (
    "Od trzech tygodni nie mogę umówić się na wizytę u GP, nikt nie odbiera telefonu w "
    "przychodni i nikt nie oddzwania."
)
WELSH = (
    "Roedd y bwyd yn oer a doedd dim dŵr ar y bwrdd am oriau. Hoffwn gwyno am y ffordd y "
    "siaradodd y derbynnydd gyda fy nhad."
)
ENGLISH = "The nurse was rude to my father and nobody told us what was happening."


def submit(**body: object) -> Feedback:
    response = APIClient().post("/api/v1/feedback/", {"kind": "complaint", **body}, format="json")
    assert response.status_code == 201, response.json()
    return Feedback.objects.get(pk=response.json()["id"])


def analysed(item: Feedback) -> Feedback:
    assert item.pk in feedback_analyse_batch(first_id=item.pk)
    item.refresh_from_db()
    return item


@pytest.mark.django_db
def test_a_polish_complaint_is_routed_by_the_patients_answers_and_carries_no_english_reading(
    trust, icb, cqc
):
    about_trust = analysed(submit(text=POLISH, provider=trust.ods_code))
    about_gp = analysed(submit(text=POLISH_GP, area=icb.ods_code, service_type="gp"))
    english = analysed(submit(text=ENGLISH, provider=trust.ods_code))

    # The trust the patient named gets the first; the GP answer sends the second to the ICB.
    assert (about_trust.route, about_trust.handled_by) == (Route.TRUST, trust)
    assert (about_gp.route, about_gp.handled_by) == (Route.ICB, icb)
    assert about_gp.route_rule == "icb_primary_care"
    for item in (about_trust, about_gp):
        assert item.text_language == "pl" and item.text_language_confidence > 0.9
        assert item.needs_language_reader and item.text_language_name == "Polish"
        # No confident English-model reading: no sentiment, no themes, no model version.
        assert item.sentiment is None and item.sentiment_label == ""
        assert item.sentiment_confidence is None and item.model_version == ""
        assert not FeedbackTheme.objects.filter(feedback=item).exists()
        assert item.reading_sketch is None
        # Not a model failure: flagged for a reader of Polish instead.
        assert not item.needs_review
        assert any("needs a reader of Polish" in line for line in item.route_evidence)
        # The clock runs as for any complaint.
        assert item.acknowledge_due is not None and item.response_due is not None
        # Nobody has read it for risks: a person checks it by the end of the next working day.
        assert item.risk_check == "pending"
        assert "unread_language" in item.risk_check_flags and item.risk_check_due is not None
        analysed_event = AuditEvent.objects.get(feedback=item, action="analysed_rules_only")
        assert analysed_event.detail["language"] == "pl"
        # The redaction still runs: the stored export text is made for it.
        assert item.text_redacted

    # An English complaint is read as before.
    assert english.text_language == "en" and not english.needs_language_reader
    assert english.sentiment in {1, 2, 3, 4, 5} and english.model_version
    assert AuditEvent.objects.filter(feedback=english, action="analysed").exists()


@pytest.mark.django_db
def test_a_welsh_complaint_is_flagged_as_welsh(trust, cqc):
    item = analysed(submit(text=WELSH, provider=trust.ods_code))
    assert item.text_language == "cy" and item.text_language_name == "Welsh"
    assert item.needs_language_reader and item.sentiment is None
    assert item.route == Route.TRUST and item.handled_by == trust


@pytest.mark.django_db
def test_the_patients_safety_answer_still_sends_an_item_in_polish_to_the_cqc(trust, cqc):
    item = analysed(submit(text=POLISH, provider=trust.ods_code, safety_answer="harm"))
    assert item.route == Route.CQC and item.handled_by == cqc
    assert item.route_rule == "cqc_patient_answer"


@pytest.mark.django_db
def test_staff_see_it_needs_a_reader_of_polish_on_the_queue_and_the_item_and_can_filter(
    client: Client, trust, cqc
):
    polish = analysed(submit(text=POLISH, provider=trust.ods_code))
    english = analysed(submit(text=ENGLISH, provider=trust.ods_code))
    client.force_login(UserFactory(organisation=trust, role=Role.HANDLER))

    queue = client.get("/staff/queue/").content.decode()
    assert "Written in Polish: needs a reader of Polish" in queue
    assert queue.count("needs a reader of") == 1

    page = client.get(f"/staff/items/{polish.pk}/").content.decode()
    assert "Written in Polish: needs a reader of Polish" in page
    assert "Not read by the model: written in Polish" in page
    # The check for risks is asked on the item, as any possible risk's is.
    assert "Not read for risks: written in a language the reader cannot read" in page
    english_page = client.get(f"/staff/items/{english.pk}/").content.decode()
    assert "needs a reader of" not in english_page

    filtered = client.get("/staff/queue/", {"language": "other"}).content.decode()
    assert f"/staff/items/{polish.pk}/" in filtered
    assert f"/staff/items/{english.pk}/" not in filtered
    welsh_only = client.get("/staff/queue/", {"language": "cy"}).content.decode()
    assert f"/staff/items/{polish.pk}/" not in welsh_only


@pytest.mark.django_db
def test_the_staff_api_gives_the_language_and_filters_by_it(trust, cqc):
    polish = analysed(submit(text=POLISH, provider=trust.ods_code))
    english = analysed(submit(text=ENGLISH, provider=trust.ods_code))
    api = APIClient()
    api.force_authenticate(UserFactory(organisation=trust, role=Role.HANDLER))

    body = api.get(f"/api/v1/queue/{polish.pk}/").json()
    assert body["text_language"] == "pl" and body["needs_language_reader"] is True
    assert body["sentiment"] is None and body["themes"] == []
    assert api.get(f"/api/v1/queue/{english.pk}/").json()["needs_language_reader"] is False

    listed = api.get("/api/v1/queue/", {"language": "pl"}).json()["results"]
    assert [row["id"] for row in listed] == [polish.pk]
    assert api.get("/api/v1/queue/", {"language": "xx"}).status_code == 400


@pytest.mark.django_db
def test_regulators_get_the_language_and_no_sentiment_and_dashboards_count_none(trust, cqc):
    polish = analysed(
        submit(
            text=POLISH + " Proszę dzwonić pod numer 07700 900123.",
            provider=trust.ods_code,
            fft_rating=5,
        )
    )
    english = analysed(submit(text=ENGLISH, provider=trust.ods_code, fft_rating=5))

    _token, plain = issue(cqc)
    month = timezone.localdate(polish.received_at).strftime("%Y-%m")
    response = client_for(plain).get(f"/api/v1/exports/feedback/csv/?month={month}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_language = {row["text_language"]: row for row in rows}
    assert set(by_language) == {"pl", "en"}
    assert by_language["pl"]["sentiment"] == "" and by_language["pl"]["sentiment_label"] == ""
    assert by_language["pl"]["sentiment_confidence"] == "" and by_language["pl"]["themes"] == ""
    assert by_language["en"]["sentiment"] == str(english.sentiment)
    # The redaction's rules for numbers hold in any language.
    assert "07700" not in by_language["pl"]["text"] and "[PHONE]" in by_language["pl"]["text"]

    stats_refresh()
    stat = MonthlyStat.objects.get(
        organisation=trust,
        kind="complaint",
        month=timezone.localdate(polish.received_at).replace(day=1),
    )
    assert stat.received == 2
    # One sentiment counted (the English one); the patient's own FFT answers both count.
    assert sum(getattr(stat, f"sentiment_{n}") for n in range(1, 6)) == 1
    assert stat.fft_5 == 2
    assert polish.sentiment is None
