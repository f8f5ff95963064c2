"""The audit of regulator API reads: one ``ExportAudit`` row per request, written before any row
leaves, finished when the last one has (or when the client went away)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from analytics.models import ApiToken, ExportAudit


def export_audit_start(
    *, token: ApiToken, endpoint: str, filters: dict[str, Any], client_ip: str | None
) -> ExportAudit:
    return ExportAudit.objects.create(
        token=token,
        organisation_id=token.organisation_id,
        endpoint=endpoint,
        filters=filters,
        client_ip=client_ip or None,
    )


def export_audit_finish(*, audit: ExportAudit, row_count: int, completed: bool) -> ExportAudit:
    audit.row_count = row_count
    audit.completed = completed
    audit.finished_at = timezone.now()
    # An update by key, not save(): the row was written in another transaction and nothing else
    # of it may change.
    ExportAudit.objects.filter(pk=audit.pk).update(
        row_count=row_count, completed=completed, finished_at=audit.finished_at
    )
    return audit


def export_audit_record(
    *,
    token: ApiToken,
    endpoint: str,
    filters: dict[str, Any],
    client_ip: str | None,
    row_count: int,
) -> ExportAudit:
    """A read answered in one response (a JSON page, aggregates, a KO41 return)."""
    return ExportAudit.objects.create(
        token=token,
        organisation_id=token.organisation_id,
        endpoint=endpoint,
        filters=filters,
        client_ip=client_ip or None,
        row_count=row_count,
        completed=True,
        finished_at=timezone.now(),
    )
