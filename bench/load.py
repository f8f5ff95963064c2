"""Load bench: sustained submissions to POST /api/v1/feedback/ on the real stack, then the backlog.

    .venv/bin/python bench/load.py [--rate 300] [--duration 60] [--connections 50]
        [--web-workers 5] [--worker-concurrency 1] [--worker-start during|after] [--keep]
        [--database-url postgres://postgres@127.0.0.1:5432/pv_bench_load]

1. Creates a PostgreSQL database of its own (dropped at the end unless --keep), migrates it, loads
   the demo ODS directory (import_ods) and collects static files, with production settings plus
   one bench-only URL (``bench.bareapp.settings``: the product's URLs never have it).
2. Starts gunicorn (sync workers, as docker-compose.yml runs it; 2 x cores + 1 of them) and a real
   Celery worker on the intake and analysis queues, with Redis as broker and as the cache that
   holds the throttle's counters. The worker runs during the load under SCHED_IDLE (`chrt --idle
   0`) in a session whose autogroup has nice 19: on two shared cores the patients' requests come
   first and the analysis queue takes the CPU they leave (in production it runs on machines of
   its own). The kernel's autogroup scheduling shares the CPUs equally between sessions whatever
   the tasks' own priority, so at nice 10, or SCHED_IDLE alone, the worker still took a core from
   gunicorn and held requests up for seconds (`--worker-sched nice`; see Stack.start).
3. wrk (Debian's package), one connection per thread, sends at a constant rate with bench/load.lua:
   latency is measured from when each request was due, so a server that falls behind shows it.
   Bodies are 2,000 varied valid submissions (real FFT comments, every kind, trusts and ICBs,
   primary care, identities with valid NHS numbers, long texts, Idempotency-Keys on a third).
   After a short warm-up (whose items are analysed before measuring, so the model is loaded), it
   measures in turn:
   - the bare endpoint (bench/bareapp: parse the same JSON, insert one row, nothing else), then
   - the submission API, for the same time at the same rate.
4. Waits until every item submitted is analysed and routed (counted in the database) and reports
   how long the backlog took to drain, and checks that no item was lost or routed twice.

Anonymous submissions are throttled per client address (FEEDBACK_SUBMIT_RATE, default 30/minute);
all of this load comes from one address, so the bench sets FEEDBACK_SUBMIT_RATE=10000/second. The
throttle still runs on every request: one atomic increment of a per-address counter in Redis
(feedback/api/throttling.py).

Targets (issue 7): 300 requests/s for 60 s, p95 under 100 ms, no errors, then all items analysed.
Results go to bench/results/load.md; the exit status is 1 when a target is missed. Not part of
`make test`: it takes minutes, needs PostgreSQL,
Redis and wrk (`apt-get install wrk`).

This file runs the bench; its parts are the stack (bench/load_stack.py), the bodies
(bench/load_bodies.py), the measuring (bench/load_phases.py) and the report (bench/load_report.py).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_database, load_average, manage
from bench.load_bodies import make_bodies
from bench.load_phases import SETTLE_S, api_counts, run_wrk, scalar, wait_until_analysed
from bench.load_report import TARGET_RPS, write_report
from bench.load_stack import SUBMIT_RATE, Stack, free_port, redis_flush, wait_http

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pv_bench_load"
# Redis databases of their own: CI uses 11 and the integration tests 12.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/14"
API_PATH = "/api/v1/feedback/"
BARE_PATH = "/bench/bare/"


def _versions() -> dict[str, str]:
    def out(args: list[str]) -> str:
        try:
            done = subprocess.run(args, capture_output=True, text=True, check=False)
        except OSError:
            return "?"
        return (
            (done.stdout or done.stderr).strip().splitlines()[0]
            if done.stdout or done.stderr
            else "?"
        )

    return {
        "wrk": out(["wrk", "--version"]).split(" Copyright")[0],
        "redis": out(["redis-server", "--version"]).split()[2].removeprefix("v="),
        "gunicorn": out([str(BIN / "gunicorn"), "--version"]).split()[-1].strip("()"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=TARGET_RPS, help="requests per second")
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument(
        "--worker-sched",
        choices=["idle", "nice"],
        default="idle",
        help="run the analysis worker under SCHED_IDLE (default: CPU only when nothing else "
        "wants it) or at --worker-nice",
    )
    parser.add_argument("--worker-nice", type=int, default=10)
    parser.add_argument(
        "--worker-cpus",
        default="",
        help="pin the analysis worker to these CPUs (taskset list, e.g. 1); its model then uses "
        "that many threads",
    )
    parser.add_argument(
        "--worker-start",
        choices=["during", "after"],
        default="during",
        help="run the analysis worker during the load (default) or start it when the load ends",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL)
    parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL)
    parser.add_argument("--drain-timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "load.md"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join([".venv/bin/python", "bench/load.py", *given])

    loadavg_before = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="pv-load-"))
    db = urlsplit(args.database_url).path.lstrip("/")
    fresh_database(args.database_url)
    for url in (args.broker_url, args.cache_url):
        redis_flush(url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.bareapp.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "CACHE_URL": args.cache_url,
        "FEEDBACK_SUBMIT_RATE": SUBMIT_RATE,
        # Production keeps connections 60 s; longer here so the PostgreSQL backends live through
        # a phase and their CPU time can be read from /proc (a replaced backend's is lost).
        "CONN_MAX_AGE": "600",
        "PATIENTVIEW_VAR_DIR": str(workdir),
        "PUBLIC_BASE_URL": "https://127.0.0.1",
        # Nothing here sends mail; no SMTP server on this machine.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    stack = Stack(env, workdir)
    conn = None
    try:
        print(f"setting up {db} (migrate, import_ods, collectstatic) in {workdir}", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "import_ods")
        manage(env, "collectstatic", "--noinput")
        conn = psycopg2.connect(args.database_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                "SELECT ods_code, kind FROM feedback_organisation WHERE is_active ORDER BY ods_code"
            )
            orgs = cur.fetchall()
            cur.execute("SELECT version()")
            postgres = cur.fetchone()[0].split(" on ")[0]
        trusts = [code for code, kind in orgs if kind == "trust"]
        icbs = [code for code, kind in orgs if kind == "icb"]
        bodies = workdir / "bodies.jsonl"
        make_bodies(bodies, trusts, icbs, 2000)

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        stack.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "patientview.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.web_workers), "--timeout", "30"],
        )  # fmt: skip
        priority = (
            ["chrt", "--idle", "0"]
            if args.worker_sched == "idle"
            else ["nice", "-n", str(args.worker_nice)]
        )
        if args.worker_cpus:
            priority = ["taskset", "-c", args.worker_cpus, *priority]
        worker_args = [
            *priority,
            str(BIN / "celery"), "-A", "patientview", "worker", "--queues", "intake,analysis",
            "--concurrency", str(args.worker_concurrency), "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--hostname", f"bench-load-{port}@%h",
        ]  # fmt: skip
        wait_http(base_url + "/health/", stack)
        worker_group_nice = 19 if args.worker_sched == "idle" else args.worker_nice
        if args.worker_start == "during":
            stack.start("worker", worker_args, autogroup_nice=worker_group_nice)

        common = {
            "base_url": base_url,
            "connections": args.connections,
            "bodies": bodies,
            "workdir": workdir,
            "key_every": 3,
        }
        print("warm-up", flush=True)
        run_wrk(name="warmup-bare", path=BARE_PATH, rate=100, duration=5, **common)
        run_wrk(name="warmup-api", path=API_PATH, rate=100, duration=5, **common)
        if args.worker_start == "during":
            wait_until_analysed(conn, stack, timeout=600)
        bare_rows = "SELECT count(*) FROM bench_bareapp_barerow"
        bare_before = scalar(conn, bare_rows)
        api_before = api_counts(conn)[0]

        print(f"bare endpoint: {args.rate} requests/s for {args.duration} s", flush=True)
        cpu_before = stack.cpu(conn, db)
        bare = run_wrk(
            name="bare insert", path=BARE_PATH, rate=args.rate, duration=args.duration, **common
        )
        time.sleep(SETTLE_S)
        bare.count_cpu(cpu_before, cpu_before := stack.cpu(conn, db))
        bare.processed = scalar(conn, bare_rows) - bare_before
        print(f"submission API: {args.rate} requests/s for {args.duration} s", flush=True)
        load_started = time.monotonic()
        api = run_wrk(
            name="submission API",
            path=API_PATH,
            rate=args.rate,
            duration=args.duration,
            **common,
        )
        load_ended = time.monotonic()
        done_at_end = api_counts(conn)[1]
        time.sleep(SETTLE_S)
        api.count_cpu(cpu_before, stack.cpu(conn, db))
        api.processed = api_counts(conn)[0] - api_before
        stack.check_alive()
        if args.worker_start == "after":
            stack.start("worker", worker_args, autogroup_nice=worker_group_nice)
        print("waiting for the backlog to be analysed", flush=True)
        drain_s, total, done = wait_until_analysed(
            conn, stack, timeout=args.drain_timeout, since=load_ended
        )
        drain = {
            "drain_s": drain_s,
            "total_s": drain_s + (load_ended - load_started),
            "total": total,
            "done": done,
            "done_at_end": done_at_end,
            "timeout": args.drain_timeout,
            "loadavg": load_average(),
            "api_rows": api.processed,
            "api_ids_routed": scalar(
                conn,
                "SELECT count(*) FROM feedback_feedback WHERE id = ANY(%s) "
                "AND analysis_state = 'done' AND handled_by_id IS NOT NULL",
                api.ids,
            ),
            "bare_rows": bare.processed,
            "bare_ids_found": scalar(
                conn, "SELECT count(*) FROM bench_bareapp_barerow WHERE id = ANY(%s)", bare.ids
            ),
            "routed_events": scalar(
                conn, "SELECT count(*) FROM feedback_auditevent WHERE action = 'routed'"
            ),
            "routed_twice": scalar(
                conn,
                "SELECT count(*) FROM (SELECT feedback_id FROM feedback_auditevent "
                "WHERE action = 'routed' GROUP BY feedback_id HAVING count(*) > 1) AS twice",
            ),
        }
        worker_priority = (
            "under SCHED_IDLE (`chrt --idle 0`) in a session whose autogroup has nice 19: it runs "
            "only when no other process wants a CPU"
            if args.worker_sched == "idle"
            else f"at nice {args.worker_nice}"
        )
        config = {
            **_versions(),
            "postgres": postgres,
            "loadavg_before": loadavg_before,
            "web_workers": args.web_workers,
            "worker_concurrency": args.worker_concurrency,
            "worker_note": (
                f"running during the load {worker_priority}"
                if args.worker_start == "during"
                else f"started when the load ended ({worker_priority})"
            ),
            "database_url": f"database {db}",
            "broker_url": args.broker_url,
            "cache_url": args.cache_url,
            "connections": args.connections,
            "trusts": len(trusts),
            "icbs": len(icbs),
        }
        verdicts = write_report(
            Path(args.output), bare=bare, api=api, drain=drain, config=config, command=command
        )
        print(Path(args.output).read_text())
        return 0 if all(v.endswith("met") and "NOT" not in v for v in verdicts) else 1
    finally:
        stack.stop_all()
        if conn is not None:
            conn.close()
        if args.keep:
            print(f"kept database {db} and logs in {workdir}")
        else:
            drop_database(args.database_url)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
