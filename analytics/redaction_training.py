"""Training the learnt name and address recogniser (``redaction_learnt``) on marked texts.

Each word of each marked text is labelled NAME, ADDRESS or neither by the marks it lies in; the
frozen base model's states and the word's hand features are fitted by a class-balanced logistic
regression. Five folds (by text) give every word an out-of-fold probability; on those, the
cut-offs are chosen that give the highest recall of direct identifiers for the product's whole
redaction (rules and this recogniser together) while its precision stays at or above
``MIN_PRECISION``. The final model is fitted on every text with the regularisation and cut-offs
chosen out of fold.

No Django here: marked texts in; the model, its out-of-fold scores and the rule-only scores out.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.redaction_learnt import (
    CLASSES,
    ENTITY,
    Word,
    WordModel,
    WordReader,
    beside_rules,
    spans_from,
)
from analytics.redaction_scoring import DIRECT, MarkedText, RedactionScores, score

FOLDS = 5
SEED = "patientview-redaction-v1"
MIN_PRECISION = 0.85
CUTOFF_GRID = tuple(round(x, 2) for x in np.arange(0.30, 0.96, 0.05))
C_GRID = (0.05, 0.2, 1.0)

Finder = Callable[[str], Sequence[tuple[int, int, str]]]


def word_labels(item: MarkedText, words: Sequence[Word]) -> np.ndarray:
    """The class index of each word: the kind of the mark it lies in (NAME, ADDRESS), else O."""
    labels = np.zeros(len(words), dtype=np.int64)
    for i, word in enumerate(words):
        for start, end, kind in item.spans:
            if kind in CLASSES and word.start < end and start < word.end:
                labels[i] = CLASSES.index(kind)
    return labels


def fold_of(ident: str) -> int:
    return int(hashlib.sha256(f"{SEED}:{ident}".encode()).hexdigest()[:8], 16) % FOLDS


@dataclass
class Prepared:
    items: list[MarkedText]
    words: list[list[Word]]
    features: list[np.ndarray]
    labels: list[np.ndarray]


def prepare(items: Sequence[MarkedText], reader: WordReader, batch: int = 16) -> Prepared:
    words: list[list[Word]] = []
    features: list[np.ndarray] = []
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        for w, f in reader.features([i.text for i in chunk]):
            words.append(w)
            features.append(f)
    labels = [word_labels(i, w) for i, w in zip(items, words, strict=True)]
    return Prepared(list(items), words, features, labels)


def fit(features: np.ndarray, labels: np.ndarray, c: float, layers: tuple[int, ...]) -> WordModel:
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    model.fit((features - mean) / scale, labels)
    # Classes the data lacks (no address in a small set) still get a row, never chosen.
    coef = np.full((len(CLASSES), features.shape[1]), 0.0, dtype=np.float32)
    intercept = np.full(len(CLASSES), -30.0, dtype=np.float32)
    for row, cls in enumerate(model.classes_):
        coef[int(cls)] = model.coef_[row]
        intercept[int(cls)] = model.intercept_[row]
    return WordModel(mean, scale, coef, intercept, layers, cutoffs={})


def _stack(prepared: Prepared, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    feats = [prepared.features[i] for i in indices if len(prepared.words[i])]
    labels = [prepared.labels[i] for i in indices if len(prepared.words[i])]
    return np.vstack(feats), np.concatenate(labels)


def out_of_fold(prepared: Prepared, c: float, layers: tuple[int, ...]) -> list[np.ndarray]:
    """Each text's word probabilities from a model fitted on the other folds."""
    folds = [fold_of(item.id) for item in prepared.items]
    probabilities: list[np.ndarray] = [np.zeros((0, len(CLASSES)))] * len(prepared.items)
    for fold in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != fold]
        model = fit(*_stack(prepared, train), c, layers)
        for i, f in enumerate(folds):
            if f == fold and len(prepared.words[i]):
                probabilities[i] = model.probabilities(prepared.features[i])
    return probabilities


def combined_scores(
    prepared: Prepared,
    probabilities: Sequence[np.ndarray],
    rule_spans: Sequence[Sequence[tuple[int, int, str]]],
    cutoffs: dict[str, float],
) -> RedactionScores:
    """The product's redaction scored: the rules' spans and the learnt ones together."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    for i, item in enumerate(prepared.items):
        learnt = (
            spans_from(item.text, prepared.words[i], probabilities[i], cutoffs)
            if len(prepared.words[i])
            else []
        )
        extra = [(s, e, ENTITY[k]) for s, e, k in learnt]
        found[item.text] = [*rule_spans[i], *beside_rules(rule_spans[i], extra)]
    return score(prepared.items, lambda text: found[text])


def choose_cutoffs(
    prepared: Prepared,
    probabilities: Sequence[np.ndarray],
    rule_spans: Sequence[Sequence[tuple[int, int, str]]],
) -> tuple[dict[str, float], RedactionScores]:
    """The cut-offs with the best direct-identifier recall at precision >= MIN_PRECISION
    (ties: the higher precision)."""
    best: tuple[float, float] | None = None
    chosen: tuple[dict[str, float], RedactionScores] | None = None
    for name_cut, address_cut in itertools.product(CUTOFF_GRID, CUTOFF_GRID):
        cutoffs = {"NAME": name_cut, "ADDRESS": address_cut}
        scores = combined_scores(prepared, probabilities, rule_spans, cutoffs)
        if scores.precision < MIN_PRECISION:
            continue
        key = (scores.kind_recall(DIRECT), scores.precision)
        if best is None or key > best:
            best, chosen = key, (cutoffs, scores)
    if chosen is None:
        cutoffs = {"NAME": CUTOFF_GRID[-1], "ADDRESS": CUTOFF_GRID[-1]}
        return cutoffs, combined_scores(prepared, probabilities, rule_spans, cutoffs)
    return chosen


@dataclass
class Trained:
    model: WordModel
    c: float
    oof: RedactionScores
    rules_only: RedactionScores
    by_c: dict[float, tuple[float, float]]  # C -> (recall, precision) out of fold


def train(
    items: Sequence[MarkedText],
    rule_find_many: Callable[[Sequence[str]], list[list[tuple[int, int, str]]]],
    reader: WordReader,
    log: Callable[[str], Any] = print,
) -> Trained:
    prepared = prepare(items, reader)
    log(f"{len(items)} texts, {sum(len(w) for w in prepared.words)} words read")
    rule_spans = rule_find_many([i.text for i in prepared.items])
    by_text = dict(zip([i.text for i in prepared.items], rule_spans, strict=True))
    rules_only = score(prepared.items, by_text.__getitem__)
    log(f"rules alone: recall {rules_only.kind_recall(DIRECT):.3f}, "
        f"precision {rules_only.precision:.3f}")  # fmt: skip
    by_c: dict[float, tuple[float, float]] = {}
    best: tuple[float, dict[str, float], RedactionScores] | None = None
    for c in C_GRID:
        probabilities = out_of_fold(prepared, c, reader.layers)
        cutoffs, scores = choose_cutoffs(prepared, probabilities, rule_spans)
        by_c[c] = (scores.kind_recall(DIRECT), scores.precision)
        log(f"C={c}: out of fold recall {by_c[c][0]:.3f}, precision {by_c[c][1]:.3f}, {cutoffs}")
        if best is None or by_c[c] > (best[2].kind_recall(DIRECT), best[2].precision):
            best = (c, cutoffs, scores)
    if best is None:
        raise ValueError("no regularisation was tried")
    c, cutoffs, oof = best
    features, labels = _stack(prepared, range(len(prepared.items)))
    final = fit(features, labels, c, reader.layers)
    model = WordModel(final.mean, final.scale, final.coef, final.intercept, reader.layers, cutoffs)
    return Trained(model, c, oof, rules_only, by_c)
