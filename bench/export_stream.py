"""Benchmark: stream 1,000,000 pseudonymised feedback rows out of PostgreSQL as CSV and NDJSON.

    .venv/bin/python bench/export_stream.py [--rows 1000000] [--keep]
        [--database-url postgres://postgres@127.0.0.1:5432/pv_bench_export]

1. Creates a database of its own (dropped at the end unless --keep), migrates it, loads the demo
   organisation directory, and bulk-loads N feedback rows with COPY: real FFT comments from
   ../shared/data/patient-feedback where present (synthetic ones otherwise), a tenth of them
   carrying phone numbers, emails, NHS numbers, postcodes or names; a third with an Identity row;
   most with one to three themes; complaints answered with KO41 codes and outcomes.
2. Baseline, in a fresh process: a raw psycopg2 server-side cursor reading the same rows with the
   same SQL the export runs (fetchmany of 2,000), doing nothing with them.
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
import csv
import datetime as dt
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pv_bench_export"
FFT = ROOT.parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"
PERIOD = ("2025-11-01", "2026-10-31")
TARGET_ROWS_PER_S = 50_000
TARGET_PEAK_MB = 300


# --- Data ------------------------------------------------------------------------------------


def _comments(rng: random.Random) -> list[str]:
    texts: list[str] = []
    if FFT.exists():
        with FFT.open(newline="", encoding="utf-8", errors="replace") as fh:
            texts = [r["FFT answer"].strip() for r in csv.DictReader(fh) if r["FFT answer"].strip()]
    if not texts:
        texts = [
            "The nurses were kind but we waited six hours in A&E and nobody told us why.",
            "Excellent care from start to finish, thank you to everyone on ward 7.",
            "My appointment was cancelled twice and the phone line was always engaged.",
            "Food was cold and the ward was noisy at night.",
        ]
    extras = [
        " Please call me on 07700 900{n:03d}.",
        " My NHS number is 943 476 5919.",
        " You can email me at patient{n}@example.com.",
        " We live at SW1A 1AA.",
        " Dr Patel and nurse Sarah were brilliant.",
        "\n\nKind regards,\nJane Smith",
        " My son Jack was frightened.",
    ]
    pool = list(texts)
    for n in range(len(texts) // 9):
        pool.append(rng.choice(texts) + rng.choice(extras).format(n=n % 1000))
    return pool


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (list, dict)):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _LinesFile(io.RawIOBase):
    """A read()-able file over an iterator of text lines, so COPY streams without a temp file."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._lines).encode()
            except StopIteration:
                break
        if size < 0:
            chunk, self._buffer = self._buffer, b""
        else:
            chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk


def _batched_lines(rows: Iterator[str], per_chunk: int = 2000) -> Iterator[str]:
    batch: list[str] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= per_chunk:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def load(rows: int, seed: int = 6) -> dict[str, Any]:
    """Generate and COPY the data set; return what was made."""
    from django.core.management import call_command
    from django.db import connection

    from analytics.themes import THEMES
    from feedback.choices import Channel, Kind, OrganisationKind, Route, Status
    from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
    from feedback.models import Feedback, Organisation

    call_command("migrate", verbosity=0)
    call_command("import_ods", verbosity=0)
    rng = random.Random(seed)
    trusts = list(
        Organisation.objects.filter(kind=OrganisationKind.TRUST).values_list("pk", "icb_id")
    )
    icbs = list(Organisation.objects.filter(kind=OrganisationKind.ICB).values_list("pk", flat=True))
    cqc = Organisation.objects.get(ods_code="CQC").pk
    comments = _comments(rng)
    start = dt.datetime(2025, 11, 1, 8, tzinfo=dt.UTC)
    span = int((dt.datetime(2026, 10, 31, 20, tzinfo=dt.UTC) - start).total_seconds())
    kinds = [Kind.COMPLAINT] * 3 + [Kind.CONCERN] * 2 + [Kind.COMPLIMENT] * 4 + [Kind.SUGGESTION]
    channels = [Channel.WEB] * 5 + [Channel.FFT_IMPORT] * 4 + [Channel.PHONE, Channel.LETTER]
    fields = [f for f in Feedback._meta.concrete_fields if not f.primary_key]
    columns = [str(f.column) for f in fields]

    def row(n: int) -> str:
        received = start + dt.timedelta(seconds=rng.randrange(span))
        kind = rng.choice(kinds)
        values: dict[str, Any] = {}
        if rng.random() < 0.8:
            trust, icb = rng.choice(trusts)
            provider, area, route = trust, icb, Route.TRUST
            handled_by = trust
            if rng.random() < 0.03:
                handled_by, route = cqc, Route.CQC
        else:
            provider, area = None, rng.choice(icbs)
            handled_by, route = area, Route.ICB
        analysed = rng.random() < 0.95
        sentiment = rng.randint(1, 5) if analysed else None
        values.update(
            tracking_token=uuid.uuid4().hex,
            kind=kind,
            channel=rng.choice(channels),
            service_type="gp" if provider is None else "acute",
            provider_id=provider,
            area_id=area,
            text=rng.choice(comments),
            received_at=received,
            analysis_state="done" if analysed else "queued",
            sentiment=sentiment,
            sentiment_label=(
                ""
                if sentiment is None
                else ("positive" if sentiment < 3 else "neutral" if sentiment == 3 else "negative")
            ),
            sentiment_confidence=round(rng.random(), 3) if analysed else None,
            risk_safeguarding=route == Route.CQC,
            model_version="bench-model-1" if analysed else "",
            analysed_at=received + dt.timedelta(seconds=30) if analysed else None,
            handled_by_id=handled_by,
            route=route,
            route_rule="trust_default" if route == Route.TRUST else f"{route}_rule",
            route_evidence=["bench"],
            routed_at=received + dt.timedelta(seconds=31),
            status=Status.RECEIVED,
        )
        if kind in (Kind.COMPLAINT, Kind.CONCERN):
            due = received.date() + dt.timedelta(days=28)
            values.update(
                acknowledge_due=received.date() + dt.timedelta(days=3),
                response_due=due,
                statutory_due=received.date() + dt.timedelta(days=182),
            )
            if rng.random() < 0.7:
                responded = received + dt.timedelta(days=rng.randint(5, 40))
                values.update(
                    status=Status.RESPONDED,
                    acknowledged_at=received + dt.timedelta(days=1),
                    responded_at=responded,
                    response_text="We are sorry. You can contact the Ombudsman.",
                    outcome=rng.choice(Outcome.values),
                    ko41_subjects=rng.sample(Subject.values, rng.randint(1, 3)),
                    ko41_service_area=rng.choice(ServiceArea.values),
                    ko41_profession=rng.choice(Profession.values),
                )
        out = []
        for f in fields:
            if f.attname in values:
                out.append(_copy_value(values[f.attname]))
            elif f.null:
                out.append("\\N")
            else:
                out.append(_copy_value(f.get_default()))
        return "\t".join(out) + "\n"

    began = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.copy_expert(
            f"COPY {Feedback._meta.db_table} ({', '.join(columns)}) FROM STDIN",
            _LinesFile(_batched_lines(row(n) for n in range(rows))),
        )
        table = Feedback._meta.db_table  # from the model, not from input
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")  # noqa: S608
        low, high = cursor.fetchone()
        theme_slugs = [t.slug for t in THEMES]

        def themes() -> Iterator[str]:
            for pk in range(low, high + 1):
                if rng.random() < 0.7:
                    for slug in rng.sample(theme_slugs, rng.randint(1, 3)):
                        yield f"{pk}\t{slug}\t{rng.random():.3f}\n"

        raw.copy_expert(
            "COPY feedback_feedbacktheme (feedback_id, theme, score) FROM STDIN",
            _LinesFile(_batched_lines(themes())),
        )

        def identities() -> Iterator[str]:
            for pk in range(low, high + 1):
                if rng.random() < 0.33:
                    yield (
                        f"{pk}\tJane Smith{pk % 97}\tpatient{pk}@example.com\t07700900"
                        f"{pk % 1000:03d}\t9434765919\n"
                    )

        raw.copy_expert(
            "COPY feedback_identity (feedback_id, name, email, phone, nhs_number) FROM STDIN",
            _LinesFile(_batched_lines(identities())),
        )
        cursor.execute("ANALYZE")
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        (count,) = cursor.fetchone()
    return {"rows": count, "load_seconds": round(time.perf_counter() - began, 1)}


# --- Measurements, each in its own process -----------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def measure_baseline() -> dict[str, Any]:
    """The same SQL as the export, read through a raw server-side cursor, rows discarded."""
    from django.db import connection

    from analytics.exports import ExportFilters, feedback_export_values
    from analytics.models import ApiToken

    token = ApiToken.objects.select_related("organisation").get(pk=os.environ["BENCH_TOKEN_ID"])
    filters = ExportFilters(
        received_from=dt.date.fromisoformat(PERIOD[0]), received_to=dt.date.fromisoformat(PERIOD[1])
    )
    sql, params = feedback_export_values(token, filters).query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    began = time.perf_counter()
    count = 0
    # As Django does in autocommit mode: a WITH HOLD server-side cursor.
    with raw.cursor(name="bench_baseline", withhold=True) as cursor:
        cursor.itersize = 2000
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(2000)
            if not chunk:
                break
            count += len(chunk)
    seconds = time.perf_counter() - began
    return {"rows": count, "seconds": seconds, "peak_mb": _peak_mb(), "bytes": 0}


def measure_export(fmt: str, plain: str) -> dict[str, Any]:
    from django.test import Client

    from analytics.models import ExportAudit

    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {plain}")
    began = time.perf_counter()
    response = client.get(
        f"/api/v1/exports/feedback/{fmt}/",
        {"received_from": PERIOD[0], "received_to": PERIOD[1]},
    )
    assert response.status_code == 200, response.content
    size = 0
    first_byte = None
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        if first_byte is None:
            first_byte = time.perf_counter() - began
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - began
    audit = ExportAudit.objects.get(pk=int(response["X-Export-Id"]))
    assert audit.completed, "the export did not finish"
    return {
        "rows": audit.row_count,
        "seconds": seconds,
        "first_byte_s": first_byte,
        "peak_mb": _peak_mb(),
        "bytes": size,
    }


def _child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    if args.child == "baseline":
        result = measure_baseline()
    else:
        result = measure_export(args.child, os.environ["BENCH_TOKEN"])
    print("RESULT " + json.dumps(result))


def _run_child(kind: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stdout}\n{out.stderr}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


# --- Orchestration ---------------------------------------------------------------------------


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def _psql(url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(_admin_url(url))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept earlier")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "export_stream.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    name = urlsplit(args.database_url).path.lstrip("/")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.local",
        "DJANGO_DEBUG": "false",
        "REGULATOR_STREAM_RATE": "1000/minute",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    os.environ.update(env)
    if not args.reuse:
        _psql(args.database_url, f'DROP DATABASE IF EXISTS "{name}"')
        _psql(args.database_url, f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from analytics.tokens import api_token_issue
    from feedback.models import Organisation

    try:
        if args.reuse:
            made = {"rows": None, "load_seconds": None}
        else:
            print(f"loading {args.rows:,} rows into {name} ...", flush=True)
            made = load(args.rows)
            print(f"loaded {made['rows']:,} rows in {made['load_seconds']} s", flush=True)
        issued = api_token_issue(
            organisation=Organisation.objects.get(ods_code="CQC"),
            scopes=["exports:read"],
            name=f"bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S}",
            actor=None,
        )
        env["BENCH_TOKEN"] = issued.plain
        env["BENCH_TOKEN_ID"] = str(issued.token.pk)
        pg = _pg_version()
        from django.db import connection

        connection.close()
        results = {}
        for kind in ("baseline", "csv", "ndjson"):
            print(f"measuring {kind} ...", flush=True)
            results[kind] = _run_child(kind, env)
            r = results[kind]
            print(
                f"  {r['rows']:,} rows in {r['seconds']:.1f} s = {r['rows'] / r['seconds']:,.0f} "
                f"rows/s, peak {r['peak_mb']:.0f} MB",
                flush=True,
            )
        _write(args.output, args.rows, made, results, pg)
    finally:
        if not args.keep:
            from django.db import connection

            connection.close()
            _psql(args.database_url, f'DROP DATABASE IF EXISTS "{name}"')


def _write(
    path: str, rows: int, made: dict[str, Any], results: dict[str, dict[str, Any]], pg: str
) -> None:
    base = results["baseline"]
    base_rate = base["rows"] / base["seconds"]
    lines = [
        "# Streaming export benchmark (issue 6)",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/export_stream.py "
        f"--rows {rows}` on {_machine()}; PostgreSQL {pg} on the same machine. Load average "
        f"at the end: {os.getloadavg()[0]:.1f} (the machine is shared: other work competes for "
        "its CPUs, so compare with the baseline measured in the same run).",
        "",
        f"Data: {rows:,} feedback rows loaded with COPY"
        + (f" in {made['load_seconds']} s" if made.get("load_seconds") else "")
        + " (real FFT comments, a tenth carrying identifiers; a third with an Identity row; "
        "most with 1-3 themes), over twelve months, 129 trusts and 42 ICBs.",
        "",
        "Each line is a fresh process. The export is the whole period through Django's request "
        "stack with a national token: authentication, throttle, audit row, one query on a "
        "server-side cursor (themes by correlated subquery, identity by join), pseudonym, "
        "redaction and encoding, every byte read. "
        "The baseline reads the same rows with the same SQL through a raw psycopg2 server-side "
        "cursor and does nothing with them. Peak memory is the process's maximum RSS.",
        "",
        "| run | rows | seconds | rows/s | vs baseline | peak MB | MB out | first byte s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, label in (
        ("baseline", "baseline: raw cursor"),
        ("csv", "export CSV"),
        ("ndjson", "export NDJSON"),
    ):
        r = results[kind]
        rate = r["rows"] / r["seconds"]
        first = f"{r['first_byte_s']:.2f}" if r.get("first_byte_s") is not None else ""
        lines.append(
            f"| {label} | {r['rows']:,} | {r['seconds']:.1f} | {rate:,.0f} | "
            f"{rate / base_rate:.2f} | {r['peak_mb']:.0f} | {r['bytes'] / 1e6:,.0f} | {first} |"
        )
    verdicts = []
    for kind in ("csv", "ndjson"):
        r = results[kind]
        rate = r["rows"] / r["seconds"]
        ok = rate >= TARGET_ROWS_PER_S and r["peak_mb"] < TARGET_PEAK_MB
        verdicts.append(
            f"- {kind.upper()}: {rate:,.0f} rows/s (target >= {TARGET_ROWS_PER_S:,}), peak "
            f"{r['peak_mb']:.0f} MB (target < {TARGET_PEAK_MB}): {'met' if ok else 'NOT met'}."
        )
    lines += ["", *verdicts, ""]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
