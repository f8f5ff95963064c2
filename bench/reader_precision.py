"""Benchmark: the reader's held-out scores in fp32 and in bfloat16, side by side (ADR 0014).

    .venv/bin/python bench/reader_precision.py

Scores the committed analyser on the held-out split of the shared FFT data (the same end-to-end
scoring training reports, analytics.ml.held_out) twice: with the layers in fp32 (the reference)
and in bfloat16 autocast (what READER_PRECISION=auto runs on a CPU with AMX). The precision was
chosen before this was run, on agreement over unlabelled comments; this is the check that the
scores stay within 0.005. Results go to bench/results/reader_precision.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "reader_precision.md"
FFT = ROOT.parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"
TOLERANCE = 0.005


def _figures(scores: dict[str, Any]) -> dict[str, float]:
    """The headline figures of a held-out report, by name."""
    sentiment = scores["sentiment"] or {}
    themes = scores["themes"]
    out = {
        "sentiment macro-F1 (1-5)": sentiment.get("macro_f1"),
        "sentiment accuracy (1-5)": sentiment.get("accuracy"),
        "sentiment macro-F1 (3-way)": sentiment.get("three_way_macro_f1"),
        "sentiment ECE": sentiment.get("ece"),
        "themes micro-F1": themes.get("micro_f1"),
        "themes macro-F1 (themes the model emits)": themes.get("macro_f1_emitted"),
    }
    return {k: float(v) for k, v in out.items() if isinstance(v, int | float)}


def main(argv: list[str] | None = None) -> int:
    from analytics.ml.analyser import Analyser
    from analytics.ml.held_out import score_held_out
    from analytics.ml.risk import RISK_SCORE_THRESHOLD
    from analytics.ml.routing import detect_risks
    from analytics.ml.runtime import bfloat16_units
    from analytics.ml.training_data import read_fft

    if not FFT.is_file():
        raise SystemExit(f"{FFT} not found: the benchmark reads the shared FFT comments")
    fft = read_fft(FFT)
    rows = {}
    seconds = {}
    for precision in ("fp32", "bf16"):
        analyser = Analyser.load(ROOT / "analytics" / "artifacts", precision=precision)
        started = time.perf_counter()
        scores = score_held_out(
            analyser,
            fft,
            batch_size=32,
            risk_threshold=RISK_SCORE_THRESHOLD,
            detect_risks=detect_risks,
        )
        seconds[precision] = time.perf_counter() - started
        rows[precision] = _figures(scores)
        print(precision, rows[precision], f"{seconds[precision]:.1f} s", flush=True)
    lines = [
        "# Reader precision: held-out scores in fp32 and bfloat16 (issue 21, ADR 0014)",
        "",
        f"{int(fft.held_out.sum()):,} held-out FFT comments, scored end to end as training "
        f"reports them; this CPU {'has' if bfloat16_units() else 'has no'} AMX bfloat16 units. "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC. Written by "
        "`bench/reader_precision.py`, run once after the precision was chosen.",
        "",
        "| Score | fp32 | bf16 | Difference | Within 0.005 |",
        "|---|---:|---:|---:|---|",
    ]
    for name, value in rows["fp32"].items():
        other = rows["bf16"].get(name)
        if other is None:
            continue
        diff = other - value
        lines.append(
            f"| {name} | {value:.4f} | {other:.4f} | {diff:+.4f} | "
            f"{'yes' if abs(diff) <= TOLERANCE else 'no'} |"
        )
    lines += [
        f"| time for the held-out scoring (s) | {seconds['fp32']:.1f} | {seconds['bf16']:.1f} "
        f"| {seconds['fp32'] / seconds['bf16']:.2f}x | |",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
