"""Benchmark: the duplicate check for one new item at scale, beside an exhaustive check in the
same run (issue 18 item 5, ADR 0016).

    .venv/bin/python bench/duplicates.py [--items 1000000] [--checks 300] [--keep] [--reuse]
        [--database-url postgres://root@127.0.0.1:5432/pv_bench_duplicates]

1. A database of its own (dropped at the end unless --keep): migrate, the ODS directory, demo
   staff, then ``--items`` items with ``generate_feedback --focus RJ1 --focus-share 0.3`` (three
   in ten in the demo trust's queue: the busiest queue there is, as the search benchmark), and a
   reading for every item the model read (binary COPY), its sketch on the item. The readings are
   synthetic: the benchmark cannot run the model over a million comments, and the check's cost
   does not depend on what the vectors mean. They are drawn around one common direction, so
   that unrelated readings share a cosine near 0.5 as the model's do (bench/results/
   duplicate_threshold.md). Then VACUUM ANALYZE.
2. ``--checks`` new complaints arrive in the trust's queue, each with a patient's details and a
   reading: a third give the NHS number of a patient already in the queue, a third the email (in
   capitals), and half have a reading close to one already there (a duplicate to find).
3. In a fresh process, as the trust's handler, each new item is checked once, in random order
   (all the checks, then all the baselines):
   - the check (``duplicate_candidates``: the patient's details by index, the sketches of the
     queue's 90 days from the partial covering index in one binary COPY, the nearest 5% of
     readings compared exactly);
   - the baseline: the same window read exhaustively through the ORM, every reading and every
     patient's details fetched and compared in Python.
   It also counts the checks whose candidates the baseline agrees with.

Target (issue 18): the check for one new item under 50 ms at 1,000,000 items.
Results: bench/results/duplicates.md.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    RESULTS,
    ROOT,
    django_env,
    drop_database,
    execute,
    fresh_database,
    load_average,
    machine,
    manage,
    summary,
)

DEFAULT_URL = "postgres://root@127.0.0.1:5432/pv_bench_duplicates"
USER = "trust.handler"
QUEUE = "RJ1"
MODEL = "bench-reading-v1"
TARGET_MS = 50.0
CHUNK = 50_000
# Unrelated readings: a common direction plus noise this large (per component, relative to the
# common direction's length), which puts their cosines near 0.5.
SPREAD = 1.06 / np.sqrt(384)


def _features(rng: np.random.Generator, common: np.ndarray, n: int) -> np.ndarray:
    return common + SPREAD * rng.standard_normal((n, 384)).astype(np.float32)


def write_readings(seed: int) -> int:
    """A reading for every item the model read (binary COPY), and its sketch on the item."""
    import django

    django.setup()
    from django.db import connection

    from analytics.ml.similarity import reading_matrix, reading_sketch, readings_from_features
    from feedback.models import FeedbackReading

    rng = np.random.default_rng(seed)
    common = rng.standard_normal(384).astype(np.float32)
    common /= np.linalg.norm(common)
    np.save(ROOT / "var" / "bench-duplicates-common.npy", common)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM feedback_feedback WHERE analysis_state = 'done' "
            "AND NOT needs_review ORDER BY id"
        )
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        cursor.execute("CREATE TEMPORARY TABLE bench_sketch (id bigint, sketch bytea)")
    version = MODEL.encode()
    reading_row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_size", ">i4"),
            ("id", ">i8"),
            ("vector_size", ">i4"),
            ("vector", np.int8, (384,)),
            ("version_size", ">i4"),
            ("version", f"S{len(version)}"),
        ]
    )
    sketch_row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_size", ">i4"),
            ("id", ">i8"),
            ("sketch_size", ">i4"),
            ("sketch", np.uint8, (96,)),
        ]
    )
    table = connection.ops.quote_name(FeedbackReading._meta.db_table)
    copy_readings = f"COPY {table} (feedback_id, vector, model_version) FROM STDIN (FORMAT binary)"
    header, trailer = b"PGCOPY\n\xff\r\n\x00" + bytes(8), b"\xff\xff"
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        readings = readings_from_features(_features(rng, common, len(chunk)))
        records = np.zeros(len(chunk), dtype=reading_row)
        records["fields"] = 3
        records["id_size"], records["id"] = 8, chunk
        records["vector_size"], records["vector"] = 384, reading_matrix(readings)
        records["version_size"], records["version"] = len(version), version
        sketches = np.zeros(len(chunk), dtype=sketch_row)
        sketches["fields"] = 2
        sketches["id_size"], sketches["id"] = 8, chunk
        sketches["sketch_size"] = 96
        sketches["sketch"] = np.frombuffer(
            b"".join(reading_sketch(r) for r in readings), dtype=np.uint8
        ).reshape(-1, 96)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            raw.copy_expert(copy_readings, io.BytesIO(header + records.tobytes() + trailer))
            raw.copy_expert(
                "COPY bench_sketch (id, sketch) FROM STDIN (FORMAT binary)",
                io.BytesIO(header + sketches.tobytes() + trailer),
            )
    with connection.cursor() as cursor:
        # As the worker writes them: the sketch with the analysis, on the item.
        cursor.execute(
            "UPDATE feedback_feedback f SET reading_sketch = s.sketch, model_version = %s "
            "FROM bench_sketch s WHERE f.id = s.id",
            [MODEL],
        )
    return len(ids)


def arrive(checks: int, seed: int) -> list[int]:
    """``checks`` new complaints in the trust's queue, each with a patient and a reading."""
    import datetime as dt

    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from analytics.ml.similarity import reading_matrix, reading_sketch, readings_from_features
    from feedback.models import Feedback, FeedbackReading, Identity, Organisation

    rng = np.random.default_rng(seed)
    picker = random.Random(seed)
    common = np.load(ROOT / "var" / "bench-duplicates-common.npy")
    trust = Organisation.objects.get(ods_code=QUEUE)
    recent = Feedback.objects.filter(
        handled_by=trust,
        kind__in=["complaint", "concern"],
        received_at__gte=timezone.now() - dt.timedelta(days=80),
    )
    patients = list(
        Identity.objects.filter(feedback__in=recent)
        .exclude(nhs_number="")
        .exclude(email="")
        .values_list("nhs_number", "email")[:5000]
    )
    read = list(
        FeedbackReading.objects.filter(feedback__in=recent).values_list("vector", flat=True)[:5000]
    )
    made = []
    with transaction.atomic():
        for i in range(checks):
            if i % 2 == 0:
                near = reading_matrix(bytes(picker.choice(read)))[0].astype(np.float32)
                features = near + 2.0 * rng.standard_normal(384).astype(np.float32)
            else:
                features = _features(rng, common, 1)[0]
            [vector] = readings_from_features(features[None, :])
            item = Feedback.objects.create(
                kind="complaint",
                channel="web",
                text="I am writing again: nobody has replied about my appointment.",
                provider=trust,
                area_id=trust.icb_id,
                handled_by=trust,
                route="trust",
                analysis_state="done",
                received_at=timezone.now() - dt.timedelta(minutes=checks - i),
                model_version=MODEL,
                reading_sketch=reading_sketch(vector),
            )
            nhs_number, email = picker.choice(patients)
            # Ofcom's drama range for Newcastle: never a demo patient's number (07700 900xxx).
            details = {"name": "New Patient", "phone": f"01632 960{i % 1000:03d}"}
            if i % 3 == 0:
                details["nhs_number"] = nhs_number
            elif i % 3 == 1:
                details["email"] = email.upper()
            Identity.objects.create(feedback=item, **details)
            FeedbackReading.objects.create(feedback=item, vector=vector, model_version=MODEL)
            made.append(item.pk)
    return made


def measure(ids: list[int], seed: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection

    from analytics.ml.similarity import cosines, reading_matrix
    from feedback.models import Feedback, FeedbackReading, Identity, User
    from feedback.services import duplicates

    user = User.objects.get(username=USER)
    items = list(Feedback.objects.filter(pk__in=ids))
    random.Random(seed).shuffle(items)

    def exhaustive(item: Feedback) -> list[int]:
        """Every reading and every patient of the window, fetched and compared in Python."""
        window = duplicates.duplicate_window(feedback=item, user=user)
        own = FeedbackReading.objects.get(pk=item.pk)
        rows = list(
            FeedbackReading.objects.filter(
                feedback__in=window, model_version=own.model_version
            ).values_list("feedback_id", "vector")
        )
        alike = cosines(bytes(own.vector), reading_matrix([bytes(v) for _, v in rows]))
        text = {pk: float(s) for (pk, _), s in zip(rows, alike, strict=True)}
        me = Identity.objects.get(feedback=item)
        strength: dict[int, int] = {}
        for pk, nhs, email, phone in Identity.objects.filter(feedback__in=window).values_list(
            "feedback_id", "nhs_number", "email", "phone"
        ):
            if me.nhs_number and nhs == me.nhs_number:
                strength[pk] = 0
            elif me.email and email.lower() == me.email.lower():
                strength[pk] = 1
            elif duplicates.phone_keys(me.phone) & duplicates.phone_keys(phone):
                strength[pk] = 2
        found = set(strength) | {pk for pk, s in text.items() if s >= duplicates.TEXT_THRESHOLD}
        received = dict(window.filter(pk__in=found).values_list("pk", "received_at"))
        return sorted(
            found,
            key=lambda pk: (
                strength.get(pk, 3),
                -(text[pk] if text.get(pk, 0) >= duplicates.TEXT_THRESHOLD else 0.0),
                abs((received[pk] - item.received_at).total_seconds()),
            ),
        )[: duplicates.CANDIDATES_SHOWN]

    # Warm-up: the first checks read the indexes into memory.
    for item in items[:5]:
        duplicates.duplicate_candidates(feedback=item, user=user)
        exhaustive(item)
    # The checks, then the baselines: each exhaustive read pulls five megabytes of readings
    # through the database's cache, which would otherwise slow the check that follows it.
    check_ms, found = [], {}
    for item in items:
        started = time.perf_counter()
        candidates = duplicates.duplicate_candidates(feedback=item, user=user)
        check_ms.append((time.perf_counter() - started) * 1000)
        found[item.pk] = [c.item.pk for c in candidates]
    baseline_ms, agree = [], 0
    for item in items:
        started = time.perf_counter()
        expected = exhaustive(item)
        baseline_ms.append((time.perf_counter() - started) * 1000)
        agree += found[item.pk] == expected
    shown = sum(len(pks) for pks in found.values())
    window_sizes = []
    for item in items[:20]:
        window_sizes.append(duplicates.duplicate_window(feedback=item, user=user).count())
    with connection.cursor() as cursor:
        window = duplicates.duplicate_window(feedback=items[0], user=user)
        sql, params = window.order_by().values_list("id").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    out = {
        "items": Feedback.objects.count(),
        "readings": FeedbackReading.objects.count(),
        "queue": Feedback.objects.filter(handled_by=user.organisation).count(),
        "window": int(np.median(window_sizes)),
        "checks": len(items),
        "check": summary(check_ms),
        "baseline": summary(baseline_ms),
        "agree": agree,
        "shown": shown,
        "plan": plan,
    }
    connection.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the items already there")
    parser.add_argument("--step", choices=["readings", "arrive", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step == "readings":
        print(json.dumps(write_readings(args.seed)))
        return 0
    if args.step == "arrive":
        print(json.dumps(arrive(args.checks, args.seed)))
        return 0
    if args.step == "measure":
        print(json.dumps(measure(json.loads(args.ids), args.seed)))
        return 0

    env = django_env(args.database_url)

    def step(name: str, *extra: str) -> Any:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--step",
                name,
                "--checks",
                str(args.checks),
                "--seed",
                str(args.seed),
                *extra,
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"the {name} step failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

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
            str(args.seed),
            "--focus",
            QUEUE,
            "--focus-share",
            "0.3",
            "--no-stats",
        )
        generated = time.perf_counter() - started
        started = time.perf_counter()
        readings = step("readings")
        load = (
            f"generated in {generated:.0f} s; {readings:,} readings written in "
            f"{time.perf_counter() - started:.0f} s"
        )
    else:
        manage(env, "migrate", "--noinput", "-v0")
    try:
        ids = step("arrive")
        execute(args.database_url, "VACUUM ANALYZE")
        run = step("measure", "--ids", json.dumps(ids))
    finally:
        if not args.keep:
            drop_database(args.database_url)
    check, baseline = run["check"], run["baseline"]
    met = check["p95"] < TARGET_MS
    lines = [
        "# Duplicate check at scale",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, PostgreSQL, load average "
        f"{load_average()}, by `.venv/bin/python "
        f"bench/duplicates.py --items {args.items} --checks {args.checks}` ({load}).",
        f"{run['items']:,} items, {run['readings']:,} with a reading (synthetic vectors: see the "
        f"script); the trust handler's queue (RJ1) holds {run['queue']:,}, and a new item's "
        f"90 days hold {run['window']:,} complaints and concerns (the median window). "
        f"{run['checks']} new complaints checked once each, in random order, after 5 warm-ups "
        "(all the checks, then all the baselines); times in ms. Check: `duplicate_candidates` "
        "as the item page and the API call it. "
        "Exhaustive (the baseline): the same window with every reading and every patient's "
        "details fetched through the ORM and compared in Python.",
        "",
        "| items | window | check p50 | check p95 | exhaustive p50 | exhaustive p95 "
        "| check / baseline (p50) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {run['items']:,} | {run['window']:,} | {check['p50']:.1f} | {check['p95']:.1f} "
        f"| {baseline['p50']:.0f} | {baseline['p95']:.0f} "
        f"| {check['p50'] / baseline['p50']:.3f} |",
        "",
        f"The check and the exhaustive baseline listed the same candidates, in the same order, "
        f"in {run['agree']} of {run['checks']} checks ({run['shown']} candidates shown in all).",
        "",
        f"Target: the check's p95 under {TARGET_MS:.0f} ms: "
        + (f"met (**{check['p95']:.1f} ms**)." if met else f"**not met** ({check['p95']:.1f} ms)."),
        "",
        "The window's plan (EXPLAIN):",
        "",
        "```",
        *run["plan"],
        "```",
    ]
    report = "\n".join(lines)
    print(report)
    (RESULTS / "duplicates.md").write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
