"""Duplicates found by the model's own readings: the worker reads the items, the check finds the
complaint sent again and leaves an unrelated one out (slow: loads the real model)."""

from __future__ import annotations

import pytest

from analytics.ml.similarity import READING_BYTES, SKETCH_BYTES, reading_sketch
from feedback.models import FeedbackReading, Identity
from feedback.services.analysis import feedback_analyse_batch, reader
from feedback.services.duplicates import TEXT_THRESHOLD, duplicate_candidates
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST = (
    "I waited four hours in the fracture clinic for a ten minute appointment. The screen said "
    "forty minutes all afternoon and nobody came out to explain the delay."
)
AGAIN = "I am writing again because I have not had a reply. " + FIRST
UNRELATED = (
    "The car park machines only take coins and the office was shut, so I could not pay and I "
    "got a fine while I was in my appointment."
)


def submit(trust, text, nhs_number=""):
    item = FeedbackFactory(provider=trust, text=text, service_type="acute")
    if nhs_number:
        Identity.objects.create(feedback=item, name="Pat Example", nhs_number=nhs_number)
    return item


def test_the_worker_keeps_each_items_reading(trust, cqc):
    item = submit(trust, FIRST)
    feedback_analyse_batch()
    stored = FeedbackReading.objects.get(feedback=item)
    item.refresh_from_db()
    assert len(bytes(stored.vector)) == READING_BYTES
    assert bytes(item.reading_sketch) == reading_sketch(bytes(stored.vector))
    assert len(bytes(item.reading_sketch)) == SKETCH_BYTES
    assert stored.model_version == item.model_version == reader().model_version


def test_a_complaint_sent_again_is_found_and_an_unrelated_one_is_not(trust, cqc):
    first = submit(trust, FIRST, nhs_number="9434765919")
    unrelated = submit(trust, UNRELATED)
    again = submit(trust, AGAIN, nhs_number="9434765919")
    anonymous_again = submit(trust, AGAIN)
    feedback_analyse_batch()
    for item in (first, unrelated, again, anonymous_again):
        item.refresh_from_db()
        assert item.handled_by == trust
    handler = UserFactory(organisation=trust)

    [candidate] = [
        c
        for c in duplicate_candidates(feedback=again, user=handler)
        if c.item.pk in {first.pk, unrelated.pk}
    ]
    assert candidate.item == first
    assert candidate.reasons[0] == "same NHS number"
    assert candidate.reasons[1].startswith("text ")
    assert candidate.similarity is not None and candidate.similarity >= TEXT_THRESHOLD

    # Without contact details, the text alone finds it.
    found = {c.item.pk: c for c in duplicate_candidates(feedback=anonymous_again, user=handler)}
    assert first.pk in found and found[first.pk].reasons[0].startswith("text ")
    assert unrelated.pk not in found
    assert {c.item.pk for c in duplicate_candidates(feedback=unrelated, user=handler)} == set()
