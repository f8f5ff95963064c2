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
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import random
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
from nhs_number import is_valid as nhs_number_is_valid

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    drop_database,
    fresh_database,
    load_average,
    machine,
    manage,
    percentile,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "load.lua"
FFT = ROOT.parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pv_bench_load"
# Redis databases of their own: CI uses 11 and the integration tests 12.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/14"
SUBMIT_RATE = "10000/second"
API_PATH = "/api/v1/feedback/"
BARE_PATH = "/bench/bare/"
TARGET_RPS = 300
TARGET_P95_MS = 100.0
# After a phase, time for requests still queued in gunicorn to finish before CPU is read.
SETTLE_S = 2.0
TABLE_HEAD = (
    "| endpoint | offered rps | achieved rps | 201s | p50 ms | p95 ms | p99 ms | max ms | errors "
    "| load avg at end |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
)


# --- The stack -----------------------------------------------------------------------------------


def _redis_flush(url: str) -> None:
    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "0"
    redis_cli = shutil.which("redis-cli") or "redis-cli"
    subprocess.run(
        [redis_cli, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379),
         "-n", db, "flushdb"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> tuple[int, float]:
    """(process group, user + system CPU seconds) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _group_cpu(pgids: set[int]) -> dict[int, float]:
    """CPU seconds so far of every live process in these process groups, by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            group, seconds = _cpu_seconds(int(entry.name))
            if group in pgids:
                found[int(entry.name)] = seconds
    return found


class Stack:
    """gunicorn and the Celery worker, each in its own process group, with logs in a folder."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str], *, autogroup_nice: int | None = None) -> None:
        """Start a process in a session of its own.

        With the kernel's autogroup scheduling (sched_autogroup_enabled, on here) each session
        is a task group that gets an equal share of the CPUs whatever the nice value or policy of
        the tasks inside it: a worker at nice 10, or even SCHED_IDLE, still took a core from
        gunicorn. ``autogroup_nice`` sets the group's own nice (/proc/PID/autogroup), which is
        what ranks it against the other sessions.
        """
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.procs[name] = proc
        autogroup = Path(f"/proc/{proc.pid}/autogroup")
        if autogroup_nice is not None and autogroup.exists():
            autogroup.write_text(str(autogroup_nice))

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def cpu(self, conn: Any, db: str) -> dict[str, dict[int, float]]:
        """CPU seconds so far: web server, worker, and the PostgreSQL backends serving ``db``."""
        snapshot = {
            name: _group_cpu({proc.pid}) for name, proc in self.procs.items() if proc.poll() is None
        }
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [db])
            backends = [int(pid) for (pid,) in cur.fetchall()]
        snapshot["postgres"] = {}
        for pid in backends:
            with contextlib.suppress(OSError):
                snapshot["postgres"][pid] = _cpu_seconds(pid)[1]
        snapshot["wrk"] = {0: sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])}
        return snapshot

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")


def _wait_http(url: str, stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 (our own http URL)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


# --- Bodies --------------------------------------------------------------------------------------


def _nhs_number(rng: random.Random) -> str:
    """A random NHS number that the service accepts (check digit and issuing range)."""
    while True:
        number = "".join(str(rng.randrange(10)) for _ in range(10))
        if nhs_number_is_valid(number):
            return number


def _comments() -> list[str]:
    texts: list[str] = []
    if FFT.exists():
        with FFT.open(newline="", encoding="utf-8", errors="replace") as fh:
            texts = [
                r["FFT answer"].strip()
                for r in csv.DictReader(fh)
                if len(r["FFT answer"].strip()) > 3 and r["FFT answer"].strip() != "Did not answer"
            ]
    return texts or [
        "The nurses were kind but we waited six hours in A&E and nobody told us why.",
        "Excellent care from start to finish, thank you to everyone on ward 7.",
        "My appointment was cancelled twice and the phone line was always engaged.",
        "Food was cold and the ward was noisy at night.",
    ]


RISKY = [
    " A healthcare assistant shouted at my father and pushed him back into bed.",
    " My son was sectioned last week and nobody has told him his rights.",
    " There was only one nurse for the whole ward overnight and patients were left in soiled beds.",
    " The ICB refused funding for the treatment my consultant recommended.",
]


def make_bodies(path: Path, trusts: list[str], icbs: list[str], n: int, seed: int = 7) -> None:
    """N valid, varied submissions, one JSON object per line."""
    rng = random.Random(seed)
    comments = _comments()
    kinds = ["complaint"] * 35 + ["concern"] * 20 + ["compliment"] * 35 + ["suggestion"] * 10
    lines = []
    for i in range(n):
        kind = rng.choice(kinds)
        text = rng.choice(comments)
        if rng.random() < 0.08:
            text += rng.choice(RISKY)
        if rng.random() < 0.05:  # a long letter, up to the 5,000-character limit
            while len(text) < 3000:
                text += " " + rng.choice(comments)
            text = text[:5000]
        body: dict[str, Any] = {"kind": kind, "text": text}
        if rng.random() < 0.8:
            body["provider"] = rng.choice(trusts)
            if rng.random() < 0.5:
                body["service_type"] = rng.choice(["acute", "mental_health", "community"])
        else:
            body["area"] = rng.choice(icbs)
            body["service_type"] = rng.choice(["gp", "dental", "pharmacy", "optometry"])
        if kind in ("complaint", "concern") and rng.random() < 0.05:
            body["wants_commissioner"] = True
        if rng.random() < 0.3:
            body["question"] = "Overall, how was your experience of our service?"
        if rng.random() < 0.3:
            body["name"] = f"Patient {i}"
            body["email"] = f"patient{i}@example.com"
            if rng.random() < 0.5:
                body["nhs_number"] = _nhs_number(rng)
        lines.append(json.dumps(body, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- Measuring -----------------------------------------------------------------------------------


@dataclass
class Phase:
    """One wrk run: what was offered, what came back, and how long each answer took."""

    name: str
    path: str
    rate: int
    duration: float
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    loadavg: str = ""
    cpu_s: dict[str, float] = field(default_factory=dict)
    # Requests the server did the work for: wrk stops with requests in flight and does not
    # count their answers, but the server still saves them (rows added during the phase).
    processed: int = 0

    def count_cpu(self, before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]):
        """CPU seconds each part used during the phase (processes alive at its end)."""
        for name, pids in after.items():
            old = before.get(name, {})
            self.cpu_s[name] = sum(seconds - old.get(pid, 0.0) for pid, seconds in pids.items())

    def cpu_ms_per_request(self, name: str) -> float:
        return 1000 * self.cpu_s.get(name, 0.0) / max(1, self.processed)

    @property
    def completed(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def errors(self) -> int:
        return self.completed - self.ok + sum(self.socket_errors.values())

    @property
    def achieved_rps(self) -> float:
        return self.ok / self.duration

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p) if self.latencies_ms else float("nan")


def run_wrk(
    *,
    name: str,
    base_url: str,
    path: str,
    rate: int,
    duration: int,
    connections: int,
    bodies: Path,
    workdir: Path,
    key_every: int,
) -> Phase:
    out = workdir / f"wrk-{name}.txt"
    env = {
        **os.environ,
        "LOAD_RATE": str(rate),
        "LOAD_CONNECTIONS": str(connections),
        "LOAD_BODIES": str(bodies),
        "LOAD_KEY_EVERY": str(key_every),
        "LOAD_RUN": f"{name}-{secrets.token_hex(4)}",
        "LOAD_OUT": str(out),
    }
    args = [
        "wrk", "-t", str(connections), "-c", str(connections), "-d", f"{duration}s",
        "--timeout", "10s", "-s", str(LUA), base_url + path,
    ]  # fmt: skip
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    phase = Phase(name=name, path=path, rate=rate, duration=float(duration), loadavg=load_average())
    for line in out.read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "sent":
            phase.sent += int(rest)
        elif word == "status":
            status, n = rest.split()
            phase.statuses[int(status)] += int(n)
        elif word == "errors":
            values = [int(v) for v in rest.split()]
            phase.socket_errors = dict(
                zip(["connect", "read", "write", "status", "timeout"], values, strict=True)
            )
            phase.socket_errors.pop("status")  # non-2xx/3xx: counted from the statuses
        elif word == "summary":
            phase.duration = int(rest.split()[0]) / 1e6
        elif word == "id":
            phase.ids.append(int(rest))
        else:
            phase.latencies_ms.append(float(line))
    return phase


def _counts(conn: Any) -> tuple[int, int]:
    """(items submitted over the API, of which analysed and routed)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE analysis_state = 'done' "
            "AND handled_by_id IS NOT NULL) FROM feedback_feedback WHERE channel = 'api'"
        )
        total, done = cur.fetchone()
    return int(total), int(done)


def _scalar(conn: Any, sql: str, *params: Any) -> int:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def wait_until_analysed(
    conn: Any, stack: Stack, timeout: float, since: float | None = None
) -> tuple[float, int, int]:
    """Seconds from ``since`` (default now) until every API item is analysed and routed;
    (seconds, total, done), seconds NaN on timeout."""
    started = since if since is not None else time.monotonic()
    while True:
        total, done = _counts(conn)
        if done >= total:
            return time.monotonic() - started, total, done
        if time.monotonic() - started > timeout:
            return float("nan"), total, done
        stack.check_alive()
        time.sleep(0.5)


# --- Report --------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}"


def write_report(
    output: Path,
    *,
    bare: Phase,
    api: Phase,
    drain: dict[str, Any],
    config: dict[str, Any],
    command: str,
) -> list[str]:
    lost = len(api.ids) - drain["api_ids_routed"]
    ratio_p95 = api.percentile(95) / bare.percentile(95)
    ratio_rps = api.achieved_rps / bare.achieved_rps
    verdicts = [
        f"Throughput: {api.achieved_rps:.1f} requests/s achieved of {api.rate} offered for "
        f"{api.duration:.0f} s (target >= {TARGET_RPS}): "
        + (
            "met" if api.achieved_rps >= TARGET_RPS * 0.99 and api.rate >= TARGET_RPS else "NOT met"
        ),
        f"p95 latency: {api.percentile(95):.1f} ms (target < {TARGET_P95_MS:.0f} ms): "
        + ("met" if api.percentile(95) < TARGET_P95_MS else "NOT met"),
        f"Errors: {api.errors}, items lost: {lost} (target 0): "
        + ("met" if api.errors == 0 and lost == 0 else "NOT met"),
        f"Backlog: all {drain['total']:,} items analysed and routed "
        + (
            f"{drain['drain_s']:.0f} s after the load ended: met"
            if drain["drain_s"] == drain["drain_s"]
            else f"NOT within {drain['timeout']:.0f} s ({drain['done']:,} done)"
        ),
    ]
    rows = []
    for phase in (bare, api):
        errors = ", ".join(
            [f"{n} x HTTP {s}" for s, n in sorted(phase.statuses.items()) if s != 201]
            + [f"{n} {kind}" for kind, n in phase.socket_errors.items() if n]
        )
        rows.append(
            f"| {phase.name} `{phase.path}` | {phase.rate} | {phase.achieved_rps:.1f} | "
            f"{phase.ok:,} | {_ms(phase.percentile(50))} | {_ms(phase.percentile(95))} | "
            f"{_ms(phase.percentile(99))} | {_ms(max(phase.latencies_ms, default=0))} | "
            f"{phase.errors}{f' ({errors})' if errors else ''} | {phase.loadavg} |"
        )
    cpu_rows = []
    for phase in (bare, api):
        web, pg = phase.cpu_ms_per_request("gunicorn"), phase.cpu_ms_per_request("postgres")
        cpu_rows.append(
            f"| {phase.name} | {web:.2f} | {pg:.2f} | {phase.cpu_ms_per_request('worker'):.2f} | "
            f"{phase.cpu_ms_per_request('wrk'):.2f} | {web + pg:.2f} | "
            f"{2000 / (web + pg) if web + pg else float('nan'):.0f} requests/s |"
        )
    text = f"""# Load bench: submissions on the real stack (issue 7)

Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{command}` on {machine()};
{config["postgres"]} and Redis {config["redis"]} on the same machine; {config["wrk"]}.
Load average (1, 5, 15 min) before the run: {config["loadavg_before"]}. The machine's two cores
are shared with the load generator, PostgreSQL, Redis, the analysis worker, and any other work
running at the time: the load average column says how busy it was.

Stack: gunicorn {config["gunicorn"]} with {config["web_workers"]} sync workers (as
docker-compose.yml runs it; 2 x cores + 1), production settings (`bench.bareapp.settings` adds
only the bare URL; CONN_MAX_AGE=600), PostgreSQL ({config["database_url"]}), Redis broker
{config["broker_url"]} and cache {config["cache_url"]} (the throttle's counters); a Celery worker
on the intake and analysis queues, concurrency {config["worker_concurrency"]},
{config["worker_note"]}.
FEEDBACK_SUBMIT_RATE={SUBMIT_RATE} (default 30/minute per client address; all of this load comes
from one address). Each request carries `X-Forwarded-Proto: https`, as the TLS proxy in front
would.

Load: wrk, {config["connections"]} connections (one a thread), each on a fixed schedule: the rate
is held constant and latency is measured from when each request was due (bench/load.lua), so
queueing in front of a busy server counts. Bodies: 2,000 varied valid submissions (FFT comments,
all four kinds, {config["trusts"]} trusts and {config["icbs"]} ICBs, primary care by area,
identities with valid NHS numbers, texts up to 5,000 characters); one in three carries an
Idempotency-Key.
Warm-up first (5 s to each endpoint, its items analysed before measuring); then the bare endpoint,
then the submission API, each for {api.duration:.0f} s.

{TABLE_HEAD}
{chr(10).join(rows)}

CPU used per request, in ms: user + system time (from /proc) of the gunicorn processes, the
PostgreSQL backends serving the bench database, the analysis worker and wrk during the phase
(and {SETTLE_S:.0f} s after, for requests still queued), over the rows the phase saved. These
depend far less than the latencies on what else the machine is doing (contention still inflates
them somewhat); the last column is what two otherwise idle cores could serve if the web server
and PostgreSQL had them to themselves, with no analysis running.

| endpoint | web | PostgreSQL | analysis worker | wrk | web + PostgreSQL | 2 cores / that |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(cpu_rows)}

- Submission API vs bare insert, same run: p95 {ratio_p95:.2f} x, throughput {ratio_rps:.2f} x.
  The bare endpoint (bench/bareapp, never in the product's URLs) parses the same JSON and inserts
  one row through the same middleware; the API also validates, looks up the organisation, checks
  the throttle in Redis, saves the item, its identity and an audit row in one transaction, and
  sends the analysis message to Redis after commit.
- Backlog: {drain["total"]:,} items submitted over the API (warm-up included),
  {drain["done_at_end"]:,} already analysed and routed when the load ended; all {drain["done"]:,}
  analysed and routed {drain["drain_s"]:.1f} s after it ended ({drain["total_s"]:.1f} s after it
  started). Load average when the backlog was done: {drain["loadavg"]}.
- Nothing lost or done twice: of the {len(api.ids):,} items whose ids the 201 answers gave,
  {drain["api_ids_routed"]:,} are in the database analysed and routed ({lost} lost);
  the phase saved {drain["api_rows"]:,} items in all (wrk stops with up to {config["connections"]}
  requests in flight and does not count their answers). {drain["routed_events"]:,} "routed" audit
  rows for {drain["total"]:,} items: {drain["routed_twice"]} item(s) routed twice. Bare endpoint:
  {drain["bare_ids_found"]:,} of the {len(bare.ids):,} ids answered are in the table
  ({drain["bare_rows"]:,} rows saved).

{chr(10).join("- " + v for v in verdicts)}

Reproduce: `apt-get install wrk`, PostgreSQL and Redis on 127.0.0.1 (trust authentication for
postgres), then `{command}`. Logs of gunicorn and the worker are kept with --keep.
"""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    return verdicts


# --- Main ----------------------------------------------------------------------------------------


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
        _redis_flush(url)
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

        port = _free_port()
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
        _wait_http(base_url + "/health/", stack)
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
        bare_before = _scalar(conn, bare_rows)
        api_before = _counts(conn)[0]

        print(f"bare endpoint: {args.rate} requests/s for {args.duration} s", flush=True)
        cpu_before = stack.cpu(conn, db)
        bare = run_wrk(
            name="bare insert", path=BARE_PATH, rate=args.rate, duration=args.duration, **common
        )
        time.sleep(SETTLE_S)
        bare.count_cpu(cpu_before, cpu_before := stack.cpu(conn, db))
        bare.processed = _scalar(conn, bare_rows) - bare_before
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
        done_at_end = _counts(conn)[1]
        time.sleep(SETTLE_S)
        api.count_cpu(cpu_before, stack.cpu(conn, db))
        api.processed = _counts(conn)[0] - api_before
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
            "api_ids_routed": _scalar(
                conn,
                "SELECT count(*) FROM feedback_feedback WHERE id = ANY(%s) "
                "AND analysis_state = 'done' AND handled_by_id IS NOT NULL",
                api.ids,
            ),
            "bare_rows": bare.processed,
            "bare_ids_found": _scalar(
                conn, "SELECT count(*) FROM bench_bareapp_barerow WHERE id = ANY(%s)", bare.ids
            ),
            "routed_events": _scalar(
                conn, "SELECT count(*) FROM feedback_auditevent WHERE action = 'routed'"
            ),
            "routed_twice": _scalar(
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
