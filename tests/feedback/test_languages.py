"""The patient's pages and emails in Welsh (docs/adr/0021): a Welsh speaker goes through the whole
journey under /cy/, reads every page and error in Welsh, and gets their emails in Welsh, also the
ones sent later; English stays at the addresses patients already have; staff pages stay English."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from feedback import labels
from feedback.choices import (
    CommunicationNeed,
    FftRating,
    Kind,
    NotificationKind,
    PatientAge,
    Relationship,
    SafetyAnswer,
    ServiceType,
    Status,
)
from feedback.models import Feedback, Identity
from feedback.services import workflow
from feedback.services.notifications import notification_send
from tests.factories import FeedbackFactory, UserFactory
from tests.feedback.test_views import complete_journey


def welsh_answer(client: Client, step: str, data: dict[str, str]):
    url = "/cy/feedback/new/" if step == "kind" else f"/cy/feedback/new/{step}/"
    return client.post(url, data)


class VisibleText(HTMLParser):
    """The words a person sees or hears on a page: text outside scripts and styles, and the
    labels given to screen readers (aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg"):
            self._hidden += 1
        for name, value in attrs:
            if name == "aria-label" and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append(text)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def untranslated(english: str, welsh: str, *, shared: tuple[str, ...] = ()) -> list[str]:
    """Words shown the same on the English and the Welsh page: suspicious unless a name, a
    number, an address or what the patient typed (``shared``). A text of one word (a name such
    as "Braille") is not judged."""
    names = ("NHS Patient View", "English", "Cymraeg", *shared)
    welsh_texts = set(visible_text(welsh))
    same = []
    for text in visible_text(english):
        if text not in welsh_texts or any(text == name or text in name for name in names):
            continue
        words = re.findall(r"[A-Za-z]{3,}", text)
        if len(words) >= 2:
            same.append(text)
    return same


@pytest.mark.django_db
def test_a_welsh_speaker_sends_feedback_and_follows_it_in_welsh(client: Client, trust):
    start = client.get("/cy/").content.decode()
    assert '<html lang="cy">' in start
    assert "Dweud wrth y GIG am eich gofal" in start
    first = client.get("/cy/feedback/new/").content.decode()
    assert "Beth hoffech chi ei ddweud wrthym ni?" in first
    assert "Cwyn" in first and "Canmoliaeth" in first
    assert 'class="nhsuk-back-link" href="/cy/"' in first

    assert welsh_answer(client, "kind", {"kind": "complaint"})["Location"] == (
        "/cy/feedback/new/service/"
    )
    assert "Pa fath o wasanaeth oedd e?" in client.get("/cy/feedback/new/service/").content.decode()
    welsh_answer(client, "service", {"service_type": "acute"})
    welsh_answer(client, "where", {"provider": trust.ods_code, "area": ""})
    welsh_answer(client, "experience", {"fft_rating": "4"})
    welsh_answer(client, "what-happened", {"text": "Bu'n rhaid i Mam aros 12 awr."})
    welsh_answer(client, "safety", {"safety_answer": "no"})
    welsh_answer(client, "patient", {"complainant_status": "patient"})
    welsh_answer(client, "your-details", {"name": "Ann Enghraifft", "email": "ann@example.com"})
    assert welsh_answer(client, "communication", {})["Location"] == "/cy/feedback/new/check/"

    check = client.get("/cy/feedback/new/check/").content.decode()
    assert "Gwiriwch eich atebion cyn anfon eich adborth" in check
    assert "Ysbyty (acíwt)" in check and "Gwael" in check and "Nac oes" in check

    sent = client.post("/cy/feedback/new/check/")
    item = Feedback.objects.get()
    assert sent["Location"] == f"/cy/feedback/submitted/{item.tracking_token}/"
    assert item.language == "cy"
    confirmation = unescape(client.get(sent["Location"]).content.decode())
    assert "Adborth wedi'i anfon" in confirmation
    assert "Diolch. Rydym ni wedi cael eich cwyn." in confirmation
    assert f'href="/cy/track/{item.tracking_token}/"' in confirmation
    assert "Ombwdsmon Seneddol a'r Gwasanaeth Iechyd" in confirmation

    tracking = client.get(f"/cy/track/{item.tracking_token}/").content.decode()
    assert "Eich cwyn" in tracking and "Wedi dod i law" in tracking
    easy_read = client.get(f"/cy/track/{item.tracking_token}/?easy-read=1").content.decode()
    assert "Rydym ni wedi cael eich adborth." in easy_read

    receipt = item.notifications.get(kind=NotificationKind.RECEIPT)
    notification_send(notification_id=receipt.pk)
    email = mail.outbox[-1]
    assert email.subject == "Rydym ni wedi cael eich cwyn"
    assert "Cadwch y ddolen breifat hon" in email.body
    assert f"/cy/track/{item.tracking_token}/" in email.body


@pytest.mark.django_db
def test_emails_sent_later_by_staff_go_out_in_the_language_the_patient_used(trust):
    due = dt.date(2027, 1, 8)
    item = FeedbackFactory(
        kind="complaint", provider=trust, handled_by=trust, route="trust", language="cy"
    )
    Feedback.objects.filter(pk=item.pk).update(response_due=due)
    Identity.objects.create(feedback=item, email="pat@example.com")
    # The member of staff works in English; the patient's email is Welsh all the same.
    workflow.complaint_acknowledge(feedback=item, actor=UserFactory(organisation=trust))
    notification_send(notification_id=item.notifications.get().pk)
    email = mail.outbox[-1]
    assert email.subject == "Rydym ni wedi cael eich cwyn"
    assert f"wedi cyrraedd {trust.name}" not in email.body  # the handler's name is kept as is
    assert f"Mae {trust.name} wedi cael eich cwyn" in email.body
    assert "08 Ionawr 2027" in email.body
    assert "Help am ddim i wneud cwyn" in email.body
    assert "We have received" not in email.body
    assert translation.get_language() == "en-gb"  # the send leaves the worker's language as it was


@pytest.mark.django_db
def test_an_english_speaker_keeps_english_addresses_and_emails(client: Client, trust):
    complete_journey(client, trust)
    sent = client.post("/feedback/new/check/")
    item = Feedback.objects.get()
    assert sent["Location"] == f"/feedback/submitted/{item.tracking_token}/"
    assert item.language == "en-gb"
    notification_send(notification_id=item.notifications.get().pk)
    assert mail.outbox[-1].subject == "We have received your complaint"
    assert f"/track/{item.tracking_token}/" in mail.outbox[-1].body
    assert "/cy/" not in mail.outbox[-1].body


@pytest.mark.django_db
def test_errors_are_in_welsh_and_name_the_field_and_the_limit(client: Client, trust):
    page = welsh_answer(client, "kind", {}).content.decode()
    assert "<title>Gwall: Beth hoffech chi ei ddweud wrthym ni? \N{EN DASH} Rhoi adborth" in page
    assert "Mae problem" in page
    assert "Dewiswch ai cwyn, pryder, canmoliaeth neu awgrym yw hwn" in page
    welsh_answer(client, "kind", {"kind": "complaint"})
    welsh_answer(client, "service", {"service_type": "acute"})
    page = welsh_answer(client, "where", {"place": "x" * 200}).content.decode()
    assert re.search(r"Rhaid i&#x27;r cod post neu&#x27;r dref fod yn \d+ nod neu lai", page)
    page = welsh_answer(
        client, "your-details", {"email": "not-an-email", "nhs_number": "1234567890"}
    ).content.decode()
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in page


@pytest.mark.django_db
def test_the_language_switcher_links_the_same_page_in_the_other_language(client: Client):
    english = client.get("/feedback/new/where/?q=leeds").content.decode()
    assert (
        '<a class="nhsuk-header__account-link" href="/cy/feedback/new/where/?q=leeds" lang="cy" '
        'hreflang="cy" id="language-cy">Cymraeg</a>'
    ) in english
    welsh = client.get("/cy/feedback/new/where/?q=leeds").content.decode()
    assert '<html lang="cy">' in welsh
    assert 'href="/feedback/new/where/?q=leeds" lang="en-GB" hreflang="en-GB"' in welsh
    assert ">English</a>" in welsh


@pytest.mark.django_db
def test_a_browser_asking_for_welsh_is_sent_to_the_welsh_start_page_once(client: Client):
    first = client.get("/", HTTP_ACCEPT_LANGUAGE="cy,en-GB;q=0.8")
    assert first.status_code == 302 and first["Location"] == "/cy/"
    assert first.cookies["django_language"].value == "cy"
    assert "Accept-Language" in first["Vary"]
    # The cookie now says a language was offered: the "English" link leads to English and stays.
    again = client.get("/", HTTP_ACCEPT_LANGUAGE="cy,en-GB;q=0.8")
    assert again.status_code == 200 and '<html lang="en-GB">' in again.content.decode()


@pytest.mark.django_db
def test_the_address_decides_the_language_not_the_browser(client: Client):
    english = client.get("/feedback/new/", HTTP_ACCEPT_LANGUAGE="cy").content.decode()
    assert '<html lang="en-GB">' in english and "What would you like to tell us?" in english
    welsh = client.get("/cy/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert '<html lang="cy">' in welsh
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr,de").status_code == 200


@pytest.mark.django_db
def test_pages_not_found_are_in_the_language_of_the_address(client: Client):
    welsh = client.get("/cy/track/not-a-real-token/")
    assert welsh.status_code == 404
    assert "Heb ddod o hyd i'r dudalen" in unescape(welsh.content.decode())
    assert '<html lang="cy">' in welsh.content.decode()
    english = client.get("/track/not-a-real-token/")
    assert english.status_code == 404 and "Page not found" in english.content.decode()
    assert client.get("/cy/feedback/submitted/not-a-real-token/").status_code == 404


@pytest.mark.django_db
def test_staff_pages_stay_english_and_show_the_patients_language(client: Client, trust):
    item = FeedbackFactory(provider=trust, handled_by=trust, route="trust", language="cy")
    client.force_login(UserFactory(organisation=trust))
    page = client.get(f"/staff/items/{item.pk}/", HTTP_ACCEPT_LANGUAGE="cy").content.decode()
    assert '<html lang="en-GB">' in page
    assert "Welsh (Cymraeg)" in page and "emails to them go out in it" in page
    assert 'hreflang="cy"' not in page  # staff pages have no Welsh version
    assert client.get(f"/cy/staff/items/{item.pk}/").status_code == 404


def _journey_pages(client: Client, prefix: str, trust) -> dict[str, str]:
    """Every page of the journey, as a patient sees it under ``prefix`` ("" or "/cy")."""
    pages = {"start": client.get(f"{prefix}/").content.decode()}
    pages["easy read"] = client.get(f"{prefix}/feedback/easy-read/").content.decode()
    answers = [
        ("kind", {"kind": "complaint"}),
        ("service", {"service_type": "gp"}),
        ("where", {"area": trust.icb.ods_code}),
        ("experience", {"fft_rating": "5"}),
        ("what-happened", {"text": "The receptionist was rude to me."}),
        ("safety", {"safety_answer": "no"}),
        ("patient", {"complainant_status": "on_behalf"}),
        ("your-details", {"email": "pat@example.com"}),
        (
            "communication",
            {"communication_needs": ["interpreter"], "interpreter_language": "Polish"},
        ),
    ]
    for step, data in answers:
        url = f"{prefix}/feedback/new/" if step == "kind" else f"{prefix}/feedback/new/{step}/"
        pages[step] = client.get(url).content.decode()
        if step == "patient":
            # The patient page's errors and its conditional questions, before the real answer.
            pages["patient errors"] = client.post(url, data).content.decode()
            data = {
                **data,
                "relationship": "parent",
                "patient_name": "Sam Example",
                "consent": "given",
            }
        if step == "where":
            pages["where search"] = client.get(f"{url}?q=zzzz").content.decode()
        client.post(url, data)
    pages["check"] = client.get(f"{prefix}/feedback/new/check/").content.decode()
    submitted = client.post(f"{prefix}/feedback/new/check/")["Location"]
    pages["confirmation"] = client.get(submitted).content.decode()
    item = Feedback.objects.latest("pk")
    Feedback.objects.filter(pk=item.pk).update(
        handled_by=trust.icb, route="icb", status=Status.AWAITING_COMPLAINANT
    )
    pages["tracking"] = client.get(f"{prefix}/track/{item.tracking_token}/").content.decode()
    pages["tracking easy read"] = client.get(
        f"{prefix}/track/{item.tracking_token}/?easy-read=1"
    ).content.decode()
    pages["tracking add error"] = client.post(
        f"{prefix}/track/{item.tracking_token}/add/", {"text": ""}
    ).content.decode()
    pages["not found"] = client.get(f"{prefix}/track/nothing-here/").content.decode()
    return pages


@pytest.mark.django_db
def test_no_english_sentence_is_left_on_the_welsh_pages(trust):
    english = _journey_pages(Client(), "", trust)
    welsh = _journey_pages(Client(), "/cy", trust)
    shared = (
        trust.icb.name,
        "The receptionist was rude to me.",
        "Sam Example",
        "Polish",
        "p***@example.com",
        "pat@example.com",
    )
    left = {
        page: same
        for page in english
        if (same := untranslated(english[page], welsh[page], shared=shared))
    }
    assert not left, f"English left on the Welsh pages: {left}"
    # And the check would catch it: the English page compared with itself is all "untranslated".
    assert untranslated(english["start"], english["start"])


def test_easy_read_welsh_keeps_the_easy_read_rules():
    with translation.override("cy"):
        for point in labels.easy_read_all():
            for sentence in map(str, point.sentences):
                assert len(sentence.split()) <= 15, sentence
                assert sentence.endswith(".") and sentence.count(".") == 1, sentence


@pytest.mark.parametrize(
    ("choices", "words"),
    [
        (Kind, labels.KIND_LABELS),
        (ServiceType, labels.SERVICE_TYPE_LABELS),
        (FftRating, labels.FFT_RATING_LABELS),
        (SafetyAnswer, labels.SAFETY_ANSWER_LABELS),
        (PatientAge, labels.PATIENT_AGE_LABELS),
        (CommunicationNeed, labels.COMMUNICATION_NEED_LABELS),
        (Relationship, labels.RELATIONSHIP_LABELS),
        (Status, labels.STATUS_TEXT),
    ],
)
def test_the_patients_words_for_a_choice_are_the_staff_words_in_english(choices, words):
    """Staff pages, exports and the API show the choices' own labels; the patient's pages show
    these, translated: in English both must say the same."""
    with translation.override("en-gb"):
        assert {value: str(words[value]) for value in choices.values} == dict(choices.choices)
    with translation.override("cy"):
        assert all(str(words[value]) != label for value, label in choices.choices if " " in label)


@pytest.mark.django_db
def test_the_character_count_speaks_welsh(client: Client):
    client.post("/cy/feedback/new/", {"kind": "complaint"})
    page = client.get("/cy/feedback/new/what-happened/").content.decode()
    assert 'data-i18n.characters-under-limit.other="Mae gennych chi %{count} nod ar ôl"' in page
    assert 'data-i18n.characters-under-limit.two="Mae gennych chi %{count} nod ar ôl"' in page
    assert "Gallwch chi roi hyd at" in page


@pytest.mark.django_db
def test_welsh_tracking_status_words_follow_the_item(client: Client, trust):
    item = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route="trust",
        status=Status.INVESTIGATING,
        acknowledged_at=timezone.now(),
    )
    page = client.get(f"/cy/track/{item.tracking_token}/").content.decode()
    assert "Yn ymchwilio" in page
    easy_read = client.get(f"/cy/track/{item.tracking_token}/?easy-read=1").content.decode()
    assert "Mae'r tîm yn cael gwybod beth ddigwyddodd." in unescape(easy_read)


def test_the_server_error_page_is_drawn_in_the_language_of_the_address():
    """Django draws 500.html with no request (so no switcher), in the active language."""
    with translation.override("cy"):
        page = unescape(render_to_string("500.html"))
    assert '<html lang="cy">' in page
    assert "Mae'n ddrwg gennym ni, mae problem gyda'r gwasanaeth" in page
    assert "hreflang" not in page
    assert "There is a problem with the service" not in render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in render_to_string("500.html")


@pytest.mark.django_db
def test_a_request_too_large_is_refused_in_welsh_on_a_welsh_page(client: Client):
    item = FeedbackFactory()
    response = client.post(
        f"/cy/track/{item.tracking_token}/add/",
        data=b"x" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    page = unescape(response.content.decode())
    assert '<html lang="cy">' in page and "Mae'r hyn a anfonoch chi yn rhy fawr" in page
