"""API views: parse, call a service or selector, render."""

from __future__ import annotations

import unicodedata

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api.serializers import (
    FeedbackSubmitInputSerializer,
    FeedbackSubmitOutputSerializer,
    TrackingOutputSerializer,
)
from feedback.api.throttling import SubmissionRateThrottle
from feedback.choices import Channel
from feedback.errors import SubmissionKeyReused
from feedback.selectors import feedback_get_by_token
from feedback.services.intake import feedback_submit, scoped_submission_key, submission_digest
from patientview.client import client_address


class FeedbackSubmitApi(APIView):
    """Leave feedback about NHS care. No account needed; identity fields are optional."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [SubmissionRateThrottle]
    throttle_scope = "feedback_submit"

    @extend_schema(
        request=FeedbackSubmitInputSerializer,
        responses={
            201: FeedbackSubmitOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field"),
            422: OpenApiResponse(
                description="The Idempotency-Key was already used for a different submission"
            ),
            429: OpenApiResponse(description="Too many submissions; see Retry-After"),
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Any unique string (up to 64 characters, no control characters); a "
                "retry with the same key returns the item already created instead of a second one.",
            )
        ],
        operation_id="feedback_submit",
    )
    def post(self, request: Request) -> Response:
        serializer = FeedbackSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        # Control characters too: PostgreSQL cannot store a NUL, and saving one was a 500.
        if len(key) > 64 or any(unicodedata.category(ch) == "Cc" for ch in key):
            raise ValidationError(
                {"Idempotency-Key": ["Use at most 64 characters, and no control characters."]}
            )
        fields = dict(serializer.validated_data)
        try:
            item = feedback_submit(
                channel=Channel.API,
                submission_key=scoped_submission_key(client_address(request), key) if key else None,
                submission_digest=submission_digest(fields) if key else "",
                **fields,
            )
        except SubmissionKeyReused:
            return Response(
                {
                    "Idempotency-Key": [
                        "This key was already used for a different submission from you. Use a "
                        "new key for each new piece of feedback, and the same key only to retry "
                        "the same one."
                    ]
                },
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(FeedbackSubmitOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class TrackingApi(APIView):
    """Where an item stands: status, who is handling it, and when a reply is due."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: TrackingOutputSerializer}, operation_id="tracking_retrieve")
    def get(self, request: Request, token: str) -> Response:
        item = feedback_get_by_token(token)
        return Response(TrackingOutputSerializer(item).data)
