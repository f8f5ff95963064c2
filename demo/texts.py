"""The demo items' texts: real FFT comments when the shared file is present, composed sentences
otherwise, and the CQC, commissioning, response and name tables."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import NamedTuple

from analytics.ml.fft_export import RATING_COLUMN, parse_rating
from analytics.themes import THEMES

# --- Texts -------------------------------------------------------------------------------------


class _Text(NamedTuple):
    text: str
    question: str
    sentiment: int | None  # the labelled 1-5 sentiment, when the source has one
    themes: tuple[str, ...]
    fft_rating: int | None = None  # the patient's FFT rating, when the source has one


_THEME_BY_LABEL = {t.label: t.slug for t in THEMES}
_THEME_SLUGS = tuple(t.slug for t in THEMES)
_NOT_ANSWERS = frozenset({"", "did not answer", "n/a", "na", "none", "-", "."})


def _fft_texts(path: Path) -> list[_Text]:
    """Real FFT comments with their labelled sentiment and themes; empty when the file is absent."""
    if not path.is_file():
        return []
    texts: list[_Text] = []
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        for row in csv.DictReader(fh):
            answer = (row.get("FFT answer") or "").replace("\r\n", "\n").strip()
            if answer.lower() in _NOT_ANSWERS:
                continue
            raw = (row.get("Comment sentiment") or "").strip()
            sentiment = int(raw) if raw in {"1", "2", "3", "4", "5"} else None
            themes = tuple(
                slug for label, slug in _THEME_BY_LABEL.items() if (row.get(label) or "") == "1"
            )
            question = " ".join((row.get("FFT question") or "").split())
            texts.append(
                _Text(answer, question, sentiment, themes, parse_rating(row.get(RATING_COLUMN)))
            )
    return texts


# Fallback sentences by sentiment, each with the themes a reader would give it.
_FRAGMENTS: dict[int, tuple[tuple[str, tuple[str, ...]], ...]] = {
    1: (
        ("The staff were kind, caring and explained everything", ("staff_manner",)),
        ("I was seen quickly and treated with dignity", ("timeliness_of_care", "staff_manner")),
        ("Thank you to the whole team for looking after my mum", ("positive_experience",)),
        ("The crew were calm and reassuring when I was frightened", ("staff_manner",)),
        ("Brilliant care from start to finish", ("positive_experience",)),
    ),
    2: (
        (
            "The nurses were friendly and the ward was clean",
            ("staff_manner", "cleanliness_infection_control"),
        ),
        ("My appointment ran on time", ("appointment_arrangements",)),
        ("They listened to what I had to say", ("staff_listening",)),
        ("The transport arrived when they said it would", ("transport",)),
        ("Good advice on my medication", ("medication", "information_from_staff")),
    ),
    3: (
        ("The care was fine but the waiting room was crowded", ("environment_facilities",)),
        ("Staff were kind although nobody told us how long it would take", ("kept_informed",)),
        ("Parking was difficult but the clinic itself was good", ("parking",)),
        ("It was okay, nothing special", ()),
        ("The food could be better", ("food_drink",)),
    ),
    4: (
        ("We waited six hours and nobody explained why", ("timeliness_of_care", "kept_informed")),
        ("My appointment was cancelled twice without notice", ("appointment_arrangements",)),
        ("The phone line was always engaged", ("contacting_services",)),
        ("I was discharged before anyone had explained my medication", ("discharge", "medication")),
        ("The receptionist was rude and dismissive", ("staff_manner",)),
    ),
    5: (
        (
            "My father was left in pain for hours and nobody came",
            ("pain_management", "staff_responsiveness"),
        ),
        ("The diagnosis was missed and I was sent home twice", ("diagnosis_triage",)),
        ("My complaint from last year was never answered", ("negative_experience",)),
        ("Nobody listened to us and my mum got worse", ("staff_listening", "negative_experience")),
        (
            "The ward was dirty and short of staff every night",
            ("cleanliness_infection_control", "staff_numbers"),
        ),
    ),
}


def _synthetic_texts(rng: random.Random, per_sentiment: int = 300) -> list[_Text]:
    texts: list[_Text] = []
    for sentiment, fragments in _FRAGMENTS.items():
        for _ in range(per_sentiment):
            chosen = rng.sample(fragments, rng.randint(1, 3))
            text = ". ".join(f for f, _ in chosen) + "."
            themes = tuple(dict.fromkeys(slug for _, ts in chosen for slug in ts))
            texts.append(_Text(text, "", sentiment, themes))
    return texts


# Texts that route by a rule of their own: (text, evidence phrase, themes).
_CQC_TEXTS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "safeguarding": (
        (
            "A carer shouted at my grandmother and pushed her back into the chair.",
            "pushed her",
            ("safeguarding", "staff_manner"),
        ),
        (
            "My son came home with bruises nobody could explain and I think he is being abused.",
            "being abused",
            ("safeguarding",),
        ),
        (
            "A member of staff has been sending messages to my 15 year old daughter.",
            "sending messages to my 15 year old daughter",
            ("safeguarding",),
        ),
        (
            "Dad was left in soiled sheets for two days; this is neglect.",
            "neglect",
            ("safeguarding", "patient_appearance"),
        ),
    ),
    "mental_health_act": (
        (
            "I was sectioned and nobody explained my rights while I was detained.",
            "sectioned",
            ("mental_health_act", "information_from_staff"),
        ),
        (
            "My section 17 leave was cancelled again without a reason.",
            "section 17 leave",
            ("mental_health_act",),
        ),
        (
            "My brother is on a community treatment order and was recalled without his nearest "
            "relative being told.",
            "community treatment order",
            ("mental_health_act",),
        ),
    ),
    "serious_risk": (
        (
            "There were two nurses for thirty patients every night and people fell.",
            "two nurses for thirty patients",
            ("staff_numbers", "feeling_safe"),
        ),
        (
            "A healthcare assistant with no training was giving out medicines.",
            "no training was giving out medicines",
            ("competence_training", "medication"),
        ),
        (
            "The fire doors on the ward are propped open and the alarm has been off for weeks.",
            "fire doors",
            ("feeling_safe", "environment_facilities"),
        ),
    ),
}
_COMMISSIONING_TEXTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Our application for continuing healthcare funding has been waiting for eight months.",
        "continuing healthcare",
        ("funding",),
    ),
    (
        "My individual funding request for the treatment was refused without a reason.",
        "individual funding request",
        ("funding",),
    ),
    (
        "There is no adult ADHD assessment service commissioned in our area at all.",
        "no adult ADHD assessment service commissioned",
        ("existence_of_services",),
    ),
    (
        "People in the next town get this treatment on the NHS but we do not: a postcode lottery.",
        "postcode lottery",
        ("choice_of_services", "existence_of_services"),
    ),
)
_PATIENT_REQUEST_SUFFIX = " I would like the ICB, not the hospital, to look into this."
_IDENTIFIER_EXTRAS = (
    " Dr {last} and nurse {first} were brilliant.",
    " My son {first} was frightened.",
    " We live at SW1A 1AA.",
    "\n\nKind regards,\n{first} {last}",
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_RESPONSES = (
    "Thank you for telling us about your experience. We have looked into what happened and are "
    "sorry for the distress caused. If you are not satisfied with this response you can ask the "
    "Parliamentary and Health Service Ombudsman to look at your complaint.",
    "We have spoken to the team involved and changed how appointments are booked. If you remain "
    "unhappy you may contact the Parliamentary and Health Service Ombudsman.",
    "Our investigation found that the care met the expected standard, but we have shared your "
    "comments with the ward. You can refer your complaint to the Parliamentary and Health Service "
    "Ombudsman if you are not satisfied.",
)
_LATE_REASONS = (
    "The investigation needed statements from staff who were on leave.",
    "We waited for the clinical review from another trust.",
    "The complaint involved three services and took longer to coordinate.",
    "Staff absence in the complaints team delayed the response.",
)
_FIRST_NAMES = _words(
    "Olivia Amelia Isla Ava Mia Grace Sophia Lily Freya Priya Aisha Fatima Zara Chloe Emily "
    "Noah Oliver George Arthur Leo Harry Oscar Jack Muhammad Tom Daniel James Samuel Kwame Ravi"
)
_LAST_NAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Khan Ahmed Begum Okafor Murphy Kelly"
)
