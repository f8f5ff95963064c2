"""Benchmark: staff search of a busy queue at scale, beside a plain ILIKE search in the same run.

    .venv/bin/python bench/search.py [--items 1000000] [--requests 30] [--keep] [--reuse]
        [--database-url postgres://postgres@127.0.0.1:5432/pv_bench_search]

1. A database of its own (dropped at the end unless --keep): migrate, the ODS directory, demo
   staff, then ``--items`` items with ``generate_feedback --focus RJ1 --focus-share 0.3`` (three
   in ten in the demo trust's queue: the busiest queue there is), VACUUM ANALYZE.
2. In a fresh process, as the trust's handler: each query ``--requests`` times after 3 warm-ups,
   - the queue page searched (``/staff/queue/?q=...``: the whole request, count, ranked first
     page with highlighted snippets), and
   - the two database reads behind it, full-text (GIN index) against the baseline: the same queue
     filtered with ``ILIKE '%word%'`` on the text and the response, count and first page.

Target (issue 18): search p95 < 200 ms at 1,000,000 items. Results: bench/results/search.md.
"""

from __future__ import annotations

import argparse
import json
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

QUERIES = ("parking", "waited hours", '"call bell"', "rude receptionist", "medication -pharmacy")
USER = "trust.handler"
PAGE = 50


def measure(requests: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Q

    from feedback.models import Feedback, User
    from feedback.selectors import feedback_queue, feedback_search

    user = User.objects.get(username=USER)
    client = signed_in_client(user)
    queue = feedback_queue(user)
    out: dict[str, Any] = {"items": Feedback.objects.count(), "queue": queue.count(), "rows": []}

    def timed(run: Any) -> dict[str, Any]:
        for _ in range(3):
            run()
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        return summary(times)

    for query in QUERIES:
        found = feedback_search(queue, query)

        def page(query: str = query) -> None:
            assert client.get("/staff/queue/", {"q": query}).status_code == 200

        def full_text(query: str = query) -> None:
            # The search itself (it reads the most recent matches' ids), the count, a page.
            found = feedback_search(queue, query)
            found.count()
            list(found[:PAGE])

        words = [w for w in query.replace('"', "").split() if not w.startswith("-")]
        condition = Q()
        for word in words:
            condition &= Q(text__icontains=word) | Q(response_text__icontains=word)
        plain = queue.filter(condition)

        def ilike(plain: Any = plain) -> None:
            plain.count()
            list(plain[:PAGE])

        out["rows"].append(
            {
                "query": query,
                "matches": found.count(),
                "ilike_matches": plain.count(),
                "page": timed(page),
                "full_text": timed(full_text),
                "ilike": timed(ilike),
            }
        )
    connection.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=f"{DEFAULT_SERVER}/pv_bench_search")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the items already there")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    env = django_env(args.database_url)
    load = "the items of an earlier run, reused"
    if not args.reuse:
        fresh_database(args.database_url)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "import_ods")
        manage(env, "load_demo_staff")
        started = time.perf_counter()
        manage(
            env,
            "generate_feedback",
            "--count",
            str(args.items),
            "--seed",
            "11",
            "--focus",
            "RJ1",
            "--focus-share",
            "0.3",
            "--no-stats",
        )
        load = f"generated in {time.perf_counter() - started:.0f} s"
    else:
        manage(env, "migrate", "--noinput", "-v0")
    try:
        execute(args.database_url, "VACUUM ANALYZE")
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(args.requests)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"the measuring process failed:\n{done.stderr[-3000:]}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            drop_database(args.database_url)
    lines = [
        "# Staff search at scale",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, PostgreSQL, "
        f"load average {load_average()}, by `.venv/bin/python bench/search.py --items "
        f"{args.items} --requests {args.requests}` ({load}).",
        f"{run['items']:,} items; the trust handler's queue (RJ1) holds {run['queue']:,}. "
        "Times in ms over the requests after 3 warm-ups. Page: the whole queue page searched. "
        "Full text and ILIKE: the search, its count and the first page of 50 from the same "
        "queue. A search matching more than 1,000 items ranks the 1,000 most recent (the page "
        "says so); the ILIKE baseline counts every match.",
        "",
        "| query | shown (ILIKE matches) | page p50 | page p95 | full text p50 | full text p95 "
        "| ILIKE p50 | ILIKE p95 | full text / ILIKE (p50) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in run["rows"]:
        ratio = row["full_text"]["p50"] / row["ilike"]["p50"] if row["ilike"]["p50"] else 0
        lines.append(
            f"| `{row['query']}` | {row['matches']:,} ({row['ilike_matches']:,}) "
            f"| {row['page']['p50']:.0f} | {row['page']['p95']:.0f} "
            f"| {row['full_text']['p50']:.0f} | {row['full_text']['p95']:.0f} "
            f"| {row['ilike']['p50']:.0f} | {row['ilike']['p95']:.0f} | {ratio:.2f} |"
        )
    lines += [
        "",
        "Target: the search page's p95 under 200 ms at 1,000,000 items: "
        + (
            "met for every query."
            if all(row["page"]["p95"] < 200 for row in run["rows"])
            else "**not met** for "
            + ", ".join(f"`{r['query']}`" for r in run["rows"] if r["page"]["p95"] >= 200)
            + "."
        ),
    ]
    report = "\n".join(lines)
    print(report)
    (RESULTS / "search.md").write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
