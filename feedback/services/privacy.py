"""A patient's rights over what is held about them, and how long it is held.

- Subject access: everything an organisation holds about one person (found by NHS number or
  email) as one file, for a manager to send them; the search and the download are audited.
- Erasure: one person's contact details removed from an organisation's items and their own
  details redacted from the text, on request; their items' attached files (letters and photos,
  which cannot be redacted) deleted with them; audited item by item.
- Retention (Records Management Code of Practice): complaint case files are kept 10 years after
  they close, then anonymised; compliments and suggestions, which carry no case, for less. The
  figures the dashboards and KO41 count (kind, dates, organisation, status, outcome, sentiment,
  themes) stay; identity, free text, the response and attached files go. A scheduled task runs
  it daily. The same task clears the lists of rows with problems of rejected FFT uploads older
  than FFT_UPLOAD_ROW_ERRORS_DAYS (``fft_upload_row_errors_expire``): they name lines, columns
  and rules, not patients' words, but an upload's record should hold nothing it no longer needs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from analytics.redaction import IdentityTerms, redact
from feedback.audit import audit_record
from feedback.choices import ComplainantStatus, Status
from feedback.errors import InvalidFeedback
from feedback.labels import communication_needs_text, relationship_text
from feedback.models import Feedback, FeedbackReading, FftUpload, Identity, JointPartner, User
from feedback.services.attachments import attachments_delete, attachments_of
from feedback.services.intake import normalise_nhs_number

REMOVED = "[removed after the retention period]"
ERASED_NOTE = "[contact details erased at the person's request]"


def _subject_items(user: User, *, nhs_number: str, email: str) -> QuerySet[Feedback]:
    nhs_number = normalise_nhs_number(nhs_number)
    email = email.strip()
    if not (nhs_number or email):
        raise InvalidFeedback({"nhs_number": "Enter the person's NHS number or email address."})
    match = Q()
    if nhs_number:
        match |= Q(identity__nhs_number=nhs_number)
    if email:
        match |= Q(identity__email__iexact=email)
    # The organisation's own items only: the one scoping rule, narrowed to its queue.
    return (
        Feedback.objects.visible_to(user)
        .filter(handled_by_id=user.organisation_id)
        .filter(match)
        .select_related("identity", "handled_by", "provider")
        .order_by("received_at")
    )


def subject_access_export(*, user: User, nhs_number: str = "", email: str = "") -> dict[str, Any]:
    """Everything the user's organisation holds about one person, as a JSON-ready record."""
    items = list(_subject_items(user, nhs_number=nhs_number, email=email))
    with transaction.atomic():
        for item in items:
            audit_record(
                feedback=item,
                actor=user,
                action="subject_access_exported",
                detail={"matched_by": "nhs_number" if nhs_number else "email"},
            )
    return {
        "organisation": user.organisation.name if user.organisation else "",
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "items": [_item_record(item) for item in items],
    }


def _item_record(item: Feedback) -> dict[str, Any]:
    identity = getattr(item, "identity", None)
    return {
        "reference": item.pk,
        "kind": item.get_kind_display(),
        "received": item.received_at.isoformat(timespec="seconds"),
        "channel": item.get_channel_display(),
        "provider": item.provider.name if item.provider else "",
        "handled_by": item.handled_by.name if item.handled_by else "",
        "status": item.get_status_display(),
        "what_you_told_us": item.text,
        "communication_needs": communication_needs_text(
            item.communication_needs, item.interpreter_language
        ),
        # Who wrote: the patient, or a representative (regulation 5) and the patient's consent.
        "written_by": (
            "Someone on the patient's behalf"
            if item.complainant_status == ComplainantStatus.ON_BEHALF
            else "The patient"
            if item.complainant_status == ComplainantStatus.PATIENT
            else "Not said"
        ),
        "relationship_to_patient": relationship_text(item.relationship, item.relationship_other),
        "patient_consent": item.get_consent_display() if item.consent else "",
        "contact_details": {
            "name": identity.name if identity else "",
            "email": identity.email if identity else "",
            "phone": identity.phone if identity else "",
            "nhs_number": identity.nhs_number if identity else "",
            "patient_name": identity.patient_name if identity else "",
        },
        "response": item.response_text,
        # The files themselves are on the item's page, for the manager to send with this.
        "attachments": [
            {
                "name": attachment.name,
                "type": attachment.content_type,
                "size": attachment.size,
                "added": attachment.added_at.isoformat(timespec="seconds"),
                "by": "you" if attachment.by_patient else "staff",
            }
            for attachment in attachments_of(item)
        ],
        "history": [
            {
                "at": event.at.isoformat(timespec="seconds"),
                "what": event.action,
                "from": event.from_value,
                "to": event.to_value,
            }
            for event in item.audit_events.order_by("at", "pk")
        ],
    }


def subject_access_json(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False)


def identity_erase(*, user: User, nhs_number: str = "", email: str = "") -> int:
    """Remove one person's contact details from the organisation's items; returns how many."""
    items = list(_subject_items(user, nhs_number=nhs_number, email=email))
    with transaction.atomic():
        for item in items:
            identity = item.identity
            terms = IdentityTerms(
                identity.name,
                identity.email,
                identity.phone,
                identity.nhs_number,
                identity.patient_name,
            )
            item.text = redact(item.text, terms)
            item.text_redacted = redact(item.text_redacted or item.text, terms)
            # The model's reading was made from the text as it was, details and all.
            item.reading_sketch = None
            item.save(update_fields=["text", "text_redacted", "reading_sketch"])
            # A joint complaint's partners may have written the person's details in their part.
            for partner in JointPartner.objects.filter(feedback=item).exclude(findings=""):
                partner.findings = redact(partner.findings, terms)
                partner.save(update_fields=["findings"])
            FeedbackReading.objects.filter(feedback=item).delete()
            identity.delete()
            deleted = attachments_delete(feedback=item)
            audit_record(
                feedback=item,
                actor=user,
                action="identity_erased",
                detail={"note": ERASED_NOTE, "attachments_deleted": deleted},
            )
    return len(items)


def retention_due(now: dt.datetime | None = None) -> QuerySet[Feedback]:
    """Items past their retention period that still hold identity or free text."""
    now = now or timezone.now()
    due = Q()
    for kind, years in settings.RETENTION_YEARS_AFTER_CLOSURE.items():
        cutoff = now - dt.timedelta(days=round(365.25 * years))
        due |= Q(kind=kind) & (
            Q(closed_at__lt=cutoff) | Q(status=Status.WITHDRAWN, withdrawn_at__lt=cutoff)
        )
    return Feedback.objects.filter(due).exclude(text=REMOVED)


def retention_anonymise(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Anonymise items past retention: identity, text and response go; the counts stay."""
    ids: Iterable[int] = list(retention_due(now).values_list("pk", flat=True)[:limit])
    count = 0
    for pk in ids:
        with transaction.atomic():
            item = Feedback.objects.select_for_update().get(pk=pk)
            Identity.objects.filter(feedback=item).delete()
            item.text = REMOVED
            item.text_redacted = REMOVED
            item.response_text = REMOVED if item.response_text else ""
            item.late_reason = ""
            item.question = ""
            item.reading_sketch = None
            item.save(
                update_fields=[
                    "text",
                    "text_redacted",
                    "response_text",
                    "late_reason",
                    "question",
                    "reading_sketch",
                ]
            )
            FeedbackReading.objects.filter(feedback=item).delete()
            # A joint complaint's partners' parts of the findings, and why each was asked, go
            # with the text (who took part stays, for the counts).
            JointPartner.objects.filter(feedback=item).update(findings=REMOVED, reason=REMOVED)
            deleted = attachments_delete(feedback=item)
            audit_record(
                feedback=item,
                actor=None,
                action="anonymised_after_retention",
                detail={
                    "kind": item.kind,
                    "closed": str(item.closed_at or item.withdrawn_at),
                    "attachments_deleted": deleted,
                },
            )
            count += 1
    return count


def fft_upload_row_errors_expire(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Clear the rows with problems kept for rejected FFT uploads that finished more than
    FFT_UPLOAD_ROW_ERRORS_DAYS ago (their count stays, for the page to say how many there were);
    each audited. Returns how many uploads were cleared."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.FFT_UPLOAD_ROW_ERRORS_DAYS)
    # Every upload's finish is recorded; one without (stopped mid-way) ages by its upload time.
    due = FftUpload.objects.filter(
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, uploaded_at__lt=cutoff)
    ).exclude(row_errors=[])
    ids = list(due.values_list("pk", flat=True)[:limit])
    with transaction.atomic():
        cleared = FftUpload.objects.filter(pk__in=ids).update(row_errors=[])
        for pk in ids:
            audit_record(
                feedback=None,
                actor=None,
                action="fft_upload_row_errors_cleared",
                detail={"fft_upload": pk, "after_days": settings.FFT_UPLOAD_ROW_ERRORS_DAYS},
            )
    return cleared
