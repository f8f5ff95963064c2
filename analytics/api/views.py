"""The regulator API: pseudonymised exports, aggregates and KO41 returns for token holders.

Views parse the query, call the selectors in ``analytics.exports`` and ``analytics.ko41_return``,
write the audit row and render. Errors are JSON whatever the client asked to accept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api import serializers as s
from analytics.api.authentication import RegulatorTokenAuthentication
from analytics.api.permissions import CanReadAggregates, CanReadExports
from analytics.api.throttling import RegulatorTokenThrottle
from analytics.audit import export_audit_record, export_audit_start
from analytics.exports.aggregates import feedback_aggregates
from analytics.exports.query import EXPORT_COLUMNS, EXPORT_ORDERING, feedback_export_values
from analytics.exports.rows import ExportRowBuilder
from analytics.exports.scoping import organisations_reported_by_token
from analytics.exports.streaming import iterate_values, stream_csv_lines, stream_ndjson
from analytics.ko41_return import ko41_returns
from analytics.models import ApiToken, ExportEndpoint
from patientview.client import client_address

TAG = "regulator"

EXAMPLE_ROW: dict[str, Any] = {
    "id": "3f9c2a7be41d08c6a5e2f7d91b0c4e63",
    "received_date": "2026-10-03",
    "kind": "complaint",
    "channel": "web",
    "service_type": "acute",
    "provider_ods_code": "RJ1",
    "provider_name": "Guy's and St Thomas' NHS Foundation Trust",
    "handled_by_ods_code": "RJ1",
    "handled_by_name": "Guy's and St Thomas' NHS Foundation Trust",
    "handled_by_kind": "trust",
    "icb_ods_code": "QKK",
    "icb_name": "NHS South East London Integrated Care Board",
    "status": "responded",
    "acknowledge_due": "2026-10-08",
    "acknowledged_date": "2026-10-05",
    "response_due": "2026-10-31",
    "responded_date": "2026-10-28",
    "responded_within_target": True,
    "statutory_due": "2027-04-03",
    "agreed_due": None,
    "paused_days": 0,
    "closed_date": None,
    "resolved_date": None,
    "withdrawn_date": None,
    "analysis_state": "done",
    "text_language": "en",
    "sentiment": 5,
    "sentiment_label": "negative",
    "sentiment_confidence": 0.91,
    "themes": ["staff_manner", "timeliness_of_care"],
    "risk_flags": [],
    "model_version": "minilm-heads-2026.11",
    "needs_review": False,
    "route": "trust",
    "route_rule": "trust_default",
    "outcome": "partially_upheld",
    "ko41_subjects": ["values_behaviours", "waiting_times"],
    "ko41_service_area": "emergency",
    "ko41_profession": "nursing",
    "fft_rating": 4,
    "communication_needs": ["large_print", "interpreter"],
    "interpreter_language": "Polish",
    "on_behalf": True,
    "relationship": "child",
    "consent": "given",
    "question": None,
    "text": "Nurse [NAME] was rude to my father and we waited nine hours. Call me on [PHONE].",
}

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid query, by parameter"),
    401: OpenApiResponse(
        s.RegulatorErrorOutputSerializer, description="No token, or unknown, expired or revoked"
    ),
    403: OpenApiResponse(s.RegulatorErrorOutputSerializer, description="The token lacks the scope"),
    429: OpenApiResponse(
        s.RegulatorErrorOutputSerializer, description="Too many requests for this token"
    ),
}


class JsonErrorsNegotiation(BaseContentNegotiation):
    """Always JSON for what DRF renders (errors, pages): a client asking for text/csv still gets
    a readable error, and the CSV itself is streamed without a renderer."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _client_ip(request: Request) -> str | None:
    return client_address(request) or None


class _RegulatorApi(APIView):
    authentication_classes = [RegulatorTokenAuthentication]
    throttle_classes = [RegulatorTokenThrottle]
    throttle_scope = "regulator"
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    @property
    def token(self) -> ApiToken:
        token = self.request.auth
        assert isinstance(token, ApiToken)  # noqa: S101 - the permission classes ensure it
        return token


class RegulatorCursorPagination(CursorPagination):
    ordering = EXPORT_ORDERING
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class FeedbackExportApi(_RegulatorApi, generics.GenericAPIView):
    """Pseudonymised feedback, a page at a time (cursor pagination, oldest first).

    Follow `next` until it is null. For a whole period in one download use the CSV or NDJSON
    endpoints. Each page is recorded in the export audit.
    """

    permission_classes = [CanReadExports]
    pagination_class = RegulatorCursorPagination
    serializer_class = s.RegulatorFeedbackRowOutputSerializer

    @extend_schema(
        operation_id="regulator_feedback_export",
        tags=[TAG],
        parameters=[s.RegulatorExportFilterInputSerializer],
        responses={
            200: s.RegulatorFeedbackRowOutputSerializer(many=True),
            404: OpenApiResponse(s.RegulatorErrorOutputSerializer, description="Invalid cursor"),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "A page",
                value={"next": None, "previous": None, "results": [EXAMPLE_ROW]},
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query = s.RegulatorExportFilterInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.filters()
        page = self.paginate_queryset(feedback_export_values(self.token, filters, for_pages=True))
        rows = list(ExportRowBuilder().records(page or []))
        export_audit_record(
            token=self.token,
            endpoint=ExportEndpoint.FEEDBACK_JSON,
            filters={**filters.for_audit(), "cursor": request.query_params.get("cursor", "")},
            client_ip=_client_ip(request),
            row_count=len(rows),
        )
        return self.get_paginated_response(rows)


class _StreamExportApi(_RegulatorApi):
    permission_classes = [CanReadExports]
    throttle_scope = "regulator_stream"
    endpoint: str = ""
    content_type = ""
    extension = ""

    def get(self, request: Request) -> StreamingHttpResponse:
        query = s.RegulatorStreamExportInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.filters()
        audit = export_audit_start(
            token=self.token,
            endpoint=self.endpoint,
            filters=filters.for_audit(),
            client_ip=_client_ip(request),
        )
        builder = ExportRowBuilder()
        values = iterate_values(feedback_export_values(self.token, filters))
        stream = (
            stream_csv_lines(builder.csv_lines(values), audit=audit)
            if self.endpoint == ExportEndpoint.FEEDBACK_CSV
            else stream_ndjson(builder.records(values), audit=audit)
        )
        response = StreamingHttpResponse(stream, content_type=self.content_type)
        name = f"feedback_{filters.received_from}_{filters.received_to}.{self.extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        response["X-Export-Id"] = str(audit.pk)
        return response


class FeedbackExportCsvApi(_StreamExportApi):
    """A whole period of pseudonymised feedback as one CSV file, streamed.

    Give `month=YYYY-MM` or `received_from` and `received_to`. Columns are those of the JSON
    export; lists are joined with `;`, and a cell that a spreadsheet would run as a formula
    starts with an apostrophe.
    """

    endpoint = ExportEndpoint.FEEDBACK_CSV
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    @extend_schema(
        operation_id="regulator_feedback_export_csv",
        tags=[TAG],
        parameters=[s.RegulatorStreamExportInputSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="CSV with a header row: " + ", ".join(EXPORT_COLUMNS),
                examples=[
                    OpenApiExample(
                        "Header and one row",
                        value=",".join(EXPORT_COLUMNS)
                        + "\r\n3f9c2a7be41d08c6a5e2f7d91b0c4e63,2026-10-03,complaint,web,...\r\n",
                    )
                ],
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)


class FeedbackExportNdjsonApi(_StreamExportApi):
    """A whole period of pseudonymised feedback as newline-delimited JSON, streamed: one object
    per line, with the fields of the JSON export."""

    endpoint = ExportEndpoint.FEEDBACK_NDJSON
    content_type = "application/x-ndjson"
    extension = "ndjson"

    @extend_schema(
        operation_id="regulator_feedback_export_ndjson",
        tags=[TAG],
        parameters=[s.RegulatorStreamExportInputSerializer],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One JSON object per line, as in the JSON export's results.",
                examples=[
                    OpenApiExample(
                        "One line",
                        value='{"id":"3f9c2a7be41d08c6a5e2f7d91b0c4e63","received_date":'
                        '"2026-10-03","kind":"complaint",...}\n',
                    )
                ],
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)


class FeedbackAggregatesApi(_RegulatorApi):
    """Counts and four-week compliance by organisation, month, kind, theme, sentiment or route."""

    permission_classes = [CanReadAggregates]

    @extend_schema(
        operation_id="regulator_feedback_aggregates",
        tags=[TAG],
        parameters=[s.RegulatorAggregatesInputSerializer],
        responses={200: s.RegulatorAggregatesOutputSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "By organisation and month",
                value={
                    "group_by": ["organisation", "month"],
                    "filters": {"received_from": "2026-10-01", "received_to": "2026-10-31"},
                    "rows": [
                        {
                            "organisation_ods_code": "RJ1",
                            "organisation_name": "Guy's and St Thomas' NHS Foundation Trust",
                            "month": "2026-10",
                            "count": 412,
                            "merged_duplicates": 3,
                            "with_response_clock": 160,
                            "responded": 120,
                            "responded_within_target": 96,
                            "open_past_target": 10,
                            "compliance": 0.7385,
                        }
                    ],
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query = s.RegulatorAggregatesInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.filters()
        group_by = list(dict.fromkeys(query.validated_data["group_by"]))
        rows = feedback_aggregates(self.token, filters, group_by)
        export_audit_record(
            token=self.token,
            endpoint=ExportEndpoint.AGGREGATES,
            filters={**filters.for_audit(), "group_by": group_by},
            client_ip=_client_ip(request),
            row_count=len(rows),
        )
        return Response({"group_by": group_by, "filters": filters.for_audit(), "rows": rows})


KO41_NOTES = [
    "New complaints: complaints received in the period in the organisation's queue.",
    "Resolved: complaints whose final response was sent in the period; outcomes are theirs.",
    "Service area, subject and profession are coded with the final response: a complaint not "
    "answered yet counts as not_yet_coded.",
    "Age and status of the complainant are not collected by the service: counted as not_known.",
    "A complaint counts under each of its subjects, so subjects can add up to more than the "
    "complaints.",
]


class Ko41ReturnApi(_RegulatorApi):
    """The KO41a-style return of written complaints for each organisation in the token's scope,
    for a financial year or one quarter of it, with the collection's validation checks."""

    permission_classes = [CanReadAggregates]

    @extend_schema(
        operation_id="regulator_ko41_return",
        tags=[TAG],
        parameters=[s.RegulatorKo41InputSerializer],
        responses={
            200: s.RegulatorKo41OutputSerializer,
            404: OpenApiResponse(
                s.RegulatorErrorOutputSerializer, description="Organisation not in your scope"
            ),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "One trust, one quarter",
                value={
                    "period": "2026-27 Q2",
                    "period_start": "2026-07-01",
                    "period_end": "2026-09-30",
                    "returns": [
                        {
                            "organisation": {
                                "ods_code": "RJ1",
                                "name": "Guy's and St Thomas' NHS Foundation Trust",
                                "kind": "trust",
                                "icb_ods_code": "QKK",
                            },
                            "new_complaints": 3,
                            "by_channel": {"web": 2, "letter": 1},
                            "age_of_patient": {"not_known": 3},
                            "status_of_complainant": {"not_known": 3},
                            "service_area": {"emergency": 2, "not_yet_coded": 1},
                            "subject": {
                                "waiting_times": 2,
                                "communications": 1,
                                "not_yet_coded": 1,
                            },
                            "profession": {"nursing": 2, "not_yet_coded": 1},
                            "resolved": 2,
                            "outcome": {
                                "upheld": 1,
                                "partially_upheld": 1,
                                "not_upheld": 0,
                                "not_recorded": 0,
                            },
                            "valid": True,
                            "checks": [
                                {
                                    "rule": "outcomes_within_resolved",
                                    "severity": "error",
                                    "passed": True,
                                    "description": "Upheld, partially upheld and not upheld "
                                    "add up to no more than the complaints resolved.",
                                    "detail": "2 outcomes for 2 resolved complaints",
                                }
                            ],
                        }
                    ],
                    "notes": KO41_NOTES,
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query = s.RegulatorKo41InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.period()
        organisations = organisations_reported_by_token(self.token)
        code = query.validated_data.get("organisation")
        if code:
            organisations = organisations.filter(ods_code=code.upper())
            if not organisations.exists():
                raise Http404("No trust or ICB with that ODS code in your token's scope.")
        returns = ko41_returns(organisations, period, include_empty=bool(code))
        export_audit_record(
            token=self.token,
            endpoint=ExportEndpoint.KO41,
            filters={"period": period.label, "organisation": code or None},
            client_ip=_client_ip(request),
            row_count=len(returns),
        )
        return Response(
            {
                "period": period.label,
                "period_start": period.start,
                "period_end": period.end,
                "returns": [r.as_dict() for r in returns],
                "notes": KO41_NOTES,
                "generated_at": timezone.now(),
            }
        )
