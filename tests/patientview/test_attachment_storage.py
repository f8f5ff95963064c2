"""Where attachments are kept in production: a folder by default, a private bucket when named."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parent.parent.parent
# One line, "storage|<class>|<bucket> <acl> <signed urls> <overwrite>".
SHOW = (
    "from django.core.files.storage import default_storage as s;"
    "s._setup(); w = s._wrapped;"
    "print('storage', type(w).__name__, ' '.join(str(getattr(w, a, '')) for a in"
    " ('bucket_name', 'default_acl', 'querystring_auth', 'file_overwrite')), sep='|')"
)


def _production(tmp_path: Path, **extra: str) -> list[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "PATIENTVIEW_VAR_DIR": str(tmp_path),
        **extra,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = [line for line in result.stdout.splitlines() if line.startswith("storage|")]
    return line.split("|")[1:]


def test_production_keeps_attachments_in_a_folder_unless_a_bucket_is_named(tmp_path):
    kind, _ = _production(tmp_path)
    assert kind == "FileSystemStorage"


def test_a_named_bucket_keeps_them_private_in_object_storage(tmp_path):
    kind, options = _production(tmp_path, ATTACHMENTS_BUCKET="pv-attachments")
    assert kind == "S3Storage"
    assert options.split() == ["pv-attachments", "private", "True", "False"]


def test_no_url_serves_the_stored_files():
    # Only the attachment views read them, after checking who asks.
    for path in ("/attachments/2026/12/x.pdf", "/media/attachments/2026/12/x.pdf", "/uploads/x"):
        with pytest.raises(Resolver404):
            resolve(path)
