"""Staff search their own queue: words from the feedback or the response, or an item's number,
with the queue's filters; matching words marked; never another organisation's items."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from feedback.choices import Status
from feedback.models import Feedback
from tests.factories import FeedbackFactory, UserFactory


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


def _queue(client: Client, **params: str) -> str:
    response = client.get("/staff/queue/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_handler_finds_items_by_their_words_with_the_words_marked(
    client: Client, trust, other_trust, handler
):
    parking = FeedbackFactory(
        provider=trust, handled_by=trust, text="The parking machines took my money twice."
    )
    FeedbackFactory(provider=trust, handled_by=trust, text="The nurses on ward 4 were kind.")
    elsewhere = FeedbackFactory(
        provider=other_trust, handled_by=other_trust, text="No parking spaces at all."
    )
    client.force_login(handler)
    page = _queue(client, q="parking")
    assert f"/staff/items/{parking.pk}/" in page
    assert f"/staff/items/{elsewhere.pk}/" not in page  # another trust's queue
    assert "<mark>parking</mark>" in page.lower()
    assert "1 item found for" in page
    assert "nurses on ward 4" not in page


@pytest.mark.django_db
def test_search_keeps_the_other_filters(client: Client, trust, handler):
    open_item = FeedbackFactory(
        provider=trust, handled_by=trust, text="Lost hearing aid on the ward."
    )
    closed = FeedbackFactory(
        provider=trust, handled_by=trust, text="Lost hearing aid again.", status=Status.CLOSED
    )
    client.force_login(handler)
    page = _queue(client, q="hearing aid", status="closed")
    assert f"/staff/items/{closed.pk}/" in page
    assert f"/staff/items/{open_item.pk}/" not in page


@pytest.mark.django_db
def test_an_item_is_found_by_its_number(client: Client, trust, handler):
    item = FeedbackFactory(provider=trust, handled_by=trust, text="Anything at all.")
    FeedbackFactory(provider=trust, handled_by=trust, text="Something else.")
    client.force_login(handler)
    page = _queue(client, q=f"#{item.pk}")
    assert f"/staff/items/{item.pk}/" in page
    assert "1 item found for" in page


@pytest.mark.django_db
def test_what_patients_wrote_is_shown_as_text_never_as_markup(client: Client, trust, handler):
    FeedbackFactory(
        provider=trust, handled_by=trust, text='<script>alert("x")</script> the lift was broken'
    )
    client.force_login(handler)
    page = _queue(client, q="lift")
    assert "<script>alert" not in page
    assert "<mark>lift</mark>" in page


@pytest.mark.django_db
def test_words_match_by_their_stem_on_postgresql(client: Client, trust, handler):
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL's full-text search; SQLite matches words as typed")
    item = FeedbackFactory(provider=trust, handled_by=trust, text="We waited nine hours.")
    client.force_login(handler)
    page = _queue(client, q="waiting")
    assert f"/staff/items/{item.pk}/" in page
    assert "<mark>waited</mark>" in page


@pytest.mark.django_db
def test_the_staff_api_searches_the_same_way(trust, other_trust, handler):
    mine = FeedbackFactory(provider=trust, handled_by=trust, text="The parking was full.")
    FeedbackFactory(provider=trust, handled_by=trust, text="Kind staff.")
    FeedbackFactory(provider=other_trust, handled_by=other_trust, text="The parking was full.")
    api = APIClient()
    api.force_authenticate(handler)
    body = api.get("/api/v1/queue/", {"q": "parking"}).json()
    results = body["results"] if isinstance(body, dict) else body
    assert [row["id"] for row in results] == [mine.pk]


@pytest.mark.django_db
def test_a_search_too_long_is_refused_by_name(client: Client, trust, handler):
    client.force_login(handler)
    response = APIClient()
    response.force_authenticate(handler)
    answer = response.get("/api/v1/queue/", {"q": "x" * 201})
    assert answer.status_code == 400
    assert "q" in answer.json()


@pytest.mark.django_db
def test_a_broad_search_shows_the_most_recent_matches_and_says_so(
    client: Client, trust, handler, monkeypatch
):
    """A word in thousands of items: the newest matches, best first, and how to find older ones;
    a filter narrows before the cut, so an older match that fits the filter is still found."""
    import datetime as dt

    from django.utils import timezone

    from feedback import selectors, staff_queue_views

    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    monkeypatch.setattr(staff_queue_views, "SEARCH_RANK_LIMIT", 3)
    now = timezone.now()
    items = [
        FeedbackFactory(
            provider=trust,
            handled_by=trust,
            text=f"Waited hours in the emergency department, visit {n}.",
            received_at=now - dt.timedelta(days=n),
        )
        for n in range(5)
    ]
    oldest_closed = items[4]
    Feedback.objects.filter(pk=oldest_closed.pk).update(status=Status.CLOSED)
    client.force_login(handler)
    page = _queue(client, q="waited hours")
    shown = [i for i in items if f"/staff/items/{i.pk}/" in page]
    assert shown == items[:3]  # the three most recent
    assert "these are the 3 most recent of them" in page
    assert "The 3 most recent items found for" in page
    # An older possible risk still to check is never cut: urgent matches come first.
    Feedback.objects.filter(pk=items[3].pk).update(risk_check="pending")
    urgent_page = _queue(client, q="waited hours")
    assert f"/staff/items/{items[3].pk}/" in urgent_page
    assert urgent_page.index(f"/staff/items/{items[3].pk}/") < urgent_page.index(
        f"/staff/items/{items[0].pk}/"
    )
    narrowed = _queue(client, q="waited hours", status="closed")
    assert f"/staff/items/{oldest_closed.pk}/" in narrowed
    assert "most recent of them" not in narrowed


@pytest.mark.django_db
def test_a_saved_broad_search_counts_as_the_limit_or_more_not_a_false_total(
    client: Client, trust, handler, monkeypatch
):
    from feedback import selectors, staff_queue_views
    from feedback.services import saved_views

    monkeypatch.setattr(selectors, "SEARCH_RANK_LIMIT", 3)
    monkeypatch.setattr(staff_queue_views, "SEARCH_RANK_LIMIT", 3)
    for n in range(5):
        FeedbackFactory(provider=trust, handled_by=trust, text=f"Parking was a nightmare {n}.")
    FeedbackFactory(provider=trust, handled_by=trust, text="The porter was lovely.")
    saved_views.saved_view_create(user=handler, name="Parking", query="q=parking", shared=False)
    saved_views.saved_view_create(user=handler, name="Porter", query="q=porter", shared=False)
    client.force_login(handler)

    page = _queue(client)

    parking = page[page.index("Parking") : page.index("Porter")]
    assert "3+" in parking and "3 or more" in parking
    porter = page[page.index("Porter") :]
    assert 'nhsuk-tag--grey">1</span>' in porter
