"""Reads for the regulator API: what a token may see, pseudonymised export rows, aggregates.

Every queryset a regulator token sees is scoped here, in ``feedback_visible_to_token``. An export
is one query (themes by a correlated subquery, the writer's identity by a join, days formatted by
the database) read a chunk at a time from a server-side cursor, so an export of any length holds
a few chunks in memory (the one being encoded and those read ahead). A row never carries a
direct identifier: the item's key becomes a keyed pseudonym, the free text is redacted (with the
writer's own identity as well as by pattern), and staff free text (responses, reasons, routing
evidence) is left out altogether.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

import orjson
from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, Count, Exists, F, Func, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate, TruncMonth
from django.utils import timezone

from analytics.audit import export_audit_finish
from analytics.models import ApiToken, ExportAudit
from analytics.pseudonym import pseudonymiser
from analytics.redaction import IdentityTerms, redact
from feedback.choices import OrganisationKind, RiskFlag, Status
from feedback.clocks import KINDS_WITH_CLOCKS, LONDON
from feedback.models import Feedback, FeedbackTheme, Organisation
from feedback.selectors import answered_on_time_q

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Rows fetched per database round trip, and so the most held in memory at once.
EXPORT_CHUNK_SIZE = 2000
# Rows written before a chunk of the response is handed to the server (about 0.5 MB of CSV):
# fewer, larger chunks cost less per row on the way out.
STREAM_FLUSH_ROWS = 1000
CLOCKED_KINDS = tuple(KINDS_WITH_CLOCKS)


# --- Who sees what ---------------------------------------------------------------------------


def token_is_national(token: ApiToken) -> bool:
    """CQC and national clients (NHS England, national analysts) see every organisation."""
    return token.sees_england


def feedback_visible_to_token(token: ApiToken) -> QuerySet[Feedback]:
    """The items a token may export: the one scoping rule, as staff are scoped."""
    return Feedback.objects.visible_to(token)


def organisations_reported_by_token(token: ApiToken) -> QuerySet[Organisation]:
    """The organisations whose KO41 returns the token may read: trusts and ICBs in its scope."""
    orgs = Organisation.objects.filter(kind__in=[OrganisationKind.TRUST, OrganisationKind.ICB])
    if token_is_national(token):
        return orgs
    org = token.organisation
    if org.kind == OrganisationKind.ICB:
        return orgs.filter(Q(pk=org.pk) | Q(icb_id=org.pk))
    return orgs.filter(pk=org.pk)


# --- Filters ---------------------------------------------------------------------------------


RISK_FIELDS = {
    RiskFlag.SAFEGUARDING: "risk_safeguarding",
    RiskFlag.MENTAL_HEALTH_ACT: "risk_mental_health_act",
    RiskFlag.SERIOUS_RISK: "risk_serious",
}


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight in England at the start of ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


@dataclass(frozen=True)
class ExportFilters:
    """What a client asked for. Dates are days in England, both ends included."""

    received_from: dt.date | None = None
    received_to: dt.date | None = None
    organisation: Organisation | None = None
    route: str = ""
    kind: str = ""
    status: str = ""
    sentiment: int | None = None
    sentiment_label: str = ""
    theme: str = ""
    risk: str = ""

    def for_audit(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "received_from": self.received_from.isoformat() if self.received_from else None,
            "received_to": self.received_to.isoformat() if self.received_to else None,
            "organisation": self.organisation.ods_code if self.organisation else None,
            "route": self.route,
            "kind": self.kind,
            "status": self.status,
            "sentiment": self.sentiment,
            "sentiment_label": self.sentiment_label,
            "theme": self.theme,
            "risk": self.risk,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


def feedback_filter(items: QuerySet[Feedback], filters: ExportFilters) -> QuerySet[Feedback]:
    if filters.received_from is not None:
        items = items.filter(received_at__gte=start_of_day(filters.received_from))
    if filters.received_to is not None:
        items = items.filter(
            received_at__lt=start_of_day(filters.received_to + dt.timedelta(days=1))
        )
    if filters.organisation is not None:
        org_id = filters.organisation.pk
        items = items.filter(Q(provider_id=org_id) | Q(handled_by_id=org_id))
    for name in ("route", "kind", "status", "sentiment_label"):
        value = getattr(filters, name)
        if value:
            items = items.filter(**{name: value})
    if filters.sentiment is not None:
        items = items.filter(sentiment=filters.sentiment)
    if filters.theme:
        items = items.filter(
            Exists(FeedbackTheme.objects.filter(feedback_id=OuterRef("pk"), theme=filters.theme))
        )
    if filters.risk:
        items = items.filter(**{RISK_FIELDS[RiskFlag(filters.risk)]: True})
    return items


# --- Export rows -----------------------------------------------------------------------------

EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "received_date",
    "kind",
    "channel",
    "service_type",
    "provider_ods_code",
    "provider_name",
    "handled_by_ods_code",
    "handled_by_name",
    "handled_by_kind",
    "icb_ods_code",
    "icb_name",
    "status",
    "acknowledge_due",
    "acknowledged_date",
    "response_due",
    "responded_date",
    "responded_within_target",
    "statutory_due",
    "agreed_due",
    "paused_days",
    "closed_date",
    "resolved_date",
    "withdrawn_date",
    "analysis_state",
    "sentiment",
    "sentiment_label",
    "sentiment_confidence",
    "themes",
    "risk_flags",
    "model_version",
    "needs_review",
    "route",
    "route_rule",
    "outcome",
    "ko41_subjects",
    "ko41_service_area",
    "ko41_profession",
    "fft_rating",
    "question",
    "text",
)

_PLACE_NAMES = EXPORT_COLUMNS[5:12]  # provider_ods_code ... icb_name

_THEME_TABLE = FeedbackTheme._meta.db_table


class _ThemesJoined(Func):
    """The item's themes, best first, joined with ";": one correlated subquery on the theme
    table's feedback index, so the export needs no second query per chunk."""

    output_field = CharField()
    template = (
        # The table name comes from the model, never from a request.
        f"(SELECT string_agg(t.theme, ';' ORDER BY t.score DESC, t.theme) FROM {_THEME_TABLE} t "  # noqa: S608
        "WHERE t.feedback_id = %(expressions)s)"
    )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite before 3.44 has no ORDER BY inside an aggregate: order a subquery instead.
        template = (
            f"(SELECT group_concat(theme, ';') FROM (SELECT t.theme FROM {_THEME_TABLE} t "  # noqa: S608
            "WHERE t.feedback_id = %(expressions)s ORDER BY t.score DESC, t.theme))"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def _day(expression: Any) -> Cast:
    # Days leave the database as ISO text: cheaper than date objects turned into text in Python,
    # and ISO dates still compare correctly as strings.
    return Cast(expression, CharField())


# Moments become days in England in the database.
_DATE_OF = {
    "received_date": "received_at",
    "acknowledged_date": "acknowledged_at",
    "responded_date": "responded_at",
    "closed_date": "closed_at",
    "resolved_date": "resolved_at",
    "withdrawn_date": "withdrawn_at",
}
_DAYS = ("acknowledge_due", "response_due", "statutory_due", "agreed_due")
_VALUE_FIELDS = (
    "id",
    "kind",
    "channel",
    "service_type",
    "provider_id",
    "area_id",
    "handled_by_id",
    "status",
    "paused_days",
    "analysis_state",
    "sentiment",
    "sentiment_label",
    "sentiment_confidence",
    "risk_safeguarding",
    "risk_mental_health_act",
    "risk_serious",
    "model_version",
    "needs_review",
    "route",
    "route_rule",
    "outcome",
    "ko41_service_area",
    "ko41_profession",
    "fft_rating",
    "question",
    "text",
    # Redacted once, when the worker analysed the item (analytics.redaction); "" for items from
    # before that, which are redacted here as they stream.
    "text_redacted",
    # Read only to redact the writer's own details from their text; never exported.
    "identity__name",
    "identity__email",
    "identity__phone",
    "identity__nhs_number",
)
# The JSON pages go forward by received time; the key breaks ties but never leaves the service.
EXPORT_ORDERING = ("received_at", "id")
# What ``ExportRowBuilder.row`` reads, in this order.
ROW_FIELDS: tuple[str, ...] = (
    *_VALUE_FIELDS,
    *_DATE_OF,
    *(f"{name}_day" for name in _DAYS),
    "themes_joined",
    "ko41_subjects_json",
)
_ROW_PICK = itemgetter(*ROW_FIELDS)


def feedback_export_values(
    token: ApiToken, filters: ExportFilters, *, for_pages: bool = False
) -> QuerySet[Any]:
    """The rows of an export as dicts of database values, oldest first.

    ``for_pages`` adds the received moment, which cursor pagination needs to find its place.
    """
    computed: dict[str, Any] = {
        name: _day(TruncDate(source, tzinfo=LONDON)) for name, source in _DATE_OF.items()
    }
    computed.update({f"{name}_day": _day(F(name)) for name in _DAYS})
    computed["themes_joined"] = _ThemesJoined("pk")
    # As JSON text: most items have no subjects, and "[]" is cheaper to recognise than to parse.
    computed["ko41_subjects_json"] = Cast("ko41_subjects", TextField())
    fields = (*_VALUE_FIELDS, "received_at") if for_pages else _VALUE_FIELDS
    return (
        feedback_filter(feedback_visible_to_token(token), filters)
        .values(*fields, **computed)
        .order_by(*EXPORT_ORDERING)
    )


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
            yield _ROW_PICK(value)
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


class _Org(NamedTuple):
    ods_code: str
    name: str
    kind: str
    icb_id: int | None


@lru_cache(maxsize=256)
def _redact_question(question: str) -> str:
    # Questions repeat (the FFT question): redact each once.
    return redact(question)


_SAFEGUARDING = RiskFlag.SAFEGUARDING.value
_MENTAL_HEALTH_ACT = RiskFlag.MENTAL_HEALTH_ACT.value
_SERIOUS_RISK = RiskFlag.SERIOUS_RISK.value


@dataclass
class ExportRowBuilder:
    """Turns database rows into export rows: tuples in ``EXPORT_COLUMNS`` order."""

    pseudonym: Callable[[int], str] = field(default_factory=pseudonymiser)
    _orgs: dict[int, _Org] = field(default_factory=dict, init=False)
    _places: dict[tuple[int | None, int | None, int | None], tuple[Any, ...]] = field(
        default_factory=dict, init=False
    )
    _place_cells: dict[tuple[int | None, int | None, int | None], str] = field(
        default_factory=dict, init=False
    )
    _place_records: dict[tuple[int | None, int | None, int | None], dict[str, Any]] = field(
        default_factory=dict, init=False
    )

    def __post_init__(self) -> None:
        # The whole directory is a few hundred rows: cheaper than five joins per exported row.
        self._orgs = {
            pk: _Org(ods, name, kind, icb_id)
            for pk, ods, name, kind, icb_id in Organisation.objects.values_list(
                "pk", "ods_code", "name", "kind", "icb_id"
            )
        }

    def _place(
        self, provider_id: int | None, area_id: int | None, handled_by_id: int | None
    ) -> tuple[Any, ...]:
        key = (provider_id, area_id, handled_by_id)
        cached = self._places.get(key)
        if cached is not None:
            return cached
        orgs = self._orgs
        provider = orgs.get(provider_id) if provider_id else None
        handler = orgs.get(handled_by_id) if handled_by_id else None
        icb: _Org | None = None
        if provider is not None and provider.icb_id:
            icb = orgs.get(provider.icb_id)
        elif area_id:
            icb = orgs.get(area_id)
        elif handler is not None and handler.kind == OrganisationKind.ICB:
            icb = handler
        elif handler is not None and handler.icb_id:
            icb = orgs.get(handler.icb_id)
        place = (
            provider.ods_code if provider else None,
            provider.name if provider else None,
            handler.ods_code if handler else None,
            handler.name if handler else None,
            handler.kind if handler else None,
            icb.ods_code if icb else None,
            icb.name if icb else None,
        )
        self._places[key] = place
        return place

    def _csv_place(
        self, provider_id: int | None, area_id: int | None, handled_by_id: int | None
    ) -> str:
        """The seven place cells as CSV: neutralised and quoted as ``csv_line`` does."""
        cells = []
        for column, value in zip(
            _PLACE_COLUMNS, self._place(provider_id, area_id, handled_by_id), strict=True
        ):
            cell = "" if value is None else str(value)
            if cell and column in _CSV_TEXT and cell[0] in _RISKY_FIRST:
                cell = csv_safe(cell)
            cells.append(_csv_quoted(cell))
        encoded = ",".join(cells)
        self._place_cells[(provider_id, area_id, handled_by_id)] = encoded
        return encoded

    def rows(self, values: Iterable[Sequence[Any] | dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        """Export rows from ``iterate_values`` tuples, or from ``values()`` dicts."""
        row = self.row
        pick = _ROW_PICK
        try:
            for value in values:
                yield row(pick(value) if isinstance(value, dict) else value)
        finally:
            # Stop the read (and end its transaction) as soon as the rows are no longer wanted.
            close = getattr(values, "close", None)
            if close is not None:
                close()

    def row(self, v: Sequence[Any]) -> tuple[Any, ...]:
        """One export row from the values of ``ROW_FIELDS``, in that order."""
        return tuple(self.record(v).values())

    def records(self, values: Iterable[Sequence[Any] | dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``rows`` as dicts keyed by ``EXPORT_COLUMNS``: what JSON pages and NDJSON write."""
        record = self.record
        pick = _ROW_PICK
        try:
            for value in values:
                yield record(pick(value) if isinstance(value, dict) else value)
        finally:
            close = getattr(values, "close", None)
            if close is not None:
                close()

    def record(self, v: Sequence[Any]) -> dict[str, Any]:
        """One export row as a dict in ``EXPORT_COLUMNS`` order, from the values of
        ``ROW_FIELDS``."""
        (
            pk,
            kind,
            channel,
            service_type,
            provider_id,
            area_id,
            handled_by_id,
            status,
            paused_days,
            analysis_state,
            sentiment,
            sentiment_label,
            sentiment_confidence,
            risk_safeguarding,
            risk_mental_health_act,
            risk_serious,
            model_version,
            needs_review,
            route,
            route_rule,
            outcome,
            ko41_service_area,
            ko41_profession,
            fft_rating,
            question,
            text,
            text_redacted,
            identity_name,
            identity_email,
            identity_phone,
            identity_nhs_number,
            received_date,
            acknowledged_date,
            responded_date,
            closed_date,
            resolved_date,
            withdrawn_date,
            acknowledge_due,
            response_due,
            statutory_due,
            agreed_due,
            themes,
            ko41_subjects,
        ) = v
        place = self._place_records.get((provider_id, area_id, handled_by_id))
        if place is None:
            place = dict(
                zip(_PLACE_NAMES, self._place(provider_id, area_id, handled_by_id), strict=True)
            )
            self._place_records[(provider_id, area_id, handled_by_id)] = place
        if risk_safeguarding or risk_mental_health_act or risk_serious:
            risks = []
            if risk_safeguarding:
                risks.append(_SAFEGUARDING)
            if risk_mental_health_act:
                risks.append(_MENTAL_HEALTH_ACT)
            if risk_serious:
                risks.append(_SERIOUS_RISK)
        else:
            risks = []
        return {
            "id": self.pseudonym(pk),
            "received_date": received_date,
            "kind": kind,
            "channel": channel,
            "service_type": service_type or None,
            **place,
            "status": status,
            "acknowledge_due": acknowledge_due,
            "acknowledged_date": acknowledged_date,
            "response_due": response_due,
            "responded_date": responded_date,
            "responded_within_target": (
                (responded_date <= response_due) if responded_date and response_due else None
            ),
            "statutory_due": statutory_due,
            "agreed_due": agreed_due,
            "paused_days": paused_days,
            "closed_date": closed_date,
            "resolved_date": resolved_date,
            "withdrawn_date": withdrawn_date,
            "analysis_state": analysis_state,
            "sentiment": sentiment,
            "sentiment_label": sentiment_label or None,
            "sentiment_confidence": sentiment_confidence,
            "themes": themes.split(";") if themes else [],
            "risk_flags": risks,
            "model_version": model_version or None,
            "needs_review": needs_review,
            "route": route or None,
            "route_rule": route_rule or None,
            "outcome": outcome or None,
            "ko41_subjects": (
                []
                if not ko41_subjects or ko41_subjects == "[]"
                else list(json.loads(ko41_subjects) or ())
            ),
            "ko41_service_area": ko41_service_area or None,
            "ko41_profession": ko41_profession or None,
            "fft_rating": fft_rating,
            "question": _redact_question(question) if question else None,
            "text": text_redacted
            or redact(
                text,
                # A LEFT JOIN: the name is None when the item has no Identity row.
                None
                if identity_name is None
                else IdentityTerms(
                    identity_name, identity_email, identity_phone, identity_nhs_number
                ),
            ),
        }

    # The same rows, encoded on the way: the streaming exports' path. Each line is exactly what
    # ``csv_line(row(v))`` or the JSON encoder of ``row(v)`` gives (tests hold them to it), built
    # without the intermediate tuple, with each place's cells encoded once.

    def csv_lines(self, values: Iterable[Sequence[Any] | dict[str, Any]]) -> Iterator[str]:
        """CSV lines (without line ends) for ``iterate_values`` tuples or ``values()`` dicts."""
        pseudonym = self.pseudonym
        place_cells = self._place_cells
        pick = _ROW_PICK
        risky = _RISKY_FIRST
        try:
            for value in values:
                v = pick(value) if isinstance(value, dict) else value
                (
                    pk,
                    kind,
                    channel,
                    service_type,
                    provider_id,
                    area_id,
                    handled_by_id,
                    status,
                    paused_days,
                    analysis_state,
                    sentiment,
                    sentiment_label,
                    sentiment_confidence,
                    risk_safeguarding,
                    risk_mental_health_act,
                    risk_serious,
                    model_version,
                    needs_review,
                    route,
                    route_rule,
                    outcome,
                    ko41_service_area,
                    ko41_profession,
                    fft_rating,
                    question,
                    text,
                    text_redacted,
                    identity_name,
                    identity_email,
                    identity_phone,
                    identity_nhs_number,
                    received_date,
                    acknowledged_date,
                    responded_date,
                    closed_date,
                    resolved_date,
                    withdrawn_date,
                    acknowledge_due,
                    response_due,
                    statutory_due,
                    agreed_due,
                    themes,
                    ko41_subjects,
                ) = v
                place = place_cells.get((provider_id, area_id, handled_by_id))
                if place is None:
                    place = self._csv_place(provider_id, area_id, handled_by_id)
                if themes and themes[0] in risky:
                    themes = csv_safe(themes)
                if not ko41_subjects or ko41_subjects == "[]":
                    subjects = ""
                else:
                    subjects = ";".join(json.loads(ko41_subjects) or ())
                    if subjects and subjects[0] in risky:
                        subjects = csv_safe(subjects)
                if model_version and model_version[0] in risky:
                    model_version = csv_safe(model_version)
                if route_rule and route_rule[0] in risky:
                    route_rule = csv_safe(route_rule)
                within = (
                    ("true" if responded_date <= response_due else "false")
                    if responded_date and response_due
                    else ""
                )
                risks = _RISK_CELL[risk_safeguarding, risk_mental_health_act, risk_serious]
                front = (
                    f"{pseudonym(pk)},{received_date or ''},{kind or ''},{channel or ''},"
                    f"{service_type or ''}"
                )
                back = (
                    f"{status or ''},{acknowledge_due or ''},{acknowledged_date or ''},"
                    f"{response_due or ''},{responded_date or ''},{within},"
                    f"{statutory_due or ''},{agreed_due or ''},"
                    f"{'' if paused_days is None else paused_days},{closed_date or ''},"
                    f"{resolved_date or ''},{withdrawn_date or ''},{analysis_state or ''},"
                    f"{'' if sentiment is None else sentiment},{sentiment_label or ''},"
                    f"{'' if sentiment_confidence is None else sentiment_confidence},"
                    f"{themes or ''},{risks},{model_version or ''},"
                    f"{_BOOLEAN_CELL[needs_review]},{route or ''},{route_rule or ''},"
                    f"{outcome or ''},{subjects},{ko41_service_area or ''},{ko41_profession or ''},"
                    f"{'' if fft_rating is None else fft_rating}"
                )
                codes = front + back
                if (
                    codes.count(",") != _CODE_COMMAS
                    or '"' in codes
                    or "\n" in codes
                    or "\r" in codes
                ):
                    # A code or a date with a comma, a quote or a line break in it: never written
                    # by this service, but the generic path quotes it as the csv module would.
                    yield csv_line(self.row(v))
                    continue
                question = _redact_question(question) if question else ""
                if question and question[0] in risky:
                    question = csv_safe(question)
                text = text_redacted or redact(
                    text,
                    None
                    if identity_name is None
                    else IdentityTerms(
                        identity_name, identity_email, identity_phone, identity_nhs_number
                    ),
                )
                if text and text[0] in risky:
                    text = csv_safe(text)
                yield f"{front},{place},{back},{_csv_quoted(question)},{_csv_quoted(text)}"
        finally:
            close = getattr(values, "close", None)
            if close is not None:
                close()


# --- Streaming formats -----------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = frozenset("=+-@\t\r\n")
_FORMULA_AFTER_SPACE = frozenset("=+-@")


def csv_safe(value: str) -> str:
    """The cell prefixed with an apostrophe when a spreadsheet would run it as a formula."""
    if value and (
        value[0] in _FORMULA_STARTS
        or (value[0] == " " and value.lstrip(" ")[:1] in _FORMULA_AFTER_SPACE)
    ):
        return "'" + value
    return value


_COLUMN = {name: i for i, name in enumerate(EXPORT_COLUMNS)}
_CSV_LISTS = tuple(_COLUMN[c] for c in ("themes", "risk_flags", "ko41_subjects"))
_CSV_BOOLEANS = tuple(_COLUMN[c] for c in ("responded_within_target", "needs_review"))
# Every text column whose value is not one of our own codes: anything typed by a person, or
# loaded from a directory, may start with "=".
_CSV_TEXT = tuple(
    _COLUMN[c]
    for c in (
        "provider_ods_code",
        "provider_name",
        "handled_by_ods_code",
        "handled_by_name",
        "icb_ods_code",
        "icb_name",
        "model_version",
        "route_rule",
        "question",
        "text",
    )
)
_RISKY_FIRST = _FORMULA_STARTS | {" "}


_THEMES_CELL, _RISKS_CELL, _SUBJECTS_CELL = _CSV_LISTS
_NUMBER_CELLS = tuple(
    _COLUMN[c] for c in ("paused_days", "sentiment", "sentiment_confidence", "fft_rating")
)
# The free text comes last, so the cells before it (codes, dates, names) are joined and checked
# in one go.
assert EXPORT_COLUMNS[-2:] == ("question", "text")  # noqa: S101
_HEAD_CELLS = len(EXPORT_COLUMNS) - 2
_HEAD_COMMAS = _HEAD_CELLS - 1


def _csv_list(values: list[str]) -> str:
    if not values:
        return ""
    joined = ";".join(values)
    return csv_safe(joined) if joined[0] in _RISKY_FIRST else joined


def _csv_quoted(value: str) -> str:
    """A cell as the csv module writes it (minimal quoting): in double quotes, with its own
    double quotes doubled, when it holds a comma, a double quote or a line break."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


# For ExportRowBuilder.csv_lines: the cells before the place (id ... service_type) and after it
# (status ... fft_rating) hold codes, dates and numbers, written without quotes when none
# of them has a comma, a quote or a line break in it.
_PLACE_COLUMNS = tuple(range(5, 12))
assert EXPORT_COLUMNS[4:13] == (  # noqa: S101
    "service_type",
    "provider_ods_code",
    "provider_name",
    "handled_by_ods_code",
    "handled_by_name",
    "handled_by_kind",
    "icb_ods_code",
    "icb_name",
    "status",
)
_CODE_COMMAS = (5 - 1) + (len(EXPORT_COLUMNS) - 12 - 2 - 1)
_BOOLEAN_CELL = {True: "true", False: "false", None: ""}
_RISK_CELL = {
    (safeguarding, mental_health_act, serious): ";".join(
        flag
        for flag, raised in (
            (_SAFEGUARDING, safeguarding),
            (_MENTAL_HEALTH_ACT, mental_health_act),
            (_SERIOUS_RISK, serious),
        )
        if raised
    )
    for safeguarding in (False, True)
    for mental_health_act in (False, True)
    for serious in (False, True)
}


def csv_line(row: tuple[Any, ...]) -> str:
    """A row as one line of CSV, exactly as ``csv.writer`` writes it, without its line end.

    Lists are joined with ";", booleans are true/false, None is an empty cell, and a cell a
    spreadsheet would run as a formula starts with an apostrophe. The csv module looks at every
    character on its own; here the checks are substring searches, which run in C.
    """
    cells = ["" if value is None else value for value in row]
    cells[_THEMES_CELL] = _csv_list(row[_THEMES_CELL])
    cells[_RISKS_CELL] = _csv_list(row[_RISKS_CELL])
    cells[_SUBJECTS_CELL] = _csv_list(row[_SUBJECTS_CELL])
    for i in _CSV_BOOLEANS:
        value = row[i]
        if value is not None:
            cells[i] = "true" if value else "false"
    for i in _NUMBER_CELLS:
        value = row[i]
        if value is not None:
            cells[i] = str(value)
    for i in _CSV_TEXT:
        value = cells[i]
        if value and value[0] in _RISKY_FIRST:
            cells[i] = csv_safe(value)
    head = ",".join(cells[:_HEAD_CELLS])
    if head.count(",") != _HEAD_COMMAS or '"' in head or "\n" in head or "\r" in head:
        head = ",".join([_csv_quoted(cell) for cell in cells[:_HEAD_CELLS]])
    return f"{head},{_csv_quoted(cells[-2])},{_csv_quoted(cells[-1])}"


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


def stream_csv(rows: Iterable[tuple[Any, ...]], *, audit: ExportAudit) -> Iterator[bytes]:
    """CSV of export rows (``ExportRowBuilder.rows``): see ``stream_csv_lines``."""
    return stream_csv_lines(_csv_lines_of(rows), audit=audit)


def _csv_lines_of(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    try:
        for row in rows:
            yield csv_line(row)
    finally:
        _close(rows)


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
    ``ExportRowBuilder.records`` (or ``rows``)."""
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


# --- Aggregates ------------------------------------------------------------------------------

AGGREGATE_DIMENSIONS: dict[str, Any] = {
    "organisation": "handled_by_id",
    "month": TruncMonth("received_at", tzinfo=LONDON),
    "kind": "kind",
    "theme": "themes__theme",
    "sentiment": "sentiment",
    "route": "route",
}
DEFAULT_GROUP_BY = ("organisation", "month")


def feedback_aggregates(
    token: ApiToken,
    filters: ExportFilters,
    group_by: Sequence[str],
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Counts and four-week compliance, grouped as asked.

    ``compliance`` is the share of complaints and concerns whose response was due or sent that
    were answered by their due date: responded on time / (responded + still open past the due
    date). Items not yet due and not yet answered do not count either way. With ``theme`` in the
    grouping an item counts once under each of its themes (items without a theme under null).
    """
    today = today or timezone.localdate()
    dims = [d for d in AGGREGATE_DIMENSIONS if d in group_by] or list(DEFAULT_GROUP_BY)
    keys = {f"g_{dim}": AGGREGATE_DIMENSIONS[dim] for dim in dims}
    clocked = Q(kind__in=CLOCKED_KINDS, response_due__isnull=False)
    responded = clocked & Q(responded_at__isnull=False)
    on_time = clocked & answered_on_time_q()
    overdue = (
        clocked & Q(responded_at__isnull=True, response_due__lt=today) & ~Q(status=Status.WITHDRAWN)
    )
    grouped = (
        feedback_filter(feedback_visible_to_token(token), filters)
        .annotate(**{k: F(v) if isinstance(v, str) else v for k, v in keys.items()})
        .values(*keys)
        .annotate(
            n=Count("id"),
            n_clocked=Count("id", filter=clocked),
            n_responded=Count("id", filter=responded),
            n_on_time=Count("id", filter=on_time),
            n_overdue=Count("id", filter=overdue),
        )
        .order_by(*keys)
    )
    orgs = {
        pk: (ods, name)
        for pk, ods, name in Organisation.objects.values_list("pk", "ods_code", "name")
    }
    result = []
    for group in grouped:
        row: dict[str, Any] = {}
        for dim in dims:
            value = group[f"g_{dim}"]
            if dim == "organisation":
                ods, name = orgs.get(value, (None, None)) if value else (None, None)
                row["organisation_ods_code"] = ods
                row["organisation_name"] = name
            elif dim == "month":
                row["month"] = value.astimezone(LONDON).strftime("%Y-%m") if value else None
            else:
                row[dim] = value if value != "" else None
        decided = group["n_responded"] + group["n_overdue"]
        row.update(
            count=group["n"],
            with_response_clock=group["n_clocked"],
            responded=group["n_responded"],
            responded_within_target=group["n_on_time"],
            open_past_target=group["n_overdue"],
            compliance=round(group["n_on_time"] / decided, 4) if decided else None,
        )
        result.append(row)
    return result
