"""Real processes for integration tests: gunicorn serving the app and a Celery worker.

Both run against the test database that pytest-django created (PostgreSQL where DATABASE_URL points
at it) and the broker the environment names (Redis in CI); without one, a folder-based broker in a
temporary directory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


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


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    worker: subprocess.Popen[bytes]
    web: subprocess.Popen[bytes]

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
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def wait_for_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"web server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path) -> Iterator[Stack]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url(),
        "PATIENTVIEW_VAR_DIR": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "REQUEUE_INTERVAL_SECONDS": "5",
    }
    if not (os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")):
        env.pop("CELERY_BROKER_URL", None)  # the folder broker in tmp_path
    port = free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    worker = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "patientview",
            "worker",
            "--queues",
            "intake,analysis",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"integration-{port}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=(logs / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    web = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "patientview.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=(logs / "web.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", web)
        yield Stack(base_url=f"http://127.0.0.1:{port}", env=env, worker=worker, web=web)
    finally:
        stop(web)
        stop(worker)
        for log in logs.iterdir():
            sys.stdout.write(f"--- {log.name} (last lines)\n")
            sys.stdout.write("\n".join(log.read_text(errors="replace").splitlines()[-30:]) + "\n")
