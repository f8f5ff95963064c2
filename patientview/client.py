"""The address a request came from, trusting only the proxies this deployment runs behind.

A client can put anything in ``X-Forwarded-For``; only the entries added by our own proxies are
true. With ``TRUSTED_PROXIES`` = n (the number of proxies in front of the web server, 0 when
gunicorn faces the internet), the client is the n-th address from the right of that header, or
``REMOTE_ADDR`` when n is 0: DRF's rule for ``NUM_PROXIES``, used by its throttles too, so the
throttles, the lock-out and the audit trail all name the same address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            candidate = addresses[-min(proxies, len(addresses))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return remote
    return remote
