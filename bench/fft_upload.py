"""Benchmark: an FFT upload of 100,000 rows into PostgreSQL, CSV and XLSX, beside a bare insert.

    .venv/bin/python bench/fft_upload.py [--rows 100000] [--existing 100000] [--keep]
        [--database-url postgres://root@127.0.0.1:5432/pv_bench_fft_upload]

1. Creates a database of its own (dropped at the end unless --keep), migrates it, loads the
   organisation directory and, so the upload meets a table with rows and indexes in it, makes
   ``--existing`` items with ``generate_feedback`` (COPY).
2. Writes two exports of ``--rows`` answers each, as a trust's survey system would: the comments,
   questions, services and ratings of the real FFT file in ../shared/data when it is there
   (drawn at random, so many repeat), a share with no comment, dates with times over a month. The
   CSV covers one month, the workbook the next.
3. Each run in a fresh process (peak memory is that process's maximum resident set size):
   - baseline: the CSV's rows read with ``csv.DictReader`` and inserted with ``bulk_create`` in
     chunks of the same size, as FFT items of the trust: no checks, no digests, no audit rows, no
     progress, nothing sent (then deleted again, so each run meets the same table);
   - upload CSV, upload XLSX: the product's path, ``fft_upload_receive`` (what the web request
     does: size, type, digest, stored) then ``fft_upload_process`` (what the worker's task does:
     every row checked, the good ones kept in a temporary file, then saved a chunk at a time with
     their audit rows, the upload's progress and one analysis message per batch; the messages are
     counted here, not sent);
   - the CSV again: the same file a second time, which must add nothing.

Target (issue 18, item 7): 100,000 rows taken in under 60 s on the machine's 2 cores, memory
bounded. Results go to bench/results/fft_upload.md. Not part of `make test`: it needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    RESULTS,
    django_env,
    drop_database,
    fresh_database,
    load_average,
    machine,
    manage,
    peak_mb,
)

DEFAULT_URL = "postgres://root@127.0.0.1:5432/pv_bench_fft_upload"
TARGET_SECONDS = 60
SEED = 18
TRUST = "RJ1"
RUNS = (
    ("baseline", "baseline: bulk_create, no checks"),
    ("csv", "upload CSV"),
    ("xlsx", "upload XLSX"),
    ("csv_again", "the same CSV again"),
)
RATINGS = ("Very good", "Good", "Neither good nor poor", "Poor", "Very poor", "Don't know")
RATING_WEIGHTS = (62, 22, 5, 4, 5, 2)
FALLBACK_COMMENTS = (
    "The staff were kind and explained everything.",
    "Waited three hours to be seen and nobody told us why.",
    "Clean ward, lovely nurses, the food could be better.",
    "The receptionist was rude on the phone.",
    "Quick and efficient, thank you.",
)
SHARED_FFT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "patient-feedback"


def busiest_processes(count: int = 3) -> str:
    """What else the machine is doing now: the CPU's use over a second and the processes using
    most of it (``top``'s second sample: the first averages since each process began)."""
    top = shutil.which("top")
    if top is None:
        return "unknown (no top)"
    done = subprocess.run(
        [top, "-b", "-n", "2", "-d", "1", "-w", "200"],
        capture_output=True,
        text=True,
        check=False,
    )
    sample = done.stdout.split("\ntop - ")[-1].splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in sample if line.startswith("%Cpu")), "")
    header = next((i for i, line in enumerate(sample) if line.lstrip().startswith("PID")), None)
    rows = []
    if header is not None:
        for line in sample[header + 1 : header + 1 + count]:
            fields = line.split()
            if len(fields) >= 12:
                rows.append(f"{fields[11]} {fields[8]}%")
    return f"CPU {cpu}; busiest: {', '.join(rows) or 'none'}"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- The exports -----------------------------------------------------------------------------


def _samples() -> list[tuple[str, str, str, str]]:
    """(question, comment, service, rating) of the real FFT file, or a few made-up ones."""
    path = SHARED_FFT / "fft_v6_shared.csv"
    if not path.is_file():
        return [
            ("Overall, how was your experience of our service?", text, "Inpatient", "")
            for text in FALLBACK_COMMENTS
        ]
    with path.open(encoding="utf-8", newline="") as source:
        return [
            (
                row["FFT question"],
                row["FFT answer"],
                row["Service type 1"],
                row["FFT categorical answer"],
            )
            for row in csv.DictReader(source)
            if row["FFT answer"].strip()
        ]


def _rows(count: int, month: dt.date, rng: random.Random) -> list[list[Any]]:
    samples = _samples()
    start = dt.datetime.combine(month, dt.time(7))
    days = 28
    rows = []
    for _ in range(count):
        question, text, service, rating = samples[rng.randrange(len(samples))]
        if rating not in {"1", "2", "3", "4", "5", "6"}:
            rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        if rng.random() < 0.3:  # a rating alone: no comment
            text = ""
        when = start + dt.timedelta(days=rng.randrange(days), seconds=rng.randrange(14 * 3600))
        rows.append([when, question, rating, text, service])
    return rows


HEADER = ["Date completed", "Question", "FFT response", "Comments", "Service"]


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(HEADER)
        for when, *rest in rows:
            writer.writerow([when.strftime("%d/%m/%Y %H:%M"), *rest])


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("FFT")
    sheet.append(HEADER)
    for row in rows:
        # Excel cannot hold some control characters a comment may carry: as it does, drop them.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    workbook.save(path)


# --- Measurements, each in its own process -----------------------------------------------------


def measure_baseline(path: Path) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection, transaction

    from feedback.choices import Channel, Kind
    from feedback.clocks import LONDON
    from feedback.models import Feedback, Organisation

    trust = Organisation.objects.get(ods_code=TRUST)
    chunk_rows = settings.FFT_UPLOAD_CHUNK_ROWS
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    count = 0
    with path.open(encoding="utf-8-sig", newline="") as source:
        chunk: list[Feedback] = []
        for row in csv.DictReader(source):
            chunk.append(
                Feedback(
                    kind=Kind.COMPLIMENT,
                    channel=Channel.FFT_IMPORT,
                    provider=trust,
                    area_id=trust.icb_id,
                    question=row["Question"],
                    fft_rating=1,
                    text=row["Comments"],
                    received_at=dt.datetime.strptime(
                        row["Date completed"], "%d/%m/%Y %H:%M"
                    ).replace(tzinfo=LONDON),
                    submission_key=f"bench-{count}",
                )
            )
            count += 1
            if len(chunk) >= chunk_rows:
                with transaction.atomic():
                    Feedback.objects.bulk_create(chunk)
                chunk = []
        if chunk:
            with transaction.atomic():
                Feedback.objects.bulk_create(chunk)
    seconds = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before
    peak = peak_mb()
    # Gone again in one statement (the ORM's delete would load them all to look for cascades).
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM feedback_feedback WHERE submission_key LIKE 'bench-%%'")
    return {
        "rows": count,
        "added": count,
        "duplicates": 0,
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_mb": peak,
    }


def measure_upload(path: Path) -> dict[str, Any]:
    from unittest import mock

    from django.conf import settings
    from django.core.files import File

    from feedback.models import FftUpload, User
    from feedback.services import fft_rows, fft_uploads

    user = User.objects.get(username="bench-fft")
    sent: list[int] = []
    phases: dict[str, float] = {}
    check = fft_uploads.fft_export_check

    def timed_check(**kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return check(**kwargs)
        finally:
            phases["check_s"] = time.perf_counter() - began

    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    with (
        mock.patch.object(fft_uploads, "enqueue_processing", lambda upload_id: None),
        mock.patch.object(fft_rows, "enqueue_analysis_batches", lambda ids: sent.append(len(ids))),
        mock.patch.object(fft_uploads, "fft_export_check", timed_check),
        path.open("rb") as source,
    ):
        upload = fft_uploads.fft_upload_receive(actor=user, uploaded_file=File(source, path.name))
        received = time.perf_counter() - began
        fft_uploads.fft_upload_process(upload_id=upload.pk)
    seconds = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before
    upload = FftUpload.objects.get(pk=upload.pk)
    assert upload.status == "done", (upload.status, upload.problem, upload.row_errors[:3])
    return {
        "rows": upload.rows_total,
        "added": upload.rows_added,
        "duplicates": upload.rows_duplicate,
        "seconds": seconds,
        "cpu_s": cpu,
        "receive_s": received,
        "check_s": phases.get("check_s", 0.0),
        "save_s": seconds - received - phases.get("check_s", 0.0),
        "messages": sum(-(-n // settings.ANALYSIS_BATCH_SIZE) for n in sent),
    }


def _child(kind: str, path: str) -> int:
    import django

    django.setup()
    result = measure_baseline(Path(path)) if kind == "baseline" else measure_upload(Path(path))
    result.setdefault("peak_mb", peak_mb())
    print("RESULT " + json.dumps(result))
    return 0


def _run_child(kind: str, path: Path, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--file", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{out.stdout}\n{out.stderr}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


# --- Orchestration ---------------------------------------------------------------------------


def _prepare(env: dict[str, str], existing: int) -> dict[str, Any]:
    made: dict[str, Any] = {"existing": existing}
    manage(env, "migrate", "--noinput")
    manage(env, "import_ods")
    if existing:
        print(f"generating {existing:,} existing items ...", flush=True)
        manage(
            env,
            "generate_feedback",
            "--count",
            str(existing),
            "--seed",
            str(SEED),
            "--years",
            "1",
            "--no-stats",
            "--verbosity",
            "0",
        )
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from feedback.models import Feedback, Organisation, User

    User.objects.create_user(
        "bench-fft", organisation=Organisation.objects.get(ods_code=TRUST), password=None
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        made["postgres"] = str(cursor.fetchone()[0])
    made["items_before"] = Feedback.objects.count()
    connection.close()
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--output", default=str(RESULTS / "fft_upload.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.file)

    load_before = load_average()
    busy_before = busiest_processes()
    env = django_env(args.database_url)
    fresh_database(args.database_url)
    try:
        made = _prepare(env, args.existing)
        rng = random.Random(SEED)
        today = dt.date.today().replace(day=1)
        last_month = (today - dt.timedelta(days=1)).replace(day=1)
        month_before = (last_month - dt.timedelta(days=1)).replace(day=1)
        results: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory() as folder:
            csv_path = Path(folder) / "fft-export.csv"
            xlsx_path = Path(folder) / "fft-export.xlsx"
            print(f"writing the exports of {args.rows:,} rows ...", flush=True)
            write_csv(csv_path, _rows(args.rows, month_before, rng))
            write_xlsx(xlsx_path, _rows(args.rows, last_month, rng))
            made["csv_mb"] = csv_path.stat().st_size / 1e6
            made["xlsx_mb"] = xlsx_path.stat().st_size / 1e6
            files = {
                "baseline": csv_path,
                "csv": csv_path,
                "xlsx": xlsx_path,
                "csv_again": csv_path,
            }
            for kind, label in RUNS:
                print(f"measuring {label} ...", flush=True)
                results[kind] = r = _run_child(kind, files[kind], env)
                print(
                    f"  {r['rows']:,} rows in {r['seconds']:.1f} s = "
                    f"{r['rows'] / r['seconds']:,.0f} rows/s; {r['added']:,} added, "
                    f"{r['duplicates']:,} held already; peak {r['peak_mb']:.0f} MB; CPU "
                    f"{r['cpu_s']:.1f} s",
                    flush=True,
                )
        made["load_before"] = load_before
        made["busy_before"] = busy_before
        _write(args.output, made, results)
    finally:
        if not args.keep:
            drop_database(args.database_url)
    # A timing is not a pass or a fail (see bench/run.py): the verdicts are in the results file.
    return 0


def _write(path: str, made: dict[str, Any], results: dict[str, dict[str, Any]]) -> None:
    base = results["baseline"]
    base_rate = base["rows"] / base["seconds"]
    lines = [
        "# FFT upload benchmark (issue 18, item 7)",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/fft_upload.py` on "
        f"{machine()}; PostgreSQL {made['postgres']} on the same machine.",
        "",
        f"**How busy the machine was:** load average {made['load_before']} before the run and "
        f"{load_average()} at the end, on 2 CPUs (the load average counts the whole host, "
        "other work on it included). Just before the run, over one second: "
        f"{made['busy_before']}. After it: {busiest_processes()}. Other work on the machine "
        "(a model training run was expected) competes for the CPUs, so compare each figure "
        "with the baseline measured in the same run. CPU s is the measured process's own CPU "
        "time; the rest of the wall time is PostgreSQL's work and waiting for a CPU.",
        "",
        f"Data: {made['items_before']:,} items in the table before the runs (the organisation "
        f"directory, and {made['existing']:,} made by `generate_feedback` with COPY), so the "
        "upload meets a table with rows and all its indexes (the full-text GIN index among "
        "them). The exports: real FFT comments, questions and services of the shared FFT file "
        "(drawn at random, repeats included), 30% of answers with no comment, dates with times "
        f"over a month. CSV {made['csv_mb']:.1f} MB (one month), XLSX {made['xlsx_mb']:.1f} MB "
        "(the next month: new rows).",
        "",
        "Each line is a fresh process. The baseline reads the CSV with `csv.DictReader` and "
        "inserts the rows with `bulk_create` in chunks of the same size: no checks, no digests, "
        "no audit rows, nothing sent. An upload is `fft_upload_receive` (the web request: "
        "type, digest, stored) and `fft_upload_process` (the worker: every row checked, then "
        "saved a chunk a transaction with its audit rows and progress, one analysis message a "
        "batch, counted here rather than sent). On PostgreSQL a chunk is one statement: "
        "`INSERT ... SELECT` from a VALUES list of the eight columns that differ between "
        "answers (the rest bound once), `ON CONFLICT (submission_key) DO NOTHING RETURNING`, "
        "the audit rows inserted from what it returns; that is why it beats the ORM's "
        "`bulk_create`, which builds every row's ~70 columns in Python. Peak MB is the "
        "process's maximum resident set size: Django and the code included.",
        "",
        "| run | rows | added | held already | seconds | rows/s | vs baseline | check s | "
        "save s | peak MB | CPU s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, label in RUNS:
        r = results[kind]
        rate = r["rows"] / r["seconds"]
        check = f"{r['check_s']:.1f}" if "check_s" in r else ""
        save = f"{r['save_s']:.1f}" if "save_s" in r else ""
        lines.append(
            f"| {label} | {r['rows']:,} | {r['added']:,} | {r['duplicates']:,} | "
            f"{r['seconds']:.1f} | {rate:,.0f} | {rate / base_rate:.2f} | {check} | {save} | "
            f"{r['peak_mb']:.0f} | {r['cpu_s']:.1f} |"
        )
    lines.append("")
    for kind in ("csv", "xlsx"):
        r = results[kind]
        ok = r["seconds"] < TARGET_SECONDS and r["added"] == r["rows"]
        lines.append(
            f"- {kind.upper()}: {r['rows']:,} rows in {r['seconds']:.1f} s (target < "
            f"{TARGET_SECONDS} s): {'met' if ok else 'NOT met'}; peak {r['peak_mb']:.0f} MB; "
            f"{r['messages']:,} analysis messages for {r['added']:,} items."
        )
    again = results["csv_again"]
    lines.append(
        f"- The same CSV again: {again['added']:,} rows added, {again['duplicates']:,} held "
        f"already, in {again['seconds']:.1f} s."
    )
    lines.append("")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
