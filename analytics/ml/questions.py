"""Which kind of question a comment answers, read from the question's wording.

"Nothing." means praise under "What could we do better?" and the opposite under "What was good?",
so the encoder reads every comment with its question. Organisations word their questions in many
ways, and the frozen encoder does not tell them apart reliably by meaning (it puts "What did we do
well?" nearer "How could we improve?" than "What was good?"). So the question is first reduced to
its family, by the words that carry its polarity, and the comment is encoded with that family's
one fixed wording, in training and in use alike:

- ``improve`` (better, improve, change, differently, not good, ...): "What could we do better?"
- ``good`` (good, well, like, best, ...): "What was good?"
- ``overall``: everything else, a question asking both, and no question at all (a comment sent
  through a web form): "Please tell us why you gave your answer."

Only the organisation's wording is read here, never the patient's text.

The kind of service and the patient's answer to the FFT question ("Overall, how was your
experience of our service?", Very good ... Very poor) are read with the question when known: the
question wording is followed by "Service: NHS 111. Overall experience: good." and the like
(:func:`context_wording`). "Don't know", an unknown service and no answer add nothing, and
training withholds both from a share of its examples, so a comment sent without them is read about
as well as it was before they were read at all.
"""

from __future__ import annotations

import re
from enum import StrEnum

# Bumped whenever the families or their wordings change: heads trained with another reading of the
# questions would be fed features they never saw, so the analyser refuses them.
QUESTION_READING = "families-v1+service-v1+fft-rating-v1"


# What the encoder reads for each kind of service (the service types' values). Part of the model's
# input, so fixed with the reading version above: the pages' labels may change, these may not
# without retraining. Every service type the product offers has one (tests/analytics/test_ml.py).
SERVICE_WORDING: dict[str, str] = {
    "acute": "Hospital (acute)",
    "mental_health": "Mental health service",
    "community": "Community health service",
    "ambulance": "Ambulance",
    "111": "NHS 111",
    "patient_transport": "Patient transport",
    "gp": "GP practice",
    "dental": "Dentist",
    "pharmacy": "Pharmacy",
    "optometry": "Optician",
}


class QuestionFamily(StrEnum):
    IMPROVE = "improve"
    GOOD = "good"
    OVERALL = "overall"


FAMILY_WORDING: dict[QuestionFamily, str] = {
    QuestionFamily.IMPROVE: "What could we do better?",
    QuestionFamily.GOOD: "What was good?",
    QuestionFamily.OVERALL: "Please tell us why you gave your answer.",
}

# Negative phrasings come first and are removed before looking for "good" words, so that
# "What was not good?" asks what to improve, while "What was good and what could be better?"
# (both) is an overall question.
_IMPROVE = re.compile(
    r"\b(?:better|improv\w*|change\w*|differently|wrong|worse|bad|poor\w*|dislike\w*"
    r"|disappoint\w*)\b"
    r"|(?:\bnot|n't|\bnever)\s+(?:\w+\s+)?(?:good|well|like|liked|enjoy\w*|happy)\b",
    re.IGNORECASE,
)
_GOOD = re.compile(
    r"\b(?:good|well|like|liked|best|enjoy\w*|great|positive|happy|pleased)\b", re.IGNORECASE
)


# The FFT rating scale (feedback.choices.FftRating values) in the words of the FFT form; 6 ("Don't
# know") and anything else add no words.
RATING_WORDING: dict[int, str] = {
    1: "very good",
    2: "good",
    3: "neither good nor poor",
    4: "poor",
    5: "very poor",
}


def normalise_question(question: str) -> str:
    """The question with runs of whitespace (line breaks in exported forms) made single spaces."""
    return " ".join(question.split())


def question_family(question: str) -> QuestionFamily:
    """The family of a question by its wording; ``overall`` when it asks both or neither."""
    text = normalise_question(question)
    improve = _IMPROVE.search(text) is not None
    good = _GOOD.search(_IMPROVE.sub(" ", text)) is not None
    if improve and not good:
        return QuestionFamily.IMPROVE
    if good and not improve:
        return QuestionFamily.GOOD
    return QuestionFamily.OVERALL


def question_wording(question: str) -> str:
    """The fixed wording the encoder reads in place of ``question``."""
    return FAMILY_WORDING[question_family(question)]


def context_wording(question: str, rating: int | None = None, service_type: str = "") -> str:
    """What the encoder reads before the comment: the question's wording, the kind of service
    (a service type's value) and the FFT rating."""
    parts = [question_wording(question)]
    wording = SERVICE_WORDING.get(service_type)
    if wording:
        parts.append(f"Service: {wording}.")
    rated = RATING_WORDING.get(rating) if rating is not None else None
    if rated:
        parts.append(f"Overall experience: {rated}.")
    return " ".join(parts)
