"""Easy read: the easy read start page and the tracking page's status words in easy read, held to
the NHS and Mencap easy read rules (short sentences, digits, no abbreviations, a picture each)."""

import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.test import Client

from feedback.choices import Route, Status
from feedback.labels import (
    EASY_READ_CHECKING,
    EASY_READ_JOINED,
    EASY_READ_REROUTED,
    EASY_READ_ROUTE,
    EASY_READ_START,
    EASY_READ_STATUS,
    easy_read_all,
)
from tests.factories import FeedbackFactory

MAX_WORDS = 15
NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred)\b",
    re.IGNORECASE,
)
# Capital letters standing for words: only "NHS", which everyone knows, is allowed.
ABBREVIATION = re.compile(r"\b[A-Z]{2,}\b")


def easy_read_sentences(html: str) -> list[str]:
    """The easy read sentences a page shows, as the patient reads them."""
    block = re.search(r'<ul class="app-easy-read">(.*?)</ul>', html, re.S)
    assert block, "no easy read points on the page"
    return [unescape(s) for s in re.findall(r'<p class="nhsuk-body-l">(.*?)</p>', block.group(1))]


def track(client: Client, item, easy_read: bool = True) -> str:
    query = "?easy-read=1" if easy_read else ""
    response = client.get(f"/track/{item.tracking_token}/{query}")
    assert response.status_code == 200
    return response.content.decode()


# The start page.


@pytest.mark.django_db
def test_the_start_page_links_to_its_easy_read_version(client: Client):
    content = client.get("/").content.decode()
    assert '<a href="/feedback/easy-read/" id="easy-read-link">Easy read version</a>' in content


@pytest.mark.django_db
def test_the_easy_read_start_page_explains_the_service_help_and_999_and_starts_the_journey(
    client: Client,
):
    response = client.get("/feedback/easy-read/")
    assert response.status_code == 200
    content = response.content.decode()
    sentences = easy_read_sentences(content)
    for expected in (
        "You can tell the NHS about the care you got.",
        "We send what you tell us to the right NHS team.",
        "You get a private link to a web page.",
        "It takes about 5 minutes.",
        "You can get free help to make a complaint.",
        "This free help is called NHS complaints advocacy.",
        "Your local council can tell you how to get it.",
        "Someone you trust can make the complaint for you.",
        "If someone is in danger now, call 999.",
    ):
        assert expected in sentences
    assert 'href="/feedback/new/" role="button"' in content
    assert ">Start now</a>" in content
    assert 'href="/">Go to the usual version of this page</a>' in content


@pytest.mark.django_db
def test_the_easy_read_start_page_uses_large_text_and_a_hidden_picture_beside_each_point(
    client: Client,
):
    content = client.get("/feedback/easy-read/").content.decode()
    points = re.findall(r'<li class="app-easy-read__point">(.*?)</li>', content, re.S)
    assert len(points) == len(EASY_READ_START)
    for point in points:
        assert '<svg class="app-easy-read__picture"' in point
        assert 'aria-hidden="true"' in point
        assert '<p class="nhsuk-body-l">' in point
    # Drawn on the page: no image is fetched.
    assert "<img" not in content


@pytest.mark.django_db
def test_the_easy_read_start_page_keeps_every_sentence_short(client: Client):
    content = client.get("/feedback/easy-read/").content.decode()
    # Every large-text paragraph, the points' and the one before the button alike.
    paragraphs = [unescape(p) for p in re.findall(r'<p class="nhsuk-body-l">(.*?)</p>', content)]
    assert len(paragraphs) > len(easy_read_sentences(content))
    for sentence in paragraphs:
        assert len(sentence.split()) <= MAX_WORDS, sentence


# The tracking page.


def test_every_status_the_tracking_page_can_show_has_easy_read_words():
    assert set(EASY_READ_STATUS) == set(Status.values)
    for status, point in EASY_READ_STATUS.items():
        assert point.sentences, status


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_the_tracking_page_shows_each_status_in_easy_read(client: Client, trust, status: str):
    item = FeedbackFactory(provider=trust, handled_by=trust, route=Route.TRUST, status=status)
    content = track(client, item)
    sentences = easy_read_sentences(content)
    assert list(EASY_READ_STATUS[status].sentences) == sentences
    assert "What is happening: easy read" in content
    assert f'href="/track/{item.tracking_token}/">Show the usual words</a>' in content
    # The usual status tag is still there.
    assert "nhsuk-tag" in content


@pytest.mark.django_db
def test_the_tracking_page_offers_easy_read_as_a_plain_link_that_works_without_javascript(
    client: Client, trust
):
    item = FeedbackFactory(provider=trust, handled_by=trust, status=Status.INVESTIGATING)
    content = track(client, item, easy_read=False)
    link = f'href="/track/{item.tracking_token}/?easy-read=1#easy-read"'
    assert f'<a {link} id="easy-read-link">Show this in easy read</a>' in content
    assert 'class="app-easy-read"' not in content
    assert "The team is finding out what happened." in track(client, item)


@pytest.mark.django_db
def test_easy_read_on_the_tracking_page_needs_the_tracking_link_as_before(client: Client):
    assert client.get("/track/not-a-token/?easy-read=1").status_code == 404
    assert client.get(f"/track/{'x' * 43}/?easy-read=1").status_code == 404


@pytest.mark.django_db
def test_easy_read_does_not_show_what_the_patient_wrote(client: Client, trust):
    item = FeedbackFactory(provider=trust, handled_by=trust)
    assert item.text not in track(client, item)


@pytest.mark.django_db
def test_easy_read_tells_the_patient_while_the_right_team_is_found(client: Client):
    item = FeedbackFactory(handled_by=None, route="", status=Status.RECEIVED)
    sentences = easy_read_sentences(track(client, item))
    assert sentences[: len(EASY_READ_CHECKING.sentences)] == list(EASY_READ_CHECKING.sentences)
    assert "We have got your feedback." in sentences


@pytest.mark.django_db
def test_easy_read_explains_the_care_quality_commission_route(client: Client, cqc):
    item = FeedbackFactory(handled_by=cqc, route=Route.CQC, route_rule="cqc_safeguarding")
    sentences = easy_read_sentences(track(client, item))
    assert "We sent your feedback to the Care Quality Commission." in sentences
    assert "It does not write back to you about your care." in sentences


@pytest.mark.django_db
def test_easy_read_explains_the_integrated_care_board_route(client: Client, icb):
    item = FeedbackFactory(handled_by=icb, route=Route.ICB, route_rule="icb_primary_care")
    sentences = easy_read_sentences(track(client, item))
    assert "This team plans and pays for care in your area." in sentences
    assert "We sent your feedback to the Care Quality Commission." not in sentences


@pytest.mark.django_db
def test_easy_read_says_when_staff_moved_the_feedback_to_another_team(
    client: Client, trust, other_trust
):
    item = FeedbackFactory(
        provider=trust, handled_by=other_trust, route=Route.TRUST, route_rule="rerouted"
    )
    sentences = easy_read_sentences(track(client, item))
    assert "We moved your feedback to a different NHS team." in sentences
    closed = FeedbackFactory(
        provider=trust,
        handled_by=other_trust,
        route=Route.TRUST,
        route_rule="rerouted",
        status=Status.CLOSED,
    )
    assert "We moved your feedback to a different NHS team." not in easy_read_sentences(
        track(client, closed)
    )


@pytest.mark.django_db
def test_easy_read_says_a_joined_item_gets_one_answer_not_that_it_is_finished(
    client: Client, trust
):
    lead = FeedbackFactory(provider=trust, handled_by=trust, status=Status.INVESTIGATING)
    merged = FeedbackFactory(
        provider=trust, handled_by=trust, status=Status.CLOSED, duplicate_of=lead
    )
    sentences = easy_read_sentences(track(client, merged))
    assert "You will get 1 answer for both." in sentences
    assert EASY_READ_STATUS[Status.CLOSED].sentences[0] not in sentences


# The words themselves, wherever they are shown.


def test_every_easy_read_sentence_is_one_short_sentence():
    for point in easy_read_all():
        for sentence in point.sentences:
            assert len(sentence.split()) <= MAX_WORDS, sentence
            # One idea a sentence: one full stop, at the end.
            assert sentence.endswith("."), sentence
            assert sentence.count(".") == 1 and ";" not in sentence, sentence


def test_easy_read_writes_numbers_as_digits_and_spells_out_abbreviations():
    for point in easy_read_all():
        for sentence in point.sentences:
            assert not NUMBER_WORDS.search(str(sentence)), sentence
            assert set(ABBREVIATION.findall(str(sentence))) <= {"NHS"}, sentence


def test_every_easy_read_picture_is_drawn():
    pictures = {point.picture for point in easy_read_all()}
    assert set(EASY_READ_ROUTE) == {Route.ICB, Route.CQC}
    for picture in pictures | {EASY_READ_REROUTED.picture, EASY_READ_JOINED.picture}:
        svg = render_to_string("feedback/_easy_read_picture.html", {"picture": picture})
        assert 'aria-hidden="true"' in svg
        assert re.search(r"<(path|circle|rect) ", svg), f"no drawing for {picture!r}"
