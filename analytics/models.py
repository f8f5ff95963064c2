"""Models of the analytics app."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

# ---------------------------------------------------------------------------------------------
# Regulator API: client tokens and the audit of every read (issue 6, docs/adr/0006).
# ---------------------------------------------------------------------------------------------


class ApiScope(models.TextChoices):
    EXPORTS_READ = "exports:read", "Pseudonymised feedback exports"
    AGGREGATES_READ = "aggregates:read", "Aggregates and KO41 returns"


class ApiToken(models.Model):
    """A bearer token held by one client organisation (a regulator, an ICB's or a trust's analysts).

    Only a SHA-256 digest of the token is stored; ``prefix`` is the part in clear that names the
    token in logs and in the admin. The plain token is shown once, when it is issued.
    """

    name = models.CharField(max_length=100, help_text="Who holds it, e.g. 'CQC analytics team'.")
    organisation = models.ForeignKey(
        "feedback.Organisation", on_delete=models.PROTECT, related_name="api_tokens"
    )
    national = models.BooleanField(
        default=False,
        help_text="Sees every organisation (NHS England, national analysts). Tokens of the CQC "
        "are national whatever this says.",
    )
    scopes = models.JSONField(default=list, help_text="Any of: exports:read, aggregates:read.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ExportEndpoint(models.TextChoices):
    FEEDBACK_JSON = "feedback_json", "Feedback export (JSON pages)"
    FEEDBACK_CSV = "feedback_csv", "Feedback export (CSV stream)"
    FEEDBACK_NDJSON = "feedback_ndjson", "Feedback export (NDJSON stream)"
    AGGREGATES = "aggregates", "Aggregates"
    KO41 = "ko41", "KO41 return"


class ExportAudit(models.Model):
    """One read through the regulator API: which token, which filters, how many rows, when.

    Written before the first row is sent; a stream updates ``row_count`` and ``completed`` when it
    ends, so an interrupted download is visible as such. Never edited otherwise.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="exports")
    organisation = models.ForeignKey(
        "feedback.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    endpoint = models.CharField(max_length=20, choices=ExportEndpoint.choices)
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    completed = models.BooleanField(default=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["token", "-started_at"])]

    def __str__(self) -> str:
        return (
            f"{self.get_endpoint_display()} by {self.token_id} at {self.started_at:%Y-%m-%d %H:%M}"
        )
