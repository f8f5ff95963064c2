"""Scopes of regulator tokens: exports:read for row-level exports, aggregates:read for the rest."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from analytics.models import ApiScope, ApiToken


class _HasScope(BasePermission):
    scope: str = ""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False  # no token: 401 through the authenticator's header
        if not token.has_scope(self.scope):
            self.message = f"This token does not have the {self.scope} scope."
            return False
        return True


class CanReadExports(_HasScope):
    scope = ApiScope.EXPORTS_READ.value


class CanReadAggregates(_HasScope):
    scope = ApiScope.AGGREGATES_READ.value
