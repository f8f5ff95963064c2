"""Helpers for the duplicate tests: complaints in a queue, with a patient's details and a reading.

Readings here are made from chosen vectors (``readings_from_features``), as the worker makes them
from the model's: a text "read" near another is that other's vector with a little noise; an
unrelated one is a vector of its own. The model's own readings are tested in
tests/feedback/services/test_duplicates_model.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.utils import timezone

from analytics.ml.similarity import READING_DIM, reading_sketch, readings_from_features
from feedback.models import Feedback, FeedbackReading, Identity, Organisation
from tests.factories import FeedbackFactory

MODEL = "test-model-v1"
_RNG = np.random.default_rng(20261203)

RESPONSE = {
    "response_text": (
        "We are sorry for the wait you had. We have changed how the clinic books appointments. "
        "If you are not satisfied you can ask the Parliamentary and Health Service Ombudsman "
        "to look at your complaint."
    ),
    "outcome": "upheld",
    "subjects": ["waiting_times"],
    "service_area": "outpatient",
    "profession": "nursing",
}


def topic() -> np.ndarray:
    """A text's meaning: a direction of its own."""
    return _RNG.standard_normal(READING_DIM)


def reading(meaning: np.ndarray, noise: float = 0.0) -> bytes:
    """The reading of a text with this meaning, told a little differently by ``noise``."""
    features = meaning + noise * _RNG.standard_normal(READING_DIM)
    return readings_from_features(features[None, :])[0]


def complaint(
    handled_by: Organisation,
    *,
    days_ago: float = 3,
    patient: dict[str, str] | None = None,
    read_as: bytes | None = None,
    model_version: str = MODEL,
    **values: Any,
) -> Feedback:
    """A complaint (or ``kind=``) in ``handled_by``'s queue, analysed and routed."""
    values.setdefault("kind", "complaint")
    values.setdefault("text", "I waited four hours in the fracture clinic and nobody said why.")
    item = FeedbackFactory(
        provider=handled_by if handled_by.kind == "trust" else None,
        area=handled_by.icb if handled_by.kind == "trust" else None,
        handled_by=handled_by,
        route="trust",
        analysis_state="done",
        received_at=timezone.now() - dt.timedelta(days=days_ago),
        acknowledge_due=timezone.localdate() + dt.timedelta(days=3),
        response_due=timezone.localdate() + dt.timedelta(days=28),
        **values,
    )
    if patient is not None:
        Identity.objects.create(feedback=item, **patient)
    if read_as is not None:
        # As the worker writes them: the reading apart, its sketch on the item.
        FeedbackReading.objects.create(feedback=item, vector=read_as, model_version=model_version)
        Feedback.objects.filter(pk=item.pk).update(
            reading_sketch=reading_sketch(read_as), model_version=model_version
        )
        item.refresh_from_db()
    return item


PAT = {"name": "Pat Example", "email": "pat@example.com", "phone": "07700 900123"}
PAT_NHS = {**PAT, "nhs_number": "9434765919"}
SAM = {"name": "Sam Other", "email": "sam@example.org", "phone": "07700 900456"}
