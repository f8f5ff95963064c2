"""Scores for the analyser's outputs against NHS staff labels: sentiment, themes, risks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from analytics.ml.heads import SENTIMENT_CLASSES

THREE_WAY = ("positive", "neutral", "negative")


def to_three_way(sentiment: np.ndarray) -> np.ndarray:
    """0 positive (1-2), 1 neutral or mixed (3), 2 negative (4-5)."""
    return np.where(sentiment <= 2, 0, np.where(sentiment == 3, 1, 2))


def macro_f1(true: np.ndarray, predicted: np.ndarray, classes: int, *, offset: int = 0) -> float:
    """Macro-F1 over ``classes`` labels ``offset`` ... ``offset + classes - 1``, fast (numpy).

    The same number as sklearn's ``f1_score(average="macro", zero_division=0)`` with those labels,
    for loops that score thousands of candidate decisions.
    """
    t = np.asarray(true) - offset
    p = np.asarray(predicted) - offset
    tp = np.bincount(t[t == p], minlength=classes)[:classes].astype(float)
    support = np.bincount(t, minlength=classes)[:classes]
    called = np.bincount(p, minlength=classes)[:classes]
    denominator = support + called
    f1 = np.divide(2 * tp, denominator, out=np.zeros(classes), where=denominator > 0)
    return float(f1.mean())


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins, by count."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            gap += in_bin.mean() * abs(confidence[in_bin].mean() - correct[in_bin].mean())
    return float(gap)


def sentiment_scores(
    true: np.ndarray, predicted: np.ndarray, confidence: np.ndarray | None = None
) -> dict[str, Any]:
    """5-point and 3-way scores; ``true`` and ``predicted`` hold 1-5."""
    classes = list(SENTIMENT_CLASSES)
    per_class = f1_score(true, predicted, labels=classes, average=None, zero_division=0)
    true3, pred3 = to_three_way(true), to_three_way(predicted)
    per_class3 = f1_score(true3, pred3, labels=[0, 1, 2], average=None, zero_division=0)
    scores: dict[str, Any] = {
        "n": len(true),
        "macro_f1": float(
            f1_score(true, predicted, labels=classes, average="macro", zero_division=0)
        ),
        "accuracy": float(accuracy_score(true, predicted)),
        "per_class_f1": {str(c): float(f) for c, f in zip(classes, per_class, strict=True)},
        "support": {str(c): int((true == c).sum()) for c in classes},
        "confusion": confusion_matrix(true, predicted, labels=classes).tolist(),
        "three_way_macro_f1": float(
            f1_score(true3, pred3, labels=[0, 1, 2], average="macro", zero_division=0)
        ),
        "three_way_accuracy": float(accuracy_score(true3, pred3)),
        "three_way_per_class_f1": {
            name: float(f) for name, f in zip(THREE_WAY, per_class3, strict=True)
        },
    }
    if confidence is not None:
        scores["expected_calibration_error"] = expected_calibration_error(
            confidence, (true == predicted).astype(float)
        )
    return scores


def theme_scores(
    true: np.ndarray, predicted: np.ndarray, slugs: Sequence[str], emitted: Sequence[str]
) -> dict[str, Any]:
    """Multi-label scores over every framework theme (``slugs``, columns of the matrices).

    Micro-F1 counts every theme, so positives of themes the model does not emit count as misses;
    macro-F1 is given over the emitted themes and over all themes with a positive in ``true``.
    """
    emitted_cols = [slugs.index(s) for s in emitted]
    present_cols = [j for j in range(len(slugs)) if true[:, j].any()]
    per_theme = {}
    for j, slug in enumerate(slugs):
        if j in emitted_cols or true[:, j].any():
            per_theme[slug] = {
                "f1": float(f1_score(true[:, j], predicted[:, j], zero_division=0)),
                "precision": float(precision_score(true[:, j], predicted[:, j], zero_division=0)),
                "recall": float(recall_score(true[:, j], predicted[:, j], zero_division=0)),
                "support": int(true[:, j].sum()),
                "emitted": slug in emitted,
            }

    def macro(cols: list[int]) -> float:
        if not cols:
            return 0.0
        return float(f1_score(true[:, cols], predicted[:, cols], average="macro", zero_division=0))

    return {
        "n": int(true.shape[0]),
        "micro_f1": float(f1_score(true, predicted, average="micro", zero_division=0)),
        "micro_precision": float(
            precision_score(true, predicted, average="micro", zero_division=0)
        ),
        "micro_recall": float(recall_score(true, predicted, average="micro", zero_division=0)),
        "macro_f1_emitted": macro(emitted_cols),
        "macro_f1_present": macro(present_cols),
        "per_theme": per_theme,
    }


def risk_scores(true: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, Any]:
    """Precision and recall at the routing threshold, and average precision (a ranking score)."""
    flagged = probability >= threshold
    positives = int(true.sum())
    return {
        "positives": positives,
        "flagged": int(flagged.sum()),
        "threshold": threshold,
        "precision": float(precision_score(true, flagged, zero_division=0)),
        "recall": float(recall_score(true, flagged, zero_division=0)) if positives else None,
        "average_precision": float(average_precision_score(true, probability))
        if positives
        else None,
        "positive_probabilities": sorted(
            (round(float(p), 4) for p in probability[true == 1]), reverse=True
        ),
    }


def theme_matrix(results: Sequence[Any]) -> np.ndarray:
    """0/1 matrix (len(results), len(THEME_SLUGS)) of the themes each analyser result reports."""
    from analytics.themes import THEME_SLUGS

    column = {slug: j for j, slug in enumerate(THEME_SLUGS)}
    predicted = np.zeros((len(results), len(THEME_SLUGS)), dtype=np.int64)
    for row, result in enumerate(results):
        for slug, _ in result.themes:
            predicted[row, column[slug]] = 1
    return predicted


# Routing's risk detection (``analytics.ml.routing.detect_risks``), handed in by the caller: the
# training and comparison reports add risk flags only when asked to.
DetectRisks = Callable[..., Mapping[str, Any]]


def risk_flag_scores(
    texts: Sequence[str], results: Sequence[Any], truth: np.ndarray, detect_risks: DetectRisks
) -> dict[str, Any]:
    """Recall and precision of the CQC risk flags as routing raises them: model plus phrase rules.

    ``truth`` is the theme matrix (columns in THEME_SLUGS order); the safeguarding and Mental
    Health Act columns are the labels. Serious risk has no label in the data: only how often it
    is raised is reported.
    """
    from analytics.themes import THEME_SLUGS

    raised = [
        detect_risks(
            text,
            themes=[slug for slug, _ in result.themes],
            risk_scores=result.risk_scores,
        )
        for text, result in zip(texts, results, strict=True)
    ]
    rules_only = [detect_risks(text) for text in texts]
    out: dict[str, Any] = {}
    for flag in ("safeguarding", "mental_health_act", "serious_risk"):
        flagged = np.array([flag in r for r in raised])
        by_rules = np.array([flag in r for r in rules_only])
        entry: dict[str, Any] = {
            "flagged": int(flagged.sum()),
            "flagged_by_rules": int(by_rules.sum()),
        }
        if flag in THEME_SLUGS:
            label = truth[:, THEME_SLUGS.index(flag)].astype(bool)
            positives = int(label.sum())
            entry["positives"] = positives
            for name, mask in (("", flagged), ("rules_only_", by_rules)):
                hits = int((mask & label).sum())
                entry[f"{name}recall"] = hits / positives if positives else None
                entry[f"{name}precision"] = hits / int(mask.sum()) if mask.any() else None
        out[flag] = entry
    return out
