"""Synthetic patient feedback in bulk, for demonstrations, dashboards and benchmarks.

``feedback_generate`` makes items whose every field is one the real pipeline could have written:
routed by the same rules (trust, ICB for primary care and commissioning, CQC for safeguarding,
Mental Health Act and serious risk), analysed (sentiment, label, confidence, model version, themes
of the framework, risk flags only where a CQC rule fired), and moved through the complaint
workflow with its clocks (acknowledged, investigating, paused, responded late with a reason,
closed, withdrawn, or still open; compliments and suggestions have no clock). Each organisation
works at its own pace, so dashboards have peers to compare. Texts are real FFT comments from
``shared/data/patient-feedback/fft_v6_shared.csv`` when that file is present (read at run time,
never copied into the repository; its labelled sentiment and themes guide the synthetic analysis),
composed sentences otherwise.

Items carry no audit trail or notifications: they stand for history that happened elsewhere.
On PostgreSQL rows go in with COPY (about a million in a few minutes); elsewhere with
``bulk_create`` in batches. The same seed, organisation directory and ``now`` give the same items
(tracking tokens excepted: they stay secret and unique).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import json
import math
import random
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.ml.fft_export import RATING_COLUMN, parse_rating
from analytics.ml.heads import MANIFEST_FILE, sentiment_label
from analytics.themes import THEMES
from feedback import clocks
from feedback.choices import (
    FFT_QUESTION,
    PRIMARY_CARE_SERVICES,
    AnalysisState,
    Channel,
    ComplainantStatus,
    InvestigationApproach,
    Kind,
    OrganisationKind,
    PatientAge,
    Route,
    ServiceType,
    Status,
    TrustType,
)
from feedback.errors import DomainError
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Feedback, FeedbackTheme, Identity, Organisation
from feedback.selectors import CQC_ODS_CODE

FFT_PATH = (
    Path(settings.BASE_DIR).parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"
)
DEFAULT_YEARS = 2
DEFAULT_BATCH_SIZE = 20_000
SQLITE_BATCH_SIZE = 2_000
# Model versions by age: items analysed before the current model was trained show the one before.
PREVIOUS_MODEL_VERSION = "minilm-l6-heads-20260301-3b1c9e20"
CURRENT_MODEL_SINCE_DAYS = 240


class SyntheticDataError(DomainError):
    """Synthetic items cannot be made: no organisation directory, or a count out of range."""


@dataclass(frozen=True)
class GenerateResult:
    """What one run of ``feedback_generate`` made."""

    items: int
    themes: int
    identities: int
    seconds: float
    seed: int
    texts_from: str  # "fft" (real comments) or "synthetic"


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


# --- The organisation directory -----------------------------------------------------------------


@dataclass(frozen=True)
class _Org:
    pk: int
    ods_code: str
    kind: str
    trust_type: str
    icb_id: int | None
    response_target_days: int
    response_target_working_days: bool
    # How quickly this organisation's complaints team works: < 1 faster than most, > 1 slower.
    pace: float
    weight: float


# Service types each kind of trust provides, with their shares.
_SERVICES_BY_TRUST_TYPE: dict[str, tuple[tuple[str, float], ...]] = {
    TrustType.ACUTE: ((ServiceType.ACUTE, 1.0),),
    TrustType.SPECIALIST: ((ServiceType.ACUTE, 0.85), (ServiceType.MENTAL_HEALTH, 0.15)),
    TrustType.MENTAL_HEALTH: ((ServiceType.MENTAL_HEALTH, 0.8), (ServiceType.COMMUNITY, 0.2)),
    TrustType.COMMUNITY: ((ServiceType.COMMUNITY, 1.0),),
    TrustType.AMBULANCE: (
        (ServiceType.AMBULANCE, 0.5),
        (ServiceType.NHS_111, 0.25),
        (ServiceType.PATIENT_TRANSPORT, 0.25),
    ),
    "": ((ServiceType.ACUTE, 1.0),),
}
_TRUST_TYPE_WEIGHT: dict[str, float] = {
    TrustType.ACUTE: 3.0,
    TrustType.AMBULANCE: 2.0,
    TrustType.MENTAL_HEALTH: 1.5,
    TrustType.COMMUNITY: 1.0,
    TrustType.SPECIALIST: 0.7,
}
_PRIMARY_SERVICES = (
    (ServiceType.GP, 0.6),
    (ServiceType.DENTAL, 0.2),
    (ServiceType.PHARMACY, 0.12),
    (ServiceType.OPTOMETRY, 0.08),
)


class _Directory:
    """Trusts, ICBs and the CQC, in ODS code order so a seed means the same on any database."""

    def __init__(self, rng: random.Random, focus: Sequence[str] = ()) -> None:
        rows = (
            Organisation.objects.filter(is_active=True)
            .order_by("ods_code")
            .values_list(
                "pk",
                "ods_code",
                "kind",
                "trust_type",
                "icb_id",
                "response_target_days",
                "response_target_working_days",
            )
        )
        orgs = []
        for pk, ods, kind, trust_type, icb_id, days, working in rows:
            size = rng.lognormvariate(0, 0.6)
            pace = min(1.8, max(0.55, rng.lognormvariate(0, 0.25)))
            weight = _TRUST_TYPE_WEIGHT.get(trust_type, 1.0) * size
            orgs.append(_Org(pk, ods, kind, trust_type, icb_id, days, working, pace, weight))
        self.by_pk = {o.pk: o for o in orgs}
        self.trusts = [o for o in orgs if o.kind == OrganisationKind.TRUST]
        self.icbs = [o for o in orgs if o.kind == OrganisationKind.ICB]
        cqc = [o for o in orgs if o.ods_code == CQC_ODS_CODE]
        if not self.trusts or not self.icbs or not cqc:
            raise SyntheticDataError(
                "The organisation directory is not loaded (trusts, ICBs and the CQC are needed): "
                "run `manage.py import_ods` first."
            )
        self.cqc = cqc[0]
        self.mental_health = [o for o in self.trusts if o.trust_type == TrustType.MENTAL_HEALTH]
        self._trust_cum = list(accumulate(o.weight for o in self.trusts))
        self._icb_cum = list(accumulate(o.weight for o in self.icbs))
        by_code = {o.ods_code: o for o in orgs}
        unknown = [code for code in focus if code not in by_code]
        if unknown:
            raise SyntheticDataError(f"No active organisation has the ODS code {unknown[0]}.")
        self.focus = [by_code[code] for code in focus]
        wrong = [
            o.ods_code
            for o in self.focus
            if o.kind not in (OrganisationKind.TRUST, OrganisationKind.ICB)
        ]
        if wrong:
            raise SyntheticDataError(
                f"{wrong[0]} is not a trust or an ICB: only they have queues of their own here."
            )

    def trust(self, rng: random.Random) -> _Org:
        return self.trusts[bisect.bisect(self._trust_cum, rng.random() * self._trust_cum[-1])]

    def icb(self, rng: random.Random) -> _Org:
        return self.icbs[bisect.bisect(self._icb_cum, rng.random() * self._icb_cum[-1])]


# --- Clocks, cached by day (a million items fall on some 730 days) ------------------------------


@cache
def _acknowledge_due(day: dt.date) -> dt.date:
    return clocks.add_working_days(day, clocks.ACKNOWLEDGE_WORKING_DAYS)


@cache
def _response_due(day: dt.date, days: int, working: bool) -> dt.date:
    if working:
        return clocks.add_working_days(day, days)
    return day + dt.timedelta(days=days)


@cache
def _statutory_due(day: dt.date) -> dt.date:
    return clocks.add_months(day, clocks.STATUTORY_LIMIT_MONTHS)


# --- One item --------------------------------------------------------------------------------


class _Item(NamedTuple):
    values: dict[str, Any]
    themes: list[tuple[str, float]]
    identity: tuple[str, str, str, str] | None


def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


_KINDS = _weighted(
    [(Kind.COMPLIMENT, 0.40), (Kind.COMPLAINT, 0.22), (Kind.CONCERN, 0.18), (Kind.SUGGESTION, 0.20)]
)
_CHANNELS: dict[str, tuple[list[Any], list[float]]] = {
    Kind.COMPLAINT: _weighted(
        [
            (Channel.WEB, 0.55),
            (Channel.LETTER, 0.18),
            (Channel.PHONE, 0.17),
            (Channel.API, 0.05),
            (Channel.PAPER, 0.05),
        ]
    ),
    Kind.CONCERN: _weighted(
        [
            (Channel.WEB, 0.45),
            (Channel.PHONE, 0.35),
            (Channel.PAPER, 0.1),
            (Channel.LETTER, 0.05),
            (Channel.API, 0.05),
        ]
    ),
    Kind.COMPLIMENT: _weighted(
        [
            (Channel.FFT_IMPORT, 0.45),
            (Channel.WEB, 0.3),
            (Channel.PAPER, 0.1),
            (Channel.LETTER, 0.08),
            (Channel.PHONE, 0.04),
            (Channel.API, 0.03),
        ]
    ),
    Kind.SUGGESTION: _weighted(
        [(Channel.FFT_IMPORT, 0.5), (Channel.WEB, 0.35), (Channel.PAPER, 0.1), (Channel.API, 0.05)]
    ),
}
# Which labelled sentiments each kind's texts are drawn from.
_SENTIMENTS_FOR_KIND: dict[str, tuple[list[Any], list[float]]] = {
    Kind.COMPLIMENT: _weighted([(1, 0.6), (2, 0.32), (3, 0.08)]),
    Kind.COMPLAINT: _weighted([(5, 0.35), (4, 0.5), (3, 0.15)]),
    Kind.CONCERN: _weighted([(4, 0.5), (3, 0.35), (5, 0.15)]),
    Kind.SUGGESTION: _weighted([(3, 0.5), (2, 0.25), (4, 0.25)]),
}
_CQC_SHARE: dict[str, float] = {
    Kind.COMPLAINT: 0.04,
    Kind.CONCERN: 0.04,
    Kind.COMPLIMENT: 0.002,
    Kind.SUGGESTION: 0.002,
}
_CQC_FLAGS = _weighted([("safeguarding", 0.5), ("serious_risk", 0.3), ("mental_health_act", 0.2)])
_CQC_RULE = {
    "safeguarding": "cqc_safeguarding",
    "mental_health_act": "cqc_mental_health_act",
    "serious_risk": "cqc_serious_risk",
}
_RISK_FIELD = {
    "safeguarding": "risk_safeguarding",
    "mental_health_act": "risk_mental_health_act",
    "serious_risk": "risk_serious",
}
_SERVICE_LABEL = {value: label for value, label in ServiceType.choices}
_SERVICE_AREAS: dict[str, tuple[list[Any], list[float]]] = {
    ServiceType.ACUTE: _weighted(
        [
            (ServiceArea.INPATIENT, 0.4),
            (ServiceArea.OUTPATIENT, 0.3),
            (ServiceArea.EMERGENCY, 0.2),
            (ServiceArea.MATERNITY, 0.08),
            (ServiceArea.OTHER, 0.02),
        ]
    ),
    ServiceType.MENTAL_HEALTH: _weighted(
        [(ServiceArea.MENTAL_HEALTH, 0.95), (ServiceArea.OTHER, 0.05)]
    ),
    ServiceType.COMMUNITY: _weighted([(ServiceArea.COMMUNITY, 0.95), (ServiceArea.OTHER, 0.05)]),
}
_AMBULANCE_AREAS = _weighted([(ServiceArea.AMBULANCE, 0.9), (ServiceArea.EMERGENCY, 0.1)])
_PRIMARY_AREAS = _weighted([(ServiceArea.PRIMARY_CARE, 1.0)])
_PROFESSIONS = _weighted(
    [
        (Profession.MEDICAL, 0.35),
        (Profession.NURSING, 0.3),
        (Profession.ADMIN, 0.15),
        (Profession.ALLIED_HEALTH, 0.08),
        (Profession.ESTATES, 0.04),
        (Profession.SCIENTIFIC, 0.03),
        (Profession.OTHER, 0.05),
    ]
)
_SUBJECTS = _weighted(
    [
        (Subject.PATIENT_CARE, 0.2),
        (Subject.COMMUNICATIONS, 0.18),
        (Subject.CLINICAL_TREATMENT, 0.15),
        (Subject.VALUES_BEHAVIOURS, 0.12),
        (Subject.APPOINTMENTS, 0.1),
        (Subject.WAITING_TIMES, 0.08),
        (Subject.ADMISSIONS_DISCHARGES, 0.05),
        (Subject.PRESCRIBING, 0.03),
        (Subject.FACILITIES, 0.03),
        (Subject.TRUST_ADMIN, 0.02),
        (Subject.ACCESS_TO_TREATMENT, 0.02),
        (Subject.PRIVACY_DIGNITY, 0.01),
        (Subject.OTHER, 0.01),
    ]
)
_OUTCOMES = _weighted(
    [(Outcome.UPHELD, 0.3), (Outcome.PARTIALLY_UPHELD, 0.35), (Outcome.NOT_UPHELD, 0.35)]
)
_PRIMARY_SERVICE_TABLE = _weighted(_PRIMARY_SERVICES)
_SERVICE_TABLES = {key: _weighted(pairs) for key, pairs in _SERVICES_BY_TRUST_TYPE.items()}


# Complainants by the patient's age: older patients use more care (and complain more per head).
_PATIENT_AGE_TABLE = _weighted(
    [(PatientAge.UNDER_18, 0.08), (PatientAge.ADULT, 0.55), (PatientAge.OLDER, 0.37)]
)


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cum = table
    return values[bisect.bisect(cum, rng.random() * cum[-1])]


def _nhs_number(rng: random.Random) -> str:
    """A valid (modulus 11) number in the 999 range the NHS keeps for testing."""
    while True:
        digits = [9, 9, 9, *(rng.randrange(10) for _ in range(6))]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


@dataclass
class _Generator:
    """Makes items one at a time from one random stream."""

    rng: random.Random
    directory: _Directory
    texts: list[_Text]
    now: dt.datetime
    years: int
    current_model: str
    focus_share: float = 0.0
    _pools: dict[int | None, list[_Text]] = field(default_factory=dict, init=False)
    _days: list[dt.date] = field(default_factory=list, init=False)
    _day_weights: list[float] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        for text in self.texts:
            self._pools.setdefault(text.sentiment, []).append(text)
        today = clocks.local_date(self.now)
        first = clocks.add_months(today, -12 * self.years)
        count = (today - first).days + 1
        self._days = [first + dt.timedelta(days=i) for i in range(count)]
        # Volume grows a little over the period, is lower at weekends and varies day to day.
        self._day_weights = [
            (0.8 + 0.4 * i / max(1, count - 1))
            * (0.6 if day.weekday() >= 5 else 1.0)
            * self.rng.uniform(0.85, 1.15)
            for i, day in enumerate(self._days)
        ]
        self._current_since = self.now - dt.timedelta(days=CURRENT_MODEL_SINCE_DAYS)

    # Parts ---------------------------------------------------------------------------------

    def _moments(self, count: int) -> Iterator[dt.datetime]:
        """``count`` moments of receipt, oldest first, shared out over the days by their weight.

        Oldest first, as items arrive in a live service: the table's rows then lie in the order
        of receipt, as they do in production, and reads by date behave as they would there.
        """
        rng = self.rng
        now = self.now.astimezone(clocks.LONDON)
        today = now.date()
        shares = list(accumulate(self._day_weights))
        made = 0
        for day, share in zip(self._days, shares, strict=True):
            upto = round(count * share / shares[-1])
            n, made = upto - made, upto
            if n <= 0:
                continue
            if day == today:
                elapsed = now.hour * 3600 + now.minute * 60 + now.second
                seconds = [rng.randrange(max(1, elapsed)) for _ in range(n)]
            else:
                seconds = [
                    rng.randrange(7 * 3600, 23 * 3600)
                    if rng.random() < 0.9
                    else rng.randrange(24 * 3600)
                    for _ in range(n)
                ]
            for second in sorted(seconds):
                yield dt.datetime(
                    day.year,
                    day.month,
                    day.day,
                    second // 3600,
                    second // 60 % 60,
                    second % 60,
                    tzinfo=clocks.LONDON,
                )

    def _text(self, kind: str) -> _Text:
        rng = self.rng
        pool = self._pools.get(_pick(rng, _SENTIMENTS_FOR_KIND[kind])) or self._pools.get(None)
        if not pool:
            pool = self.texts
        return pool[rng.randrange(len(pool))]

    def _identity(self, kind: str, channel: str) -> tuple[str, str, str, str] | None:
        rng = self.rng
        if channel in (Channel.PHONE, Channel.LETTER):
            share = 0.9
        elif channel == Channel.FFT_IMPORT:
            share = 0.02
        elif kind in (Kind.COMPLAINT, Kind.CONCERN):
            share = 0.55
        else:
            share = 0.12
        if rng.random() >= share:
            return None
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@example.com"
        if rng.random() < 0.25:
            email = ""
        # Ofcom's range for drama: never a real person's number.
        phone = f"07700 900{rng.randrange(1000):03d}" if rng.random() < 0.7 else ""
        nhs_number = _nhs_number(rng) if rng.random() < 0.5 else ""
        return (f"{first} {last}", email, phone, nhs_number)

    def _place(self, kind: str) -> dict[str, Any]:
        """Provider, area, service type and the routing decision, as routing would make it."""
        rng = self.rng
        directory = self.directory
        # A share of the items goes to the organisations in focus (the demo accounts' own), so
        # their queues and dashboards fill as a busy trust's or ICB's would.
        forced = None
        if directory.focus and rng.random() < self.focus_share:
            forced = rng.choice(directory.focus)
            if forced.kind == OrganisationKind.ICB:
                return self._primary_care(forced)
        roll = rng.random()
        cqc_share = _CQC_SHARE[kind]
        if roll < cqc_share:
            flag = _pick(rng, _CQC_FLAGS)
            if forced is not None:
                trust = forced
            elif flag == "mental_health_act" and directory.mental_health:
                trust = rng.choice(directory.mental_health)
            else:
                trust = directory.trust(rng)
            text, phrase, themes = rng.choice(_CQC_TEXTS[flag])
            evidence = [f'phrase: "{phrase}"', *(f"theme: {t}" for t in themes if t == flag)]
            return {
                "provider": trust,
                "area_id": trust.icb_id,
                "service_type": self._trust_service(trust),
                "handler": directory.cqc,
                "route": Route.CQC,
                "rule": _CQC_RULE[flag],
                "evidence": evidence,
                "flag": flag,
                "text": _Text(text, "", 5, themes),
            }
        roll -= cqc_share
        if roll < 0.16 and forced is None:
            return self._primary_care(directory.icb(rng))
        roll -= 0.16
        trust = forced or directory.trust(rng)
        service = self._trust_service(trust)
        trust_icb = directory.by_pk.get(trust.icb_id) if trust.icb_id else None
        context = [f"kind: {kind}", f"service type: {_SERVICE_LABEL[service]}"]
        place: dict[str, Any] = {
            "provider": trust,
            "area_id": trust.icb_id,
            "service_type": service,
            "handler": trust,
            "route": Route.TRUST,
            "rule": "trust_default",
            "evidence": ["NHS trust named; no CQC or ICB rule matched", *context],
        }
        if trust_icb is None or kind not in (Kind.COMPLAINT, Kind.CONCERN):
            return place
        if roll < 0.03:
            text, phrase, themes = rng.choice(_COMMISSIONING_TEXTS)
            place.update(
                handler=trust_icb,
                route=Route.ICB,
                rule="icb_commissioning",
                evidence=[f'phrase: "{phrase}"', *(f"theme: {t}" for t in themes)],
                text=_Text(text, "", 4, themes),
            )
        elif roll < 0.04:
            place.update(
                handler=trust_icb,
                route=Route.ICB,
                rule="icb_patient_request",
                evidence=["patient asked for the commissioner", *context],
                wants_commissioner=True,
            )
        elif roll < 0.05:
            place.update(
                provider=None,
                handler=trust_icb,
                route=Route.ICB,
                rule="icb_no_provider",
                evidence=["no NHS trust named: the commissioner handles it", *context],
            )
        return place

    def _primary_care(self, icb: _Org) -> dict[str, Any]:
        service = _pick(self.rng, _PRIMARY_SERVICE_TABLE)
        return {
            "provider": None,
            "area_id": icb.pk,
            "service_type": service,
            "handler": icb,
            "route": Route.ICB,
            "rule": "icb_primary_care",
            "evidence": [
                f"service type: {_SERVICE_LABEL[service]}",
                "primary care: the ICB handles commissioner complaints about it",
            ],
        }

    def _trust_service(self, trust: _Org) -> str:
        table = _SERVICE_TABLES.get(trust.trust_type, _SERVICE_TABLES[""])
        return str(table[0][0] if len(table[0]) == 1 else _pick(self.rng, table))

    def _themes(self, text: _Text, kind: str) -> list[tuple[str, float]]:
        rng = self.rng
        slugs = list(text.themes)
        if not slugs:
            if kind == Kind.COMPLIMENT:
                slugs = ["positive_experience"]
            elif kind in (Kind.COMPLAINT, Kind.CONCERN):
                slugs = ["negative_experience"]
            if rng.random() < 0.5:
                slugs.append(rng.choice(_THEME_SLUGS))
        # The model misses a theme now and then.
        kept = [s for s in dict.fromkeys(slugs) if rng.random() < 0.92]
        return [(slug, round(rng.uniform(0.45, 0.99), 3)) for slug in kept]

    # The item ------------------------------------------------------------------------------

    def items(self, count: int) -> Iterator[_Item]:
        for received in self._moments(count):
            yield self.item(received)

    def item(self, received: dt.datetime) -> _Item:
        rng = self.rng
        kind = _pick(rng, _KINDS)
        channel = _pick(rng, _CHANNELS[kind])
        place = self._place(kind)
        text: _Text = place.get("text") or self._text(kind)
        identity = self._identity(kind, channel)
        body = text.text
        if "wants_commissioner" in place:
            body += _PATIENT_REQUEST_SUFFIX
        extra = rng.random()
        if identity is not None and extra < 0.06:
            # Writers put their own details in the text: the export must redact them.
            name, _email, phone, _nhs = identity
            body += f" Please call me on {phone}." if phone else f" My name is {name}."
        elif extra < 0.09:
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            body += rng.choice(_IDENTIFIER_EXTRAS).format(first=first, last=last)
        question = ""
        fft_rating = None
        if channel in (Channel.FFT_IMPORT, Channel.PAPER):
            question = text.question or FFT_QUESTION
        if channel in (Channel.FFT_IMPORT, Channel.PAPER, Channel.WEB):
            fft_rating = text.fft_rating
        provider: _Org | None = place["provider"]
        values: dict[str, Any] = {
            "kind": kind,
            "channel": channel,
            "service_type": place["service_type"],
            "provider_id": provider.pk if provider else None,
            "area_id": place["area_id"],
            "wants_commissioner": "wants_commissioner" in place,
            "question": question,
            "fft_rating": fft_rating,
            "text": body,
            "received_at": received,
        }
        if kind == Kind.COMPLAINT and rng.random() < 0.7:
            # The optional KO41 questions: most complainants answer them.
            values["complainant_status"] = (
                ComplainantStatus.ON_BEHALF if rng.random() < 0.3 else ComplainantStatus.PATIENT
            )
            values["patient_age"] = _pick(rng, _PATIENT_AGE_TABLE)
        themes: list[tuple[str, float]] = []
        if received > self.now - dt.timedelta(hours=24) and rng.random() < 0.03:
            # Still in the analysis queue (a backlog while the worker was down): not routed yet.
            values["analysis_state"] = AnalysisState.QUEUED
            values["status"] = Status.RECEIVED
            return _Item(values, themes, identity)
        analysed_at = received + dt.timedelta(seconds=rng.randint(3, 120))
        if analysed_at > self.now:
            # Received in the last moments: the worker has not read it yet.
            values["analysis_state"] = AnalysisState.QUEUED
            values["status"] = Status.RECEIVED
            return _Item(values, themes, identity)
        values.update(
            analysis_state=AnalysisState.DONE, analysed_at=analysed_at, analysis_attempts=1
        )
        if rng.random() < 0.005:
            values["needs_review"] = True  # the model was unavailable: routed by the rules alone
        else:
            sentiment = text.sentiment or _pick(rng, _SENTIMENTS_FOR_KIND[kind])
            if rng.random() < 0.25:  # the model is right about 70% of the time
                sentiment = min(5, max(1, sentiment + rng.choice((-1, 1))))
            values.update(
                sentiment=sentiment,
                sentiment_label=sentiment_label(sentiment),
                sentiment_confidence=round(rng.betavariate(6, 2), 3),
                model_version=(
                    self.current_model
                    if received >= self._current_since
                    else PREVIOUS_MODEL_VERSION
                ),
            )
            themes = self._themes(text, kind)
        handler: _Org = place["handler"]
        route: str = place["route"]
        rule: str = place["rule"]
        evidence: list[str] = place["evidence"]
        flag = place.get("flag")
        if flag:
            values[_RISK_FIELD[flag]] = True
            if provider is not None and rng.random() < 0.2:
                # A CQC handler judged it a false alarm and sent it to the trust; the flag stays.
                handler, route, rule = provider, Route.TRUST, "rerouted"
                evidence = [*evidence, "rerouted by staff: no safeguarding or safety risk found"]
        elif route == Route.TRUST and rng.random() < 0.01 and provider and provider.icb_id:
            handler = self.directory.by_pk[provider.icb_id]
            route, rule = Route.ICB, "rerouted"
            evidence = [*evidence, "rerouted by staff: about a service the ICB commissions"]
        values.update(
            handled_by_id=handler.pk,
            route=route,
            route_rule=rule,
            route_evidence=evidence,
            routed_at=analysed_at,
        )
        if kind in (Kind.COMPLAINT, Kind.CONCERN):
            self._complaint_workflow(values, kind, received, handler, str(place["service_type"]))
        else:
            self._other_workflow(values, received)
        return _Item(values, themes, identity)

    def _complaint_workflow(
        self, values: dict[str, Any], kind: str, received: dt.datetime, handler: _Org, service: str
    ) -> None:
        """Clocks, then as far along received -> acknowledged -> investigating -> responded ->
        closed as the time since it arrived allows, at the handler's pace."""
        rng = self.rng
        now = self.now
        day = received.date()  # received is in London time: this is its day in England
        response_due = _response_due(
            day, handler.response_target_days, handler.response_target_working_days
        )
        statutory_due = _statutory_due(day)
        values.update(acknowledge_due=_acknowledge_due(day), statutory_due=statutory_due)
        values["status"] = Status.RECEIVED
        values["response_due"] = response_due
        if rng.random() < 0.88:
            acknowledged = received + dt.timedelta(hours=rng.uniform(0.5, 60) * handler.pace)
        else:
            acknowledged = received + dt.timedelta(days=rng.uniform(3, 12))
        if acknowledged > now:
            return
        values.update(status=Status.ACKNOWLEDGED, acknowledged_at=acknowledged)
        if rng.random() < 0.02:
            withdrawn = acknowledged + dt.timedelta(days=rng.uniform(0.5, 20))
            if withdrawn <= now:
                values.update(status=Status.WITHDRAWN, withdrawn_at=withdrawn)
                return
        started = acknowledged + dt.timedelta(hours=rng.uniform(1, 72))
        if started > now:
            return
        early = rng.random() < (0.7 if kind == Kind.CONCERN else 0.4)
        values.update(
            status=Status.INVESTIGATING,
            investigation_approach=(
                InvestigationApproach.EARLY_RESOLUTION if early else InvestigationApproach.DETAILED
            ),
        )
        if early:
            days = rng.uniform(2, 24) * handler.pace
        elif rng.random() < 0.01:
            days = rng.uniform(200, 500)  # lost in the system: long overdue
        else:
            days = rng.lognormvariate(math.log(25 * handler.pace), 0.5)
        # Never before the investigation started.
        responded = max(
            received + dt.timedelta(days=days), started + dt.timedelta(hours=rng.uniform(2, 48))
        )
        if not early and rng.random() < 0.1:
            paused = started + dt.timedelta(days=rng.uniform(1, 10))
            resumed = paused + dt.timedelta(days=rng.randint(3, 35))
            if paused <= now < resumed:
                values.update(
                    status=Status.AWAITING_COMPLAINANT,
                    paused_at=paused,
                    status_before_pause=Status.INVESTIGATING,
                )
                return
            if paused <= now:
                pause_days = (resumed.date() - paused.date()).days
                values["paused_days"] = pause_days
                response_due = response_due + dt.timedelta(days=pause_days)
                values["response_due"] = response_due
                responded = max(
                    responded + dt.timedelta(days=pause_days),
                    resumed + dt.timedelta(days=rng.uniform(1, 10)),
                )
        if days > 150 and rng.random() < 0.5:
            agreed = clocks.add_months(day, 8)
            values.update(agreed_due=agreed, statutory_due=max(statutory_due, agreed))
        if responded > now:
            return
        service_areas = (
            _PRIMARY_AREAS
            if service in PRIMARY_CARE_SERVICES
            else _AMBULANCE_AREAS
            if service
            in (ServiceType.AMBULANCE, ServiceType.NHS_111, ServiceType.PATIENT_TRANSPORT)
            else _SERVICE_AREAS.get(service, _SERVICE_AREAS[ServiceType.ACUTE])
        )
        subjects = {_pick(rng, _SUBJECTS) for _ in range(rng.randint(1, 3))}
        if handler.kind == OrganisationKind.ICB and rng.random() < 0.3:
            subjects.add(Subject.COMMISSIONING)
        values.update(
            status=Status.RESPONDED,
            responded_at=responded,
            response_text=rng.choice(_RESPONSES),
            outcome=_pick(rng, _OUTCOMES),
            ko41_subjects=sorted(subjects),
            ko41_service_area=_pick(rng, service_areas),
            ko41_profession=(
                Profession.AMBULANCE
                if service_areas is _AMBULANCE_AREAS
                else _pick(rng, _PROFESSIONS)
            ),
        )
        if responded.date() > response_due:
            values["late_reason"] = rng.choice(_LATE_REASONS)
        if rng.random() < 0.9:
            closed = responded + dt.timedelta(days=rng.uniform(0, 21))
            if closed <= now:
                values.update(status=Status.CLOSED, closed_at=closed)
                if rng.random() < 0.8:
                    values["resolved_at"] = closed

    def _other_workflow(self, values: dict[str, Any], received: dt.datetime) -> None:
        """Compliments and suggestions: no clock; most are passed on to the team and closed."""
        rng = self.rng
        values["status"] = Status.RECEIVED
        if rng.random() < 0.12:
            acknowledged = received + dt.timedelta(hours=rng.uniform(1, 72))
            if acknowledged > self.now:
                return
            values.update(status=Status.ACKNOWLEDGED, acknowledged_at=acknowledged)
        if rng.random() < 0.97:
            since = values.get("acknowledged_at") or received
            closed = since + dt.timedelta(days=rng.uniform(0.5, 30))
            if closed <= self.now:
                values.update(status=Status.CLOSED, closed_at=closed)
                if rng.random() < 0.95:
                    values["resolved_at"] = closed


# --- Writing ---------------------------------------------------------------------------------


_FEEDBACK_FIELDS = [f for f in Feedback._meta.concrete_fields if not f.primary_key]
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return _copy_text(json.dumps(value))
    return str(value)


class _Writer:
    """Writes batches of items with their themes and identities."""

    def write(self, items: list[_Item]) -> tuple[int, int]:
        raise NotImplementedError


class _OrmWriter(_Writer):
    def write(self, items: list[_Item]) -> tuple[int, int]:
        with transaction.atomic():
            made = Feedback.objects.bulk_create([Feedback(**item.values) for item in items])
            if any(f.pk is None for f in made):  # a database that does not return new keys
                by_token = dict(
                    Feedback.objects.filter(
                        tracking_token__in=[f.tracking_token for f in made]
                    ).values_list("tracking_token", "pk")
                )
                for f in made:
                    f.pk = by_token[f.tracking_token]
            themes = [
                FeedbackTheme(feedback_id=f.pk, theme=slug, score=score)
                for f, item in zip(made, items, strict=True)
                for slug, score in item.themes
            ]
            identities = [
                Identity(feedback_id=f.pk, name=i[0], email=i[1], phone=i[2], nhs_number=i[3])
                for f, item in zip(made, items, strict=True)
                if (i := item.identity) is not None
            ]
            FeedbackTheme.objects.bulk_create(themes)
            Identity.objects.bulk_create(identities)
        return len(themes), len(identities)


class _CopyWriter(_Writer):
    """PostgreSQL: keys taken from the table's sequence up front, then three COPY statements."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        self.table = Feedback._meta.db_table
        columns = ", ".join(quote(c) for c in ["id", *(str(f.column) for f in _FEEDBACK_FIELDS)])
        self.copy_feedback = f"COPY {quote(self.table)} ({columns}) FROM STDIN"
        self.copy_themes = (
            f"COPY {quote(FeedbackTheme._meta.db_table)} (feedback_id, theme, score) FROM STDIN"
        )
        self.copy_identities = (
            f"COPY {quote(Identity._meta.db_table)} "
            "(feedback_id, name, email, phone, nhs_number) FROM STDIN"
        )
        # Each row starts as the model's defaults; an item overwrites the cells it sets.
        self.position = {f.attname: i for i, f in enumerate(_FEEDBACK_FIELDS)}
        self.template = [
            _copy_text(None if f.null and not f.has_default() else f.get_default())
            if f.attname != "tracking_token"
            else ""
            for f in _FEEDBACK_FIELDS
        ]
        self.token_cell = self.position["tracking_token"]

    def write(self, items: list[_Item]) -> tuple[int, int]:
        position = self.position
        template = self.template
        token_cell = self.token_cell
        token = secrets.token_urlsafe
        lines: list[str] = []
        theme_lines: list[str] = []
        identity_lines: list[str] = []
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.table, len(items)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            for pk, item in zip(ids, items, strict=True):
                cells = template.copy()
                cells[token_cell] = token(32)
                for name, value in item.values.items():
                    cells[position[name]] = _copy_text(value)
                lines.append(f"{pk}\t" + "\t".join(cells) + "\n")
                for slug, score in item.themes:
                    theme_lines.append(f"{pk}\t{slug}\t{score}\n")
                if item.identity is not None:
                    identity_lines.append(
                        f"{pk}\t" + "\t".join(map(_copy_text, item.identity)) + "\n"
                    )
            raw = cursor.cursor
            raw.copy_expert(self.copy_feedback, io.StringIO("".join(lines)))
            if theme_lines:
                raw.copy_expert(self.copy_themes, io.StringIO("".join(theme_lines)))
            if identity_lines:
                raw.copy_expert(self.copy_identities, io.StringIO("".join(identity_lines)))
        return len(theme_lines), len(identity_lines)


def _current_model_version() -> str:
    try:
        manifest = json.loads(
            (Path(settings.ANALYSIS_ARTIFACTS_DIR) / MANIFEST_FILE).read_text(encoding="utf-8")
        )
        return str(manifest["model_version"])
    except (OSError, ValueError, KeyError):
        return "minilm-l6-heads-current"


def _batches(generator: _Generator, count: int, size: int) -> Iterator[list[_Item]]:
    items = generator.items(count)
    while batch := list(islice(items, size)):
        yield batch


def feedback_generate(
    *,
    count: int,
    seed: int,
    years: int = DEFAULT_YEARS,
    batch_size: int | None = None,
    now: dt.datetime | None = None,
    fft_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    focus: Sequence[str] = (),
    focus_share: float = 0.0,
) -> GenerateResult:
    """Make ``count`` synthetic items received over the last ``years`` years; see the module."""
    if count < 1:
        raise SyntheticDataError("The count must be at least 1.")
    if not 1 <= years <= 10:
        raise SyntheticDataError("Years must be between 1 and 10.")
    began = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
    if not 0 <= focus_share <= 1:
        raise SyntheticDataError("The focus share must be between 0 and 1.")
    directory = _Directory(rng, focus)
    texts = _fft_texts(fft_path or FFT_PATH)
    texts_from = "fft" if texts else "synthetic"
    if not texts:
        texts = _synthetic_texts(rng)
    generator = _Generator(
        rng=rng,
        directory=directory,
        texts=texts,
        now=now or timezone.now(),
        years=years,
        current_model=_current_model_version(),
        focus_share=focus_share if focus else 0.0,
    )
    postgres = connection.vendor == "postgresql"
    writer: _Writer = _CopyWriter() if postgres else _OrmWriter()
    size = batch_size or (DEFAULT_BATCH_SIZE if postgres else SQLITE_BATCH_SIZE)
    made = themes = identities = 0
    for batch in _batches(generator, count, size):
        t, i = writer.write(batch)
        made += len(batch)
        themes += t
        identities += i
        if progress is not None:
            progress(made)
    if postgres:
        with connection.cursor() as cursor:
            # Fresh planner statistics: a million new rows change every plan on these tables.
            for model in (Feedback, FeedbackTheme, Identity):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return GenerateResult(
        items=made,
        themes=themes,
        identities=identities,
        seconds=time.perf_counter() - began,
        seed=seed,
        texts_from=texts_from,
    )
