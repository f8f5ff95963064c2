"""Staff corrections as training examples: what ``manage.py export_corrections`` writes.

Each corrected item becomes one example in the triage data format (data/triage/GUIDE.md) with
only what a member of staff decided marked as known: a confirmed possible risk is that risk; a
dismissed one is not; an item moved to the CQC for a stated concern has that concern; an item
moved away from the CQC raises none of the CQC's concerns. Sentiment and theme corrections are
carried too, for the sentiment and theme training. The text is redacted as exports redact it:
these files leave the service's database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from analytics.ml.triage_data import CQC_LABELS
from analytics.redaction import IdentityTerms, redact
from feedback.choices import CorrectionKind, Route
from feedback.models import Correction, Feedback, Identity


def _identity(item: Feedback) -> IdentityTerms | None:
    try:
        identity = item.identity
    except Identity.DoesNotExist:
        return None
    return IdentityTerms(
        identity.name, identity.email, identity.phone, identity.nhs_number, identity.patient_name
    )


def _decided(corrections: list[Correction]) -> dict[str, Any]:
    """What the staff decided, the latest decision winning for each thing."""
    positive: set[str] = set()
    known: set[str] = set()
    decided: dict[str, Any] = {}
    for correction in corrections:
        after, kind = correction.after, correction.kind
        if kind in (CorrectionKind.RISK_CONFIRMED, CorrectionKind.ROUTE):
            labels = set(after.get("labels", []))
            positive |= labels
            known |= labels
            if kind == CorrectionKind.ROUTE and after.get("route") != Route.CQC:
                # Moved away from the CQC: it raises none of the CQC's concerns.
                known |= set(CQC_LABELS)
                positive -= set(CQC_LABELS)
            if after.get("route"):
                decided["route"] = after["route"]
        elif kind == CorrectionKind.RISK_DISMISSED:
            dismissed = set(after.get("not", []))
            known |= dismissed
            positive -= dismissed
        elif kind == CorrectionKind.SENTIMENT:
            decided["sentiment"] = after.get("sentiment")
        elif kind == CorrectionKind.THEMES:
            decided["themes"] = after.get("themes", [])
    decided["labels"] = sorted(positive)
    decided["known"] = sorted(known)
    return decided


def corrections_as_records() -> Iterator[dict[str, Any]]:
    """One record per corrected item, oldest correction first, in the triage data format."""
    by_item: dict[int, list[Correction]] = {}
    for correction in Correction.objects.order_by("at", "pk"):
        by_item.setdefault(correction.feedback_id, []).append(correction)
    items = Feedback.objects.select_related("identity").in_bulk(list(by_item))
    for pk, corrections in by_item.items():
        item = items[pk]
        decided = _decided(corrections)
        record: dict[str, Any] = {
            "id": f"corr-{pk}",
            "situation": f"corr-{pk}",
            "text": redact(item.text, _identity(item)),
            "kind": item.kind,
            "service_type": item.service_type,
            "provider_named": item.provider_id is not None,
            "labels": decided["labels"],
            "known": decided["known"],
            "route": decided.get("route", ""),
            "question": item.question,
            "corrected_by": sorted({c.actor.get_username() for c in corrections}),
            "corrected_at": corrections[-1].at.isoformat(timespec="seconds"),
        }
        for key in ("sentiment", "themes"):
            if key in decided:
                record[key] = decided[key]
        yield record
