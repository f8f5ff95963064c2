"""Staff sessions: two-factor verified on every staff, staff-API and admin URL; limited in time;
never cached.

- Every member of staff signs in with a password and the code from their authenticator app. An
  account without an authenticator yet is taken to set one up before anything else; a session that
  was never verified (an old one, or one from a sign-in that skipped the code) is signed out.
- A staff session ends 8 hours after sign-in whatever happens, and after 30 minutes without a
  request (NHS DSPT: idle sessions on shared ward computers).
- Pages and API answers that show identifiable data are sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django_otp.plugins.otp_totp.models import TOTPDevice

STAFF_PREFIXES = ("/staff/", "/api/v1/queue/", "/api/v1/fft-uploads/", "/admin/")
# Reachable before verification: signing in and out, and setting up the authenticator.
UNVERIFIED_ALLOWED = ("/staff/login/", "/staff/logout/", "/staff/two-factor/", "/admin/login/")
# Responses never kept by a browser or proxy: everything but static files and the public pages
# that show nothing about anyone.
NO_STORE_PREFIXES = ("/staff/", "/api/", "/admin/", "/feedback/", "/track/")
SIGNED_IN_AT = "staff_signed_in_at"
LAST_SEEN = "staff_last_seen"


def _signed_in(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """The 8 hours run from the moment of signing in."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


user_logged_in.connect(_signed_in, dispatch_uid="staff-session-signed-in-at")


def _json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class StaffSecurityMiddleware:
    """After authentication and django-otp's middleware: verification, time limits, no-store."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._check(request)
        response = refused or self.get_response(request)
        if request.path.startswith(NO_STORE_PREFIXES):
            add_never_cache_headers(response)
        return response

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        now = time.time()
        signed_in = request.session.setdefault(SIGNED_IN_AT, now)
        last_seen = request.session.get(LAST_SEEN, now)
        if (
            now - signed_in > settings.STAFF_SESSION_MAX_SECONDS
            or now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS
        ):
            logout(request)
            return self._to_sign_in(request, "You were signed out: sign in again to carry on.")
        if LAST_SEEN not in request.session or now - last_seen > 30:
            request.session[LAST_SEEN] = now  # at most every 30 s: not a write per request
        if not request.path.startswith(STAFF_PREFIXES) or request.path.startswith(
            UNVERIFIED_ALLOWED
        ):
            return None
        if user.is_verified():
            return None
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            # Signed in without the code (never through our sign-in page): not a staff session.
            logout(request)
            return self._to_sign_in(request, "Sign in with your password and security code.")
        if _json(request):
            return JsonResponse(
                {"detail": "Set up two-factor authentication at /staff/two-factor/ first."},
                status=403,
            )
        return redirect("staff-two-factor")

    @staticmethod
    def _to_sign_in(request: HttpRequest, message: str) -> HttpResponse:
        if _json(request):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
