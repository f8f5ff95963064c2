"""The load bench's measuring: one wrk run a phase (bench/load.lua), what came back and how long
each answer took, and the wait until every item submitted is analysed and routed."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, load_average, percentile
from bench.load_stack import Stack

LUA = ROOT / "bench" / "load.lua"
# After a phase, time for requests still queued in gunicorn to finish before CPU is read.
SETTLE_S = 2.0


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


def api_counts(conn: Any) -> tuple[int, int]:
    """(items submitted over the API, of which analysed and routed)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE analysis_state = 'done' "
            "AND handled_by_id IS NOT NULL) FROM feedback_feedback WHERE channel = 'api'"
        )
        total, done = cur.fetchone()
    return int(total), int(done)


def scalar(conn: Any, sql: str, *params: Any) -> int:
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
        total, done = api_counts(conn)
        if done >= total:
            return time.monotonic() - started, total, done
        if time.monotonic() - started > timeout:
            return float("nan"), total, done
        stack.check_alive()
        time.sleep(0.5)
