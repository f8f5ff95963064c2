"""Benchmark: dashboard pages' server time with 100,000 and 1,000,000 items in PostgreSQL.

    .venv/bin/python bench/dashboard.py [--sizes 100000 1000000] [--requests 40] [--keep]
        [--database-url postgres://postgres@127.0.0.1:5432/pv_bench_dashboard]

1. Creates a database of its own (dropped at the end unless --keep), migrates it, loads the
   organisation directory and the demo staff.
2. For each size, oldest first: tops the items up to that size with ``generate_feedback`` (COPY,
   two years of items, every workflow state), which then recounts the monthly aggregates
   (``rebuild_stats``); then ANALYZE.
3. In a fresh process, through Django's whole request stack (sessions, middleware, templates),
   requests every dashboard page as a trust's manager, an ICB's member of staff and the CQC
   (every organisation in England), plus filtered variants, ``--requests`` times each after three
   warm-up requests, and records the server time of each. Baseline in the same process and run:
   the staff queue page (a paginated list that existed before the dashboards), same users.

Target (issue 5): every dashboard page p95 < 300 ms at 1,000,000 items. Results go to
bench/results/dashboard.md. Not part of `make test`: it takes minutes and needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_SERVER,
    RESULTS,
    ROOT,
    django_env,
    drop_database,
    execute,
    fresh_database,
    load_average,
    machine,
    manage,
    signed_in_client,
    summary,
)

VIEWERS = {
    "trust": "trust.manager",
    "icb": "icb.handler",
    "national": "cqc.handler",
}
PAGES = {
    "response times": "/staff/dashboard/",
    "what patients say": "/staff/dashboard/feedback/",
    "peers": "/staff/dashboard/peers/",
    "response times, 24 months, complaints": "/staff/dashboard/?period=24_months&kind=complaint",
    "what patients say, 3 months, acute": "/staff/dashboard/feedback/?period=3_months"
    "&service_type=acute",
    "CSV of the monthly trend": "/staff/dashboard/?download=response-trend",
}
BASELINE = ("staff queue (baseline)", "/staff/queue/")


def measure(requests: int) -> dict[str, Any]:
    """In a child process: time every page for every viewer."""
    import django

    django.setup()
    from django.db import connection

    from analytics.models import MonthlyStat, MonthlyThemeStat
    from feedback.models import Feedback, User

    results: dict[str, Any] = {
        "items": Feedback.objects.count(),
        "monthly_rows": MonthlyStat.objects.count(),
        "theme_rows": MonthlyThemeStat.objects.count(),
        "pages": [],
    }
    for level, username in VIEWERS.items():
        client = signed_in_client(User.objects.get(username=username))
        for name, url in [BASELINE, *PAGES.items()]:
            for _ in range(3):
                assert client.get(url).status_code == 200, (username, url)
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            results["pages"].append({"viewer": level, "page": name, **summary(times)})
    connection.close()
    return results


def _child(requests: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(requests)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| items | viewer | page | p50 ms | p95 ms | max ms | p95 / baseline p95 |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        baselines = {p["viewer"]: p["p95"] for p in run["pages"] if p["page"] == BASELINE[0]}
        for p in run["pages"]:
            ratio = p["p95"] / baselines[p["viewer"]]
            lines.append(
                f"| {run['items']:,} | {p['viewer']} | {p['page']} | {p['p50']:.0f} | "
                f"{p['p95']:.0f} | {p['max']:.0f} | {ratio:.2f} |"
            )
    return lines


def _growth(runs: list[dict[str, Any]]) -> list[str]:
    if len(runs) < 2:
        return []
    first, last = runs[0], runs[-1]
    lines = [
        "",
        f"Growth from {first['items']:,} to {last['items']:,} items "
        f"({last['items'] / first['items']:.0f}x), p95 per page:",
        "",
        "| viewer | page | p95 ms small | p95 ms large | growth |",
        "|---|---|---:|---:|---:|",
    ]
    small = {(p["viewer"], p["page"]): p["p95"] for p in first["pages"]}
    for p in last["pages"]:
        before = small[(p["viewer"], p["page"])]
        lines.append(
            f"| {p['viewer']} | {p['page']} | {before:.0f} | {p['p95']:.0f} | "
            f"{p['p95'] / before:.2f}x |"
        )
    return lines


def _items_in(url: str) -> int | None:
    """Items in an existing benchmark database; None when there is no such database."""
    import psycopg2

    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM feedback_feedback")
            return int(cursor.fetchone()[0])
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", default=f"{DEFAULT_SERVER}/pv_bench_dashboard")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the items already in --database-url (kept by --keep) when there are any",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0

    env = django_env(args.database_url)
    have = _items_in(args.database_url) if args.reuse else None
    if have is None:
        fresh_database(args.database_url)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "import_ods")
        manage(env, "load_demo_staff")
        have = 0
    else:
        manage(env, "migrate", "--noinput", "-v0")
    runs, loads = [], []
    try:
        for n, size in enumerate(sorted(args.sizes)):
            if size > have:
                started = time.perf_counter()
                output = manage(
                    env,
                    "generate_feedback",
                    "--count",
                    str(size - have),
                    "--seed",
                    str(args.seed + n),
                )
                loads.append(
                    {"to": size, "seconds": time.perf_counter() - started, "output": output.strip()}
                )
                have = size
            # What autovacuum does on a live database some time after a bulk load; without it
            # the visibility map is empty and no index-only scan is possible.
            execute(args.database_url, "VACUUM ANALYZE")
            print(f"{have:,} items in the database; measuring", flush=True)
            runs.append({**_child(args.requests, env), "load_average": load_average()})
            print("\n".join(_table(runs[-1:])), flush=True)
    finally:
        if not args.keep:
            drop_database(args.database_url)

    report = [
        "# Dashboard pages: server time at scale",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, PostgreSQL, by "
        f"`.venv/bin/python bench/dashboard.py --sizes {' '.join(map(str, args.sizes))} "
        f"--requests {args.requests}`.",
        "Server time: the whole Django request (session, middleware, queries, template) in "
        f"process, {args.requests} requests per row after 3 warm-up requests. Viewers: a trust's "
        "manager (RJ1), an ICB (QMJ, its own queue and its trusts), the CQC (England).",
        "",
        "Loading (generate_feedback with COPY, then rebuild_stats):",
        "",
        *(
            f"- to {load['to']:,} items: {load['seconds']:.0f} s ({load['output'].splitlines()[0]})"
            for load in loads
        ),
        "",
        *(
            f"- at {run['items']:,} items: {run['monthly_rows']:,} monthly aggregate rows, "
            f"{run['theme_rows']:,} theme rows; load average during the run {run['load_average']}"
            for run in runs
        ),
        "",
        *_table(runs),
        *_growth(runs),
        "",
        "Target: p95 < 300 ms for every dashboard page at 1,000,000 items.",
    ]
    worst = max(p["p95"] for p in runs[-1]["pages"] if p["page"] != BASELINE[0])
    report.append(f"Worst dashboard p95 at {runs[-1]['items']:,} items: {worst:.0f} ms.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dashboard.md").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    raise SystemExit(main())
