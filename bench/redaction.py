"""Redaction: recall per kind of identifier and precision on a marked set, and texts per second.

    make bench BENCH=redaction              # the evaluation set (analytics/data/redaction)
    .venv/bin/python bench/redaction.py --set development --show-misses

Recall: a marked identifier is caught when all of it was replaced. Precision: replaced spans
that touch a marked identifier, over all replaced spans. Speed: texts per second on one core
once the analyser has loaded (it runs once per item, in the worker; exports stream the stored
text, see bench/export_stream.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "redaction.md"
SETS = {
    "evaluation": ROOT / "analytics" / "data" / "redaction" / "evaluation.jsonl",
    "development": ROOT / "analytics" / "data" / "redaction" / "development.jsonl",
    # Written after the first held-out set's figures were read, to judge the next round of
    # tuning once: never run it while tuning.
    "evaluation_v2": ROOT / "analytics" / "data" / "redaction" / "evaluation_v2.jsonl",
    # Written apart after the second set's figures and misses had been read: judges the third
    # round of tuning, once.
    "evaluation_v3": ROOT / "analytics" / "data" / "redaction" / "evaluation_v3.jsonl",
    # Written apart before the learnt recogniser's final training run, which trains on every
    # set above: judges it, once.
    "evaluation_v4": ROOT / "analytics" / "data" / "redaction" / "evaluation_v4.jsonl",
    # Written apart after the learnt recogniser shipped (it never saw it): judges the shipped
    # version, once.
    "evaluation_v5": ROOT / "analytics" / "data" / "redaction" / "evaluation_v5.jsonl",
    # Written apart after the fifth set's misses had been read and the rules for house names,
    # prefixed hospital numbers and dates a name runs into were written: judges them, once.
    "evaluation_v6": ROOT / "analytics" / "data" / "redaction" / "evaluation_v6.jsonl",
    # Written apart after the sixth set was read, before any change to the recognisers: judges
    # the next round (the learnt recogniser retrained with the read sets, or new rules), once.
    "evaluation_v7": ROOT / "analytics" / "data" / "redaction" / "evaluation_v7.jsonl",
}
KIND_ORDER = (
    "NAME", "NHS_NUMBER", "PHONE", "EMAIL", "ADDRESS", "POSTCODE", "DATE_OF_BIRTH",
    "HOSPITAL_NUMBER", "NI_NUMBER",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), default="evaluation_v6")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--rules-only", action="store_true", help="without the learnt recogniser, to compare"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patientview.settings.local")
    import torch

    torch.set_num_threads(1)
    from analytics.redaction_engine import analyzer, find_many, learnt
    from analytics.redaction_scoring import DIRECT, read_marked, score

    def find(text: str) -> list[tuple[int, int, str]]:
        return find_many([text], learnt_too=not args.rules_only)[0]

    items = read_marked(SETS[args.set])
    started = time.perf_counter()
    analyzer()
    with_learnt = not args.rules_only and learnt() is not None
    if with_learnt:
        find("warm up")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    scores = score(items, find)
    elapsed = time.perf_counter() - started
    rate = len(items) / elapsed
    lines = [
        f"# Redaction on the {args.set} set ({len(items)} marked texts), "
        + ("rules and the learnt recogniser" if with_learnt else "rules alone"),
        "",
        "| kind | caught | marked | recall |",
        "|---|---:|---:|---:|",
    ]
    for kind in KIND_ORDER:
        caught, marked = scores.recall.get(kind, (0, 0))
        if marked:
            lines.append(f"| {kind} | {caught} | {marked} | {caught / marked:.3f} |")
    lines += [
        f"| **direct identifiers** ({', '.join(DIRECT)}) | | | "
        f"**{scores.kind_recall(DIRECT):.3f}** |",
        "",
        f"Precision: {scores.precision:.3f} ({scores.replaced - scores.false_alarms} of "
        f"{scores.replaced} replaced spans touch a marked identifier).",
        f"Speed: {rate:.0f} texts/s on one core ({elapsed:.1f} s for {len(items)} texts; "
        f"loading {load_s:.1f} s).",
    ]
    report = "\n".join(lines)
    print(report)
    if args.show_misses:
        print("\nMissed:")
        for ident, kind, value in scores.misses:
            print(f"  {ident} {kind}: {value!r}")
        print("\nFalse alarms:")
        for ident, value in scores.alarms:
            print(f"  {ident}: {value!r}")
    if args.set.startswith("evaluation"):
        stem = "redaction" if args.set == "evaluation" else f"redaction_{args.set}"
        stem += "_rules_only" if args.rules_only else ""
        RESULTS.with_stem(stem).write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
