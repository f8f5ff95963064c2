"""Benchmark: stream 1,000,000 pseudonymised feedback rows out of PostgreSQL as CSV and NDJSON.

    .venv/bin/python bench/export_stream.py [--rows 1000000] [--keep] [--reuse]
        [--database-url postgres://postgres@127.0.0.1:5432/pv_bench_export]

1. Creates a database of its own (dropped at the end unless --keep), migrates it, loads the
   organisation directory and makes N items with ``generate_feedback`` (COPY; twelve months of
   items in every workflow state, real FFT comments where ../shared/data is present, some
   carrying names, phone numbers, emails and postcodes, a third with an Identity row, most with
   themes).
2. Baseline, in a fresh process: the export's own SQL read through a raw psycopg2 server-side
   cursor inside a transaction (as the export reads it), fetchmany of a chunk at a time, rows
   thrown away. It is what the database and the driver cost; the export cannot beat it.
3. The export, each format in a fresh process: GET /api/v1/exports/feedback/{csv,ndjson}/ for the
   whole period with a national (CQC) token, through Django's full request stack (middleware,
   authentication, throttle, audit), reading every byte of the StreamingHttpResponse.
   Peak memory is the process's maximum resident set size (ru_maxrss): Django, the code and
   everything the stream held, not an estimate.

Targets (issue 6): >= 50,000 rows/s and < 300 MB peak. Results go to bench/results/export_stream.md.
Not part of `make test`: it takes minutes and needs PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_SERVER,
    RESULTS,
    django_env,
    drop_database,
    fresh_database,
    load_average,
    machine,
    manage,
    peak_mb,
)

DEFAULT_URL = f"{DEFAULT_SERVER}/pv_bench_export"
TARGET_ROWS_PER_S = 50_000
TARGET_PEAK_MB = 300
SEED = 6
RUNS = (("baseline", "baseline: raw cursor"), ("csv", "export CSV"), ("ndjson", "export NDJSON"))


# --- Measurements, each in its own process -----------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


APPLICATION_NAME = "pv_bench_export"


def _backend_pid() -> int | None:
    """The PostgreSQL backend serving this process's Django connection (found by its
    application_name from a connection of its own, so the export's cursor is left alone)."""
    import psycopg2

    url = os.environ["DATABASE_URL"].split("?")[0]
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> "
            "pg_backend_pid() ORDER BY backend_start DESC LIMIT 1",
            [APPLICATION_NAME],
        )
        row = cursor.fetchone()
    conn.close()
    return int(row[0]) if row else None


def _process_cpu_seconds(pid: int | None) -> float:
    """CPU time so far of a process on this machine (utime + stime from /proc), 0 if gone."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _filters() -> Any:
    from analytics.exports.filters import ExportFilters

    return ExportFilters(
        received_from=dt.date.fromisoformat(os.environ["BENCH_FROM"]),
        received_to=dt.date.fromisoformat(os.environ["BENCH_TO"]),
    )


def measure_baseline() -> dict[str, Any]:
    """The export's SQL through a raw server-side cursor, in a transaction, rows discarded."""
    from django.db import connection, transaction

    from analytics.exports.query import feedback_export_values
    from analytics.exports.streaming import EXPORT_CHUNK_SIZE
    from analytics.models import ApiToken

    token = ApiToken.objects.select_related("organisation").get(pk=os.environ["BENCH_TOKEN_ID"])
    sql, params = feedback_export_values(token, _filters()).query.sql_with_params()
    connection.ensure_connection()
    pid = _backend_pid()
    db_before = _process_cpu_seconds(pid)
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    count = 0
    first_byte = None
    # In a transaction, so the named cursor streams instead of being materialised first.
    with transaction.atomic(), connection.connection.cursor(name="bench_baseline") as cursor:
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(EXPORT_CHUNK_SIZE)
            if first_byte is None:
                first_byte = time.perf_counter() - began
            if not chunk:
                break
            count += len(chunk)
    seconds = time.perf_counter() - began
    return {
        "rows": count,
        "seconds": seconds,
        "cpu_s": _cpu_seconds() - cpu_before,
        "db_cpu_s": _process_cpu_seconds(pid) - db_before,
        "first_byte_s": first_byte,
        "peak_mb": peak_mb(),
        "bytes": 0,
    }


def measure_export(fmt: str) -> dict[str, Any]:
    from django.test import Client

    from analytics.models import ExportAudit

    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {os.environ['BENCH_TOKEN']}")
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    response = client.get(
        f"/api/v1/exports/feedback/{fmt}/",
        {"received_from": os.environ["BENCH_FROM"], "received_to": os.environ["BENCH_TO"]},
    )
    assert response.status_code == 200, response.content
    size = 0
    first_byte = None
    pid = None
    db_cpu = 0.0
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        if first_byte is None:
            first_byte = time.perf_counter() - began
            # The backend started with the request; its CPU time before the query is noise.
            pid = _backend_pid()
        size += len(chunk)
        # Read as the stream goes: the backend ends with the response.
        db_cpu = _process_cpu_seconds(pid) or db_cpu
    response.close()
    seconds = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before
    audit = ExportAudit.objects.get(pk=int(response["X-Export-Id"]))
    assert audit.completed, "the export did not finish"
    return {
        "rows": audit.row_count,
        "seconds": seconds,
        "cpu_s": cpu,
        "db_cpu_s": db_cpu,
        "first_byte_s": first_byte,
        "peak_mb": peak_mb(),
        "bytes": size,
    }


def _child(kind: str) -> int:
    import django

    django.setup()
    result = measure_baseline() if kind == "baseline" else measure_export(kind)
    print("RESULT " + json.dumps(result))
    return 0


def _run_child(kind: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind],
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


def _prepare(env: dict[str, str], rows: int, reuse: bool) -> dict[str, Any]:
    """Load the data set (unless reused); issue a token; the period the items cover."""
    made: dict[str, Any] = {"load_seconds": None}
    if not reuse:
        manage(env, "migrate", "--noinput")
        manage(env, "import_ods")
        print(f"generating {rows:,} items ...", flush=True)
        began = time.perf_counter()
        out = manage(
            env,
            "generate_feedback",
            "--count",
            str(rows),
            "--seed",
            str(SEED),
            "--years",
            "1",
            "--no-stats",
            "--verbosity",
            "0",
        )
        made["load_seconds"] = round(time.perf_counter() - began, 1)
        made["generate"] = out.strip()
        print(f"  {made['generate']}", flush=True)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max, Min

    from analytics.tokens import api_token_issue
    from feedback.clocks import local_date
    from feedback.models import Feedback, Organisation

    span = Feedback.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    issued = api_token_issue(
        organisation=Organisation.objects.get(ods_code="CQC"),
        scopes=["exports:read"],
        name=f"bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}",
        actor=None,
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        made["postgres"] = str(cursor.fetchone()[0])
    made.update(
        rows=Feedback.objects.count(),
        received_from=local_date(span["first"]).isoformat(),
        received_to=local_date(span["last"]).isoformat(),
        token=issued.plain,
        token_id=str(issued.token.pk),
    )
    connection.close()
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept earlier")
    parser.add_argument("--output", default=str(RESULTS / "export_stream.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child)

    env = django_env(args.database_url, REGULATOR_STREAM_RATE="1000/minute")
    if not args.reuse:
        fresh_database(args.database_url)
    try:
        made = _prepare(env, args.rows, args.reuse)
        env.update(
            DATABASE_URL=f"{args.database_url}?application_name={APPLICATION_NAME}",
            BENCH_TOKEN=made["token"],
            BENCH_TOKEN_ID=made["token_id"],
            BENCH_FROM=made["received_from"],
            BENCH_TO=made["received_to"],
        )
        results: dict[str, dict[str, Any]] = {}
        for kind, label in RUNS:
            print(f"measuring {label} ...", flush=True)
            results[kind] = r = _run_child(kind, env)
            rate = r["rows"] / r["seconds"]
            ratio = rate / (results["baseline"]["rows"] / results["baseline"]["seconds"])
            print(
                f"  {r['rows']:,} rows in {r['seconds']:.1f} s = {rate:,.0f} rows/s "
                f"({ratio:.2f} of the raw-cursor baseline), peak {r['peak_mb']:.0f} MB; CPU "
                f"{r['cpu_s']:.1f} s here, {r['db_cpu_s']:.1f} s in the database",
                flush=True,
            )
        _write(args.output, made, results)
    finally:
        if not args.keep:
            drop_database(args.database_url)
    # A timing is not a pass or a fail (see bench/run.py): the verdicts are in the results file.
    return 0


def _write(path: str, made: dict[str, Any], results: dict[str, dict[str, Any]]) -> None:
    base = results["baseline"]
    base_rate = base["rows"] / base["seconds"]
    loaded = (
        f"made by `generate_feedback` (COPY) in {made['load_seconds']} s"
        if made.get("load_seconds")
        else "reused from an earlier run"
    )
    lines = [
        "# Streaming export benchmark (issue 6)",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/export_stream.py` on "
        f"{machine()}; PostgreSQL {made['postgres']} on the same machine. Load average at the "
        f"end: {load_average()} (the machine is shared: other work competes for its CPUs, so "
        "compare with the baseline measured in the same run).",
        "",
        f"Data: {made['rows']:,} feedback items {loaded}: received {made['received_from']} to "
        f"{made['received_to']} across 129 trusts, 42 ICBs and the CQC, in every workflow state; "
        "real FFT comments, some carrying names, phone numbers, emails and postcodes; a third "
        "with an Identity row; most with themes.",
        "",
        "Each line is a fresh process. The export is the whole period through Django's request "
        "stack with a national token: authentication, throttle, audit row, one query on a "
        "server-side cursor (themes by correlated subquery, identity by join) read a chunk ahead "
        "by a reader thread, pseudonym, redaction and encoding, every byte read. The baseline "
        "reads the same rows with the same SQL through a raw psycopg2 server-side cursor in a "
        "transaction and does nothing with them. Peak memory is the process's maximum RSS.",
        "",
        "| run | rows | seconds | rows/s | vs baseline | peak MB | MB out | first byte s "
        "| CPU s (Python) | CPU s (database) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, label in RUNS:
        r = results[kind]
        rate = r["rows"] / r["seconds"]
        first = f"{r['first_byte_s']:.2f}" if r.get("first_byte_s") is not None else ""
        lines.append(
            f"| {label} | {r['rows']:,} | {r['seconds']:.1f} | {rate:,.0f} | "
            f"{rate / base_rate:.2f} | {r['peak_mb']:.0f} | {r['bytes'] / 1e6:,.0f} | {first} | "
            f"{r['cpu_s']:.1f} | {r['db_cpu_s']:.1f} |"
        )
    verdicts = []
    for kind in ("csv", "ndjson"):
        r = results[kind]
        rate = r["rows"] / r["seconds"]
        ok = rate >= TARGET_ROWS_PER_S and r["peak_mb"] < TARGET_PEAK_MB
        # The reader thread keeps PostgreSQL working while Python encodes, so with a CPU each
        # the export takes as long as the busier of the two: an estimate, not a measurement.
        busiest = max(r["cpu_s"], r["db_cpu_s"])
        verdicts.append(
            f"- {kind.upper()}: {rate:,.0f} rows/s (target >= {TARGET_ROWS_PER_S:,}), peak "
            f"{r['peak_mb']:.0f} MB (target < {TARGET_PEAK_MB}): {'met' if ok else 'NOT met'}. "
            f"CPU time per row: {r['cpu_s'] / r['rows'] * 1e6:.1f} us in Python, "
            f"{r['db_cpu_s'] / r['rows'] * 1e6:.1f} us in PostgreSQL; with a CPU each and nothing "
            f"else running that is about {r['rows'] / busiest:,.0f} rows/s (estimate)."
        )
    lines += ["", *verdicts, ""]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
