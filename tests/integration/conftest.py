"""Real processes for integration tests: gunicorn serving the app and a Celery worker.

Both run against the test database that pytest-django created (PostgreSQL where DATABASE_URL points
at it) and the broker the environment names (Redis in CI); without one, a folder-based broker in a
temporary directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TIMETRAVEL = ROOT / "tests" / "timetravel"


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"web server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=10)
            return
        # A read timeout is neither: a worker's first request (imports, first render) can take
        # seconds on a busy machine.
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


class Processes:
    """Starts and stops the real web server and workers of one test, with their logs."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "patientview.settings.local",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": database_url(),
            "PATIENTVIEW_VAR_DIR": str(tmp_path),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "REQUEUE_INTERVAL_SECONDS": "3",
            "ANALYSIS_REQUEUE_AFTER_SECONDS": "2",
            "PUBLIC_BASE_URL": self.base_url,
            # Where the suite runs on a moved clock, these processes run on the same clock.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(TIMETRAVEL), os.environ.get("PYTHONPATH", "")])
            ),
        }
        if not (os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")):
            self.env.pop("CELERY_BROKER_URL", None)  # the folder broker in tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []
        self._count = 0

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self._count += 1
        log = (self.logs / f"{self._count:02d}-{name}.log").open("wb")
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a kill reaches the worker's pool processes too.
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def start_worker(self, *, beat: bool = False, **env: str) -> subprocess.Popen[bytes]:
        args = [
            str(BIN / "celery"), "-A", "patientview", "worker",
            "--queues", "intake,analysis,analysis_bulk,imports", "--concurrency", "1",
            "--loglevel", "INFO",
            "--without-gossip", "--without-mingle",
            "--hostname", f"integration-{self.port}-{self._count}@%h",
        ]  # fmt: skip
        if beat:
            args += ["--beat", "--schedule", str(self.logs.parent / f"beat-{self._count}")]
        return self._start("worker", args, env)

    def start_web(self, *, wait: bool = True, **env: str) -> subprocess.Popen[bytes]:
        args = [
            str(BIN / "gunicorn"), "patientview.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "2", "--timeout", "60",
        ]  # fmt: skip
        proc = self._start("web", args, env)
        if wait:
            wait_for_http(self.base_url + "/", proc)
        return proc

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the whole process group: no clean shutdown, no acknowledgements."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill(proc)
        for log in sorted(self.logs.iterdir()):
            sys.stdout.write(f"--- {log.name} (last lines)\n")
            sys.stdout.write("\n".join(log.read_text(errors="replace").splitlines()[-25:]) + "\n")


@pytest.fixture
def processes(transactional_db: None, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def stack(processes: Processes) -> Processes:
    processes.start_worker()
    processes.start_web()
    return processes


@pytest.fixture
def directory(transactional_db: None) -> None:
    """The demo organisation directory, committed so the real processes see it."""
    from django.conf import settings

    from feedback.services.organisations import organisations_import

    fixtures = settings.BASE_DIR / "feedback" / "fixtures" / "ods"
    organisations_import(
        trusts_path=fixtures / "etr.csv",
        icbs_path=fixtures / "icbs.csv",
        trust_types_path=fixtures / "trust_types.csv",
    )
