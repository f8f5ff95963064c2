"""Calibrating the triage heads and scoring the routes they give, out of fold or on held-out items.

Cut-offs are chosen for the CQC's labels by recall, because a missed safeguarding disclosure is the
worst failure this product can have: the highest probability that still keeps ``cqc_recall`` of the
label's known positives, out of fold. Below it, down to the probability that keeps
``check_recall``, the reader is unsure and a person checks. The ICB's labels take the cut-off that
maximises F1 (a misroute between trust and ICB costs the same either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.ml.heads import sigmoid
from analytics.ml.triage_data import CQC_LABELS, TRIAGE_LABELS, TriageExample, expected_route

ROUTES = ("cqc", "icb", "trust")


@dataclass(frozen=True)
class Calibration:
    platt_a: np.ndarray
    platt_b: np.ndarray
    cutoffs: np.ndarray
    check_floors: np.ndarray  # NaN for labels without a check band

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return sigmoid(self.platt_a * logits + self.platt_b)


def calibrate(
    logits: np.ndarray,
    y: np.ndarray,
    known: np.ndarray,
    examples: Sequence[TriageExample],
    *,
    config: Any,
) -> Calibration:
    """Platt scaling per label, then the operating points, from out-of-fold logits.

    The CQC's three labels share one cut-off on their calibrated probabilities: the lowest that
    keeps the share of items not for the CQC sent there at or under ``cqc_false_alarm`` (a CQC
    queue full of routine complaints hides the real cases). Below it, down to a shared floor,
    the reader is unsure and a person checks: the highest floor at which CQC items reach the CQC
    or a check at least ``check_recall`` of the time. The ICB's labels take the cut-off that
    maximises F1. Chosen on the written items, whose every label is known.
    """
    from analytics.ml.calibration import fit_platt, tune_threshold

    k = len(TRIAGE_LABELS)
    a, b = np.ones(k), np.zeros(k)
    cutoffs, floors = np.full(k, 0.5), np.full(k, np.nan)
    for j in range(k):
        rows = known[:, j] > 0
        if y[rows, j].sum() == 0:
            cutoffs[j] = np.nan
            continue
        a[j], b[j] = fit_platt(logits[rows, j], y[rows, j].astype(np.int64))
    probability = sigmoid(a * logits + b)
    for j, label in enumerate(TRIAGE_LABELS):
        rows = known[:, j] > 0
        if label not in CQC_LABELS and np.isfinite(cutoffs[j]):
            cutoffs[j], _ = tune_threshold(probability[rows, j], y[rows, j].astype(np.int64))
    cut, floor = cqc_operating_point(probability, examples, config)
    for j, label in enumerate(TRIAGE_LABELS):
        if label in CQC_LABELS:
            cutoffs[j], floors[j] = cut, floor
    return Calibration(a, b, cutoffs, floors)


def _cqc_score(probability: np.ndarray, examples: Sequence[TriageExample]) -> np.ndarray:
    """Each item's highest CQC probability (the Mental Health Act's not for a compliment)."""
    index = {label: TRIAGE_LABELS.index(label) for label in CQC_LABELS}
    compliment = np.array([e.kind == "compliment" for e in examples])
    mha = np.where(compliment, 0.0, probability[:, index["mental_health_act"]])
    return np.maximum.reduce(
        [probability[:, index["safeguarding"]], probability[:, index["serious_risk"]], mha]
    )


def cqc_operating_point(
    probability: np.ndarray, examples: Sequence[TriageExample], config: Any
) -> tuple[float, float]:
    """(cut-off, floor) shared by the CQC labels; see :func:`calibrate`."""
    written = [i for i, e in enumerate(examples) if set(CQC_LABELS) <= e.known_labels()]
    truth = np.array(
        [
            expected_route(
                examples[i].labels,
                kind=examples[i].kind,
                service_type=examples[i].service_type,
                provider_named=examples[i].provider_named,
            )
            == "cqc"
            for i in written
        ]
    )
    score = _cqc_score(probability[written], [examples[i] for i in written])
    negatives = np.sort(score[~truth])[::-1]
    # The cut-off: just above the score of the last false alarm the budget allows.
    allowed = int(np.floor(config.cqc_false_alarm * len(negatives)))
    cut = float(np.nextafter(negatives[allowed], 1.0)) if allowed < len(negatives) else 0.5
    cut = min(max(cut, 1e-6), 1.0)
    positives = np.sort(score[truth])[::-1]
    needed = max(1, int(np.ceil(config.check_recall * len(positives))))
    floor = float(positives[needed - 1]) if len(positives) else cut
    return cut, min(max(floor, 1e-6), cut)


def model_route(
    probabilities: np.ndarray, example: TriageExample, calibration: Calibration
) -> tuple[str, bool]:
    """The route the raised labels give (DOMAIN.md's rules), and whether a check is asked."""
    raised = {
        label
        for label, p, cut in zip(TRIAGE_LABELS, probabilities, calibration.cutoffs, strict=True)
        if np.isfinite(cut) and p >= cut
    }
    route = expected_route(
        raised,
        kind=example.kind,
        service_type=example.service_type,
        provider_named=example.provider_named,
    )
    unsure = any(
        calibration.check_floors[j] <= probabilities[j] < calibration.cutoffs[j]
        for j, label in enumerate(TRIAGE_LABELS)
        if label in CQC_LABELS
    )
    return route, route != "cqc" and unsure


def route_scores(
    probabilities: np.ndarray,
    examples: Sequence[TriageExample],
    calibration: Calibration,
    *,
    routes: Sequence[str] | None = None,
    checked: Sequence[bool] | None = None,
) -> dict[str, Any]:
    """Routing accuracy, CQC recall and false alarms, per-label figures and the confusion matrix,
    over the examples whose every label is known (written items, not real rows).

    ``routes``/``checked``: routes chosen by something else (the full router with its phrase
    rules) to score instead of the model's own.
    """
    rows = [i for i, e in enumerate(examples) if e.known_labels() == frozenset(TRIAGE_LABELS)]
    truth = [
        expected_route(
            examples[i].labels,
            kind=examples[i].kind,
            service_type=examples[i].service_type,
            provider_named=examples[i].provider_named,
        )
        for i in rows
    ]
    if routes is None:
        decided = [model_route(probabilities[i], examples[i], calibration) for i in rows]
        chosen = [r for r, _ in decided]
        flagged = [c for _, c in decided]
    else:
        chosen = [routes[i] for i in rows]
        flagged = [bool(checked[i]) if checked is not None else False for i in rows]
    matrix = [[sum(t == r and c == s for t, c in zip(truth, chosen, strict=True)) for s in ROUTES]
              for r in ROUTES]  # fmt: skip
    cqc_true = [t == "cqc" for t in truth]
    cqc_chosen = [c == "cqc" for c in chosen]
    positives = sum(cqc_true)
    negatives = len(truth) - positives
    reached = sum(t and c for t, c in zip(cqc_true, cqc_chosen, strict=True))
    false_alarms = sum(c and not t for t, c in zip(cqc_true, cqc_chosen, strict=True))
    missed_but_checked = sum(
        t and not c and f for t, c, f in zip(cqc_true, cqc_chosen, flagged, strict=True)
    )
    labels: dict[str, Any] = {}
    for j, label in enumerate(TRIAGE_LABELS):
        y = np.array([label in examples[i].labels for i in rows])
        cut = calibration.cutoffs[j]
        raised = np.array([np.isfinite(cut) and probabilities[i, j] >= cut for i in rows])
        tp = int((y & raised).sum())
        labels[label] = {
            "positives": int(y.sum()),
            "raised": int(raised.sum()),
            "recall": round(tp / max(1, int(y.sum())), 4),
            "precision": round(tp / max(1, int(raised.sum())), 4),
        }
    return {
        "n": len(rows),
        "routing_accuracy": round(
            sum(t == c for t, c in zip(truth, chosen, strict=True)) / max(1, len(rows)), 4
        ),
        "cqc": {
            "positives": positives,
            "reached": reached,
            "recall": round(reached / max(1, positives), 4),
            "false_alarms": false_alarms,
            "false_alarm_rate": round(false_alarms / max(1, negatives), 4),
            "missed_but_flagged_for_a_check": missed_but_checked,
            "checked_share": round(sum(flagged) / max(1, len(rows)), 4),
        },
        "labels": labels,
        "confusion": {"routes": list(ROUTES), "matrix": matrix},
    }
