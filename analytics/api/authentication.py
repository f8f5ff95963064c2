"""``Authorization: Bearer <token>`` for the regulator API."""

from __future__ import annotations

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from analytics.models import ApiToken
from analytics.tokens import TokenRejected, api_token_authenticate


@dataclass(frozen=True)
class ApiClient:
    """The client organisation behind a token, standing in for ``request.user``."""

    token: ApiToken

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    @property
    def pk(self) -> str:
        return f"api-token-{self.token.pk}"

    def __str__(self) -> str:
        return f"{self.token.organisation.ods_code}: {self.token.name}"


class RegulatorTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[ApiClient, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>'."
            )
        try:
            plain = parts[1].decode("ascii")
            token = api_token_authenticate(plain)
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed token.") from exc
        except TokenRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return ApiClient(token), token

    def authenticate_header(self, request: Request) -> str:
        # Makes a missing or bad token a 401 (with this header), not a 403.
        return 'Bearer realm="regulator-api"'


class RegulatorTokenScheme(OpenApiAuthenticationExtension):
    """Shows the bearer token in the OpenAPI schema."""

    target_class = RegulatorTokenAuthentication
    name = "regulatorToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 - the scheme name, not a secret
        )
        return {
            **scheme,
            "description": "A regulator API token issued by an administrator (admin, or "
            "`manage.py issue_token`). Scopes: exports:read, aggregates:read.",
        }
