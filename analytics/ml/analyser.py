"""Sentiment, themes and risk scores for patient comments: the one path every caller uses.

The Celery worker (``feedback.services.analysis``) and the offline CSV command
(``analytics.csv_analysis``) both call :func:`get_analyser` and :meth:`Analyser.analyse`, so a
comment gets the same answer whichever way it arrived. Training and ``evaluate_models`` score the
held-out split through :meth:`Analyser.analyse` as well, end to end.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from analytics.ml.encoder import BASE_MODEL_NAME, FEATURE_DIM, MAX_LENGTH, POOLING, Encoder
from analytics.ml.heads import (
    SENTIMENT_CLASSES,
    ArtifactError,
    Heads,
    load_artifacts,
    load_top_layers,
    sentiment_label,
)
from analytics.ml.questions import QUESTION_READING
from analytics.ml.runtime import EncoderUnavailable
from analytics.ml.similarity import readings_from_features
from analytics.ml.triage import (
    TRIAGE_MANIFEST_FILE,
    TriageHeads,
    TriageReading,
    load_triage,
)
from analytics.themes import THEME_SLUGS

# Risk score keys (feedback.choices.RiskFlag values) and the binary head that scores each. There is
# no "serious_risk" score: no labelled data exists for it, so routing relies on phrase rules.
RISK_HEADS: Mapping[str, str] = MappingProxyType(
    {"safeguarding": "safeguarding", "mental_health_act": "mental_health_act"}
)


@dataclass(frozen=True)
class AnalysisInput:
    """One comment to analyse: the patient's text, the question it answers, the service type and
    the patient's answer to the FFT question (1 very good ... 5 very poor, 6 don't know)."""

    text: str
    question: str = ""
    service_type: str = ""  # a feedback.choices.ServiceType value, "" when not known
    fft_rating: int | None = None  # a feedback.choices.FftRating value, None when not asked


@dataclass(frozen=True)
class AnalysisResult:
    """What the model found in one comment."""

    sentiment: int  # 1 very positive ... 5 very negative (NHS scale)
    sentiment_label: str  # "positive" (1-2) | "neutral" (3) | "negative" (4-5)
    sentiment_confidence: float  # calibrated probability of the predicted 5-point class
    themes: tuple[tuple[str, float], ...]  # (slug, probability) above threshold, highest first
    risk_scores: dict[str, float]  # RiskFlag value -> calibrated probability
    model_version: str
    # The triage reader's probabilities and cut-offs; None without triage artifacts.
    triage: TriageReading | None = None
    # The encoder's pooled reading of the comment, its direction as 384 int8 bytes
    # (analytics.ml.similarity): what duplicate checks compare items by.
    reading: bytes | None = None


class ModelUnavailable(Exception):
    """The model cannot be used: artifacts or base model missing, corrupt or incompatible."""


class Analyser:
    """The tuned encoder and the trained heads, loaded once and used for batches of comments."""

    def __init__(
        self,
        *,
        heads: Heads,
        manifest: Mapping[str, Any],
        encoder: Encoder,
        triage: TriageHeads | None = None,
    ) -> None:
        self.heads = heads
        self.manifest = manifest
        self.encoder = encoder
        self.triage = triage
        self.model_version = str(manifest["model_version"])
        self._theme_columns = [
            (i, slug)
            for i, (slug, threshold) in enumerate(
                zip(heads.binary_slugs, heads.thresholds, strict=True)
            )
            if np.isfinite(threshold)
        ]
        self._risk_columns = [
            (key, heads.binary_slugs.index(slug))
            for key, slug in RISK_HEADS.items()
            if slug in heads.binary_slugs
        ]

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        encoder: Encoder | None = None,
        triage: bool = True,
        precision: str = "fp32",
    ) -> Analyser:
        """Load the artifacts in ``directory`` and the base model; ModelUnavailable if unusable.

        The triage reader is loaded with them when ``triage.json`` is there (and ``triage``): it
        must have been trained for this encoder, or nothing loads (items are then routed by the
        rules and flagged for people to review). Without the file the analyser has no triage
        reading and routing falls back to the theme heads' risk scores.

        ``precision`` is the arithmetic the layers run in (:data:`analytics.ml.encoder.PRECISIONS`:
        ``"fp32"``, the reference training uses; ``"bf16"`` on a CPU with bfloat16 matrix units;
        ``"auto"``, bf16 where the CPU has them). An ``encoder`` given is used as it is.
        """
        directory = Path(directory)
        heads, manifest = cls.load_heads(directory)
        triage_heads = None
        branch_layers: dict[str, np.ndarray] = {}
        first_layer = 0
        if triage and (directory / TRIAGE_MANIFEST_FILE).is_file():
            try:
                triage_heads, branch_layers, triage_manifest = load_triage(directory)
                if triage_manifest.get("encoder_model_version") != manifest["model_version"]:
                    raise ArtifactError(
                        "the triage reader was trained for encoder "
                        f"{triage_manifest.get('encoder_model_version')!r}, not "
                        f"{manifest['model_version']!r} (run `manage.py train_triage`)"
                    )
                first_layer = int(triage_manifest["config"]["first_layer"])
            except (ArtifactError, KeyError, TypeError, ValueError) as exc:
                raise ModelUnavailable(f"triage reader unavailable: {exc}") from exc
        max_length = int(manifest.get("encoder", {}).get("max_length", MAX_LENGTH))
        if encoder is None:
            try:
                top_layers = load_top_layers(directory, manifest)
                encoder = Encoder(max_length=max_length, top_layers=top_layers, precision=precision)
            except ArtifactError as exc:
                raise ModelUnavailable(f"analysis model unavailable: {exc}") from exc
            except (EncoderUnavailable, ValueError) as exc:
                raise ModelUnavailable(str(exc)) from exc
        if triage_heads is not None:
            try:
                # torch loads here, as in the encoder: not in a process that only reads types.
                from analytics.ml.triage_branch import TriageBranch

                branch = TriageBranch(
                    encoder.model, first_layer=first_layer, n_labels=len(triage_heads.labels)
                )
                branch.load_layer_arrays(branch_layers)
                encoder.with_triage_branch(branch)
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelUnavailable(f"triage reader unavailable: {exc}") from exc
        return cls(heads=heads, manifest=manifest, encoder=encoder, triage=triage_heads)

    @staticmethod
    def load_heads(directory: Path) -> tuple[Heads, dict[str, Any]]:
        """Read and check the heads in ``directory`` without loading the base model."""
        try:
            heads, manifest = load_artifacts(Path(directory))
        except ArtifactError as exc:
            raise ModelUnavailable(f"analysis model unavailable: {exc}") from exc
        encoder_config = manifest.get("encoder", {})
        problems = []
        if encoder_config.get("base_model") != BASE_MODEL_NAME:
            problems.append(f"trained on base model {encoder_config.get('base_model')!r}")
        # Older manifests also list the encoder's "views": only ever the question-comment pair.
        if encoder_config.get("pooling") != POOLING or heads.feature_dim != FEATURE_DIM:
            problems.append("trained on other encoder features")
        if encoder_config.get("question_reading") != QUESTION_READING:
            problems.append(
                f"trained with question reading {encoder_config.get('question_reading')!r}, "
                f"this code uses {QUESTION_READING!r}"
            )
        unknown = sorted(set(heads.binary_slugs) - set(THEME_SLUGS))
        if unknown:
            problems.append("heads for themes not in the framework: " + ", ".join(unknown))
        if problems:
            raise ModelUnavailable(
                f"analysis model in {directory} does not fit this code: " + "; ".join(problems)
            )
        return heads, manifest

    def analyse(
        self, items: Sequence[AnalysisInput], *, batch_size: int = 64
    ) -> list[AnalysisResult]:
        """Analyse ``items`` in batches of ``batch_size``; results in the same order."""
        if not items:
            return []
        columns = (
            [item.question for item in items],
            [item.text for item in items],
            [item.fft_rating for item in items],
            [item.service_type for item in items],
        )
        if self.triage is None:
            return self.results_from_features(self.encoder.encode(*columns, batch_size=batch_size))
        features, triage_features = self.encoder.read(*columns, batch_size=batch_size)
        results = self.results_from_features(features)
        return [
            dataclasses.replace(result, triage=reading)
            for result, reading in zip(results, self.triage.readings(triage_features), strict=True)
        ]

    def results_from_features(self, features: np.ndarray) -> list[AnalysisResult]:
        """Results for encoder features, shape (n, FEATURE_DIM)."""
        sentiment = self.heads.sentiment_proba(features)
        binary = self.heads.binary_proba(features)
        thresholds = self.heads.thresholds
        readings = readings_from_features(features)
        results = []
        for row in range(features.shape[0]):
            best = int(np.argmax(sentiment[row]))
            score = SENTIMENT_CLASSES[best]
            themes = sorted(
                (
                    (slug, float(binary[row, col]))
                    for col, slug in self._theme_columns
                    if binary[row, col] >= thresholds[col]
                ),
                key=lambda pair: -pair[1],
            )
            results.append(
                AnalysisResult(
                    sentiment=score,
                    sentiment_label=sentiment_label(score),
                    sentiment_confidence=float(sentiment[row, best]),
                    themes=tuple(themes),
                    risk_scores={key: float(binary[row, col]) for key, col in self._risk_columns},
                    model_version=self.model_version,
                    reading=readings[row],
                )
            )
        return results


_cache: dict[tuple[Path, str], Analyser] = {}
_cache_lock = threading.Lock()


def get_analyser(directory: Path, *, precision: str = "fp32") -> Analyser:
    """The analyser for the artifacts in ``directory``, loaded once per precision.

    Loading takes seconds and hundreds of MB, so each process keeps one. A failure is not cached:
    once the artifacts are in place the next call succeeds.
    """
    key = (Path(directory).resolve(), precision)
    with _cache_lock:
        analyser = _cache.get(key)
        if analyser is None:
            analyser = Analyser.load(key[0], precision=precision)
            _cache[key] = analyser
        return analyser
