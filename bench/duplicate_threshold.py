"""Calibration: the cosine similarity at which two items' readings make them possible duplicates.

    .venv/bin/python bench/duplicate_threshold.py [--compare-base]

Reads every comment of the triage corpus (analytics/ml/data/triage/corpus/*.jsonl) with the
committed analyser, as the worker reads a web complaint (no question, no FFT rating, the service
type when known, the precision the settings choose), and compares the stored readings (unit
length, int8: analytics.ml.similarity) of every pair:

- *same situation*: two comments sharing a ``situation`` id, different people (a patient and a
  relative, say) telling the same incident in their own words: what a duplicate complaint is;
- *unrelated*: every other pair; also counted among pairs of the same service type, and of the
  same corpus file (the same kind of story: the hardest unrelated pairs).

For each threshold it counts unrelated pairs at or above it (false candidates, per 1,000 pairs)
and same-situation pairs at or above it (found). The threshold chosen is the lowest on the grid
with fewer than 1 false candidate in 1,000 unrelated pairs, among all of them and among those of
the same service type (a queue's items mostly share its services). It also reads every 7th
comment again as its writer might resend it (a chaser line first, the last sentence left out)
and counts those found; and it checks the duplicate check's first pass (sketches compared, then
the nearest compared exactly): how far down that ranking the five nearest above the threshold
lie.

With ``--compare-base`` it also compares the same pairs by the untuned base model's own sentence
embedding, for the record (the product does not store it).

Results: bench/results/duplicate_threshold.md (cited by docs/adr/0016).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "analytics" / "ml" / "data" / "triage" / "corpus"
RESULTS = ROOT / "bench" / "results" / "duplicate_threshold.md"
GRID = [round(0.80 + 0.01 * i, 2) for i in range(20)]
# At most this many false candidates per unrelated pair.
FALSE_RATE = 1 / 1000
# Every so many comments is sent "again" (resend) to see how a resubmission reads.
RESEND_EVERY = 7
CHASER = "I am writing again because I have not had a reply."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def resend(text: str) -> str:
    """The comment as its writer might send it again: a chaser first, the last sentence gone."""
    sentences = _SENTENCE_END.split(text.strip())
    kept = sentences[:-1] if len(sentences) > 1 else sentences
    return f"{CHASER} {' '.join(kept)}"


def wilson(found: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval for a proportion."""
    if total == 0:
        return (0.0, 0.0)
    p = found / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (centre - half, centre + half)


def corpus() -> list[dict[str, Any]]:
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    row["file"] = path.stem
                    rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patientview.settings.local")
    import django

    django.setup()
    from django.conf import settings

    from analytics.ml.analyser import Analyser
    from analytics.ml.similarity import (
        cosines,
        reading_matrix,
        reading_sketch,
        sketch_matrix,
        sketch_scores,
    )

    rows = corpus()
    analyser = Analyser.load(
        Path(settings.ANALYSIS_ARTIFACTS_DIR), triage=False, precision=settings.READER_PRECISION
    )
    started = time.perf_counter()
    # What Analyser.analyse does without the triage reader, keeping the float features too.
    features = analyser.encoder.encode(
        [""] * len(rows),
        [row["text"] for row in rows],
        [None] * len(rows),
        [row.get("service_type") or "" for row in rows],
        batch_size=32,
    )
    results = analyser.results_from_features(features)
    seconds = time.perf_counter() - started
    readings = [r.reading for r in results if r.reading is not None]
    assert len(readings) == len(results)
    matrix = reading_matrix(readings).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    similarity = matrix @ matrix.T
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    exact = unit @ unit.T

    n = len(rows)
    upper = np.triu_indices(n, k=1)
    situation = np.array([row["situation"] for row in rows])
    service = np.array([row.get("service_type") or "" for row in rows])
    source = np.array([row["file"] for row in rows])
    same = (situation[:, None] == situation[None, :])[upper]
    same_service = (service[:, None] == service[None, :])[upper]
    same_file = (source[:, None] == source[None, :])[upper]
    scores = similarity[upper]
    quantisation = float(np.abs(scores - exact[upper]).max())
    positives = scores[same]
    negatives = scores[~same]
    hard = scores[~same & same_service]
    hardest = scores[~same & same_file]

    table: list[dict[str, Any]] = []
    for threshold in GRID:
        found = int((positives >= threshold).sum())
        table.append(
            {
                "threshold": threshold,
                "found": found,
                "false_all": int((negatives >= threshold).sum()),
                "false_service": int((hard >= threshold).sum()),
                "false_file": int((hardest >= threshold).sum()),
            }
        )
    chosen = next(
        row
        for row in table
        if row["false_service"] < FALSE_RATE * len(hard)
        and row["false_all"] < FALSE_RATE * len(negatives)
    )
    threshold = chosen["threshold"]

    # The first pass: for each comment, where its five nearest at or above the threshold (what
    # the check shows) rank among all the others by sketch, 0 being the nearest.
    sketches = sketch_matrix([reading_sketch(r) for r in readings])
    sims = similarity.copy()
    np.fill_diagonal(sims, -1.0)
    worst_rank, queries = 0, 0
    for i in range(n):
        near = np.flatnonzero(sims[i] >= threshold)
        if len(near) == 0:
            continue
        queries += 1
        shown = near[np.argsort(-sims[i, near])][:5]
        scores = sketch_scores(reading_sketch(readings[i]), sketches).astype(np.float64)
        scores[i] = -np.inf
        worst_rank = max(worst_rank, max(int((scores > scores[j]).sum()) for j in shown))

    # The same complaint sent again: a chaser line added and the last sentence left out.
    again = rows[::RESEND_EVERY]
    resent = analyser.results_from_features(
        analyser.encoder.encode(
            [""] * len(again),
            [resend(row["text"]) for row in again],
            [None] * len(again),
            [row.get("service_type") or "" for row in again],
            batch_size=32,
        )
    )
    originals = reading_matrix([readings[i] for i in range(0, n, RESEND_EVERY)])
    resend_scores = np.array(
        [
            cosines(result.reading, originals[k : k + 1])[0]
            for k, result in enumerate(resent)
            if result.reading is not None
        ]
    )
    resend_found = int((resend_scores >= threshold).sum())

    low, high = wilson(chosen["found"], len(positives))
    lines = [
        "# Duplicate check: calibrating the text-similarity threshold (issue 18 item 5, ADR 0016)",
        "",
        f"Written by `bench/duplicate_threshold.py` on {time.strftime('%Y-%m-%d %H:%M')}: the "
        f"{n:,} comments of the triage corpus read by the committed analyser "
        f"({analyser.model_version}, precision {settings.READER_PRECISION}, {seconds:.0f} s), "
        "as the worker reads a web complaint (no question or FFT rating; the service type). "
        "Similarity: the cosine of the stored readings (int8); rounding to int8 "
        f"moved no pair's cosine by more than {quantisation:.4f}.",
        "",
        f"- same situation: {len(positives)} pairs (two people telling one incident);",
        f"- unrelated: {len(negatives):,} pairs; {len(hard):,} of the same service type; "
        f"{len(hardest):,} from the same corpus file (the same kind of story).",
        "",
        "Same-situation cosines: "
        + ", ".join(f"p{q} {np.percentile(positives, q):.3f}" for q in (10, 25, 50, 75, 90))
        + ". Unrelated: "
        + ", ".join(f"p{q} {np.percentile(negatives, q):.3f}" for q in (50, 99, 99.9, 99.99))
        + f", max {negatives.max():.3f}.",
        "",
        "| threshold | same situation found | found (share) | false candidates, all unrelated "
        "| per 1,000 pairs | same service type | per 1,000 | same corpus file | per 1,000 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table:
        mark = "**" if row is chosen else ""
        lines.append(
            f"| {mark}{row['threshold']:.2f}{mark} | {row['found']} / {len(positives)} "
            f"| {row['found'] / len(positives):.0%} | {row['false_all']:,} "
            f"| {1000 * row['false_all'] / len(negatives):.3f} | {row['false_service']:,} "
            f"| {1000 * row['false_service'] / len(hard):.3f} | {row['false_file']:,} "
            f"| {1000 * row['false_file'] / len(hardest):.3f} |"
        )
    lines += [
        "",
        f"Chosen: **{threshold:.2f}**, the lowest threshold with fewer than 1 false candidate in "
        "1,000 unrelated pairs, all of them and those of the same service type: "
        f"{chosen['found']} of {len(positives)} same-situation pairs found "
        f"({chosen['found'] / len(positives):.0%}, 95% interval {low:.0%} to {high:.0%}); "
        f"{1000 * chosen['false_all'] / len(negatives):.3f} false candidates per 1,000 unrelated "
        f"pairs ({1000 * chosen['false_service'] / len(hard):.3f} of the same service type).",
        "",
        f"The same complaint sent again (synthetic: {len(resend_scores)} comments, every "
        f'{RESEND_EVERY}th, with "{CHASER}" put first and the last sentence left out): '
        f"{resend_found} of {len(resend_scores)} at or above {threshold:.2f} "
        f"({resend_found / len(resend_scores):.0%}); cosine p10 "
        f"{np.percentile(resend_scores, 10):.3f}, median {np.median(resend_scores):.3f}.",
        "",
        "First pass (sketches compared, then the nearest compared exactly): for the "
        f"{queries:,} comments with a candidate at or above {threshold:.2f}, the five nearest "
        f"ranked at worst {worst_rank} of {n - 1:,} others by sketch "
        f"({worst_rank / (n - 1):.2%} of them).",
        "",
    ]
    if "--compare-base" in (argv if argv is not None else sys.argv[1:]):
        lines += _base_model_comparison(rows, same, same_service, upper, len(positives))
    report = "\n".join(lines)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    print(json.dumps({"threshold": threshold, "worst_rank": worst_rank}))
    return 0


def _base_model_comparison(
    rows: list[dict[str, Any]],
    same: np.ndarray,
    same_service: np.ndarray,
    upper: tuple[np.ndarray, np.ndarray],
    pairs: int,
) -> list[str]:
    """The same pairs compared by the untuned all-MiniLM-L6-v2's own sentence embedding (what
    the model was trained for: semantic similarity), at its own threshold by the same rule.
    Not what the product stores: it would take a second pass of the base model per item."""
    from django.conf import settings

    from analytics.ml.encoder import Encoder

    started = time.perf_counter()
    vectors = Encoder(precision=settings.READER_PRECISION).sentence_embeddings(
        [row["text"] for row in rows], batch_size=32
    )
    seconds = time.perf_counter() - started
    scores = (vectors @ vectors.T)[upper]
    positives, negatives, hard = scores[same], scores[~same], scores[~same & same_service]
    # The lowest threshold on a fine grid with fewer than 1 in 1,000 false, as for the reading.
    threshold = next(
        t
        for t in np.arange(0.30, 1.0, 0.005)
        if (negatives >= t).sum() < FALSE_RATE * len(negatives)
        and (hard >= t).sum() < FALSE_RATE * len(hard)
    )
    found = int((positives >= threshold).sum())
    low, high = wilson(found, pairs)
    return [
        "## For comparison: the untuned model's sentence embedding",
        "",
        f"`--compare-base`: all-MiniLM-L6-v2 as shipped, its own sentence embedding of the "
        f"comment alone ({seconds:.0f} s). Same-situation cosines median "
        f"{np.median(positives):.3f}; unrelated median {np.median(negatives):.3f}, p99 "
        f"{np.percentile(negatives, 99):.3f}. By the same rule its threshold is "
        f"{threshold:.3f}, which finds {found} of {pairs} same-situation pairs "
        f"({found / pairs:.0%}, 95% interval {low:.0%} to {high:.0%}), with "
        f"{1000 * (negatives >= threshold).sum() / len(negatives):.3f} false per 1,000.",
        "",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
