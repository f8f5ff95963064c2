"""Scoring a trained analyser on the held-out split, end to end, as callers will use it.

The held-out rows (analytics.ml.training_data) are read here for the first time: through
:meth:`analytics.ml.analyser.Analyser.analyse`, with their question, service and FFT rating, then
again with less context.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics.ml import evaluation
from analytics.ml.analyser import RISK_HEADS, Analyser, AnalysisInput
from analytics.ml.training_data import FftData
from analytics.themes import THEME_SLUGS


def score_held_out(
    analyser: Analyser,
    fft: FftData,
    *,
    batch_size: int,
    risk_threshold: float,
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
        batch_size=batch_size,
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
            bare = analyser.analyse(inputs, batch_size=batch_size)
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
            risk_threshold,
        )
        for key, slug in RISK_HEADS.items()
        if slug in heads.binary_slugs
    }
    if detect_risks is not None:
        scores["risk_flags_with_rules"] = evaluation.risk_flag_scores(
            [fft.texts[i] for i in held], results, truth, detect_risks
        )
    return scores
