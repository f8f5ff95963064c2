"""Reading an export and streaming it out: the server-side cursor and its reader thread, then CSV
and NDJSON in chunks, with the audit row finished when the stream ends.

The rows are read a chunk at a time, so an export of any length holds a few chunks in memory
(the one being encoded and those read ahead).
"""

from __future__ import annotations

import gc
import json
import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

import orjson
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

from analytics.audit import export_audit_finish
from analytics.exports.query import EXPORT_COLUMNS, ROW_FIELDS, ROW_PICK
from analytics.models import ExportAudit

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Rows fetched per database round trip, and so the most held in memory at once.
EXPORT_CHUNK_SIZE = 2000
# Rows written before a chunk of the response is handed to the server (about 0.5 MB of CSV):
# fewer, larger chunks cost less per row on the way out.
STREAM_FLUSH_ROWS = 1000


def iterate_values(
    values: QuerySet[Any], chunk_size: int = EXPORT_CHUNK_SIZE
) -> Iterator[Sequence[Any]]:
    """Every row of an export's ``values()`` queryset, as a tuple in ``ROW_FIELDS`` order, a chunk
    at a time.

    On PostgreSQL the compiled SQL runs on a server-side cursor of its own and rows are read raw:
    psycopg2 already gives the Python types the export needs, and skipping Django's per-row
    converters is most of the difference between 30,000 and 60,000 rows a second. A reader thread
    fetches the next chunk while this one is turned into export rows, so the database computes
    rows on one CPU while Python encodes them on another. Elsewhere (SQLite on a laptop) Django's
    own iterator does the job.
    """
    if connection.vendor != "postgresql":
        for value in values.iterator(chunk_size=chunk_size):
            yield ROW_PICK(value)
        return
    query = values.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    order = [names.index(name) for name in ROW_FIELDS]
    pick = None if order == list(range(len(names))) else itemgetter(*order)
    sql, params = query.sql_with_params()
    # Inside a transaction the server-side cursor streams: rows are computed as they are fetched.
    # Outside one, Django declares it WITH HOLD, and PostgreSQL computes and stores the whole
    # result before the first row leaves.
    with transaction.atomic(using=values.db), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        chunks = _read_ahead(cursor.cursor.fetchmany, chunk_size)
        try:
            for rows in chunks:
                if pick is None:
                    yield from rows
                else:
                    yield from map(pick, rows)
        finally:
            # The reader stops before the cursor and the transaction close.
            chunks.close()


# Chunks read ahead of the one being encoded: enough to keep the database busy, few enough to
# keep memory flat (each is EXPORT_CHUNK_SIZE rows).
READ_AHEAD_CHUNKS = 2
_END = object()


class _Failure(NamedTuple):
    error: BaseException


def _read_ahead(fetch: Callable[[int], list[Any]], size: int) -> Generator[list[Any], None, None]:
    """The chunks ``fetch(size)`` returns, read by a thread of their own.

    psycopg2 lets go of the interpreter lock while it waits for the server, so the next chunk is
    computed and sent while the caller works on this one. Only the reader touches the cursor
    until the last chunk is in or the caller stops; closing this generator stops and joins it.
    """
    chunks: queue.Queue[Any] = queue.Queue(maxsize=READ_AHEAD_CHUNKS)
    stop = threading.Event()

    def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            while not stop.is_set():
                rows = fetch(size)
                if not rows:
                    hand_over(_END)
                    return
                if not hand_over(rows):
                    return
        except BaseException as exc:  # handed to the caller, which raises it
            hand_over(_Failure(exc))

    thread = threading.Thread(target=reader, name="export-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


def _close(rows: Iterable[Any]) -> None:
    # End the read (and its transaction) before the audit row is updated, also when the client
    # went away half way: the update must not run inside a transaction that rolls back.
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _finish(audit: ExportAudit, count: int, completed: bool) -> None:
    try:
        export_audit_finish(audit=audit, row_count=count, completed=completed)
    except DatabaseError:
        # The rows went out; losing the final count must not turn into a broken download.
        # The audit row itself was written before the first row and still says who and what.
        logger.exception("could not record the end of export %s", audit.pk)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an export streams.

    An export allocates millions of short-lived tuples and lists; the chunks in flight outlive a
    young collection or two, get promoted, and so set off full collections that walk every object
    in the process: measured at a quarter of a million-row export's CPU time. Nothing an export
    makes holds a reference cycle, so reference counting frees it all the same. The collector is
    switched back on at the end only if it was on at the start (a second export running in
    another thread leaves that to the first).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def stream_csv_lines(lines: Iterable[str], *, audit: ExportAudit) -> Iterator[bytes]:
    """CSV with a header row, in chunks, from lines of ``csv_line`` or
    ``ExportRowBuilder.csv_lines``; the audit row gets the count when the stream ends."""
    header = ",".join(EXPORT_COLUMNS) + "\r\n"
    count = 0
    completed = False
    try:
        with _collector_paused():
            for batch in _batched(lines, STREAM_FLUSH_ROWS):
                batch.append("")
                if count == 0:
                    batch[0] = header + batch[0]
                count += len(batch) - 1
                yield "\r\n".join(batch).encode()
        if count == 0:
            yield header.encode()
        completed = True
    finally:
        _close(lines)
        _finish(audit, count, completed)


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json_line(record: dict[str, Any]) -> bytes:
    """One record as a JSON object: orjson, which writes what the standard library's encoder
    writes (compact, UTF-8, keys in order) except floats outside [1e-4, 1e16), which go to the
    latter."""
    confidence = record["sentiment_confidence"]
    if confidence is None or confidence == 0 or 1e-4 <= abs(confidence) < 1e16:
        return orjson.dumps(record)
    return _json_encode(record).encode()


def stream_ndjson(
    rows: Iterable[dict[str, Any] | tuple[Any, ...]], *, audit: ExportAudit
) -> Iterator[bytes]:
    """One JSON object per line (newline-delimited JSON), in chunks, from
    ``ExportRowBuilder.records`` (or tuples in ``EXPORT_COLUMNS`` order)."""
    columns = EXPORT_COLUMNS
    count = 0
    completed = False
    lines: list[bytes] = []
    flush_every = STREAM_FLUSH_ROWS
    try:
        with _collector_paused():
            # Each row is encoded as soon as it is built, while its values are in the CPU's cache.
            for row in rows:
                record = row if isinstance(row, dict) else dict(zip(columns, row, strict=True))
                lines.append(_json_line(record))
                if len(lines) == flush_every:
                    count += len(lines)
                    lines.append(b"")
                    yield b"\n".join(lines)
                    lines = []
            if lines:
                count += len(lines)
                lines.append(b"")
                yield b"\n".join(lines)
        completed = True
    finally:
        _close(rows)
        _finish(audit, count, completed)
