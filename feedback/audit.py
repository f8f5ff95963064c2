"""Writing audit rows. Callers are inside the transaction of the change they record."""

from __future__ import annotations

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
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit rows are written inside the transaction of the change")
    return AuditEvent.objects.create(
        feedback=feedback,
        actor=actor,
        action=action,
        from_value=from_value,
        to_value=to_value,
        detail=detail or {},
    )
