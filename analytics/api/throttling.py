"""Per-token rate limits: each token has its own allowance, whoever shares its address."""

from __future__ import annotations

import logging

import redis
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from analytics.models import ApiToken

logger = logging.getLogger(__name__)


class RegulatorTokenThrottle(ScopedRateThrottle):
    """The view's ``throttle_scope`` rate (settings), counted per token."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        # The counters live in the cache (Redis in production). If it cannot be reached, the
        # request goes ahead, logged: the token's scope and expiry are still checked, and a
        # regulator's export matters more than its rate limit for the minutes of an outage.
        try:
            return super().allow_request(request, view)
        except (redis.ConnectionError, redis.TimeoutError):
            logger.warning("regulator throttle counters unavailable; letting the request through")
            return True

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"token-{token.pk}"}
