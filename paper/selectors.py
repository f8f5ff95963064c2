"""Reads for the paper pages, scoped by the one rule: staff see their own organisation's
batches, uploads and pages; any other does not exist for them (404)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from feedback.models import User
from paper.models import PageStatus, PrintBatch, ScanPage, ScanUpload


def _organisation_id(user: User) -> int:
    if user.organisation_id is None:
        raise Http404("Your account does not belong to an organisation.")
    return user.organisation_id


def print_batches_for(user: User) -> QuerySet[PrintBatch]:
    return PrintBatch.objects.filter(organisation_id=_organisation_id(user)).select_related(
        "organisation", "printed_by"
    )


def print_batch_get_for_user(user: User, pk: int) -> PrintBatch:
    try:
        return print_batches_for(user).get(pk=pk)
    except PrintBatch.DoesNotExist as exc:
        raise Http404("No such batch for your organisation.") from exc


def scan_uploads_for(user: User) -> QuerySet[ScanUpload]:
    return (
        ScanUpload.objects.filter(organisation_id=_organisation_id(user))
        .select_related("uploaded_by")
        .annotate(
            to_check=Count("pages", filter=Q(pages__status=PageStatus.TO_CHECK)),
            confirmed=Count("pages", filter=Q(pages__status=PageStatus.CONFIRMED)),
            blank=Count("pages", filter=Q(pages__status=PageStatus.BLANK)),
        )
    )


def scan_upload_get_for_user(user: User, pk: int) -> ScanUpload:
    try:
        return scan_uploads_for(user).get(pk=pk)
    except ScanUpload.DoesNotExist as exc:
        raise Http404("No such upload for your organisation.") from exc


def scan_page_get_for_user(user: User, pk: int) -> ScanPage:
    try:
        return ScanPage.objects.select_related("upload", "batch", "organisation", "feedback").get(
            pk=pk, upload__organisation_id=_organisation_id(user)
        )
    except ScanPage.DoesNotExist as exc:
        raise Http404("No such page for your organisation.") from exc


def scan_page_next_to_check(page: ScanPage) -> ScanPage | None:
    """The upload's next page waiting to be checked after this one (then any before it)."""
    waiting = ScanPage.objects.filter(upload_id=page.upload_id, status=PageStatus.TO_CHECK)
    return (
        waiting.filter(number__gt=page.number).order_by("number").first()
        or waiting.exclude(pk=page.pk).order_by("number").first()
    )
