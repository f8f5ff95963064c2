"""The words FFT exports are written in, as the reader (``feedback.fft_reader``) compares them:
the columns' headings, the answers, the services and the months. Data tables, kept apart from
the reading so they can grow with each survey system's spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedback.choices import FftRating, ServiceType


def normalised(value: object) -> str:
    """A heading or an answer as compared: lower case, letters and digits, single spaces
    ("Don't know" with a straight or a curly apostrophe, and "dont  KNOW", alike)."""
    text = str(value).casefold().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^0-9a-z&]+", " ", text).split())


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # as messages name it
    required: bool
    names: tuple[str, ...]  # headings it is known by, best first, as ``normalised`` gives them


COLUMNS: tuple[Column, ...] = (
    Column(
        "rating",
        "rating",
        True,
        (
            "rating",
            "fft rating",
            "fft categorical answer",
            "fft response",
            "fft score",
            "overall rating",
            "overall experience",
            "overall how was your experience of our service",
            "how was your experience of our service",
            "how was your experience",
            "answer",
            "response",
            "score",
        ),
    ),
    Column(
        "text",
        "free text",
        True,
        (
            "free text",
            "freetext",
            "fft answer",
            "fft comment",
            "fft free text",
            "free text comment",
            "free text comments",
            "free text response",
            "comment",
            "comments",
            "patient comment",
            "patient comments",
            "text",
            "feedback",
            "feedback text",
            "comment text",
            "reason",
            "reason for rating",
            "why",
            "tell us why",
        ),
    ),
    Column(
        "date",
        "date",
        True,
        (
            "date",
            "response date",
            "date of response",
            "date completed",
            "completed date",
            "completed",
            "date submitted",
            "submitted date",
            "submission date",
            "submitted",
            "date received",
            "received date",
            "received",
            "survey date",
            "date and time",
            "date time",
            "datetime",
            "timestamp",
            "created",
            "created date",
        ),
    ),
    Column(
        "question",
        "question",
        False,
        ("question", "fft question", "question text", "survey question", "question asked"),
    ),
    Column(
        # What tells one response from another in the survey system: part of an answer's
        # identity when the file has it (docs/adr/0017, amendment).
        "response_id",
        "response ID",
        False,
        (
            "response id",
            "responseid",
            "respondent id",
            "respondentid",
            "survey id",
            "survey response id",
            "record id",
            "recordid",
            "submission id",
            "response number",
            "response reference",
            "respondent number",
            "unique id",
            "unique response id",
        ),
    ),
    Column(
        # Where the care was given, finer than the service: two wards' identical answers are
        # two answers.
        "site",
        "site",
        False,
        (
            "site",
            "site name",
            "ward",
            "ward name",
            "location",
            "location name",
            "department",
            "department name",
            "unit",
            "team",
            "team name",
            "clinic",
            "hospital",
            "hospital site",
            "practice",
            "practice name",
        ),
    ),
    Column(
        "service",
        "service",
        False,
        (
            "service",
            "service type",
            "service type 1",
            "setting",
            "fft setting",
            "care setting",
            "service area",
            "service name",
        ),
    ),
)
REQUIRED = tuple(c for c in COLUMNS if c.required)


# The FFT question as survey systems word it (normalised): NHS England's wording, which a provider
# may fit to its service ("Overall, how was your experience of our ward?"), sometimes after
# "Thinking about ...". A row answering any other question of the survey ("How was your
# experience of the food?", "Were you treated with dignity?") is not an FFT answer.
FFT_QUESTION_WORDS = "overall how was your experience"
FFT_QUESTION_END = "how was your experience of our service"
FFT_QUESTIONS = frozenset(
    {
        "overall how was your experience of our service",
        "how was your experience of our service",
        "overall how was your experience",
        "how was your experience",
        "fft",
        "fft question",
        "friends and family test",
        "friends and family test question",
        "the friends and family test",
    }
)
# The question asked before April 2020, which is not the FFT question any more.
OLD_QUESTION_WORDS = "how likely are you to recommend"


def is_fft_question(question: str) -> bool:
    """Whether a row's question is the FFT question (a blank one is: the file has no question
    column, or only the FFT's answers in it)."""
    words = normalised(question)
    # NHS England's published FFT data labels its rows "FFT Why?" and the like.
    if not words or words in FFT_QUESTIONS or words.split()[0] == "fft":
        return True
    if OLD_QUESTION_WORDS in words:
        return False
    return FFT_QUESTION_WORDS in words or words.endswith(FFT_QUESTION_END)


RATING_WORDS: dict[str, int] = {normalised(label): value for value, label in FftRating.choices}
RATING_WORDS |= {"do not know": FftRating.DONT_KNOW, "dont know": FftRating.DONT_KNOW}
# The answers to the question asked before April 2020 ("How likely are you to recommend...").
OLD_SCALE = {
    "extremely likely",
    "likely",
    "neither likely nor unlikely",
    "unlikely",
    "extremely unlikely",
}
RATING_HELP = (
    "use Very good, Good, Neither good nor poor, Poor, Very poor or Don't know, "
    "or the numbers 1 (very good) to 6 (don't know)"
)


SERVICES: dict[str, str] = {}
for _service, _label in ServiceType.choices:
    SERVICES[normalised(_service)] = _service
    SERVICES[normalised(_label)] = _service
for _service, _names in {
    ServiceType.ACUTE: (
        "hospital",
        "inpatient",
        "inpatients",
        "in patient",
        "outpatient",
        "outpatients",
        "out patient",
        "day case",
        "daycase",
        "a&e",
        "a & e",
        "a and e",
        "accident and emergency",
        "emergency department",
        "urgent and emergency care",
        "maternity",
        "antenatal",
        "birth",
        "postnatal",
        "postnatal ward",
        "postnatal community",
    ),
    ServiceType.MENTAL_HEALTH: ("mental health", "mental health services"),
    ServiceType.COMMUNITY: ("community", "community health", "community services"),
    ServiceType.AMBULANCE: (
        "ambulance",
        "see and treat",
        "see and convey",
        "ambulance see and treat",
    ),
    ServiceType.NHS_111: ("111", "nhs 111"),
    ServiceType.PATIENT_TRANSPORT: (
        "patient transport",
        "patient transport service",
        "patient transport services",
        "pts",
    ),
    ServiceType.GP: ("gp", "gp practice", "general practice"),
    ServiceType.DENTAL: ("dental", "dentist", "dentistry", "dental practice"),
    ServiceType.PHARMACY: ("pharmacy", "community pharmacy"),
    ServiceType.OPTOMETRY: ("optometry", "optician", "opticians", "optometrist"),
}.items():
    for _name in _names:
        SERVICES[normalised(_name)] = _service


MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
