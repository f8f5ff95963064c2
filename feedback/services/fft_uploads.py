"""FFT uploads: an organisation's monthly Friends and Family Test export, taken in.

- **Received** in the web request (``fft_upload_receive``): only what can be told at once is
  checked there (size, an empty file, what the file is: CSV or XLSX, not a password-protected
  workbook); the file is stored through the storage API, the upload recorded and audited, and the
  worker asked to read it once that is committed.
- **Read** by the worker (``fft_upload_process``, which claims the upload: a redelivered message
  does nothing twice): every row checked first (``feedback.services.fft_rows``), streaming; a
  single bad row and nothing is saved, the upload rejected with the rows refused by line. Else
  saved a chunk a transaction, each answer an item of the organisation (channel FFT import, the
  rating and question kept, received when the patient answered), queued for analysis.
- **Never twice**: each row's digest in the unique ``submission_key`` (see ``fft_rows``): the same
  file uploaded again adds nothing, and next month's export repeating some of this month's
  answers adds only the new ones.
- **Moves** between statuses (``FFT_UPLOAD_TRANSITIONS``) are conditional updates, each audited;
  an upload whose worker died is handed out again by the periodic sweep (``fft_uploads_requeue``)
  and starts over from its file, which the digests make harmless.

FFT comments are not complaints: an answer is a compliment when the rating is Very good or Good,
otherwise a suggestion (something to learn from), neither of which has a response clock; the
reader and the routing rules still send a comment that raises a safeguarding concern to the CQC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import tempfile
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedback.audit import audit_record
from feedback.choices import (
    FFT_ANSWERS,
    FFT_UPLOAD_RUNNING,
    FFT_UPLOAD_TRANSITIONS,
    OTHER_QUESTION_COMMENTS,
    OTHER_QUESTION_SKIPPED,
    FftUploadStatus,
    OrganisationKind,
)
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.fft_files import FftFileError, sniff_format
from feedback.models import (
    FftUpload,
    User,
)
from feedback.services.attachments import megabytes
from feedback.services.fft_rows import fft_export_check, fft_rows_save, read_chunks

logger = logging.getLogger(__name__)

# The organisations that collect FFT answers about their own services and upload them: trusts,
# and ICBs for the answers about services they commission. The CQC and NHS England's triage
# queue have no FFT of their own.
UPLOADING_KINDS = frozenset({OrganisationKind.TRUST, OrganisationKind.ICB})
NAME_MAX_LENGTH = 100


# --- Receiving -------------------------------------------------------------------------------


def fft_upload_limits_hint() -> str:
    """The limits in the words the upload form gives as its hint."""
    return (
        f"A CSV file or Excel workbook (.xlsx) of {megabytes(settings.FFT_UPLOAD_MAX_BYTES)} MB "
        f"or less, with at most {settings.FFT_UPLOAD_MAX_ROWS:,} rows. Columns: rating, free "
        "text and date (required), question and service (optional)."
    )


_UNSAFE_IN_NAME = re.compile("[^\\w .,()\\[\\]&+'\u2013\u2014-]")


def _display_name(original: str) -> str:
    """The file's own name, its last path part, unsafe characters replaced."""
    name = unicodedata.normalize("NFC", original or "")
    name = re.split(r"[\\/]", name)[-1]
    name = " ".join(_UNSAFE_IN_NAME.sub("_", name).split()).strip(" .")
    return name[-NAME_MAX_LENGTH:] or "export"


def _file_digest(file: File) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def fft_upload_receive(*, actor: User, uploaded_file: File) -> FftUpload:
    """Take an FFT export from ``actor`` for their organisation: checked for what it is, stored,
    recorded (queued) and audited; the worker reads it once this is committed.

    InvalidFeedback (field "file") for an empty or too large file, or one that is not a CSV or
    XLSX export (a password-protected workbook, an old .xls, a PDF...); PermissionDenied for
    staff of an organisation that does not upload FFT exports. The same file sent again while
    the first is still being read (a double click) returns that upload.
    """
    organisation = actor.organisation
    if organisation is None or organisation.kind not in UPLOADING_KINDS:
        raise PermissionDenied("FFT exports are uploaded by NHS trusts and integrated care boards.")
    size = uploaded_file.size or 0
    limit = settings.FFT_UPLOAD_MAX_BYTES
    if size == 0:
        raise InvalidFeedback({"file": "The file is empty: upload the export with its rows."})
    if size > limit:
        raise InvalidFeedback(
            {
                "file": f"The file is {megabytes(size)} MB: upload exports of "
                f"{megabytes(limit)} MB or less (split a larger one by month or by service)."
            }
        )
    try:
        file_format = sniff_format(uploaded_file)
    except FftFileError as exc:
        raise InvalidFeedback({"file": str(exc)}) from None
    digest = _file_digest(uploaded_file)
    running = FftUpload.objects.filter(
        organisation=organisation, file_digest=digest, status__in=FFT_UPLOAD_RUNNING
    ).first()
    if running is not None:
        return running

    now = timezone.now()
    stored = default_storage.save(
        f"fft-uploads/{now:%Y}/{now:%m}/{secrets.token_urlsafe(24)}.{file_format}", uploaded_file
    )
    try:
        with transaction.atomic():
            upload = FftUpload.objects.create(
                organisation=organisation,
                uploaded_by=actor,
                uploaded_at=now,
                file_name=_display_name(uploaded_file.name or ""),
                file_format=file_format,
                file_size=size,
                file_digest=digest,
                stored_as=stored,
            )
            audit_record(
                feedback=None,
                actor=actor,
                action="fft_upload_received",
                to_value=upload.status,
                detail=_audit_detail(upload),
            )
            transaction.on_commit(lambda: enqueue_processing(upload.pk))
    except BaseException:
        default_storage.delete(stored)
        raise
    return upload


def enqueue_processing(upload_id: int) -> None:
    """Ask the worker to read the upload. A broker that is down loses nothing: the periodic
    sweep (``fft_uploads_requeue``) sends it again."""
    from feedback.tasks import process_fft_upload

    try:
        process_fft_upload.apply_async((upload_id,), retry=False)
    except Exception:
        logger.warning(
            "could not enqueue FFT upload %s; the periodic sweep will retry",
            upload_id,
            exc_info=True,
        )


def _audit_detail(upload: FftUpload, **extra: Any) -> dict[str, Any]:
    return {
        "fft_upload": upload.pk,
        "organisation": upload.organisation_id,
        "file_name": upload.file_name,
        "file_digest": upload.file_digest,
        **extra,
    }


# --- Moving between statuses -----------------------------------------------------------------


def _move(
    upload: FftUpload,
    to: str,
    *,
    actor: User | None = None,
    audit: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Move ``upload`` from the status it has (as read) to ``to``, with ``fields``, and audit it
    (with ``audit`` besides); False when it was no longer in that status (someone else moved it
    first)."""
    if to not in FFT_UPLOAD_TRANSITIONS[upload.status]:
        raise IllegalTransition(f"An upload cannot go from {upload.status} to {to}.")
    with transaction.atomic():
        moved = FftUpload.objects.filter(pk=upload.pk, status=upload.status).update(
            status=to, **fields
        )
        if not moved:
            return False
        audit_record(
            feedback=None,
            actor=actor,
            action=f"fft_upload_{to}",
            from_value=upload.status,
            to_value=to,
            detail=_audit_detail(
                upload,
                **{
                    k: v
                    for k, v in fields.items()
                    if k.startswith("rows_") or k in ("problem", "row_error_count")
                },
                **(audit or {}),
            ),
        )
    upload.status = to
    for name, value in fields.items():
        if not isinstance(value, F):
            setattr(upload, name, value)
    return True


def _claim(upload_id: int) -> FftUpload | None:
    """The queued upload, now ours (checking); None when there is none to take (another worker
    has it, or it is finished: a redelivered message does nothing twice)."""
    upload = FftUpload.objects.select_related("organisation").filter(pk=upload_id).first()
    if upload is None or upload.status != FftUploadStatus.QUEUED:
        return None
    now = timezone.now()
    claimed = _move(
        upload,
        FftUploadStatus.CHECKING,
        claimed_at=now,
        started_at=now,
        attempts=upload.attempts + 1,
        rows_checked=0,
        rows_total=0,
        rows_saved=0,
        rows_added=0,
        rows_duplicate=0,
    )
    return upload if claimed else None


def _forget_file(upload: FftUpload) -> None:
    """The stored file goes once the worker is done with it: its rows are in the database (or
    were refused), and an export's free text is not kept twice."""
    if not upload.stored_as:
        return
    try:
        default_storage.delete(upload.stored_as)
    except Exception:
        logger.exception("could not delete the FFT upload file %s", upload.stored_as)
        return
    FftUpload.objects.filter(pk=upload.pk).update(stored_as="")
    upload.stored_as = ""


# --- The worker's part -----------------------------------------------------------------------


def fft_upload_process(*, upload_id: int) -> FftUpload | None:
    """Check the upload's rows, then save them or refuse them all; None when there was nothing
    to do (another worker has it, or it is finished).

    A problem with the file or a row ends it as rejected; anything else (the database went away,
    the worker is stopped) puts it back in the queue, or, after FFT_UPLOAD_MAX_ATTEMPTS, ends it
    as failed; the error is raised again for the task to retry.
    """
    upload = _claim(upload_id)
    if upload is None:
        return None
    try:
        with (
            default_storage.open(upload.stored_as, "rb") as file,
            tempfile.TemporaryFile() as checked,
        ):
            result = fft_export_check(
                file=file,
                file_format=upload.file_format,
                organisation_id=upload.organisation_id,
                checked=checked,
                progress=lambda n: FftUpload.objects.filter(pk=upload.pk).update(
                    rows_checked=n, claimed_at=timezone.now()
                ),
            )
            if result.bad_rows:
                _move(
                    upload,
                    FftUploadStatus.REJECTED,
                    rows_checked=result.rows,
                    rows_total=result.rows,
                    row_errors=result.errors,
                    row_error_count=result.bad_rows,
                    finished_at=timezone.now(),
                )
            else:
                _move(
                    upload,
                    FftUploadStatus.SAVING,
                    rows_checked=result.rows,
                    rows_total=result.rows,
                    claimed_at=timezone.now(),
                )
                for chunk in read_chunks(checked):
                    fft_rows_save(upload=upload, rows=chunk)
                upload.refresh_from_db()
                _move(
                    upload,
                    FftUploadStatus.DONE,
                    # What the file's rows were (the result page reads it from here): answers to
                    # the FFT question, comments on other questions, other questions' rows
                    # without a comment (not taken).
                    audit={
                        FFT_ANSWERS: result.fft_rows,
                        OTHER_QUESTION_COMMENTS: result.other_rows,
                        OTHER_QUESTION_SKIPPED: result.other_skipped,
                    },
                    finished_at=timezone.now(),
                    rows_saved=upload.rows_saved,
                    rows_added=upload.rows_added,
                    rows_duplicate=upload.rows_duplicate,
                )
    except FftFileError as exc:
        upload.refresh_from_db()
        _move(upload, FftUploadStatus.REJECTED, problem=str(exc), finished_at=timezone.now())
    except BaseException:
        upload.refresh_from_db()
        _give_back(upload, reason="the service failed while reading it")
        raise
    if upload.status in (FftUploadStatus.DONE, FftUploadStatus.REJECTED, FftUploadStatus.FAILED):
        _forget_file(upload)
    return upload


FAILED_PROBLEM = (
    "The upload stopped before the end because the service failed ({reason}). Rows saved before "
    "it stopped are kept. Upload the same file again to add the rest: rows already saved are not "
    "added twice."
)


def _give_back(upload: FftUpload, *, reason: str) -> None:
    """Back to the queue for another try, or, after the last, failed (its file forgotten)."""
    if upload.status not in (FftUploadStatus.CHECKING, FftUploadStatus.SAVING):
        return
    if upload.attempts < settings.FFT_UPLOAD_MAX_ATTEMPTS:
        _move(upload, FftUploadStatus.QUEUED, claimed_at=None)
        return
    _move(
        upload,
        FftUploadStatus.FAILED,
        problem=FAILED_PROBLEM.format(reason=reason),
        finished_at=timezone.now(),
    )
    _forget_file(upload)


def fft_uploads_requeue(*, now: dt.datetime | None = None) -> list[int]:
    """Hand out again what a dead worker or a lost message left: uploads whose worker has said
    nothing for the claim timeout go back to the queue (or fail after the last attempt), and the
    ids of uploads queued for over a minute are returned for the caller to send."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.FFT_UPLOAD_CLAIM_TIMEOUT_SECONDS)
    for upload in FftUpload.objects.filter(
        status__in=(FftUploadStatus.CHECKING, FftUploadStatus.SAVING), claimed_at__lt=stale
    ):
        _give_back(upload, reason="its worker stopped answering")
    waiting = now - dt.timedelta(minutes=1)
    return list(
        FftUpload.objects.filter(status=FftUploadStatus.QUEUED, uploaded_at__lt=waiting)
        .order_by("uploaded_at")
        .values_list("pk", flat=True)[:100]
    )


def fft_upload_progress_text(upload: FftUpload) -> str:
    """Where the upload is, in a sentence (the status page, refreshed while it runs, and the
    API)."""
    status = upload.status
    if status == FftUploadStatus.QUEUED:
        return "Waiting for the service to start reading the file."
    if status == FftUploadStatus.CHECKING:
        return f"Checking the rows: {upload.rows_checked:,} checked so far."
    if status == FftUploadStatus.SAVING:
        return (
            f"Saving the rows: {upload.rows_saved:,} of {upload.rows_total:,} saved so far "
            f"({upload.rows_added:,} new, {upload.rows_duplicate:,} held already)."
        )
    if status == FftUploadStatus.DONE:
        skipped = max(0, upload.rows_total - upload.rows_saved)
        return (
            f"Done: {upload.rows_added:,} of {upload.rows_total:,} rows added as new FFT "
            f"feedback; {upload.rows_duplicate:,} were held already and not added again."
        ) + (
            f" {skipped:,} row{'s' if skipped != 1 else ''} answering other questions without "
            f"a comment {'were' if skipped != 1 else 'was'} not taken."
            if skipped
            else ""
        )
    if status == FftUploadStatus.REJECTED:
        if upload.problem:
            return f"Nothing was saved. {upload.problem}"
        count = upload.row_error_count
        return (
            f"Nothing was saved: {count:,} row{'s' if count != 1 else ''} of "
            f"{upload.rows_total:,} {'have' if count != 1 else 'has'} a problem. Correct "
            f"{'them' if count != 1 else 'it'} and upload the file again."
        )
    return upload.problem or "The upload failed. Upload the file again."
