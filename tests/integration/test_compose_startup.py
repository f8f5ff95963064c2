"""docker-compose's start-up, run for real: its setup commands and the web server's health check,
with the production settings, against the suite's database (there is no Docker engine here)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from feedback.models import Organisation, User
from tests.integration.conftest import BIN, ROOT, Processes, database_url

pytestmark = pytest.mark.integration


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_compose_start_up_commands_bring_up_a_usable_service(
    processes: Processes, tmp_path: Path
):
    compose = _compose()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.production",
        "DJANGO_SECRET_KEY": "compose-start-up-test-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "patientview.example.nhs.uk",
        "PSEUDONYM_KEY": "compose-start-up-test-pseudonym-key",
        "DATABASE_URL": database_url(),
        "PATIENTVIEW_VAR_DIR": str(tmp_path),
        "DJANGO_ADMIN_USERNAME": "admin",
        "DJANGO_ADMIN_EMAIL": "admin@example.nhs.uk",
        "DJANGO_ADMIN_PASSWORD": "a-long-admin-password",
        "HF_HUB_OFFLINE": "1",
    }
    setup = compose["services"]["setup"]["command"][-1]
    for step in setup.split("&&"):
        args = shlex.split(step.strip())
        assert args[0] == "python"
        done = subprocess.run(
            [sys.executable, *args[1:]], cwd=ROOT, env=env, capture_output=True, text=True,
            check=False, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    assert Organisation.objects.filter(ods_code="RJ1").exists()
    assert User.objects.get(username="admin").is_superuser
    # Run twice, as every start does: nothing changes, nothing fails.
    again = subprocess.run(
        [sys.executable, "manage.py", "ensure_admin"], cwd=ROOT, env=env, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    assert again.returncode == 0 and "already exists" in again.stdout

    web = compose["services"]["web"]["command"]
    args = [str(BIN / "gunicorn"), *web[1:]]
    args[args.index("--bind") + 1] = f"127.0.0.1:{processes.port}"
    args[args.index("--workers") + 1] = "1"
    proc = processes._start("web", args, {k: v for k, v in env.items() if k != "HF_HUB_OFFLINE"})
    check = compose["services"]["web"]["healthcheck"]["test"]
    script = check[-1].replace("127.0.0.1:8000", f"127.0.0.1:{processes.port}")
    deadline = time.monotonic() + 60
    while True:
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
        if result.returncode == 0 or time.monotonic() > deadline or proc.poll() is not None:
            break
        time.sleep(0.5)
    assert result.returncode == 0, result.stderr
