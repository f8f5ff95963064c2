"""Writing audit rows. Callers are inside the transaction of the change they record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from feedback.models import AuditEvent, Feedback, User


def audit_record(
    *,
    feedback: Feedback | None,
    actor: User | None,
    action: str,
    from_value: str = "",
    to_value: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    _check_in_transaction()
    return AuditEvent.objects.create(
        feedback=feedback,
        actor=actor,
        action=action,
        from_value=from_value,
        to_value=to_value,
        detail=detail or {},
    )


def audit_record_all(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Write several audit rows (built unsaved) in one INSERT, as a batch's changes are written."""
    _check_in_transaction()
    return AuditEvent.objects.bulk_create(list(events))


def _check_in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit rows are written inside the transaction of the change")
