"""Training the analyser: all-MiniLM-L6-v2's top layers fine-tuned on the shared NHS feedback.

``manage.py train_models`` runs :func:`train`, whose stages, in order, are:

1. :func:`read_training_set`: read ``fft_v6_shared.csv`` from the data directory
   (analytics.ml.training_data) and keep its training portion. A row is held out when the SHA-256
   of its ``Comment ID`` falls in the lowest 20% (independent of the seed and of the other rows,
   so it never moves when the seed or the file changes). Nothing fitted or tuned below sees a
   held-out row; they are read only at the end, through the analyser, to score the model. The
   data is never copied into the repository; only the tuned layers, the heads and the scores are
   written.
2. :func:`load_base_encoder`: the base model training starts from.
3. :func:`encode_lower_layers`: run the frozen lower layers once over every training comment and
   keep their output in memory.
4. :func:`cross_validate`: assign cross-validation folds by hashing ``Comment ID`` with the seed;
   for each fold, fine-tune the top layers and heads on the other folds and predict the fold.
5. :func:`calibrate_out_of_fold`: the out-of-fold predictions tune the sentiment class offsets,
   fit the sentiment temperature, choose the themes' regularisation and fit their Platt scaling
   and thresholds (analytics.ml.calibration).
6. :func:`fit_final`: fine-tune once more on the whole training portion, with the same settings
   and seed, and put the heads together with that calibration.
7. :func:`score_final`: score the finished model on the held-out rows through the analyser
   (analytics.ml.held_out).
8. Write ``encoder_top.npz``, ``heads.npz`` and ``manifest.json`` (analytics.ml.manifest) with the
   held-out scores.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analytics.ml import evaluation
from analytics.ml.analyser import Analyser
from analytics.ml.calibration import (
    HeadColumns,
    OutOfFold,
    ThemeCalibration,
    calibrate_sentiment,
    calibrate_themes,
    fit_binary_heads,
    head_columns,
)
from analytics.ml.encoder import BASE_LAYERS, BASE_MODEL_NAME, FEATURE_DIM, Encoder
from analytics.ml.finetune import (
    Example,
    FineTuneConfig,
    LowerState,
    fine_tune,
    pooled_features,
    sentiment_layer,
)
from analytics.ml.heads import SENTIMENT_CLASSES, Heads, save_artifacts, softmax
from analytics.ml.held_out import score_held_out
from analytics.ml.manifest import build_manifest, format_report, model_version
from analytics.ml.questions import RATING_WORDING
from analytics.ml.risk import RISK_SCORE_THRESHOLD
from analytics.ml.runtime import available_cores
from analytics.ml.training_data import (
    FFT_FILE,
    FftData,
    TrainingDataError,
    fold_of,
    is_held_out,
    read_fft,
)
from analytics.themes import THEME_SLUGS

# What callers use; the data reading and the report live in their own modules.
__all__ = [
    "DEFAULT_SEED",
    "FFT_FILE",
    "TrainingConfig",
    "TrainingDataError",
    "format_report",
    "is_held_out",
    "read_fft",
    "train",
]

DEFAULT_SEED = 20240521


@dataclass(frozen=True)
class TrainingConfig:
    """Knobs of one training run; the defaults are the ones the committed artifacts used."""

    seed: int = DEFAULT_SEED
    # Cross-validation folds of the training portion: each trains a model whose out-of-fold
    # predictions fit the calibration; the committed model is then trained on all of it.
    folds: int = 3
    finetune: FineTuneConfig = field(default_factory=FineTuneConfig)
    # Fewer training positives than this and a theme's threshold is tuned on noise: not emitted.
    min_theme_positives: int = 10
    # A risk score is trained from as few as this; its scores are reported, never thresholded here.
    min_risk_positives: int = 2
    batch_size: int = 64
    risk_threshold: float = RISK_SCORE_THRESHOLD
    # Inverse regularisation of the themes' logistic regressions on the tuned pooled vectors;
    # the value with the best out-of-fold micro-F1 is kept.
    theme_c_grid: tuple[float, ...] = (0.25, 0.5, 1.0, 4.0)


@dataclass
class _Timer:
    started: float = field(default_factory=time.perf_counter)
    laps: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str) -> float:
        now = time.perf_counter()
        self.laps[name] = round(now - self.started - sum(self.laps.values()), 2)
        return self.laps[name]


Log = Callable[[str], None]


# --- the run ----------------------------------------------------------------------------------


def train(
    *,
    data_dir: Path,
    output_dir: Path,
    config: TrainingConfig | None = None,
    encoder: Encoder | None = None,
    log: Log = lambda message: None,
    detect_risks: evaluation.DetectRisks | None = None,
) -> dict[str, Any]:
    """Train on the data in ``data_dir``, write artifacts to ``output_dir``.

    ``detect_risks`` (``analytics.ml.routing``'s) adds the risk flags as routing raises them to
    the report.

    ``encoder`` must be the base model (no tuned layers); it is not modified. Returns the
    manifest written, which holds the held-out scores and the timings.
    """
    config = config or TrainingConfig()
    timer = _Timer()

    data = read_training_set(data_dir, config, log)
    timer.lap("read_data_s")
    encoder = load_base_encoder(encoder)
    log(f"loaded {BASE_MODEL_NAME} in {timer.lap('load_encoder_s'):.1f} s")
    lower = encode_lower_layers(encoder, data, config)
    log(
        f"ran the {lower.layers} frozen layers over {len(lower.states)} comments "
        f"({lower.reread} with a service or rating, read again without them) "
        f"in {timer.lap('lower_layers_s'):.1f} s"
    )
    folds = cross_validate(encoder, data, lower, config, log)
    timer.lap("cross_validation_s")
    out_of_fold = calibrate_out_of_fold(data, folds, config, log)
    timer.lap("theme_selection_s")
    final = fit_final(encoder, data, lower, out_of_fold, config, log)
    timer.lap("final_fit_s")
    trained_at = dt.datetime.now(dt.UTC)
    version = model_version(final.heads, final.top_layers, trained_at)
    held_out_scores = score_final(encoder, final, version, data.fft, config, detect_risks)
    timer.lap("evaluate_s")

    manifest = build_manifest(
        version=version,
        trained_at=trained_at,
        config=config,
        max_length=encoder.max_length,
        fft=data.fft,
        data_dir=data_dir,
        heads=final.heads,
        labels=data.labels,
        out_of_fold=out_of_fold,
        held_out_scores=held_out_scores,
        laps=timer.laps,
        started=timer.started,
    )
    return save_artifacts(output_dir, final.heads, manifest, final.top_layers)


# --- 1. the training portion ------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSet:
    """The FFT file's training rows, with what the model learns from them."""

    fft: FftData  # every row, held-out ones included (only scoring reads those)
    rows: np.ndarray  # indices into ``fft`` of the training rows
    sentiment: np.ndarray  # 1-5 per training row, 0 where not labelled
    labels: HeadColumns  # the themes that get a head
    themes: np.ndarray  # (training rows, head columns) 0/1

    def column(self, values: Sequence[Any]) -> list[Any]:
        """One of ``fft``'s per-row columns, for the training rows only."""
        return [values[i] for i in self.rows]


def read_training_set(data_dir: Path, config: TrainingConfig, log: Log) -> TrainingSet:
    """Read the FFT file and keep its training portion; TrainingDataError if it cannot train."""
    fft = read_fft(data_dir / FFT_FILE)
    rows = np.flatnonzero(~fft.held_out)
    sentiment = fft.sentiment[rows]
    if len(np.unique(sentiment[sentiment > 0])) < 2:
        raise TrainingDataError("the training portion needs at least two sentiment classes")
    labels = head_columns(
        fft.themes[rows],
        min_theme_positives=config.min_theme_positives,
        min_risk_positives=config.min_risk_positives,
    )
    themes = fft.themes[rows][:, labels.head_cols].astype(np.int64)
    log(
        f"read {len(fft.comment_ids)} FFT rows: {len(rows)} training "
        f"({int((sentiment > 0).sum())} with sentiment), {int(fft.held_out.sum())} held out"
    )
    return TrainingSet(fft, rows, sentiment, labels, themes)


# --- 2. the base model ------------------------------------------------------------------------


def load_base_encoder(encoder: Encoder | None) -> Encoder:
    """The base model training starts from (loaded unless given), torch set to every core."""
    import torch

    if encoder is None:
        encoder = Encoder()
    if encoder.tuned:
        raise ValueError("training starts from the base model, not a tuned encoder")
    torch.set_num_threads(available_cores())
    return encoder


# --- 3. the frozen lower layers ---------------------------------------------------------------


@dataclass(frozen=True)
class LowerLayers:
    """The frozen lower layers' output for each training row, computed once for every epoch."""

    layers: int  # how many lower layers ran
    states: list[LowerState]  # per training row, read with its whole context
    examples: list[Example]  # the same with their labels and the readings without context
    reread: int  # rows also read without their service or rating


def encode_lower_layers(encoder: Encoder, data: TrainingSet, config: TrainingConfig) -> LowerLayers:
    """Run the frozen lower layers over every training comment, once with its whole context and
    again without the parts that training withholds in some epochs.

    Only training rows go through the encoder here: the held-out rows are first read at the end.
    """
    ft = config.finetune
    lower = BASE_LAYERS - ft.tuned_layers
    questions = data.column(data.fft.questions)
    texts = data.column(data.fft.texts)
    ratings = data.column(data.fft.ratings)
    services = data.column(data.fft.service_types)
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
    examples = _examples(
        states, data.sentiment, data.themes, bare=bare, unrated=unrated, unserviced=unserviced
    )
    return LowerLayers(lower, states, examples, len(rated))


def _examples(
    states: Sequence[LowerState],
    sentiment: np.ndarray,
    themes: np.ndarray,
    bare: Mapping[int, LowerState],
    unrated: Mapping[int, LowerState],
    unserviced: Mapping[int, LowerState],
) -> list[Example]:
    return [
        Example(
            state=state,
            sentiment=int(sentiment[i]),
            themes=themes[i].astype(np.float32),
            bare=bare.get(i),
            unrated=unrated.get(i),
            unserviced=unserviced.get(i),
        )
        for i, state in enumerate(states)
    ]


# --- 4. cross-validation ----------------------------------------------------------------------


@dataclass(frozen=True)
class FoldPredictions:
    """Each training row as predicted by the fold model that never saw it."""

    sentiment: np.ndarray  # (training rows, 5) sentiment logits
    # The same rows read without their service and rating: how the model reads comments sent
    # without them, out of fold (the held-out split's figure is not for choosing settings).
    sentiment_bare: np.ndarray
    # Per fold: (rows fitted, rows predicted, their pooled vectors under that fold's model).
    vectors: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def cross_validate(
    encoder: Encoder, data: TrainingSet, lower: LowerLayers, config: TrainingConfig, log: Log
) -> FoldPredictions:
    """Fine-tune the top layers and heads once per fold on the other folds; predict the fold.

    Folds come from hashing ``Comment ID`` with the seed (analytics.ml.training_data.fold_of).
    """
    folds = np.array(
        [fold_of(data.fft.comment_ids[i], seed=config.seed, folds=config.folds) for i in data.rows]
    )
    states, examples = lower.states, lower.examples
    oof_sentiment = np.zeros((len(data.rows), len(SENTIMENT_CLASSES)))
    oof_bare = np.zeros_like(oof_sentiment)
    vectors: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for fold in range(config.folds):
        fit, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        if not len(held) or not len(fit):
            continue
        log(f"  fold {fold + 1}/{config.folds}: {len(fit)} rows to fit, {len(held)} to predict")
        model = fine_tune(
            encoder.model,
            [examples[i] for i in fit],
            n_themes=len(data.labels.head_cols),
            config=config.finetune,
            seed=config.seed,
            log=log,
        )
        weights, bias = sentiment_layer(model)
        x_fit = pooled_features(model, [states[i] for i in fit])
        x_held = pooled_features(model, [states[i] for i in held])
        oof_sentiment[held] = x_held @ weights.T + bias
        x_bare = pooled_features(model, [examples[i].bare or states[i] for i in held])
        oof_bare[held] = x_bare @ weights.T + bias
        vectors.append((fit, held, x_fit, x_held))
    return FoldPredictions(oof_sentiment, oof_bare, vectors)


# --- 5. calibration out of fold ---------------------------------------------------------------


def calibrate_out_of_fold(
    data: TrainingSet, folds: FoldPredictions, config: TrainingConfig, log: Log
) -> OutOfFold:
    """Sentiment offsets and temperature, then the themes' C, Platt scaling and thresholds, all
    from the out-of-fold predictions; with their out-of-fold scores."""
    sentiment = data.sentiment
    sentiment_cal = calibrate_sentiment(folds.sentiment, sentiment)
    labelled = sentiment > 0
    bare_proba = softmax(
        (folds.sentiment_bare[labelled] + sentiment_cal.offsets) / sentiment_cal.temperature
    )
    oof_bare_scores = evaluation.sentiment_scores(
        sentiment[labelled], bare_proba.argmax(axis=1) + 1, bare_proba.max(axis=1)
    )
    theme_cal, theme_tried = _select_theme_c(data, folds, config, log)
    oof = sentiment_cal.oof_scores
    log(
        f"out of fold: sentiment macro-F1 {sentiment_cal.oof_argmax_scores['macro_f1']:.3f} "
        f"at argmax, {oof['macro_f1']:.3f} with offsets "
        + ", ".join(f"{o:+.1f}" for o in sentiment_cal.offsets)
        + f"; 3-way {oof['three_way_macro_f1']:.3f}; temperature {sentiment_cal.temperature:.2f}"
        f"; themes micro-F1 {theme_cal.oof_scores['micro_f1']:.3f} (C={theme_cal.c})"
    )
    return OutOfFold(sentiment_cal, theme_cal, theme_tried, oof_bare_scores)


def _select_theme_c(
    data: TrainingSet, folds: FoldPredictions, config: TrainingConfig, log: Log
) -> tuple[ThemeCalibration, list[dict[str, Any]]]:
    """Themes: class-balanced logistic regression on each fold model's pooled vectors, scored on
    the rows that model never saw; the best C of the grid by out-of-fold micro-F1."""
    themes = data.themes
    tried: list[dict[str, Any]] = []
    candidates: list[ThemeCalibration] = []
    for c in config.theme_c_grid:
        oof_themes = np.zeros((len(data.rows), len(data.labels.head_cols)))
        for fit, held, x_fit, x_held in folds.vectors:
            w, b = fit_binary_heads(x_fit, themes[fit], c)
            oof_themes[held] = x_held @ w.T + b
        candidate = calibrate_themes(c, oof_themes, themes, data.labels, config.risk_threshold)
        tried.append({"C": c, "oof_micro_f1": candidate.oof_scores["micro_f1"]})
        log(f"  themes C={c}: out-of-fold micro-F1 {candidate.oof_scores['micro_f1']:.3f}")
        candidates.append(candidate)
    # max keeps the first of equals: the smaller C.
    return max(candidates, key=lambda candidate: candidate.oof_scores["micro_f1"]), tried


# --- 6. the final model -----------------------------------------------------------------------


@dataclass(frozen=True)
class FinalModel:
    """The committed model: the tuned layers and the calibrated heads."""

    heads: Heads
    top_layers: dict[str, np.ndarray]  # as the analyser reads them: float16, widened again


def fit_final(
    encoder: Encoder,
    data: TrainingSet,
    lower: LowerLayers,
    out_of_fold: OutOfFold,
    config: TrainingConfig,
    log: Log,
) -> FinalModel:
    """Fine-tune on the whole training portion with the same settings and seed, refit the theme
    regressions at the chosen C, and calibrate the heads as the out-of-fold predictions said."""
    labels, sentiment_cal, theme_cal = data.labels, out_of_fold.sentiment, out_of_fold.themes
    k = len(labels.head_cols)
    log(f"  all {len(lower.examples)} training rows")
    model = fine_tune(
        encoder.model, lower.examples, n_themes=k, config=config.finetune, seed=config.seed, log=log
    )
    top_layers = {
        name: array.astype(np.float16).astype(np.float32)
        for name, array in model.top_layer_arrays().items()
    }
    sentiment_weights, sentiment_bias = sentiment_layer(model)
    theme_weights, theme_bias = fit_binary_heads(
        pooled_features(model, lower.states), data.themes, theme_cal.c
    )
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
    return FinalModel(heads, top_layers)


# --- 7. held-out scores -----------------------------------------------------------------------


def score_final(
    encoder: Encoder,
    final: FinalModel,
    version: str,
    fft: FftData,
    config: TrainingConfig,
    detect_risks: evaluation.DetectRisks | None,
) -> dict[str, Any]:
    """The finished model's held-out scores, end to end through the analyser it will be."""
    analyser = Analyser(
        heads=final.heads,
        manifest={"model_version": version},
        encoder=encoder.with_top_layers(final.top_layers),
    )
    return score_held_out(
        analyser,
        fft,
        batch_size=config.batch_size,
        risk_threshold=config.risk_threshold,
        detect_risks=detect_risks,
    )
