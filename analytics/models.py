"""Models of the analytics app."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from feedback.choices import OrganisationKind

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

    @property
    def sees_england(self) -> bool:
        """CQC and national clients (NHS England, national analysts) see every organisation."""
        return self.national or self.organisation.kind == OrganisationKind.CQC

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


# ---------------------------------------------------------------------------------------------
# Dashboards: monthly aggregates kept correct as items change (issue 5, docs/adr/0007).
# ---------------------------------------------------------------------------------------------


class MonthlyStat(models.Model):
    """Counts for one organisation's queue, one calendar month (Europe/London), one service type
    and one kind of feedback.

    Each measure counts items by the month of its own event, as its name says: ``received_*`` and
    the sentiment, route, risk and acknowledgement counts by the month the item was received;
    ``due_*`` by the month its response was due; ``responded`` and ``response_days`` by the month
    the response was sent; ``resolved`` and ``resolution_days`` by the month it was resolved.
    ``response_days`` and ``resolution_days`` are histograms {days: items}, so medians are exact.

    Rows with no organisation hold England's totals (the sums of the others, per month, service
    type and kind), so the national dashboard reads a few hundred rows, not tens of thousands.
    Rows are rebuilt from the items by analytics.stats, never edited by hand.
    """

    month = models.DateField(help_text="First day of the month.")
    organisation = models.ForeignKey(
        "feedback.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: the total for every organisation in England.",
    )
    service_type = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=12)

    received = models.PositiveIntegerField(default=0)
    channel_web = models.PositiveIntegerField(default=0)
    channel_api = models.PositiveIntegerField(default=0)
    channel_phone = models.PositiveIntegerField(default=0)
    channel_letter = models.PositiveIntegerField(default=0)
    channel_paper = models.PositiveIntegerField(default=0)
    channel_fft_import = models.PositiveIntegerField(default=0)
    # Answers to the FFT question, by answer (feedback.choices.FftRating: 1 very good ... 5 very
    # poor, 6 don't know), for the percentages positive and negative NHS England publishes.
    fft_1 = models.PositiveIntegerField(default=0)
    fft_2 = models.PositiveIntegerField(default=0)
    fft_3 = models.PositiveIntegerField(default=0)
    fft_4 = models.PositiveIntegerField(default=0)
    fft_5 = models.PositiveIntegerField(default=0)
    fft_6 = models.PositiveIntegerField(default=0)
    sentiment_1 = models.PositiveIntegerField(default=0)
    sentiment_2 = models.PositiveIntegerField(default=0)
    sentiment_3 = models.PositiveIntegerField(default=0)
    sentiment_4 = models.PositiveIntegerField(default=0)
    sentiment_5 = models.PositiveIntegerField(default=0)
    route_trust = models.PositiveIntegerField(default=0)
    route_icb = models.PositiveIntegerField(default=0)
    route_cqc = models.PositiveIntegerField(default=0)
    risk_safeguarding = models.PositiveIntegerField(default=0)
    risk_mental_health_act = models.PositiveIntegerField(default=0)
    risk_serious = models.PositiveIntegerField(default=0)
    acknowledged_on_time = models.PositiveIntegerField(default=0)
    acknowledged_late = models.PositiveIntegerField(default=0)
    due_on_time = models.PositiveIntegerField(default=0)
    due_late = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    response_days = models.JSONField(default=dict)
    resolved = models.PositiveIntegerField(default=0)
    resolution_days = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "organisation", "service_type", "kind"],
                name="unique_monthly_stat",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "month"]),
            # Peer tables: every organisation's totals rows (kind "*") for a period.
            models.Index(fields=["kind", "month"], name="monthly_stat_kind_month"),
            # England's rows.
            models.Index(
                fields=["month"],
                condition=models.Q(organisation__isnull=True),
                name="monthly_stat_england",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m} {self.service_type} {self.kind}"


class MonthlyThemeStat(models.Model):
    """Items received in a month with a theme, for one organisation, service type and kind."""

    month = models.DateField()
    organisation = models.ForeignKey(
        "feedback.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: the total for every organisation in England.",
    )
    service_type = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=12)
    theme = models.CharField(max_length=40)
    items = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(
        default=0, help_text="Of which the model read as negative (sentiment 4 or 5)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "organisation", "service_type", "kind", "theme"],
                name="unique_monthly_theme_stat",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "month"]),
            models.Index(
                fields=["month"],
                condition=models.Q(organisation__isnull=True),
                name="monthly_theme_stat_england",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.month:%Y-%m} {self.theme}"


class StatChange(models.Model):
    """A change to an item that the monthly aggregates have not counted yet.

    Written by database triggers on the feedback and theme tables (migration 0002), so every
    write, whatever its path (services, bulk updates, COPY, the shell), is noticed; rows are
    append-only and deleted by the refresh that counted them (analytics.stats).
    """

    id = models.BigAutoField(primary_key=True)
    organisation_id = models.IntegerField()
    received_at = models.DateTimeField(null=True)
    response_due = models.DateField(null=True)
    responded_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"change {self.pk} for organisation {self.organisation_id}"
