"""Benchmark: how fast the analyser reads comments, alone, offline and behind the Celery worker.

    .venv/bin/python bench/model_speed.py [--rows 6000] [--items 1920] [--sqlite]

(a) ``manage.py analyse_csv`` on 6,000 FFT comments (the shared FFT file's comments with their
    questions, FFT ratings and services, repeated to 6,000 rows) as a subprocess: wall time
    including Python start-up and model load, and the process's peak resident memory, with the
    reader in fp32 (the baseline) and as the product runs it (READER_PRECISION=auto: bfloat16
    on a CPU with AMX), alternately, twice each. Targets: <= 60 s on 2 cores (the 2017 NHS NLP
    tool took 15 minutes); the product's reader at least 1.8x the fp32 baseline.
(b) The same comments through the analyser in batches of ANALYSIS_BATCH_SIZE, in a process that
    does nothing else (the bare model), against the worker pipeline: a real Celery worker process
    claiming queued items from the database, analysing, routing and writing them with their
    audit rows. Both measured after the model has loaded. Target: the pipeline at >= 70% of the
    bare model's throughput. Runs on PostgreSQL (a database of its own on the server DATABASE_URL
    names, or the local one) and Redis (CELERY_BROKER_URL, or database 13 of the local Redis), as
    deployed; ``--sqlite`` uses a temporary SQLite database and the folder broker instead, whose
    one-second polling between messages shows in the pipeline's figure.

Results go to bench/results/model_speed.md. Not part of `make test`: it takes minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import DEFAULT_SERVER, drop_database, fresh_database  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "model_speed.md"
FFT = ROOT.parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"
TARGET_CSV_S = 60.0
TARGET_RATIO = 0.70
TARGET_READER_SPEEDUP = 1.8
BATCH = 32  # settings.ANALYSIS_BATCH_SIZE's default
BENCH_DATABASE = "pv_bench_model_speed"
# A Redis database number of its own: no other worker on the machine takes these messages.
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"


def fft_comments() -> list[tuple[str, str, str, str]]:
    """(question, comment, FFT rating, service type) of the FFT file's non-empty comments, in
    file order; the rating is "" where the file has none (or codes it otherwise than 1-6), the
    service type "" where the file's service is not one of ours."""
    from analytics.ml.fft_export import parse_rating, service_type

    if not FFT.is_file():
        raise SystemExit(f"{FFT} not found: the benchmark reads the shared FFT comments")
    with FFT.open(newline="", encoding="utf-8-sig") as handle:
        return [
            (
                row["FFT question"] or "",
                row["FFT answer"].strip(),
                str(parse_rating(row.get("FFT categorical answer")) or ""),
                service_type(row.get("Service type 1")),
            )
            for row in csv.DictReader(handle)
            if (row["FFT answer"] or "").strip()
        ]


def env_for(var_dir: Path, database_url: str, broker_url: str = "") -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url,
        "PATIENTVIEW_VAR_DIR": str(var_dir),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # Nothing is requeued behind the benchmark's back while it measures.
        "REQUEUE_INTERVAL_SECONDS": "3600",
        "ANALYSIS_REQUEUE_AFTER_SECONDS": "3600",
        "ANALYSIS_BATCH_SIZE": str(BATCH),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("REDIS_URL", None)
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    else:
        env.pop("CELERY_BROKER_URL", None)  # the folder broker in var_dir
    return env


def run_timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a process to the end: (wall seconds, peak RSS in MB, standard output)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # wait4 gives this child's own resource usage, peak memory included.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out


# --- (a) analyse_csv ---------------------------------------------------------------------------


def bench_csv(rows: int, workdir: Path, env: dict[str, str], precision: str) -> dict[str, Any]:
    """``analyse_csv`` in a process of its own, the reader in ``precision`` (READER_PRECISION)."""
    env = {**env, "READER_PRECISION": precision}
    comments = fft_comments()
    source = workdir / "comments.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "text", "fft_rating", "service_type"])
        for i in range(rows):
            writer.writerow(comments[i % len(comments)])
    output = workdir / "analysed.csv"
    wall, peak, out = run_timed(
        [sys.executable, "manage.py", "analyse_csv", str(source), "--output", str(output)], env
    )
    with output.open(newline="", encoding="utf-8") as handle:
        written = sum(1 for _ in csv.DictReader(handle))
    return {
        "rows": rows,
        "distinct": len({comments[i % len(comments)] for i in range(rows)}),
        "wall_s": wall,
        "peak_mb": peak,
        "written": written,
        "summary": out.strip().splitlines()[-1] if out.strip() else "",
    }


# --- (b) bare model ----------------------------------------------------------------------------


def bare(items: int) -> dict[str, Any]:
    """In this process: load the analyser, warm up, then time ``items`` comments in batches."""
    import resource

    from analytics.ml.analyser import Analyser, AnalysisInput

    pairs = fft_comments()[:items]
    inputs = [
        AnalysisInput(text=t, question=q, fft_rating=int(r) if r else None, service_type=st)
        for q, t, r, st in pairs
    ]
    started = time.perf_counter()
    # The precision the worker runs in (the settings' default unless the environment says).
    precision = os.environ.get("READER_PRECISION", "auto")
    analyser = Analyser.load(ROOT / "analytics" / "artifacts", precision=precision)
    analyser.analyse(inputs[:BATCH])
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(inputs), BATCH):
        analyser.analyse(inputs[i : i + BATCH], batch_size=BATCH)
    elapsed = time.perf_counter() - started
    return {
        "items": len(inputs),
        "seconds": elapsed,
        "per_s": len(inputs) / elapsed,
        "load_s": load_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "precision": analyser.encoder.precision,
    }


def measure_bare(items: int, env: dict[str, str]) -> dict[str, Any]:
    """The bare model in a fresh process of its own (its peak memory is then its own)."""
    print(f"(b) bare model on {items} comments ...", flush=True)
    _, _, out = run_timed(
        [sys.executable, str(Path(__file__).resolve()), "--bare-json", "--items", str(items)], env
    )
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    print(f"    {result['per_s']:.1f} comments/s", flush=True)
    return result


# --- (b) worker pipeline -----------------------------------------------------------------------

SEED_ITEMS = """
import json, sys
from feedback.choices import AnalysisState, Kind
from feedback.models import Feedback, Organisation
pairs = json.load(open(sys.argv[-1]))
provider = Organisation.objects.filter(ods_code="RJ1").first()
Feedback.objects.bulk_create(
    [
        Feedback(kind=Kind.COMPLAINT, provider=provider, question=q, text=t,
                 fft_rating=int(r) if r else None, service_type=st,
                 analysis_state=AnalysisState.QUEUED)
        for q, t, r, st in pairs
    ],
    batch_size=500,
)
print(json.dumps(list(Feedback.objects.filter(analysis_state=AnalysisState.QUEUED)
                      .order_by("pk").values_list("pk", flat=True))))
"""

ENQUEUE = """
import json, sys, time
from feedback.tasks import analyse_feedback
ids = json.load(open(sys.argv[-1]))
print(time.time(), flush=True)
for pk in ids:
    analyse_feedback.delay(pk)
"""

LAST_ANALYSED = """
from django.db.models import Max
from feedback.models import Feedback
print(Feedback.objects.aggregate(last=Max("analysed_at"))["last"].timestamp())
"""


def _python(env: dict[str, str], code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _count_done(database_url: str) -> int:
    """Items analysed so far, read straight from the database (no Django start-up per poll)."""
    sql = "SELECT COUNT(*) FROM feedback_feedback WHERE analysis_state = 'done'"
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with contextlib.closing(
            sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
        ) as conn:
            return int(conn.execute(sql).fetchone()[0])
    import psycopg2

    with contextlib.closing(psycopg2.connect(database_url)) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        return int(row[0]) if row else 0


def _process_tree_peak_mb(root_pid: int) -> float:
    """Largest VmHWM (peak resident memory) among a process and its children, in MB."""
    peak = 0.0
    pids = [root_pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{root_pid}/task/{root_pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def worker_pipeline(
    items: int, workdir: Path, database_url: str, broker_url: str
) -> dict[str, Any]:
    env = env_for(workdir, database_url, broker_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "import_ods"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    pairs = fft_comments()[:items]
    warmup_file = workdir / "warmup.json"
    warmup_file.write_text(json.dumps(pairs[:BATCH]))
    log = (workdir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"), "-A", "patientview", "worker",
            "--queues", "intake,analysis", "--concurrency", "1", "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle", "--hostname", f"bench-{os.getpid()}@%h",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        # Warm-up: the worker loads the model with its first batch.
        ids = json.loads(_python(env, SEED_ITEMS, str(warmup_file)))
        ids_file = workdir / "ids.json"
        ids_file.write_text(json.dumps(ids[:1]))
        _python(env, ENQUEUE, str(ids_file))
        _wait_done(database_url, len(ids), worker, timeout=300)

        items_file = workdir / "items.json"
        items_file.write_text(json.dumps(pairs))
        ids = json.loads(_python(env, SEED_ITEMS, str(items_file)))
        # One message per batch's worth of items, as requeue_unanalysed sends them.
        ids_file.write_text(json.dumps(ids[::BATCH]))
        # From the first message sent to the last item written: broker, claim, analysis, routing
        # and the database writes, all of it.
        started = float(_python(env, ENQUEUE, str(ids_file)).split()[0])
        _wait_done(database_url, BATCH + len(ids), worker, timeout=1800)
        elapsed = float(_python(env, LAST_ANALYSED).strip()) - started
        peak = _process_tree_peak_mb(worker.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        log.close()
    return {
        "items": len(pairs),
        "seconds": elapsed,
        "per_s": len(pairs) / elapsed,
        "peak_mb": peak,
        "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
        "broker": "Redis" if broker_url.startswith("redis") else "folder (filesystem)",
    }


def _wait_done(
    database_url: str, expected: int, worker: subprocess.Popen[bytes], *, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        if _count_done(database_url) >= expected:
            return
        time.sleep(0.5)
    raise TimeoutError(f"{expected} items not analysed within {timeout} s")


# --- report ------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return f"{cpu}, {cores} cores, load average at the end {load}"


def report(
    csv_results: dict[str, dict[str, Any]], bare_result: dict[str, Any], pipe: dict[str, Any]
) -> str:
    ratio = pipe["per_s"] / bare_result["per_s"]
    csv_result, baseline = csv_results["auto"], csv_results["fp32"]
    speedup = baseline["wall_s"] / csv_result["wall_s"]
    speedup_ok = "meets" if speedup >= TARGET_READER_SPEEDUP else "misses"
    csv_ok = "meets" if csv_result["wall_s"] <= TARGET_CSV_S else "misses"
    ratio_ok = "meets" if ratio >= TARGET_RATIO else "misses"
    manifest = json.loads((ROOT / "analytics" / "artifacts" / "manifest.json").read_text())
    return "\n".join(
        [
            "# Model speed (issue 3)",
            "",
            f"Model `{manifest['model_version']}`; {machine()}; "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC. "
            "Written by `bench/model_speed.py`.",
            "",
            "| Measure | Result | Target |",
            "|---|---:|---|",
            f"| analyse_csv, {csv_result['rows']:,} FFT comments ({csv_result['distinct']:,} "
            f"distinct), reader in fp32 (baseline), wall incl. start-up and model load (runs: "
            f"{' / '.join(f'{v:.1f}' for v in baseline['walls'])}) | {baseline['wall_s']:.1f} s "
            "| |",
            f"| The same, reader as the product runs it (READER_PRECISION=auto: "
            f"{bare_result['precision']} on this CPU) (runs: "
            f"{' / '.join(f'{v:.1f}' for v in csv_result['walls'])}) | "
            f"{csv_result['wall_s']:.1f} s | <= {TARGET_CSV_S:.0f} s ({csv_ok}) |",
            f"| Reader speed-up, fp32 wall / auto wall | **{speedup:.2f}x** | >= "
            f"{TARGET_READER_SPEEDUP:.1f}x ({speedup_ok}) |",
            f"| analyse_csv peak memory (RSS), fp32 / auto | {baseline['peak_mb']:.0f} / "
            f"{csv_result['peak_mb']:.0f} MB | |",
            f"| Bare model, batches of {BATCH}, {bare_result['items']} comments (before / after "
            f"the pipeline: {' / '.join(f'{v:.1f}' for v in bare_result['runs_per_s'])}) | "
            f"{bare_result['per_s']:.1f} comments/s | |",
            f"| Bare model load + first batch | {bare_result['load_s']:.1f} s | |",
            f"| Bare model peak memory (RSS) | {bare_result['peak_mb']:.0f} MB | |",
            f"| Worker pipeline ({pipe['database']}, {pipe['broker']} broker), "
            f"{pipe['items']} items | {pipe['per_s']:.1f} items/s | |",
            f"| Worker pipeline / bare model | **{ratio:.2f}** | >= {TARGET_RATIO:.2f} "
            f"({ratio_ok}) |",
            f"| Worker peak memory (RSS, largest process) | {pipe['peak_mb']:.0f} MB | |",
            "",
            "The bare model runs the analyser on the comments and nothing else; the pipeline is "
            "a Celery worker (prefork, concurrency 1) claiming each batch with a conditional "
            "update, analysing it, routing every item and writing results, themes and audit rows "
            "in one transaction a batch. Both exclude model load (warmed up first).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=6000, help="rows for analyse_csv")
    parser.add_argument("--items", type=int, default=1920, help="items for the pipeline")
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="a temporary SQLite database and the folder broker instead of PostgreSQL and Redis",
    )
    parser.add_argument("--bare-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_json:
        print(json.dumps(bare(args.items)))
        return 0

    postgres = not args.sqlite
    broker_url = "" if args.sqlite else os.environ.get("CELERY_BROKER_URL") or DEFAULT_BROKER
    with tempfile.TemporaryDirectory(prefix="bench-model-speed-") as tmp:
        workdir = Path(tmp)
        if postgres:
            # A database of its own on the server DATABASE_URL names, never that database.
            server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
            database_url = urlunsplit(urlsplit(server)._replace(path=f"/{BENCH_DATABASE}"))
            fresh_database(database_url)
        else:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        env = env_for(workdir, database_url, broker_url)
        # The fp32 reader (what training uses, and what the reader ran in before ADR 0014) is
        # the baseline; the product's default ("auto") is measured against it, alternately,
        # twice each, so drift on the machine biases neither side.
        csv_runs: dict[str, list[dict[str, Any]]] = {"fp32": [], "auto": []}
        for _ in range(2):
            for precision in csv_runs:
                print(f"(a) analyse_csv on {args.rows} comments, {precision} ...", flush=True)
                run = bench_csv(args.rows, workdir, env, precision)
                csv_runs[precision].append(run)
                print(f"    {run['wall_s']:.1f} s, peak {run['peak_mb']:.0f} MB", flush=True)
        csv_result = {
            precision: {
                **runs[0],
                "wall_s": sum(r["wall_s"] for r in runs) / len(runs),
                "walls": [r["wall_s"] for r in runs],
                "peak_mb": max(r["peak_mb"] for r in runs),
            }
            for precision, runs in csv_runs.items()
        }

        # The bare model is measured before and after the pipeline, and the two averaged, so
        # that other work on the machine drifting during the run biases neither side.
        bare_runs = [measure_bare(args.items, env)]
        print(f"(b) worker pipeline on {args.items} items ...", flush=True)
        try:
            pipe = worker_pipeline(args.items, workdir, database_url, broker_url)
        finally:
            if postgres:
                drop_database(database_url)
        print(f"    {pipe['per_s']:.1f} items/s", flush=True)
        bare_runs.append(measure_bare(args.items, env))
    bare_result = {
        **bare_runs[0],
        "per_s": sum(r["per_s"] for r in bare_runs) / len(bare_runs),
        "runs_per_s": [r["per_s"] for r in bare_runs],
        "peak_mb": max(r["peak_mb"] for r in bare_runs),
    }

    text = report(csv_result, bare_result, pipe)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
