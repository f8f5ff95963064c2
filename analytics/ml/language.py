"""Which language a piece of feedback is written in, and whether the reader can read it.

A pure module of the reader package: no Django, no database. The reader (sentiment, themes, the
triage reader) was trained on English; on anything else its sentence is a confident-looking guess.
The worker asks this module first and, for text in another language, keeps the reader's reading
out of the item: the patient's answers route it, and a reader of that language is asked for.

The detector is Lingua (``lingua-language-detector``, ADR 0022), restricted to English, the
languages most written to the NHS in England besides it (Welsh and the main languages of the
2021 census) and a few more, so that a language it was not given is not forced onto one of the
eight. Loaded once a process.

Short or uncertain text counts as English: a patient's journey is in English or Welsh, a
three-word Latin-script comment cannot be told apart reliably, and a false alarm takes a good
English reading away from an item. Text mostly in a script English is never written in (Arabic,
Gurmukhi, Bengali, ...) is trusted at any length.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

ENGLISH = "en"
# The languages the reader reads. Only English: Welsh is not read either (the model never saw it).
READABLE: frozenset[str] = frozenset({ENGLISH})

# ISO 639-1 code -> the name staff read. The eight the issue names first (Welsh, then the largest
# main languages other than English in England and Wales, 2021 census), then common others.
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "en": "English",
        "cy": "Welsh",
        "pl": "Polish",
        "ur": "Urdu",
        "pa": "Punjabi",
        "bn": "Bengali",
        "ar": "Arabic",
        "ro": "Romanian",
        "pt": "Portuguese",
        "es": "Spanish",
        "it": "Italian",
        "fr": "French",
        "de": "German",
        "lt": "Lithuanian",
        "gu": "Gujarati",
        "hi": "Hindi",
        "ta": "Tamil",
        "tr": "Turkish",
        "so": "Somali",
        "zh": "Chinese",
    }
)

# How sure the detector must be that a Latin-script text is not English (1 - its confidence in
# English; confidences are relative among the languages above) before it is taken as another.
# Chosen on the tuning half of evaluation/language (even ids) by bench/language.py, which
# reports it on the held-out half and the whole set once (bench/results/language.md).
CONFIDENCE_THRESHOLD = 0.95
# Fewer words than this in a Latin script: English whatever the detector says.
MIN_WORDS = 3
# The share of a text's letters outside the Latin script above which its detection is trusted at
# any length and confidence (English is not written in Arabic, Gurmukhi or Bengali letters).
OTHER_SCRIPT_SHARE = 0.5


@dataclass(frozen=True)
class LanguageReading:
    """What the detector made of one text.

    ``code``: the language taken (ISO 639-1), English when short or uncertain; ``confidence``:
    the detector's confidence in that language; ``detected``: its first choice before the rules
    above (what an uncertain text looked most like), for the audit trail.
    """

    code: str
    confidence: float
    detected: str

    @property
    def readable(self) -> bool:
        return self.code in READABLE

    @property
    def name(self) -> str:
        return language_name(self.code)


def language_name(code: str) -> str:
    """The English name of a language code ("pl" -> "Polish"); the code itself if unknown."""
    return LANGUAGE_NAMES.get(code, code)


def _lingua_languages(codes: Iterable[str]) -> list[object]:
    from lingua import IsoCode639_1, Language

    return [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]


def build_detector(
    codes: Iterable[str] = tuple(LANGUAGE_NAMES), *, low_accuracy: bool = False
) -> LanguageDetector:
    """A Lingua detector for these languages, its models loaded now (not on the first item)."""
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(
        *_lingua_languages(codes)  # type: ignore[arg-type]
    ).with_preloaded_language_models()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


@functools.cache
def detector() -> LanguageDetector:
    """The process's detector (0.4 GB, seconds to load: bench/results/language.md)."""
    return build_detector()


def _other_script_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    other = sum(1 for c in letters if not unicodedata.name(c, "LATIN").startswith("LATIN"))
    return other / len(letters)


def decide(
    text: str,
    scores: Sequence[tuple[str, float]],
    *,
    threshold: float = CONFIDENCE_THRESHOLD,
    min_words: int = MIN_WORDS,
) -> LanguageReading:
    """The language taken for ``text`` from the detector's scores (best first, codes 0..1).

    Split from ``detect_language`` so the bench can try thresholds on one set of scores."""
    english = dict(scores).get(ENGLISH, 0.0)
    if not scores:
        return LanguageReading(ENGLISH, english, "")
    best, confidence = scores[0]
    if best == ENGLISH:
        return LanguageReading(ENGLISH, confidence, best)
    if _other_script_share(text) > OTHER_SCRIPT_SHARE:
        return LanguageReading(best, confidence, best)
    words = sum(1 for w in text.split() if any(c.isalpha() for c in w))
    # The question is whether the reader can read it: the detector's confidence that it is not
    # English, not its confidence in one language (a short Romanian comment splits its score
    # with Italian and Portuguese, and is still plainly not English).
    if words < min_words or 1.0 - english < threshold:
        return LanguageReading(ENGLISH, english, best)
    return LanguageReading(best, confidence, best)


def language_scores(text: str, model: LanguageDetector | None = None) -> list[tuple[str, float]]:
    """The detector's confidence for each language, best first ([] for text with no letters)."""
    if not any(c.isalpha() for c in text):
        return []
    values = (model or detector()).compute_language_confidence_values(text)
    return [(v.language.iso_code_639_1.name.lower(), v.value) for v in values]


def detect_language(text: str) -> LanguageReading:
    """The language ``text`` is written in, English when too short or uncertain to tell."""
    return decide(text, language_scores(text))


def detect_languages(texts: Sequence[str]) -> list[LanguageReading]:
    """``detect_language`` for each text, one after the other: a fraction of a millisecond each,
    and Lingua's parallel variant would start threads of its own beside the worker's torch."""
    model = detector()
    return [decide(text, language_scores(text, model)) for text in texts]
