"""The analyser against two baselines on the held-out split, side by side (``evaluate_models``).

The held-out rows are the ones training never sees (analytics.ml.training.is_held_out). The
analyser is the committed model, loaded as the worker loads it, scored with and without the
services and patients' FFT ratings; both baselines are fitted here on the training portion only
(analytics.ml.baselines) and read the comment alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analytics.ml import baselines, evaluation
from analytics.ml.analyser import Analyser, AnalysisInput
from analytics.ml.encoder import Encoder
from analytics.ml.training_data import FFT_FILE, read_fft
from analytics.themes import THEME_SLUGS

# The analyser twice: reading each comment with its service type and the patient's FFT rating, as
# an FFT export or the web form gives them, and without (an API client or a letter), so it is
# compared with the baselines, which read the text alone, on nearer terms too.
MODELS = ("this model", "this model, text and question only", "frozen MiniLM + LR", "VADER")
NOT_APPLICABLE = "n/a"


@dataclass
class Comparison:
    """Scores per model (MODELS order), row by row, and the analyser's risk flag scores."""

    model_version: str
    held_out_rows: int
    held_out_with_sentiment: int
    rows: list[tuple[str, list[float | None]]] = field(default_factory=list)  # (name, per model)
    risk_flags: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


Row = tuple[str, list[float | None]]


def _sentiment_rows(
    true: np.ndarray, predictions: list[np.ndarray], three_way: list[np.ndarray]
) -> tuple[list[Row], list[dict[str, Any]]]:
    scores = [evaluation.sentiment_scores(true, p) for p in predictions]
    true3 = evaluation.to_three_way(true)
    rows: list[Row] = [
        ("Sentiment 5-point macro-F1", [s["macro_f1"] for s in scores]),
        ("Sentiment 5-point accuracy", [s["accuracy"] for s in scores]),
        (
            "Sentiment 3-way macro-F1",
            [evaluation.macro_f1(true3, p, 3) for p in three_way],
        ),
    ]
    return rows, scores


def compare(
    *,
    data_dir: Path,
    analyser: Analyser,
    base_encoder: Encoder | None = None,
    detect_risks: evaluation.DetectRisks,
    batch_size: int = 64,
    log: Callable[[str], None] = lambda message: None,
) -> Comparison:
    """Score the analyser and both baselines on the held-out split of the FFT file."""
    started = time.perf_counter()
    fft = read_fft(data_dir / FFT_FILE)
    held = np.flatnonzero(fft.held_out)
    train = np.flatnonzero(~fft.held_out)
    labelled = fft.sentiment[held] > 0
    true = fft.sentiment[held][labelled]
    truth_themes = fft.themes[held].astype(np.int64)
    comparison = Comparison(
        model_version=analyser.model_version,
        held_out_rows=len(held),
        held_out_with_sentiment=int(labelled.sum()),
    )

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
        batch_size=batch_size,
    )
    bare = analyser.analyse(
        [AnalysisInput(text=fft.texts[i], question=fft.questions[i]) for i in held],
        batch_size=batch_size,
    )
    ours = np.array([r.sentiment for r in results])[labelled]
    ours_bare = np.array([r.sentiment for r in bare])[labelled]
    our_themes = evaluation.theme_matrix(results)
    our_emitted = [
        s
        for s, t in zip(analyser.heads.binary_slugs, analyser.heads.thresholds, strict=True)
        if np.isfinite(t)
    ]
    comparison.risk_flags = evaluation.risk_flag_scores(
        [fft.texts[i] for i in held], results, truth_themes, detect_risks
    )
    comparison.timings["this_model_s"] = round(time.perf_counter() - started, 1)
    log(f"this model: {len(held)} held-out comments analysed")

    lap = time.perf_counter()
    base_encoder = base_encoder or Encoder()
    vectors = base_encoder.sentence_embeddings(list(fft.texts), batch_size=batch_size)
    frozen = baselines.frozen_minilm_lr(
        vectors[train],
        fft.sentiment[train],
        fft.themes[train],
        vectors[held],
        list(THEME_SLUGS),
    )
    comparison.timings["frozen_minilm_lr_s"] = round(time.perf_counter() - lap, 1)
    log("frozen MiniLM + LR: fitted on the training portion")

    lap = time.perf_counter()
    compound = baselines.vader_scores(fft.texts)
    vader = baselines.fit_vader(compound[train], fft.sentiment[train])
    vader_five = vader.five_point(compound[held])[labelled]
    vader_three = vader.three_way(compound[held])[labelled]
    comparison.timings["vader_s"] = round(time.perf_counter() - lap, 1)
    log("VADER: cut points fitted on the training portion")

    five = [ours, ours_bare, frozen.sentiment[labelled], vader_five]
    three = [*(evaluation.to_three_way(p) for p in five[:3]), vader_three]
    rows, scores = _sentiment_rows(true, five, three)
    comparison.rows.extend(rows)
    theme_scores = [
        evaluation.theme_scores(truth_themes, our_themes, list(THEME_SLUGS), our_emitted),
        evaluation.theme_scores(
            truth_themes, evaluation.theme_matrix(bare), list(THEME_SLUGS), our_emitted
        ),
        evaluation.theme_scores(truth_themes, frozen.themes, list(THEME_SLUGS), frozen.emitted)
        if frozen.themes is not None
        else None,
    ]
    comparison.rows.append(
        ("Themes micro-F1", [t["micro_f1"] if t else None for t in theme_scores] + [None])
    )
    comparison.rows.append(
        (
            "Themes macro-F1 (themes present in held-out)",
            [t["macro_f1_present"] if t else None for t in theme_scores] + [None],
        )
    )
    for cls in ("1", "2", "3", "4", "5"):
        name = f"F1 class {cls} (n={scores[0]['support'][cls]})"
        comparison.rows.append((name, [s["per_class_f1"][cls] for s in scores]))
    comparison.timings["total_s"] = round(time.perf_counter() - started, 1)
    return comparison


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a Markdown table (readable in a terminal, pasted into the model card)."""
    lines = [
        f"Held-out split: {comparison.held_out_rows} comments "
        f"({comparison.held_out_with_sentiment} with a sentiment label); "
        f"model {comparison.model_version}",
        "",
        "| Measure | " + " | ".join(MODELS) + " |",
        "|---|" + "---:|" * len(MODELS),
    ]
    for name, values in comparison.rows:
        cells = [NOT_APPLICABLE if v is None else f"{v:.3f}" for v in values]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Risk flags as routing raises them (this model's scores and themes + "
        "analytics.ml.routing's phrase rules):",
        "",
        "| Flag | Held-out positives | Flagged | Recall | Precision | Rules alone: recall / "
        "precision |",
        "|---|---:|---:|---:|---:|---|",
    ]

    def fmt(value: Any) -> str:
        return "-" if value is None else f"{value:.2f}"

    for flag, entry in comparison.risk_flags.items():
        if "positives" in entry:
            lines.append(
                f"| {flag} | {entry['positives']} | {entry['flagged']} | {fmt(entry['recall'])} "
                f"| {fmt(entry['precision'])} | {fmt(entry['rules_only_recall'])} / "
                f"{fmt(entry['rules_only_precision'])} |"
            )
        else:
            lines.append(
                f"| {flag} | no label in the data | {entry['flagged']} | - | - | "
                f"{entry['flagged_by_rules']} flagged by rules |"
            )
    return "\n".join(lines)
