"""An FFT export's rows: checked (each one, streaming) and saved (a chunk a transaction).

The upload's record, its statuses and the worker's task around these are in
``feedback.services.fft_uploads``; what a row may be, in ``feedback.fft_reader``.

- **Checked**: every row of the export, through the reader; the good ones, each with its digest,
  wait in a temporary file (so the export is read once, and memory stays bounded) until the
  whole file is known to be good; the first FFT_UPLOAD_ERRORS_KEPT bad ones are kept to show.
- **Saved** a chunk at a time, each one transaction with its audit rows and the upload's
  progress, the analysis messages sent once it is committed (one per ANALYSIS_BATCH_SIZE items,
  on the bulk analysis queue). On PostgreSQL a chunk is one statement (``_insert_postgresql``).
- **Only the FFT question counts**: a row answering another question of the survey (an export
  of one row per question) is an item with no FFT rating when it has a comment, and is not taken
  when it has none (``CheckResult`` counts each kind, for the upload's result page).
- **Never twice**: a row's digest, in the unique ``submission_key`` (``row_digest``): the
  organisation, the response ID when the file has one, else the day, the answer, the text and
  the service; the site (ward, location) and the question always; and how many identical rows
  came before it in the same file (two patients may give the same rating on the same day
  without a comment: both count). The day, not the time: a survey system's CSV may hold minutes
  or the date alone where its workbook holds seconds, and the same answers must be recognised
  in either. Answers saved before this identity was used are recognised by the digest they were
  saved under (``legacy_row_digest``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from feedback.audit import audit_record_all
from feedback.choices import Channel, FftRating, Kind, OrganisationKind, Status
from feedback.clocks import LONDON
from feedback.fft_reader import FftRow, RowProblem, read_export
from feedback.fft_vocabulary import normalised
from feedback.models import (
    AuditEvent,
    Feedback,
    FftUpload,
    Organisation,
    new_tracking_token,
)

logger = logging.getLogger(__name__)

POSITIVE = frozenset({FftRating.VERY_GOOD, FftRating.GOOD})
# How often the rows checked so far are written for the progress page.
PROGRESS_EVERY = 5000


# --- Checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedRow:
    digest: str
    received_at: dt.datetime
    rating: int | None  # None: a comment on another question than the FFT's
    question: str
    text: str
    service_type: str
    # The digest the row would have been saved under before row_digest took the response ID and
    # the site ("" when there was none: a row of another question was never an answer then).
    legacy: str = ""


def row_digest(organisation_id: int, row: FftRow, occurrence: int) -> str:
    """What identifies an answer of an organisation's export across uploads and formats.

    With a response ID: the organisation, the ID, the site, the service and the question (one
    response answers several questions). Without: the organisation, the day (in England) it was
    given, the rating or other answer, the question, the text, the site and the service. And
    always how many identical rows came before it in the same file: identical rows are distinct
    answers, yet the same file, or the same data in the other format, gives the same digests.
    """
    question = "fft" if row.is_fft else normalised(row.question)
    if row.response_id:
        parts: tuple[str, ...] = (
            "fft2",
            str(organisation_id),
            "id",
            row.response_id,
            row.site,
            row.service,
            question,
            str(occurrence),
        )
    else:
        parts = (
            "fft2",
            str(organisation_id),
            row.received_at.astimezone(LONDON).date().isoformat(),
            str(row.rating or ""),
            row.answer,
            question,
            row.text,
            row.site,
            row.service,
            str(occurrence),
        )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def legacy_row_digest(organisation_id: int, row: FftRow, occurrence: int) -> str:
    """The digest an FFT answer was saved under before ``row_digest`` (2026-12): the
    organisation, the moment, the rating, the question, the text, the service, and how many
    identical rows came before it in the same file. Kept so that a file uploaded before is still
    recognised when uploaded again."""
    parts = (
        "fft",
        str(organisation_id),
        row.received_at.astimezone(dt.UTC).isoformat(),
        str(row.rating),
        row.question,
        row.text,
        row.service,
        str(occurrence),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class CheckResult:
    rows: int = 0
    bad_rows: int = 0
    # Of the good rows: answers to the FFT question, comments on other questions (taken as
    # feedback without an FFT rating), and other questions' rows without a comment (not taken).
    fft_rows: int = 0
    other_rows: int = 0
    other_skipped: int = 0
    # The first FFT_UPLOAD_ERRORS_KEPT bad rows: {"line": 12, "messages": [...]}.
    errors: list[dict[str, Any]] = field(default_factory=list)


def write_chunk(target: IO[bytes], chunk: list[CheckedRow]) -> None:
    target.write(
        orjson.dumps(
            [
                (r.digest, r.received_at, r.rating, r.question, r.text, r.service_type, r.legacy)
                for r in chunk
            ]
        )
        + b"\n"
    )


def read_chunks(source: IO[bytes]) -> Iterator[list[CheckedRow]]:
    source.seek(0)
    for line in source:
        yield [
            CheckedRow(
                digest, dt.datetime.fromisoformat(at), rating, question, text, service, legacy
            )
            for digest, at, rating, question, text, service, legacy in orjson.loads(line)
        ]


def fft_export_check(
    *,
    file: IO[bytes],
    file_format: str,
    organisation_id: int,
    checked: IO[bytes],
    progress: Any = None,
    now: dt.datetime | None = None,
) -> CheckResult:
    """Check every row of the export, writing the good ones (with their digests) to ``checked``
    until a bad one is found (after that nothing will be saved: the rest are only checked).
    ``progress(rows)`` is called every PROGRESS_EVERY rows. FftFileError for the file as a whole.
    """
    now = now or timezone.now()
    chunk_rows = settings.FFT_UPLOAD_CHUNK_ROWS
    kept = settings.FFT_UPLOAD_ERRORS_KEPT
    result = CheckResult()
    # Identical rows seen so far, by a short digest of the row (and by its legacy digest):
    # bounded by the row limit.
    seen: dict[bytes, int] = {}
    seen_legacy: dict[bytes, int] = {}
    chunk: list[CheckedRow] = []
    for row in read_export(
        file,
        file_format=file_format,
        now=now,
        text_max_length=settings.FEEDBACK_TEXT_MAX_LENGTH,
        max_rows=settings.FFT_UPLOAD_MAX_ROWS,
    ):
        result.rows += 1
        if isinstance(row, RowProblem):
            result.bad_rows += 1
            if len(result.errors) < kept:
                result.errors.append({"line": row.line, "messages": list(row.messages)})
        elif not row.is_fft and not row.text:
            # Another question's answer with no comment: nothing to read, nothing to count.
            result.other_skipped += 1
        elif not result.bad_rows:
            if row.is_fft:
                result.fft_rows += 1
            else:
                result.other_rows += 1
            chunk.append(
                CheckedRow(
                    digest=_nth_digest(row_digest, organisation_id, row, seen),
                    received_at=row.received_at,
                    rating=row.rating,
                    question=row.question,
                    text=row.text,
                    service_type=row.service_type,
                    legacy=_nth_digest(legacy_row_digest, organisation_id, row, seen_legacy)
                    if row.is_fft
                    else "",
                )
            )
            if len(chunk) >= chunk_rows:
                write_chunk(checked, chunk)
                chunk = []
        if progress is not None and result.rows % PROGRESS_EVERY == 0:
            progress(result.rows)
    if chunk and not result.bad_rows:
        write_chunk(checked, chunk)
    return result


def _nth_digest(digest: Any, organisation_id: int, row: FftRow, seen: dict[bytes, int]) -> str:
    """The row's digest, counting the identical rows before it in the file (``seen``)."""
    first: str = digest(organisation_id, row, 0)
    key = bytes.fromhex(first[:32])
    occurrence = seen.get(key, 0)
    seen[key] = occurrence + 1
    return first if not occurrence else str(digest(organisation_id, row, occurrence))


# --- Saving ----------------------------------------------------------------------------------


def _item(organisation: Organisation, row: CheckedRow) -> Feedback:
    trust = organisation.kind == OrganisationKind.TRUST
    return Feedback(
        kind=Kind.COMPLIMENT if row.rating in POSITIVE else Kind.SUGGESTION,
        channel=Channel.FFT_IMPORT,
        service_type=row.service_type,
        # A trust's answers are about its own care; an ICB's about services it commissions,
        # in its area (routing then takes each to the queue that should read it).
        provider=organisation if trust else None,
        area=organisation.icb if trust else organisation,
        question=row.question,
        fft_rating=row.rating,
        text=row.text,
        received_at=row.received_at,
        submission_key=row.digest,
    )


def fft_rows_save(*, upload: FftUpload, rows: Sequence[CheckedRow]) -> tuple[list[int], int]:
    """Save one chunk of checked rows as items of the upload's organisation, in one transaction
    with their audit rows and the upload's progress; returns the ids added (oldest first) and
    how many rows were held already (before this upload). The analysis messages go once it is
    committed."""
    keys = [row.digest for row in rows]
    with transaction.atomic():
        # Answers saved before the digest took the response ID and the site are held already
        # under the digest they were saved with.
        legacy = [row.legacy for row in rows if row.legacy]
        legacy_held = (
            set(
                Feedback.objects.filter(submission_key__in=legacy).values_list(
                    "submission_key", flat=True
                )
            )
            if legacy
            else set()
        )
        fresh = [row for row in rows if row.legacy not in legacy_held] if legacy_held else rows
        added_keys: list[tuple[int, str]] = []
        if fresh and connection.vendor == "postgresql":
            added_keys = _insert_postgresql(upload, fresh)
        elif fresh:
            added_keys = _insert_portable(upload, fresh)
        added = [pk for pk, _ in added_keys]
        held = set(keys) - {key for _, key in added_keys}
        # A second attempt at this upload (its worker died) finds what the first one saved:
        # those rows were added by this upload, not held before it.
        ours = (
            AuditEvent.objects.filter(
                action="submitted",
                detail__fft_upload=upload.pk,
                feedback__submission_key__in=held,
            ).count()
            if held and upload.attempts > 1
            else 0
        )
        FftUpload.objects.filter(pk=upload.pk).update(
            rows_saved=F("rows_saved") + len(rows),
            rows_added=F("rows_added") + len(added) + ours,
            rows_duplicate=F("rows_duplicate") + len(held) - ours,
            claimed_at=timezone.now(),
        )
        transaction.on_commit(lambda: enqueue_analysis_batches(added))
    return added, len(held) - ours


def _submitted(upload: FftUpload, feedback_id: int | None = None) -> AuditEvent:
    """The audit row of an item the upload added, as intake writes one for every item."""
    return AuditEvent(
        feedback_id=feedback_id,
        actor_id=upload.uploaded_by_id,
        action="submitted",
        to_value=Status.RECEIVED,
        detail={"channel": Channel.FFT_IMPORT, "fft_upload": upload.pk},
    )


def _insert_portable(upload: FftUpload, rows: Sequence[CheckedRow]) -> list[tuple[int, str]]:
    """The rows not held yet, inserted with their audit rows through the ORM (SQLite, for
    ``make run``); (id, digest) of those added. Call inside a transaction."""
    # One chunk of an organisation's uploads at a time: what is held is read, and the rest
    # inserted, with no other upload of the organisation in between.
    Organisation.objects.select_for_update().filter(pk=upload.organisation_id).first()
    keys = [row.digest for row in rows]
    held = set(
        Feedback.objects.filter(submission_key__in=keys).values_list("submission_key", flat=True)
    )
    new = [row for row in rows if row.digest not in held]
    # ignore_conflicts: whatever else inserted one of these keys meanwhile, it is not added
    # twice (no such path exists; the unique column is the guarantee).
    Feedback.objects.bulk_create(
        [_item(upload.organisation, row) for row in new], ignore_conflicts=True
    )
    added = list(
        Feedback.objects.filter(submission_key__in=[row.digest for row in new])
        .order_by("received_at", "pk")
        .values_list("pk", "submission_key")
    )
    audit_record_all(_submitted(upload, pk) for pk, _ in added)
    return [(pk, str(key)) for pk, key in added]


# What differs from one answer to the next; every other column is the same for a whole upload.
_VARYING = {
    "tracking_token": "text",
    "kind": "text",
    "service_type": "text",
    "question": "text",
    "fft_rating": "smallint",
    "text": "text",
    "received_at": "timestamptz",
    "submission_key": "text",
}


def _constant_columns(model: Any, instance: Any, varying: dict[str, str]) -> tuple[Any, ...]:
    """(columns, what to select for each, the values of the constant ones) of ``model``'s table
    for a row like ``instance``: ``v.<name>`` for a varying column, a parameter for the rest,
    prepared as the ORM would save it."""
    quote = connection.ops.quote_name
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    ]
    columns, selected, params = [], [], []
    for f in fields:
        columns.append(quote(f.column))
        if f.attname in varying:
            selected.append(varying[f.attname])
        else:
            selected.append("%s")
            params.append(f.get_db_prep_save(getattr(instance, f.attname), connection))
    return columns, selected, params


def _insert_postgresql(upload: FftUpload, rows: Sequence[CheckedRow]) -> list[tuple[int, str]]:
    """The rows not held yet, with their audit rows, in one statement (PostgreSQL); (id, digest)
    of those added, oldest first.

    ``INSERT ... ON CONFLICT (submission_key) DO NOTHING RETURNING`` says exactly which rows
    went in, whatever else is inserting at the same time, and the audit rows are written from
    what it returns. The rows travel as a VALUES list of the columns that differ; the columns
    that do not (the organisation, the channel, every default) are given once. The ORM's
    bulk_create spent most of an upload's time building a statement of all ~70 columns per row.
    """
    from psycopg2.extras import execute_values

    quote = connection.ops.quote_name
    columns, selected, params = _constant_columns(
        Feedback,
        _item(upload.organisation, rows[0]),
        {name: f"v.{quote(name)}" for name in _VARYING},
    )
    audit_columns, audit_selected, audit_params = _constant_columns(
        AuditEvent, _submitted(upload), {"feedback_id": "added.id"}
    )
    values_here = "__FFT_ROWS__"
    # Only the models' own table and column names go into the text; every value is bound.
    statement = (
        f"WITH added AS (INSERT INTO {quote(Feedback._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM (VALUES {values_here}) "
        f"AS v ({', '.join(quote(name) for name in _VARYING)}) "
        f"ON CONFLICT ({quote('submission_key')}) DO NOTHING "
        f"RETURNING id, submission_key, received_at), "
        f"audited AS (INSERT INTO {quote(AuditEvent._meta.db_table)} "
        f"({', '.join(audit_columns)}) SELECT {', '.join(audit_selected)} FROM added) "
        f"SELECT id, submission_key FROM added ORDER BY received_at, id"
    )
    template = "(" + ", ".join(f"%s::{kind}" for kind in _VARYING.values()) + ")"
    values = [
        (
            new_tracking_token(),
            str(Kind.COMPLIMENT if row.rating in POSITIVE else Kind.SUGGESTION),
            row.service_type,
            row.question,
            row.rating,
            row.text,
            row.received_at,
            row.digest,
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        # The constants bound here, then the rows by execute_values (which reads %s itself).
        bound = cursor.mogrify(statement, [*params, *audit_params]).decode()
        bound = bound.replace("%", "%%").replace(values_here, "%s")
        added = execute_values(
            cursor.cursor, bound, values, template=template, page_size=len(values), fetch=True
        )
    return [(int(pk), str(key)) for pk, key in added]


def enqueue_analysis_batches(ids: Sequence[int]) -> None:
    """One analysis message per ANALYSIS_BATCH_SIZE items (each message claims a whole batch),
    on the bulk queue. A broker that is down loses nothing: the periodic requeue sends what is
    still queued."""
    from feedback.tasks import analyse_feedback

    step = settings.ANALYSIS_BATCH_SIZE
    try:
        for first in ids[::step]:
            analyse_feedback.apply_async((first,), queue=settings.ANALYSIS_BULK_QUEUE, retry=False)
    except Exception:
        logger.warning(
            "could not enqueue the analysis of %d uploaded FFT items; the periodic requeue "
            "will send them",
            len(ids),
            exc_info=True,
        )
