"""The two baselines ``evaluate_models`` compares the analyser with, fitted on the training portion.

- Frozen all-MiniLM-L6-v2: the model's ordinary sentence embedding of the comment (no question,
  no tuning) with class-balanced logistic regression for sentiment and one per theme, each theme's
  threshold chosen by cross-validation on the training portion.
- VADER (a lexicon and rules, no training): its compound score in [-1, 1] cut into the 5-point and
  the 3-way scale at thresholds that maximise macro-F1 on the training portion.

Neither ever sees a held-out row while it is fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from analytics.ml import evaluation
from analytics.ml.calibration import tune_threshold

# Fixed, not tuned: a baseline, and the held-out split must never choose anything.
FROZEN_C = 2.0
THEME_FOLDS = 3
MAX_ITER = 2000
# Cut points for VADER are searched among these quantiles of the training scores.
VADER_QUANTILES = np.linspace(0.0, 1.0, 81)


@dataclass(frozen=True)
class BaselinePredictions:
    """What a baseline says about the held-out rows."""

    sentiment: np.ndarray  # 1-5
    themes: np.ndarray | None  # (n, len(THEME_SLUGS)) 0/1; None when the baseline has no themes
    emitted: list[str]  # theme slugs it can report


def frozen_minilm_lr(
    train_x: np.ndarray,
    train_sentiment: np.ndarray,
    train_themes: np.ndarray,
    held_x: np.ndarray,
    slugs: Sequence[str],
    *,
    min_positives: int = 10,
    seed: int = 0,
) -> BaselinePredictions:
    """Logistic regression on frozen sentence embeddings (rows x dims, float)."""
    labelled = train_sentiment > 0
    sentiment = LogisticRegression(C=FROZEN_C, class_weight="balanced", max_iter=MAX_ITER)
    sentiment.fit(train_x[labelled], train_sentiment[labelled])
    themes = np.zeros((len(held_x), len(slugs)), dtype=np.int64)
    emitted: list[str] = []
    for j, slug in enumerate(slugs):
        y = train_themes[:, j]
        if int(y.sum()) < max(min_positives, THEME_FOLDS):
            continue
        model = LogisticRegression(C=FROZEN_C, class_weight="balanced", max_iter=MAX_ITER)
        folds = StratifiedKFold(n_splits=THEME_FOLDS, shuffle=True, random_state=seed)
        oof = cross_val_predict(model, train_x, y, cv=folds, method="predict_proba")[:, 1]
        threshold, f1 = tune_threshold(oof, y)
        if f1 <= 0:
            continue
        model.fit(train_x, y)
        themes[:, j] = model.predict_proba(held_x)[:, 1] >= threshold
        emitted.append(slug)
    return BaselinePredictions(sentiment.predict(held_x).astype(np.int64), themes, emitted)


def vader_scores(texts: Sequence[str]) -> np.ndarray:
    """VADER compound scores of the texts, in [-1, 1]."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(text)["compound"] for text in texts])


def _cut(scores: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """Class 1 for the highest scores: a score >= cuts[0] is 1, >= cuts[1] is 2, and so on."""
    classes = np.full(len(scores), len(cuts) + 1)
    for i in reversed(range(len(cuts))):
        classes[scores >= cuts[i]] = i + 1
    return classes


def fit_cuts(scores: np.ndarray, y: np.ndarray, n_classes: int) -> list[float]:
    """Descending cut points that maximise macro-F1 of ``_cut`` on (scores, y 1..n_classes).

    Coordinate ascent over quantiles of the scores, starting from the label proportions.
    """
    candidates = np.unique(np.quantile(scores, VADER_QUANTILES))
    shares = np.cumsum(np.bincount(y, minlength=n_classes + 1)[1:]) / len(y)
    cuts = [float(np.quantile(scores, 1 - s)) for s in shares[:-1]]

    def objective(c: Sequence[float]) -> float:
        if any(c[i] < c[i + 1] for i in range(len(c) - 1)):
            return -1.0
        return evaluation.macro_f1(y, _cut(scores, c), n_classes, offset=1)

    best = objective(cuts)
    for _ in range(5):
        improved = False
        for i in range(len(cuts)):
            for value in candidates:
                trial = [*cuts[:i], float(value), *cuts[i + 1 :]]
                score = objective(trial)
                if score > best + 1e-12:
                    best, cuts, improved = score, trial, True
        if not improved:
            break
    return cuts


@dataclass(frozen=True)
class VaderModel:
    five_point_cuts: list[float]
    three_way_cuts: list[float]

    def five_point(self, scores: np.ndarray) -> np.ndarray:
        return _cut(scores, self.five_point_cuts)

    def three_way(self, scores: np.ndarray) -> np.ndarray:
        """0 positive, 1 neutral, 2 negative (evaluation.to_three_way's coding)."""
        return _cut(scores, self.three_way_cuts) - 1


def fit_vader(scores: np.ndarray, sentiment: np.ndarray) -> VaderModel:
    """Cut points for the 5-point and the 3-way scale, each tuned for its own macro-F1."""
    labelled = sentiment > 0
    s, y = scores[labelled], sentiment[labelled]
    return VaderModel(
        five_point_cuts=fit_cuts(s, y, 5),
        three_way_cuts=fit_cuts(s, evaluation.to_three_way(y) + 1, 3),
    )
