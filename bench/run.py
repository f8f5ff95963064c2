"""Run the benchmarks: `make bench` (all of them) or `make bench BENCH="dashboard export_stream"`.

Each benchmark measures its own baseline in the same run and prints ratios against it, writes its
table to bench/results/<name>.md, and needs the machine's PostgreSQL (and Redis for `load`).
None of them is part of `make test`: they take minutes, and timings are not pass/fail tests.

    model_speed    analyse_csv on 6,000 comments; worker pipeline against the bare model (issue 3)
    export_stream  streaming 1,000,000 pseudonymised rows as CSV and NDJSON (issue 6)
    dashboard      dashboard pages' p95 server time at 100,000 and 1,000,000 items (issue 5)
    load           300 submissions/s for 60 s through gunicorn, against a bare insert (issue 7)
    redaction      recall per identifier kind and precision on the marked evaluation set
    search         staff search p95 at 1,000,000 items beside an ILIKE search (issue 18)
    duplicates     the duplicate check for one new item at 1,000,000 items beside an
                   exhaustive check (issue 18)
    duplicate_threshold  the duplicate check's text-similarity threshold, calibrated on the
                   triage corpus (ADR 0016)
    fft_upload     100,000 FFT rows uploaded as CSV and XLSX, beside a bare bulk insert (issue 18)
    triage_speed   the analyser with the triage reader against it without (issue 15)
    reader_precision  held-out scores with the reader in fp32 and in bfloat16 (issue 21)
    language       language detection on evaluation/language: accuracy per language, English
                   false alarms, time per item; a multilingual encoder beside the base (issue 19)
    paper          scanned paper forms: tick boxes, QR codes, OCR error rate, pages/s (issue 20)

At the end it prints one table: every ratio or headline figure (the bold cells) of each
benchmark's results file, with the row it belongs to.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = (
    "model_speed",
    "export_stream",
    "dashboard",
    "load",
    "redaction",
    "search",
    "duplicates",
    "duplicate_threshold",
    "fft_upload",
    "triage_speed",
    "reader_precision",
    "language",
    "paper",
)


RATIO_COLUMN = re.compile(r"vs baseline|/ baseline|/ ilike|ratio", re.IGNORECASE)


# A headline figure: a cell that starts in bold ("**15.70** (408 pages in 26.0 s)").
HEADLINE = re.compile(r"\*\*([^*]+)\*\*")


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def summary(names: list[str]) -> str:
    """Each benchmark's ratios against its baselines: the columns of its results tables that
    hold them, and the bold cells (a headline figure in a two-column table). Of a file that
    keeps earlier runs under headings of their own ("## 2026-12-04 14:31 ..."), only the tables
    up to the first such heading after a table: the run it shows first."""
    lines = ["| Benchmark | Row | Figure |", "|---|---|---:|"]
    for name in names:
        path = ROOT / "bench" / "results" / f"{name}.md"
        if not path.is_file():
            continue
        header: list[str] = []
        read_a_table = False
        for row in path.read_text(encoding="utf-8").splitlines():
            if row.startswith("## ") and read_a_table:
                break  # an earlier run, kept below the newest
            read_a_table = read_a_table or row.startswith("|")
            if not row.startswith("|"):
                header = []
                continue
            cells = _cells(row)
            if not header:
                header = cells
                continue
            if set("".join(cells)) <= set("-: "):
                continue
            label = ", ".join(
                c
                for h, c in list(zip(header, cells, strict=False))[:3]
                if not RATIO_COLUMN.search(h)
            )
            for column, cell in zip(header, cells, strict=False):
                if RATIO_COLUMN.search(column):
                    lines.append(f"| {name} | {label} | {column}: {cell} |")
            bold = [m.group(1) for c in cells[1:] if (m := HEADLINE.match(c))]
            if bold:
                lines.append(f"| {name} | {cells[0]} | {bold[0]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    names = argv if argv is not None else sys.argv[1:]
    names = names or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Choose from: {', '.join(BENCHES)}.")
        return 2
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        status = module.main([])
        print(f"=== {name}: exit {status} in {time.perf_counter() - started:.0f} s ===", flush=True)
        if status:
            failed.append(name)
    print("\n=== summary ===\n" + summary(names), flush=True)
    if failed:
        print(f"Failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
