"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from feedback.selectors import feedback_loaded_in_bulk
from feedback.services.analysis import feedback_analyse_batch, feedback_requeue_stale
from feedback.services.deadlines import deadline_warnings_send
from feedback.services.fft_rows import enqueue_analysis_batches
from feedback.services.fft_uploads import fft_upload_process, fft_uploads_requeue
from feedback.services.health import worker_heartbeat_record
from feedback.services.notifications import notification_send, notifications_pending


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    # A batch of 32 takes about a second on two cores; a minute means something is stuck.
    soft_time_limit=60,
    time_limit=90,
)
def analyse_feedback(feedback_id: int) -> int:
    """Analyse and route this item, with whatever else is queued, as one batch."""
    return len(feedback_analyse_batch(first_id=feedback_id))


@shared_task(bind=True, ignore_result=True, time_limit=60)
def worker_heartbeat(self: Task) -> None:
    """Record that a worker is alive and whether its model loaded (read by /health/)."""
    worker_heartbeat_record(hostname=self.request.hostname or "unknown")


@shared_task(acks_late=True, time_limit=60)
def requeue_unanalysed() -> int:
    """Send again items left unanalysed by a lost message or a dead worker: patients' items on
    the analysis queue, an FFT upload's answers on the bulk queue (as they were first sent)."""
    ids = feedback_requeue_stale()
    bulk = feedback_loaded_in_bulk(ids)
    # Each message claims a whole batch, so one message per batch's worth of items is enough.
    for pk in [pk for pk in ids if pk not in bulk][:: settings.ANALYSIS_BATCH_SIZE]:
        analyse_feedback.delay(pk)
    enqueue_analysis_batches([pk for pk in ids if pk in bulk])
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    # 100,000 rows are checked and saved in under a minute on two cores (bench/fft_upload.py);
    # the largest export allowed (200,000 rows, 50 MB) in about two. Ten minutes is a fault; the
    # worker is told first (soft) so the upload goes back to the queue with its prefix saved.
    soft_time_limit=600,
    time_limit=660,
)
def process_fft_upload(upload_id: int) -> str:
    """Check the upload's rows, then save them or refuse them all (``fft_upload_process``, which
    claims it: a redelivered message finds nothing to do)."""
    upload = fft_upload_process(upload_id=upload_id)
    return "nothing to do" if upload is None else upload.status


@shared_task(acks_late=True, time_limit=60)
def requeue_fft_uploads() -> int:
    """Hand out again the uploads a dead worker or a lost message left (every five minutes)."""
    ids = fft_uploads_requeue()
    for pk in ids:
        process_fft_upload.delay(pk)
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
    # Sending one email takes well under a second; SMTP or Notify hanging for 30 s is a fault.
    soft_time_limit=30,
    time_limit=45,
)
def send_notification(notification_id: int) -> bool:
    return notification_send(notification_id=notification_id)


@shared_task(acks_late=True, time_limit=60)
def resend_pending_notifications() -> int:
    ids = notifications_pending()
    for pk in ids:
        send_notification.delay(pk)
    return len(ids)


@shared_task(acks_late=True, time_limit=300)
def warn_due_and_overdue() -> int:
    """Daily: tell each organisation's handlers what is due within two days and what is overdue."""
    return deadline_warnings_send()


@shared_task(acks_late=True, time_limit=300)
def clear_expired_sessions() -> None:
    """Delete expired sessions (Django's clearsessions), hourly."""
    from django.core import management

    management.call_command("clearsessions")


@shared_task(acks_late=True, time_limit=1800)
def anonymise_after_retention() -> int:
    """Anonymise items past their retention period, and clear old FFT uploads' lists of rows
    with problems, daily (feedback/services/privacy.py)."""
    from feedback.services.privacy import fft_upload_row_errors_expire, retention_anonymise

    fft_upload_row_errors_expire()
    return retention_anonymise()
