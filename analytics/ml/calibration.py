"""Fitting the analyser's heads and calibration: temperature, class offsets, Platt scaling,
thresholds and the themes' logistic regressions.

Training (analytics.ml.training) fits all of these on out-of-fold predictions of the training
portion, never on the held-out rows; the triage reader and the baselines reuse the threshold and
Platt fitting. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize, minimize_scalar
from sklearn.linear_model import LogisticRegression

from analytics.ml import evaluation
from analytics.ml.analyser import RISK_HEADS
from analytics.ml.heads import SENTIMENT_CLASSES, sigmoid, softmax
from analytics.ml.runtime import available_cores
from analytics.themes import THEME_SLUGS

MAX_ITER = 3000
# Sentiment class offsets are searched on this grid, one class at a time, a few rounds.
OFFSET_GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)
OFFSET_ROUNDS = 3


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.asarray(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``y`` (1-5) under softmax."""
    rows = np.arange(len(y))

    def nll(log_t: float) -> float:
        return float(-_log_softmax(logits / np.exp(log_t))[rows, y - 1].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling ``sigmoid(a * z + b)`` fitted to ``y`` with Platt's smoothed targets.

    The smoothing ((positives + 1) / (positives + 2)) keeps a head with a handful of positives
    from promising certainty it cannot have.
    """
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = params
        s = a * z + b
        # log(1 + e^s) - t * s is the cross-entropy, written to stay finite for large |s|.
        value = np.logaddexp(0.0, s) - target * s
        grad_s = 0.5 * (1.0 + np.tanh(0.5 * s)) - target
        return float(value.sum()), np.array([(grad_s * z).sum(), grad_s.sum()])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def tune_threshold(probability: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The probability threshold that maximises F1 on these rows; (threshold, F1).

    The threshold sits halfway between the last probability kept and the next one down, so it
    does not hug one training example. NaN when there is no positive to find.
    """
    positives = int(y.sum())
    if positives == 0:
        return float("nan"), 0.0
    order = np.argsort(-probability, kind="stable")
    p_sorted, y_sorted = probability[order], y[order]
    true_positives = np.cumsum(y_sorted)
    kept = np.arange(1, len(y) + 1)
    f1 = 2 * true_positives / (kept + positives)
    # Only cut where the probability changes, or tied rows would be split.
    cut_ok = np.append(p_sorted[:-1] > p_sorted[1:], True)
    f1 = np.where(cut_ok, f1, -1.0)
    best = int(np.argmax(f1))
    below = p_sorted[best + 1] if best + 1 < len(p_sorted) else 0.0
    return float((p_sorted[best] + below) / 2), float(f1[best])


def threshold_for_recall(probability: np.ndarray, y: np.ndarray, recall: float) -> float | None:
    """The highest threshold whose recall on these rows is at least ``recall``."""
    positive_scores = np.sort(probability[y == 1])[::-1]
    if len(positive_scores) == 0:
        return None
    needed = int(np.ceil(recall * len(positive_scores)))
    return float(positive_scores[needed - 1])


def tune_offsets(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-class logit offsets that maximise 5-point plus 3-way macro-F1 of argmax on these rows.

    Class-weighted training still under-predicts the rare classes (3 and 5) at argmax; a shift
    per class, searched one class at a time on a fixed grid, moves the decision boundaries without
    retraining. Class 1's offset stays 0 (only differences matter). Returns (offsets, objective).
    """
    offsets = np.zeros(len(SENTIMENT_CLASSES))
    true3 = evaluation.to_three_way(y)

    def objective(candidate: np.ndarray) -> float:
        predicted = (logits + candidate).argmax(axis=1) + 1
        return evaluation.macro_f1(y, predicted, 5, offset=1) + evaluation.macro_f1(
            true3, evaluation.to_three_way(predicted), 3
        )

    best = objective(offsets)
    for _ in range(OFFSET_ROUNDS):
        improved = False
        for cls in range(1, len(SENTIMENT_CLASSES)):
            for value in OFFSET_GRID:
                candidate = offsets.copy()
                candidate[cls] = value
                score = objective(candidate)
                # Strictly better only: ties keep the smaller shift found first.
                if score > best + 1e-12:
                    best, offsets, improved = score, candidate, True
        if not improved:
            break
    return offsets, best


def fit_binary(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression for one theme; (weights (dim,), bias)."""
    if y.min() == y.max():
        # Nothing to learn from one class: a constant, confident logit.
        return np.zeros(x.shape[1]), 10.0 if y[0] else -10.0
    model = LogisticRegression(C=c, max_iter=MAX_ITER, class_weight="balanced")
    model.fit(x, y)
    return model.coef_[0].copy(), float(model.intercept_[0])


def fit_binary_heads(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per column of ``y``: (weights (k, dim), biases (k,))."""
    fitted = Parallel(n_jobs=available_cores(), prefer="threads")(
        delayed(fit_binary)(x, y[:, j], c) for j in range(y.shape[1])
    )
    weights = np.array([w for w, _ in fitted]).reshape(y.shape[1], x.shape[1])
    return weights, np.array([b for _, b in fitted], dtype=np.float64)


# --- which themes get a head ------------------------------------------------------------------


@dataclass(frozen=True)
class HeadColumns:
    """The themes the fine-tuned model learns, for the training rows."""

    head_cols: list[int]  # columns of THEME_SLUGS with a theme output
    emitted: np.ndarray  # bool per head column: may be reported as a theme
    skipped: dict[str, str]


def head_columns(
    themes: np.ndarray, *, min_theme_positives: int, min_risk_positives: int
) -> HeadColumns:
    """Themes with enough positives, plus the risk themes with any positives at all."""
    positives = themes.sum(axis=0)
    cols: list[int] = []
    emitted: list[bool] = []
    skipped: dict[str, str] = {}
    risk_slugs = set(RISK_HEADS.values())
    for j, slug in enumerate(THEME_SLUGS):
        n = int(positives[j])
        if n >= min_theme_positives:
            cols.append(j)
            emitted.append(True)
        elif slug in risk_slugs and n >= min_risk_positives:
            cols.append(j)
            emitted.append(False)
            skipped[slug] = f"{n} training positives: scored as a risk only, never as a theme"
        else:
            skipped[slug] = f"{n} training positives (fewer than {min_theme_positives})"
    return HeadColumns(cols, np.array(emitted, dtype=bool), skipped)


# --- calibration from out-of-fold predictions -------------------------------------------------


@dataclass(frozen=True)
class SentimentCalibration:
    offsets: np.ndarray
    temperature: float
    oof_scores: dict[str, Any]
    oof_argmax_scores: dict[str, Any]


def calibrate_sentiment(logits: np.ndarray, sentiment: np.ndarray) -> SentimentCalibration:
    """Class offsets and temperature from out-of-fold logits of the labelled training rows."""
    labelled = sentiment > 0
    logits, y = logits[labelled], sentiment[labelled]
    argmax = evaluation.sentiment_scores(y, logits.argmax(axis=1) + 1)
    offsets, _ = tune_offsets(logits, y)
    temperature = fit_temperature(logits + offsets, y)
    proba = softmax((logits + offsets) / temperature)
    scores = evaluation.sentiment_scores(y, proba.argmax(axis=1) + 1, proba.max(axis=1))
    return SentimentCalibration(offsets, temperature, scores, argmax)


@dataclass(frozen=True)
class ThemeCalibration:
    c: float
    platt: list[tuple[float, float]]
    thresholds: np.ndarray  # NaN where not emitted
    oof_scores: dict[str, Any]
    oof_risks: dict[str, Any]


def calibrate_themes(
    c: float,
    theme_logits: np.ndarray,
    themes: np.ndarray,
    labels: HeadColumns,
    risk_threshold: float,
) -> ThemeCalibration:
    """Platt scaling and F1 thresholds from out-of-fold theme logits of the training rows."""
    k = len(labels.head_cols)
    platt = [fit_platt(theme_logits[:, j], themes[:, j]) for j in range(k)]
    thresholds = np.full(k, np.nan)
    probability = np.zeros_like(theme_logits)
    for j, (a, b) in enumerate(platt):
        probability[:, j] = sigmoid(a * theme_logits[:, j] + b)
        threshold, f1 = tune_threshold(probability[:, j], themes[:, j])
        if labels.emitted[j] and f1 > 0:
            thresholds[j] = threshold
    predicted = np.zeros((len(themes), len(THEME_SLUGS)), dtype=np.int64)
    truth = np.zeros_like(predicted)
    for j, col in enumerate(labels.head_cols):
        truth[:, col] = themes[:, j]
        if np.isfinite(thresholds[j]):
            predicted[:, col] = probability[:, j] >= thresholds[j]
    emitted = [THEME_SLUGS[c] for j, c in enumerate(labels.head_cols) if np.isfinite(thresholds[j])]
    scores = evaluation.theme_scores(truth, predicted, list(THEME_SLUGS), emitted)
    scores.pop("per_theme")
    slugs = [THEME_SLUGS[col] for col in labels.head_cols]
    risks: dict[str, Any] = {}
    for key, slug in RISK_HEADS.items():
        if slug in slugs:
            j = slugs.index(slug)
            risks[key] = evaluation.risk_scores(themes[:, j], probability[:, j], risk_threshold)
            risks[key]["threshold_for_recall_0_9"] = threshold_for_recall(
                probability[:, j], themes[:, j], 0.9
            )
    return ThemeCalibration(c, platt, thresholds, scores, risks)


@dataclass(frozen=True)
class OutOfFold:
    """What the out-of-fold predictions of the training portion fitted and scored."""

    sentiment: SentimentCalibration
    themes: ThemeCalibration  # at the chosen C
    themes_tried: list[dict[str, Any]]  # each C of the grid with its out-of-fold micro-F1
    # Sentiment scores of the same rows read without their service and rating.
    sentiment_without_context: dict[str, Any]
