"""The export's columns, and the one query that reads its rows.

An export is one query: themes by a correlated subquery, the writer's identity by a join, days
formatted by the database. ``ROW_FIELDS`` is the order its values reach the row encoder in.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.db.models import CharField, F, Func, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate

from analytics.exports.filters import ExportFilters, feedback_filter
from analytics.exports.scoping import feedback_visible_to_token
from analytics.models import ApiToken
from feedback.clocks import LONDON
from feedback.models import FeedbackTheme

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
    "text_language",
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
    "communication_needs",
    "interpreter_language",
    "on_behalf",
    "relationship",
    "consent",
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
    # The language the text is written in (ISO 639-1, the worker's detector): not English, the
    # sentiment and themes are empty, not the English reader's guess.
    "text_language",
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
    # Accessible Information Standard: codes, and a language's name (letters only, checked on
    # the way in); not identifiers.
    "interpreter_language",
    # Who wrote (regulation 5): the patient or a representative, how they know the patient and
    # the patient's consent, as codes; never the names, nor a representative's own words.
    "complainant_status",
    "relationship",
    "consent",
    "question",
    "text",
    # Redacted once, when the worker analysed the item (analytics.redaction). An item the worker
    # has not read yet is exported without its text and question; one analysed before these
    # were stored is redacted here as it streams (analytics.exports.rows).
    "text_redacted",
    "question_redacted",
    # Read only to redact the writer's own details from their text; never exported.
    "identity__name",
    "identity__email",
    "identity__phone",
    "identity__nhs_number",
    "identity__patient_name",
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
    "communication_needs_json",
)
ROW_PICK = itemgetter(*ROW_FIELDS)


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
    computed["communication_needs_json"] = Cast("communication_needs", TextField())
    fields = (*_VALUE_FIELDS, "received_at") if for_pages else _VALUE_FIELDS
    return (
        feedback_filter(feedback_visible_to_token(token), filters)
        .values(*fields, **computed)
        .order_by(*EXPORT_ORDERING)
    )
