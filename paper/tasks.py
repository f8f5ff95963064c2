"""The worker's part of paper forms: reading an upload's pages (thin: the service does it)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from paper.services import scan_upload_read


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    # A page takes 0.2-1 s on one core with OCR (bench/results/paper.md): the largest upload
    # (100 pages) about two minutes. Ten is a fault.
    soft_time_limit=600,
    time_limit=660,
)
def read_scan_upload(upload_id: int) -> str:
    """Read the upload's pages (``scan_upload_read`` claims it: a redelivered message finds
    nothing to do, and pages read before a crash are not read again)."""
    upload = scan_upload_read(upload_id=upload_id)
    return "nothing to do" if upload is None else upload.status
