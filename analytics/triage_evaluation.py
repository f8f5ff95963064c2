"""Judging the router on items it never learnt from: the written evaluation set.

Three routers side by side on the same items: the product's (the triage reader, the phrase rules
and the theme evidence, as the worker routes), the triage reader alone, and the phrase rules alone
(the router before the reader). Reported: routing accuracy, the CQC's recall and false alarms, the
items flagged for a person's check, per-label recall and precision, and the route confusion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.ml.analyser import Analyser, AnalysisInput
from analytics.ml.routing import RoutingInput, route_feedback
from analytics.ml.triage_data import TRIAGE_LABELS, TriageExample
from analytics.ml.triage_scoring import Calibration, model_route, route_scores


@dataclass(frozen=True)
class TriageEvaluation:
    n: int
    product: dict[str, Any]
    reader_alone: dict[str, Any]
    rules_alone: dict[str, Any]
    label_scores: dict[str, dict[str, Any]]  # the product router's flags per CQC label


def _routing_input(example: TriageExample, **extra: Any) -> RoutingInput:
    return RoutingInput(
        text=example.text,
        kind=example.kind,
        service_type=example.service_type,
        has_provider=example.provider_named,
        question=example.question,
        **extra,
    )


def evaluate_triage(analyser: Analyser, examples: Sequence[TriageExample]) -> TriageEvaluation:
    if analyser.triage is None:
        raise ValueError("the analyser has no triage reader to evaluate")
    results = analyser.analyse(
        [
            AnalysisInput(text=e.text, question=e.question, service_type=e.service_type)
            for e in examples
        ]
    )
    heads = analyser.triage
    calibration = Calibration(heads.platt_a, heads.platt_b, heads.cutoffs, heads.check_floors)
    probabilities = np.array(
        [[r.triage.score(label) for label in TRIAGE_LABELS] for r in results if r.triage]
    )
    product = [
        route_feedback(
            _routing_input(
                e,
                themes=[slug for slug, _ in r.themes],
                risk_scores=r.risk_scores,
                triage=r.triage,
            )
        )
        for e, r in zip(examples, results, strict=True)
    ]
    rules = [route_feedback(_routing_input(e)) for e in examples]
    reader = [model_route(p, e, calibration) for p, e in zip(probabilities, examples, strict=True)]
    label_scores: dict[str, dict[str, Any]] = {}
    for label in ("safeguarding", "mental_health_act", "serious_risk"):
        truth = np.array([label in e.labels for e in examples])
        raised = np.array([label in d.risk_flags for d in product])
        tp = int((truth & raised).sum())
        label_scores[label] = {
            "positives": int(truth.sum()),
            "flagged": int(raised.sum()),
            "recall": round(tp / max(1, int(truth.sum())), 4),
            "precision": round(tp / max(1, int(raised.sum())), 4),
        }
    return TriageEvaluation(
        n=len(examples),
        product=route_scores(
            probabilities,
            examples,
            calibration,
            routes=[d.route.value for d in product],
            checked=[bool(d.check_flags) for d in product],
        ),
        reader_alone=route_scores(
            probabilities,
            examples,
            calibration,
            routes=[r for r, _ in reader],
            checked=[c for _, c in reader],
        ),
        rules_alone=route_scores(
            probabilities, examples, calibration, routes=[d.route.value for d in rules]
        ),
        label_scores=label_scores,
    )


def format_triage_evaluation(evaluation: TriageEvaluation) -> str:
    """A Markdown report: the three routers side by side, then the product's per-label flags
    and route confusion."""

    def recall(s: dict[str, Any]) -> str:
        c = s["cqc"]
        return f"{c['recall']:.3f} ({c['reached']}/{c['positives']})"

    def false_alarms(s: dict[str, Any]) -> str:
        return f"{s['cqc']['false_alarm_rate']:.3f} ({s['cqc']['false_alarms']})"

    rows = [
        ("routing accuracy", lambda s: f"{s['routing_accuracy']:.3f}"),
        ("CQC recall", recall),
        ("not for the CQC, sent there", false_alarms),
        (
            "CQC items missed, flagged for a check",
            lambda s: str(s["cqc"]["missed_but_flagged_for_a_check"]),
        ),
        ("items flagged for a check", lambda s: f"{s['cqc']['checked_share']:.3f}"),
    ]
    routers = [
        ("product (reader + rules)", evaluation.product),
        ("reader alone", evaluation.reader_alone),
        ("phrase rules alone", evaluation.rules_alone),
    ]
    lines = [
        f"### Triage on the evaluation set ({evaluation.n} items written apart, never trained on)",
        "",
        "| measure | " + " | ".join(name for name, _ in routers) + " |",
        "|---|" + "---:|" * len(routers),
    ]
    for title, cell in rows:
        lines.append(f"| {title} | " + " | ".join(cell(s) for _, s in routers) + " |")
    header = "| positives | flagged | recall | precision |\n|---|---:|---:|---:|---:|"
    lines += ["", "| CQC label (product) " + header]
    for label, s in evaluation.label_scores.items():
        lines.append(
            f"| {label} | {s['positives']} | {s['flagged']} | {s['recall']:.3f} | "
            f"{s['precision']:.3f} |"
        )
    lines += ["", "| reader label " + header.replace("flagged", "raised")]
    for label, s in evaluation.reader_alone["labels"].items():
        lines.append(
            f"| {label} | {s['positives']} | {s['raised']} | {s['recall']:.3f} | "
            f"{s['precision']:.3f} |"
        )
    confusion = evaluation.product["confusion"]
    lines += ["", "Route confusion, product router (rows: the right route; columns: chosen):", ""]
    lines.append("| | " + " | ".join(confusion["routes"]) + " |")
    lines.append("|---|" + "---:|" * len(confusion["routes"]))
    for route, counts in zip(confusion["routes"], confusion["matrix"], strict=True):
        lines.append(f"| {route} | " + " | ".join(str(c) for c in counts) + " |")
    return "\n".join(lines)
