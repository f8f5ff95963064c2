"""The staff API for FFT uploads: upload the organisation's export, follow it, read its result."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api import staff_serializers as s
from feedback.api.permissions import IsOrganisationStaff
from feedback.selectors import fft_upload_get_for_user, fft_uploads_for
from feedback.services.fft_uploads import fft_upload_receive

UPLOADS_LISTED = 50


class FftUploadsApi(APIView):
    """Your organisation's FFT uploads, newest first (GET), or upload an export (POST,
    multipart/form-data, the file as ``file``): 202 with the upload, which the worker then
    checks and saves; follow it at its ``url`` until its status is done, rejected or failed.
    Refused at once with 400 under ``file``: empty, too large, or not a CSV or XLSX export (a
    password-protected workbook, an old .xls...). Staff of organisations that do not upload FFT
    exports (the CQC, NHS England) are refused with 403. Every upload is audited."""

    permission_classes = [IsOrganisationStaff]
    parser_classes = [MultiPartParser]
    # Requests may be as large as an export (patientview/middleware.py).
    accepts_file_uploads = "fft"

    @extend_schema(
        responses={200: s.FftUploadOutputSerializer(many=True)}, operation_id="fft_uploads"
    )
    def get(self, request: Request) -> Response:
        uploads = fft_uploads_for(request.user)[:UPLOADS_LISTED]  # type: ignore[arg-type]
        return Response(s.FftUploadOutputSerializer(uploads, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.FftUploadInputSerializer},
        responses={
            202: s.FftUploadOutputSerializer,
            400: OpenApiResponse(
                description="No file, an empty or too large one, or not a CSV or XLSX export: "
                "the reason under file"
            ),
            403: OpenApiResponse(description="Your organisation does not upload FFT exports"),
            413: OpenApiResponse(description="The request is larger than the export limit"),
        },
        operation_id="fft_upload_create",
    )
    def post(self, request: Request) -> Response:
        serializer = s.FftUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = fft_upload_receive(
            actor=request.user,  # type: ignore[arg-type]
            uploaded_file=serializer.validated_data["file"],
        )
        data = s.FftUploadOutputSerializer(upload).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class FftUploadApi(APIView):
    """One upload of your organisation: its progress while it runs, then its result (the rows
    added and held already, or, when rejected, the problem and the rows refused by line)."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            200: s.FftUploadOutputSerializer,
            404: OpenApiResponse(description="Not an upload of your organisation"),
        },
        operation_id="fft_upload",
    )
    def get(self, request: Request, pk: int) -> Response:
        upload = fft_upload_get_for_user(request.user, pk)  # type: ignore[arg-type]
        return Response(s.FftUploadOutputSerializer(upload).data)
