"""Reads for the regulator API: what a token may see, pseudonymised export rows, aggregates.

Every queryset a regulator token sees is scoped here, in ``feedback_visible_to_token``. An export
is one query (themes by a correlated subquery, the writer's identity by a join, days formatted by
the database) read a chunk at a time from a server-side cursor, so an export of any length holds
one chunk in memory. A row never carries a direct identifier: the item's key becomes a keyed
pseudonym, the free text is redacted (with the writer's own identity as well as by pattern), and
staff free text (responses, reasons, routing evidence) is left out altogether.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, Count, Exists, F, Func, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, TruncDate, TruncMonth
from django.utils import timezone

from analytics.audit import export_audit_finish
from analytics.models import ApiToken, ExportAudit
from analytics.pseudonym import pseudonymiser
from analytics.redaction import IdentityTerms, redact
from feedback.choices import Kind, OrganisationKind, RiskFlag, Status
from feedback.clocks import LONDON
from feedback.models import Feedback, FeedbackTheme, Organisation
from feedback.selectors import CQC_ODS_CODE

logger = logging.getLogger(__name__)

# Rows fetched per database round trip, and so the most held in memory at once.
EXPORT_CHUNK_SIZE = 2000
# Rows written before a chunk of the response is handed to the server (about 100-200 KB).
STREAM_FLUSH_ROWS = 500
CLOCKED_KINDS = (Kind.COMPLAINT, Kind.CONCERN)


# --- Who sees what ---------------------------------------------------------------------------


def token_is_national(token: ApiToken) -> bool:
    """CQC and national clients (NHS England, national analysts) see every organisation."""
    org = token.organisation
    return token.national or org.kind == OrganisationKind.CQC or org.ods_code == CQC_ODS_CODE


def feedback_visible_to_token(token: ApiToken) -> QuerySet[Feedback]:
    """National: everything. An ICB: its own queue and everything about or handled by its trusts.
    A trust: what it provided or handles."""
    items = Feedback.objects.all()
    if token_is_national(token):
        return items
    org = token.organisation
    if org.kind == OrganisationKind.ICB:
        return items.filter(
            Q(handled_by_id=org.pk) | Q(handled_by__icb_id=org.pk) | Q(provider__icb_id=org.pk)
        )
    return items.filter(Q(provider_id=org.pk) | Q(handled_by_id=org.pk))


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
    "question",
    "text",
)

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
    "ko41_subjects",
    "ko41_service_area",
    "ko41_profession",
    "question",
    "text",
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
    converters is most of the difference between 30,000 and 60,000 rows a second. Elsewhere
    (SQLite on a laptop) Django's own iterator does the same job.
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
        while True:
            rows = cursor.fetchmany(chunk_size)
            if not rows:
                break
            if pick is None:
                yield from rows
            else:
                yield from map(pick, rows)


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

    def rows(self, values: Iterable[Sequence[Any] | dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        """Export rows from ``iterate_values`` tuples, or from ``values()`` dicts."""
        row = self.row
        pick = _ROW_PICK
        for value in values:
            yield row(pick(value) if isinstance(value, dict) else value)

    def row(self, v: Sequence[Any]) -> tuple[Any, ...]:
        """One export row from the values of ``ROW_FIELDS``, in that order."""
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
            ko41_subjects,
            ko41_service_area,
            ko41_profession,
            question,
            text,
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
        ) = v
        identity = None
        if identity_name is not None:  # a LEFT JOIN: None when there is no Identity row
            identity = IdentityTerms(
                identity_name, identity_email, identity_phone, identity_nhs_number
            )
        risks = []
        if risk_safeguarding:
            risks.append(_SAFEGUARDING)
        if risk_mental_health_act:
            risks.append(_MENTAL_HEALTH_ACT)
        if risk_serious:
            risks.append(_SERIOUS_RISK)
        return (
            self.pseudonym(pk),
            received_date,
            kind,
            channel,
            service_type or None,
            *self._place(provider_id, area_id, handled_by_id),
            status,
            acknowledge_due,
            acknowledged_date,
            response_due,
            responded_date,
            (responded_date <= response_due) if responded_date and response_due else None,
            statutory_due,
            agreed_due,
            paused_days,
            closed_date,
            resolved_date,
            withdrawn_date,
            analysis_state,
            sentiment,
            sentiment_label or None,
            sentiment_confidence,
            themes.split(";") if themes else [],
            risks,
            model_version or None,
            needs_review,
            route or None,
            route_rule or None,
            outcome or None,
            list(ko41_subjects or ()),
            ko41_service_area or None,
            ko41_profession or None,
            _redact_question(question) if question else None,
            redact(text, identity),
        )


def export_dicts(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows]


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


def csv_cells(row: tuple[Any, ...]) -> list[Any]:
    """A row as CSV cells: lists joined with ";", true/false, formulas neutralised. (None is
    written as an empty cell by the csv module itself.)"""
    cells = list(row)
    for i in _CSV_LISTS:
        cells[i] = csv_safe(";".join(cells[i]))
    for i in _CSV_BOOLEANS:
        value = cells[i]
        if value is not None:
            cells[i] = "true" if value else "false"
    for i in _CSV_TEXT:
        value = cells[i]
        if value and value[0] in _RISKY_FIRST:
            cells[i] = csv_safe(value)
    return cells


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


def stream_csv(rows: Iterable[tuple[Any, ...]], *, audit: ExportAudit) -> Iterator[bytes]:
    """CSV with a header row, in chunks; the audit row gets the count when the stream ends."""
    buffer = io.StringIO()
    writerow = csv.writer(buffer).writerow
    writerow(EXPORT_COLUMNS)
    count = 0
    completed = False
    flush_every = STREAM_FLUSH_ROWS
    try:
        for row in rows:
            writerow(csv_cells(row))
            count += 1
            if count % flush_every == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()
        completed = True
    finally:
        _close(rows)
        _finish(audit, count, completed)


def stream_ndjson(rows: Iterable[tuple[Any, ...]], *, audit: ExportAudit) -> Iterator[bytes]:
    """One JSON object per line (newline-delimited JSON), in chunks."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    columns = EXPORT_COLUMNS
    lines: list[str] = []
    count = 0
    completed = False
    flush_every = STREAM_FLUSH_ROWS
    try:
        for row in rows:
            lines.append(encode(dict(zip(columns, row, strict=True))))
            count += 1
            if count % flush_every == 0:
                lines.append("")
                yield "\n".join(lines).encode()
                lines = []
        if lines:
            lines.append("")
            yield "\n".join(lines).encode()
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
    on_time = responded & Q(response_due__gte=TruncDate("responded_at", tzinfo=LONDON))
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
