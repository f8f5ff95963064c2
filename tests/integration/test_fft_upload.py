"""An FFT export uploaded over the staff API on real processes: gunicorn takes it, a real worker
reads and saves it (imports queue), then analyses and routes its answers (bulk analysis queue)."""

from __future__ import annotations

import http.cookiejar
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from django.test import override_settings

from feedback.choices import AnalysisState, Channel
from tests.fft_files import csv_bytes

pytestmark = pytest.mark.integration

PASSWORD = "a-long-test-password"


class StaffSession:
    """A member of staff signed in over HTTP (password and authenticator code), as a browser
    would: the session and CSRF cookies kept, the CSRF token sent back."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def sign_in(self, username: str, code: str) -> None:
        self.send("GET", "/staff/login/")
        form = {
            "username": username,
            "password": PASSWORD,
            "otp_token": code,
            "csrfmiddlewaretoken": self.csrf(),
        }
        status, _ = self.send(
            "POST",
            "/staff/login/",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 200  # followed the redirect to the queue
        status, _ = self.send("GET", "/api/v1/fft-uploads/", headers={"Accept": "application/json"})
        assert status == 200, "not signed in"

    def upload(self, name: str, content: bytes) -> tuple[int, Any]:
        boundary = secrets.token_hex(16)
        part = f'form-data; name="file"; filename="{name}"'
        head = f"--{boundary}\r\nContent-Disposition: {part}\r\nContent-Type: text/csv\r\n\r\n"
        body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
        status, raw = self.send(
            "POST",
            "/api/v1/fft-uploads/",
            body,
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
                "X-CSRFToken": self.csrf(),
                "Referer": self.base_url + "/staff/fft-uploads/",
            },
        )
        return status, json.loads(raw)

    def get_json(self, path: str) -> Any:
        status, raw = self.send("GET", path, headers={"Accept": "application/json"})
        assert status == 200, raw
        return json.loads(raw)


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_an_export_uploaded_over_the_api_is_saved_then_analysed_by_a_real_worker(directory, stack):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from feedback.models import Feedback, Organisation, User

    trust = Organisation.objects.get(ods_code="RJ1")
    # Hashed as the web server checks it (the suite's own settings hash with MD5, for speed).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        user = User.objects.create_user("fft.lead", password=PASSWORD, organisation=trust)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    staff = StaffSession(stack.base_url)
    staff.sign_in("fft.lead", f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")

    status, body = staff.upload("FFT October 2026.csv", csv_bytes())
    assert status == 202, body
    done = wait_for(
        lambda: (
            (u := staff.get_json(body["url"]))["status"] not in ("queued", "checking", "saving")
            and u
        ),
        90,
        "the worker to read the upload",
    )
    assert (done["status"], done["rows_added"], done["rows_duplicate"]) == ("done", 6, 0), done

    items = Feedback.objects.filter(provider=trust, channel=Channel.FFT_IMPORT)
    assert items.count() == 6
    wait_for(
        lambda: not items.exclude(analysis_state=AnalysisState.DONE).exists(),
        120,
        "the answers to be analysed",
    )
    # Routed like any item: the trust's own queue (none of these raises a safeguarding concern).
    assert set(items.values_list("handled_by__ods_code", flat=True)) == {"RJ1"}

    # The same file again adds nothing.
    status, again = staff.upload("FFT October 2026 (1).csv", csv_bytes())
    assert status == 202, again
    second = wait_for(
        lambda: (u := staff.get_json(again["url"]))["status"] == "done" and u,
        90,
        "the second upload",
    )
    assert (second["rows_added"], second["rows_duplicate"]) == (0, 6)
    assert items.count() == 6
