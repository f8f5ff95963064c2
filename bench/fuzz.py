"""Long fuzzing run of the public ways in: tests/feedback/test_fuzz.py with more examples.

    .venv/bin/python bench/fuzz.py [--scale 20]
        [--database-url postgres://postgres@127.0.0.1:5432/pv_bench_fuzz]

Runs the fuzz properties (POST /api/v1/feedback/ with adversarial text, random JSON, raw bodies
under any content type, JSON escapes and Idempotency-Keys; schemathesis on the public API's
schema; every page of the web form and the whole journey) with FUZZ_SCALE times the suite's
number of examples, on PostgreSQL (pytest-django creates and drops test_<name>), and counts every
request by what it was sent to and the status it got. Any 5xx fails the run. Results go to
bench/results/fuzz.md. The suite itself runs the same properties at scale 1 on every `make test`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, load_average, machine

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pv_bench_fuzz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20, help="times the suite's examples")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="'' for SQLite")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "fuzz.md"))
    given = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(given)
    command = shlex.join([".venv/bin/python", "bench/fuzz.py", *given])

    with tempfile.TemporaryDirectory(prefix="pv-fuzz-") as tmp:
        report = Path(tmp) / "counts.json"
        env = {**os.environ, "FUZZ_SCALE": str(args.scale), "FUZZ_REPORT": str(report)}
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        else:
            env.pop("DATABASE_URL", None)
        loadavg_before = load_average()
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/feedback/test_fuzz.py", "-q",
             "-p", "no:cacheprovider", "--create-db", "-W", "ignore::DeprecationWarning"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.monotonic() - started
        counts: dict[str, int] = json.loads(report.read_text()) if report.exists() else {}

    by_target: dict[str, dict[int, int]] = defaultdict(dict)
    for key, n in counts.items():
        target, _, status = key.rpartition(" ")
        by_target[target][int(status)] = n
    rows = []
    total = server_errors = 0
    for target in sorted(by_target):
        statuses = by_target[target]
        n = sum(statuses.values())
        fives = sum(c for s, c in statuses.items() if s >= 500)
        total += n
        server_errors += fives
        spread = ", ".join(f"{s}: {c:,}" for s, c in sorted(statuses.items()))
        rows.append(f"| {target} | {n:,} | {spread} | {fives} |")
    tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    failures = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    database = (
        f"PostgreSQL (test_{args.database_url.rsplit('/', 1)[-1]})"
        if args.database_url
        else "SQLite"
    )
    text = f"""# Fuzzing run of the form and the API (issue 7)

Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{command}` on {machine()}; {database}.
Load average before: {loadavg_before}; after: {load_average()}. {seconds:.0f} s in all.

The properties of `tests/feedback/test_fuzz.py` (which `make test` runs at scale 1) with
{args.scale} times the examples: adversarial text (null bytes, C0 and C1 controls, very long words,
emoji with ZWJ and tag sequences, Welsh, Arabic and Hebrew, bidirectional overrides, HTML, script
and template syntax, spreadsheet formulas), random JSON structures, raw bytes under ten content
types, JSON nested up to 120,000 deep, lone surrogates in JSON escapes, Idempotency-Keys of any
Latin-1 text; schemathesis (positive and negative) on the public API's OpenAPI schema; every
page of the web form with random answers and extra fields, and the whole journey to "Send".
Each property also asserts what the answer should be: 201 with the text stored as sent (less
control characters and surrounding blank space) and shown escaped on the check page and the staff
page, or 400 / the page again naming exactly the fields at fault.

| sent to | requests | answers by status | 5xx |
| --- | ---: | --- | ---: |
{chr(10).join(rows)}
| all | {total:,} | | {server_errors} |

pytest: `{tail[0].strip()}`{"; " + "; ".join(failures) if failures else ""}
"""
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(text)
    if done.returncode != 0:
        print(done.stdout[-5000:])
    return 0 if done.returncode == 0 and server_errors == 0 and total else 1


if __name__ == "__main__":
    sys.exit(main())
