"""Deployment security: `check --deploy` clean, headers, CSRF, and every URL accounted for."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.production",
        "DJANGO_SECRET_KEY": "x" * 20
        + "-a-long-random-production-secret-for-the-check-only-"
        + "y" * 20,
        "DJANGO_ALLOWED_HOSTS": "patientview.example.nhs.uk",
        "PATIENTVIEW_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "patientview.settings.production",
        "PATIENTVIEW_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_and_no_framing(client: Client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_forms_need_a_csrf_token(trust):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/feedback/new/", {"kind": "complaint", "text": "x", "provider": trust.ods_code}
    )
    assert response.status_code == 403
    response = client.post("/staff/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403


def test_tracking_tokens_have_at_least_128_bits():
    from feedback.models import new_tracking_token

    tokens = {new_tracking_token() for _ in range(1000)}
    assert len(tokens) == 1000
    # token_urlsafe(32): 32 random bytes, 43 base64url characters.
    assert all(len(t) >= 43 for t in tokens)


def _all_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    routes = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                routes.append("admin/")
                continue
            routes.extend(_all_routes(pattern, route))
        elif isinstance(pattern, URLPattern):
            routes.append(route)
    return sorted(set(routes))


# Every URL in the project and who may use it. A new URL fails this test until it is listed here
# and covered by a permission test (anonymous, other organisation, own organisation).
# The patient's pages are also served under each other language's prefix (/cy/...) with the same
# rule (tests/feedback/test_languages.py checks the Welsh addresses of the token pages).
ACCESS = {
    "": "public",
    "admin/": "django admin (staff users only)",
    "health/": "public (no personal data)",
    "metrics/": "METRICS_TOKEN bearer, or the machine (tests/patientview/test_observability.py)",
    "api/docs/": "public",
    "api/docs/swagger-ui-init.js": "public",
    "api/schema/": "public",
    "api/v1/aggregates/feedback/": "regulator token (aggregates:read), scoped to its organisation",
    "api/v1/exports/feedback/": "regulator token (exports:read), scoped to its organisation",
    "api/v1/exports/feedback/csv/": "regulator token (exports:read), scoped to its organisation",
    "api/v1/exports/feedback/ndjson/": "regulator token (exports:read), scoped to its organisation",
    "api/v1/ko41/": "regulator token (aggregates:read), scoped to its organisation",
    "api/v1/feedback/": "public (throttled)",
    "api/v1/tracking/<str:token>/": "public (unguessable token)",
    "api/v1/queue/": "staff: own organisation",
    "api/v1/queue/entries/": "staff: own organisation",
    "api/v1/queue/<int:pk>/": "staff: own organisation",
    "api/v1/queue/<int:pk>/<slug:step>/": "staff: own organisation",
    "api/v1/queue/<int:pk>/audit/": "staff: managers of own organisation",
    "api/v1/queue/<int:pk>/identity/": "staff: own organisation (audited)",
    "api/v1/queue/<int:pk>/attachments/": "staff: own organisation; uploads audited",
    "api/v1/queue/<int:pk>/duplicates/": (
        "staff: own organisation; candidates from their own queue only (the details that match "
        "are named, never shown)"
    ),
    "api/v1/queue/<int:pk>/links/": "staff: own organisation; both items in their queue; audited",
    "api/v1/queue/<int:pk>/merge/": "staff: own organisation; both items in their queue; audited",
    "api/v1/queue/<int:pk>/links/<int:other_pk>/": (
        "staff: own organisation; both items in their queue; audited"
    ),
    "api/v1/queue/<int:pk>/unmerge/": "staff: own organisation; the item in their queue; audited",
    "api/v1/queue/<int:pk>/attachments/<int:attachment_pk>/": (
        "staff: own organisation (audited); never a regulator token"
    ),
    "api/v1/joint/": "staff: the joint complaints their organisation is a partner in",
    "api/v1/queue/<int:pk>/partners/": (
        "staff: the lead (own organisation) or a partner reads; the lead invites (a partner "
        "403, anyone else 404); audited (tests/test_permission_matrix.py)"
    ),
    "api/v1/queue/<int:pk>/partners/<str:ods_code>/": (
        "staff: the lead removes a partner (a partner 403, anyone else 404); audited"
    ),
    "api/v1/queue/<int:pk>/contribution/": (
        "staff: a partner organisation adds its part (the lead 403, anyone else 404); audited"
    ),
    "api/v1/fft-uploads/": (
        "staff: their own organisation's uploads; trusts and ICBs upload (others 403); audited"
    ),
    "api/v1/fft-uploads/<int:pk>/": "staff: own organisation's uploads only",
    "feedback/easy-read/": "public (no personal data)",
    "feedback/new/": "public",
    "feedback/new/<slug:step>/": "public (answers kept in the patient's own session)",
    "feedback/new/check/": "public (the patient's own session)",
    "feedback/submitted/<str:token>/": "public (unguessable token)",
    "track/<str:token>/add/": "public (unguessable token); audited",
    "track/<str:token>/withdraw/": "public (unguessable token); audited",
    "track/<str:token>/attachments/": "unguessable token, item open; audited",
    "track/<str:token>/attachments/<int:attachment_pk>/": (
        "unguessable token and the emailed code as for the response; the patient's own files "
        "only; audited"
    ),
    "track/<str:token>/response/": "unguessable token and a code emailed to the patient",
    "staff/dashboard/": "staff: aggregates of own scope (tests/analytics/test_dashboard.py)",
    "staff/dashboard/feedback/": "staff: aggregates of own scope",
    "staff/dashboard/peers/": "staff: aggregates of own scope and peers' aggregates",
    "staff/entries/new/": "staff: own organisation",
    "staff/privacy/": "staff: managers of own organisation (tests/feedback/test_privacy.py)",
    "staff/fft-uploads/": (
        "staff: their own organisation's uploads; trusts and ICBs upload (others 403); audited"
    ),
    "staff/fft-uploads/<int:pk>/": "staff: own organisation's uploads only",
    "staff/paper/": (
        "staff: their own organisation's printed batches; trusts and ICBs print; audited "
        "(tests/test_permission_matrix.py, PAPER_URLS)"
    ),
    "staff/paper/batches/<int:pk>/pdf/": "staff: own organisation's batches only",
    "staff/paper/uploads/": (
        "staff: their own organisation's scan uploads; trusts and ICBs upload; audited"
    ),
    "staff/paper/uploads/<int:pk>/": "staff: own organisation's uploads only",
    "staff/paper/pages/<int:pk>/": (
        "staff: own organisation's scanned pages only; confirming is audited on the item"
    ),
    "staff/paper/pages/<int:pk>/discard/": "staff: own organisation's scanned pages only (POST)",
    "staff/items/<int:pk>/": (
        "staff: own organisation; a joint complaint's partner organisation reads it (no steps, "
        "no contact details)"
    ),
    "staff/items/<int:pk>/<slug:step>/": "staff: own organisation",
    "staff/items/<int:pk>/identity/": "staff: own organisation (audited)",
    "staff/items/<int:pk>/attachments/": "staff: own organisation; audited",
    "staff/items/<int:pk>/links/": "staff: own organisation; both items in their queue; audited",
    "staff/items/<int:pk>/merge/": "staff: own organisation; both items in their queue; audited",
    "staff/items/<int:pk>/unlink/": "staff: own organisation; both items in their queue; audited",
    "staff/items/<int:pk>/unmerge/": "staff: own organisation; the item in their queue; audited",
    "staff/items/<int:pk>/attachments/<int:attachment_pk>/": "staff: own organisation (audited)",
    "staff/joint/": "staff: the joint complaints their organisation is a partner in",
    "staff/items/<int:pk>/partners/": "staff: the lead (own organisation) invites; audited",
    "staff/items/<int:pk>/partners/<str:ods_code>/remove/": (
        "staff: the lead (own organisation) removes a partner; audited"
    ),
    "staff/items/<int:pk>/contribution/": (
        "staff: a partner organisation of the joint complaint adds its part; audited"
    ),
    "staff/login/": "public",
    "staff/logout/": "signed in",
    "staff/queue/": "staff: own organisation",
    "staff/queue/bulk/": "staff: own organisation (only items of their queue are changed)",
    "staff/queue/views/": "staff: saves a view of their own queue",
    "staff/templates/": "staff: their organisation's templates; managers change them",
    "staff/templates/<int:pk>/delete/": "managers: their organisation's templates only",
    "staff/queue/views/<int:pk>/delete/": "staff: deletes only a view they saved",
    "staff/two-factor/": "signed in",
    "track/<str:token>/": "public (unguessable token)",
}


def test_every_url_has_an_access_rule():
    routes = _all_routes()
    missing = [r for r in routes if r not in ACCESS]
    assert not missing, f"add these URLs to ACCESS with a permission test: {missing}"
