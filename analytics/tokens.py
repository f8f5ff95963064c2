"""Regulator API tokens: issue, revoke, authenticate. Only a digest of a token is ever stored.

A token reads ``pvr_<prefix>_<secret>``: the prefix (8 hex characters) is stored in clear so a row
can be found without scanning, and names the token in the admin and the audit; the secret is 32
random bytes. The stored digest is SHA-256 of the whole token: with 256 bits of entropy there is
nothing for a slow password hash to protect against, and every request can check it cheaply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.models import ApiScope, ApiToken
from feedback.audit import audit_record
from feedback.choices import OrganisationKind
from feedback.models import Organisation, User

TOKEN_PREFIX = "pvr_"  # noqa: S105 - marks our tokens (secret scanners can match it)
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be issued as asked; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plain: str  # shown to the administrator once, never stored


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _check_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise TokenError(
            f"Unknown scope(s): {', '.join(unknown)}. Use {' and/or '.join(ApiScope.values)}."
        )
    if not scopes:
        raise TokenError("Give the token at least one scope.")
    return sorted(set(scopes))


def api_token_issue(
    *,
    organisation: Organisation,
    scopes: Sequence[str],
    name: str,
    actor: User | None,
    days: int | None = None,
    expires_at: dt.datetime | None = None,
    national: bool = False,
) -> IssuedToken:
    """Create a token for a client organisation and return it with its plain value (once)."""
    clean_scopes = _check_scopes(scopes)
    if not name.strip():
        raise TokenError("Name the token after who holds it.")
    now = timezone.now()
    if expires_at is None:
        lifetime = days if days is not None else settings.REGULATOR_TOKEN_DEFAULT_DAYS
        if lifetime < 1 or lifetime > settings.REGULATOR_TOKEN_MAX_DAYS:
            raise TokenError(
                f"A token lasts from 1 to {settings.REGULATOR_TOKEN_MAX_DAYS} days; "
                "issue a new one when it expires."
            )
        expires_at = now + dt.timedelta(days=lifetime)
    if expires_at <= now:
        raise TokenError("The expiry must be in the future.")
    if expires_at > now + dt.timedelta(days=settings.REGULATOR_TOKEN_MAX_DAYS):
        raise TokenError(
            f"A token lasts at most {settings.REGULATOR_TOKEN_MAX_DAYS} days: choose an expiry "
            f"before {(now + dt.timedelta(days=settings.REGULATOR_TOKEN_MAX_DAYS)):%d %B %Y}."
        )
    for _ in range(5):
        prefix = secrets.token_hex(4)
        plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    name=name.strip(),
                    organisation=organisation,
                    national=national or organisation.kind == OrganisationKind.CQC,
                    scopes=clean_scopes,
                    prefix=prefix,
                    key_hash=_digest(plain),
                    created_by=actor,
                    expires_at=expires_at,
                )
                audit_record(
                    feedback=None,
                    actor=actor,
                    action="api_token_issued",
                    to_value=prefix,
                    detail={
                        "organisation": organisation.ods_code,
                        "scopes": clean_scopes,
                        "national": token.national,
                        "expires_at": expires_at.isoformat(),
                    },
                )
        except IntegrityError:
            continue  # the random prefix was taken: draw another
        return IssuedToken(token=token, plain=plain)
    raise TokenError("Could not draw an unused token prefix; try again.")


def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Stop a token working at once. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                feedback=None,
                actor=actor,
                action="api_token_revoked",
                to_value=locked.prefix,
                detail={"organisation": locked.organisation.ods_code},
            )
    return locked


class TokenRejected(Exception):
    """The presented token is unknown, expired or revoked."""


def api_token_authenticate(plain: str) -> ApiToken:
    """The live token with this value; ``TokenRejected`` (with a reason) otherwise."""
    parts = plain.split("_")
    if len(parts) < 3 or f"{parts[0]}_" != TOKEN_PREFIX:
        raise TokenRejected("Malformed token.")
    prefix = parts[1]
    token = ApiToken.objects.select_related("organisation").filter(prefix=prefix).first()
    # Compare digests in constant time even when the prefix is unknown.
    expected = token.key_hash if token is not None else "0" * 64
    if not hmac.compare_digest(expected, _digest(plain)) or token is None:
        raise TokenRejected("Unknown token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRejected("This token has been revoked.")
    if token.expires_at <= now:
        raise TokenRejected("This token has expired; ask for a new one.")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
