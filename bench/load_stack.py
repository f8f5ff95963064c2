"""The load bench's stack: gunicorn and the Celery worker in process groups of their own, the CPU
time they use (read from /proc), and the Redis databases flushed before a run."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import ROOT

# Anonymous submissions are throttled per client address; all of the load comes from one.
SUBMIT_RATE = "10000/second"


def redis_flush(url: str) -> None:
    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "0"
    redis_cli = shutil.which("redis-cli") or "redis-cli"
    subprocess.run(
        [redis_cli, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379),
         "-n", db, "flushdb"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def free_port() -> int:
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


def wait_http(url: str, stack: Stack, timeout: float = 60) -> None:
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
