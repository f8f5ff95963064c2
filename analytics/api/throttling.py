"""Per-token rate limits: each token has its own allowance, whoever shares its address."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from analytics.models import ApiToken


class RegulatorTokenThrottle(ScopedRateThrottle):
    """The view's ``throttle_scope`` rate (settings), counted per token."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"token-{token.pk}"}
