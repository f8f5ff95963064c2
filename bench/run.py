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
    triage_speed   the analyser with the triage reader against it without (issue 15)
"""

from __future__ import annotations

import importlib
import os
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
    "triage_speed",
)


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
    if failed:
        print(f"Failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
