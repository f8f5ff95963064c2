"""What a triage training run writes and prints: the reader's files (heads, branch, manifest),
each example's out-of-fold probabilities, and the scores as text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analytics.ml.heads import _replace_atomically, sha256_file
from analytics.ml.triage import (
    TRIAGE_BRANCH_FILE,
    TRIAGE_HEADS_FILE,
    TRIAGE_MANIFEST_FILE,
    TriageHeads,
)
from analytics.ml.triage_data import TRIAGE_LABELS, TriageExample
from analytics.ml.triage_scoring import Calibration


def by_source(examples: Sequence[TriageExample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.source] = counts.get(e.source, 0) + 1
    return counts


def write_out_of_fold(
    path: Path,
    examples: Sequence[TriageExample],
    probabilities: np.ndarray,
    calibration: Calibration,
) -> None:
    """One line an example: its id, source and calibrated out-of-fold probabilities, with the
    cut-offs and check floors chosen on them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {
                    "cutoffs": dict(zip(TRIAGE_LABELS, calibration.cutoffs.tolist(), strict=True)),
                    "check_floors": {
                        label: float(v)
                        for label, v in zip(TRIAGE_LABELS, calibration.check_floors, strict=True)
                        if np.isfinite(v)
                    },
                }
            )
            + "\n"
        )
        for example, row in zip(examples, probabilities, strict=True):
            scores = {
                label: round(float(p), 5) for label, p in zip(TRIAGE_LABELS, row, strict=True)
            }
            handle.write(
                json.dumps({"id": example.id, "source": example.source, "scores": scores}) + "\n"
            )


def count_sources(examples: Sequence[TriageExample]) -> str:
    return ", ".join(f"{n} {source}" for source, n in by_source(examples).items())


def save_triage(
    directory: Path,
    heads: TriageHeads,
    branch: dict[str, np.ndarray],
    manifest: dict[str, Any],
) -> dict[str, Any]:
    """Write the branch (float16), the heads, then the manifest with both files' SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)

    def write_heads(path: Path) -> None:
        with path.open("wb") as handle:
            np.savez_compressed(handle, **heads.arrays())

    def write_branch(path: Path) -> None:
        with path.open("wb") as handle:
            halves: dict[str, Any] = {k: v.astype(np.float16) for k, v in branch.items()}
            np.savez(handle, **halves)

    _replace_atomically(directory / TRIAGE_HEADS_FILE, write_heads)
    _replace_atomically(directory / TRIAGE_BRANCH_FILE, write_branch)
    manifest = {
        **manifest,
        "files": {
            TRIAGE_HEADS_FILE: {"sha256": sha256_file(directory / TRIAGE_HEADS_FILE)},
            TRIAGE_BRANCH_FILE: {
                "sha256": sha256_file(directory / TRIAGE_BRANCH_FILE),
                "parameters": int(sum(v.size for v in branch.values())),
                "dtype": "float16",
            },
        },
    }
    text = json.dumps(manifest, indent=2) + "\n"
    _replace_atomically(
        directory / TRIAGE_MANIFEST_FILE, lambda p: p.write_text(text, encoding="utf-8")
    )
    return manifest


def format_scores(scores: dict[str, Any], title: str) -> str:
    """Per-rule recall and precision, CQC recall, the route confusion matrix, as text."""
    lines = [f"{title}: routing accuracy {scores['routing_accuracy']:.3f} (n={scores['n']})"]
    cqc = scores["cqc"]
    lines.append(
        f"  CQC recall {cqc['recall']:.3f} ({cqc['reached']} of {cqc['positives']}), "
        f"not-CQC items sent to the CQC {cqc['false_alarm_rate']:.3f}, "
        f"flagged for a check {cqc['checked_share']:.3f} of all items"
    )
    for label, figures in scores["labels"].items():
        lines.append(
            f"  {label:<18} recall {figures['recall']:.3f}  precision {figures['precision']:.3f}"
            f"  (positives {figures['positives']})"
        )
    lines.append("  route confusion (rows: right route; columns: chosen):")
    routes = scores["confusion"]["routes"]
    lines.append("    " + " ".join(f"{r:>6}" for r in ["", *routes]))
    for route, row in zip(routes, scores["confusion"]["matrix"], strict=True):
        lines.append("    " + f"{route:>6} " + " ".join(f"{v:>6}" for v in row))
    return "\n".join(lines)
