"""Out of fold: do the phrase rules help the triage reader route, or only add false alarms?

    .venv/bin/python manage.py train_triage --artifacts DIR --out-of-fold DIR/oof.jsonl
    .venv/bin/python bench/triage_rules_oof.py --out-of-fold DIR/oof.jsonl [--only FILE ...]

Reads the calibrated out-of-fold probabilities ``train_triage`` wrote for every corpus item
(each scored by a reader that never saw its situation), the themes the committed analyser's
heads find in it (trained on FFT rows, not on the corpus), and routes every corpus item three
ways: the reader alone (DOMAIN.md's rules on the labels it raises); the product router with the
phrase rules and themes sending items to the CQC on their own; and the product router with a
rule's match only asking a person to check. Prints routing accuracy, CQC recall and false alarms
for each. ``--only``: score the items of these corpus files alone (e.g. a new sitting).
Results: bench/results/triage_rules_oof.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "triage_rules_oof.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out-of-fold", type=Path, required=True)
    parser.add_argument("--artifacts", type=Path, default=None)
    parser.add_argument("--only", type=Path, nargs="*", default=None)
    parser.add_argument("--write", action="store_true", help="write the results file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patientview.settings.local")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()
    import numpy as np
    from django.conf import settings

    from analytics.ml.analyser import Analyser, AnalysisInput
    from analytics.ml.routing import RoutingInput, route_feedback
    from analytics.ml.triage import TriageReading
    from analytics.ml.triage_data import CORPUS_DIR, TRIAGE_LABELS, read_directory, read_jsonl
    from analytics.ml.triage_scoring import Calibration, model_route, route_scores

    lines = args.out_of_fold.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    scores = {row["id"]: row["scores"] for row in map(json.loads, lines[1:])}
    if args.only:
        examples = [e for path in args.only for e in read_jsonl(path, source="corpus")]
    else:
        examples = read_directory(CORPUS_DIR, source="corpus")
    missing = [e.id for e in examples if e.id not in scores]
    if missing:
        raise SystemExit(f"{len(missing)} items have no out-of-fold scores, e.g. {missing[0]}")
    cutoffs = np.array([header["cutoffs"][label] for label in TRIAGE_LABELS])
    floors = np.array([header["check_floors"].get(label, np.nan) for label in TRIAGE_LABELS])
    calibration = Calibration(
        np.ones(len(TRIAGE_LABELS)), np.zeros(len(TRIAGE_LABELS)), cutoffs, floors
    )
    probabilities = np.array([[scores[e.id][label] for label in TRIAGE_LABELS] for e in examples])
    analyser = Analyser.load(args.artifacts or Path(settings.ANALYSIS_ARTIFACTS_DIR), triage=False)
    results = analyser.analyse(
        [
            AnalysisInput(text=e.text, question=e.question, service_type=e.service_type)
            for e in examples
        ]
    )
    readings = [
        TriageReading(
            scores=scores[e.id],
            cutoffs=dict(header["cutoffs"]),
            check_floors=dict(header["check_floors"]),
        )
        for e in examples
    ]

    def product(rules_route: bool) -> tuple[list[str], list[bool]]:
        decisions = [
            route_feedback(
                RoutingInput(
                    text=e.text,
                    kind=e.kind,
                    service_type=e.service_type,
                    has_provider=e.provider_named,
                    question=e.question,
                    themes=[slug for slug, _ in r.themes],
                    risk_scores=r.risk_scores,
                    triage=reading,
                ),
                rules_route=rules_route,
            )
            for e, r, reading in zip(examples, results, readings, strict=True)
        ]
        return [d.route.value for d in decisions], [bool(d.check_flags) for d in decisions]

    alone = [model_route(p, e, calibration) for p, e in zip(probabilities, examples, strict=True)]
    routers = {
        "reader alone": ([r for r, _ in alone], [c for _, c in alone]),
        "reader, rules route": product(True),
        "reader, rules ask a check": product(False),
    }
    report = [
        f"# Phrase rules beside the reader, out of fold ({len(examples)} corpus items"
        + (f": {', '.join(p.name for p in args.only)}" if args.only else "")
        + ")",
        "",
        f"Out-of-fold probabilities: `{args.out_of_fold.name}`.",
        "",
        "| router | routing accuracy | CQC recall | not for the CQC, sent there "
        "| CQC missed, flagged for a check | items flagged |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (routes, checked) in routers.items():
        s = route_scores(probabilities, examples, calibration, routes=routes, checked=checked)
        c = s["cqc"]
        report.append(
            f"| {name} | {s['routing_accuracy']:.3f} | {c['recall']:.3f} "
            f"({c['reached']}/{c['positives']}) | {c['false_alarm_rate']:.3f} "
            f"({c['false_alarms']}) | {c['missed_but_flagged_for_a_check']} "
            f"| {c['checked_share']:.3f} |"
        )
    text = "\n".join(report)
    print(text)
    if args.write:
        RESULTS.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
