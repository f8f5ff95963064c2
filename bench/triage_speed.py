"""Benchmark: what the triage reader costs the analyser, against the analyser without it.

    .venv/bin/python bench/triage_speed.py [--rows 2000] [--repeats 2] [--artifacts DIR]

Both analysers read in the precision the worker uses (READER_PRECISION, "auto" by default).

Loads the committed artifacts twice in one process (with and without the triage reader, the
same base model) and analyses the same real FFT comments (question, service, rating) with each,
alternating, ``--repeats`` times; reports comments/s and the ratio. Target (issue 15):
``analyse_csv`` no more than 10% slower with the triage reader. Results:
bench/results/triage_speed.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "triage_speed.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--artifacts", type=Path, default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patientview.settings.local")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()
    from django.conf import settings

    from analytics.ml.analyser import Analyser, AnalysisInput
    from analytics.ml.training import FFT_FILE, read_fft
    from bench.common import load_average, machine

    artifacts = args.artifacts or Path(settings.ANALYSIS_ARTIFACTS_DIR)
    precision = settings.READER_PRECISION
    fft = read_fft(Path(settings.PATIENT_FEEDBACK_DATA_DIR) / FFT_FILE)
    inputs = [
        AnalysisInput(text=fft.texts[i], question=fft.questions[i])
        for i in range(min(args.rows, len(fft.texts)))
    ]
    with_triage = Analyser.load(artifacts, precision=precision)
    if with_triage.triage is None:
        raise SystemExit("No triage reader in the artifacts: train it first (make train).")
    # Its own encoder, with no branch on it.
    without = Analyser.load(artifacts, triage=False, precision=precision)
    seconds: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.repeats):
        for name, analyser in (("without", without), ("with", with_triage)):
            started = time.perf_counter()
            analyser.analyse(inputs, batch_size=settings.ANALYSIS_BATCH_SIZE)
            seconds[name].append(time.perf_counter() - started)
    best = {name: min(values) for name, values in seconds.items()}
    rate = {name: len(inputs) / best[name] for name in best}
    lines = [
        "# The triage reader's cost",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, load average "
        f"{load_average()}, by `.venv/bin/python bench/triage_speed.py --rows {args.rows} "
        f"--repeats {args.repeats}`: {len(inputs)} FFT comments with their questions, best of "
        f"{args.repeats} alternating runs each, both read in {with_triage.encoder.precision} "
        f"(READER_PRECISION={precision}).",
        "",
        "| analyser | seconds | comments/s |",
        "|---|---:|---:|",
        f"| without the triage reader (baseline) | {best['without']:.1f} | {rate['without']:.1f} |",
        f"| with the triage reader | {best['with']:.1f} | {rate['with']:.1f} |",
        "",
        f"With the triage reader the analyser takes {best['with'] / best['without']:.2f} times "
        "as long (target: at most 1.10).",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
