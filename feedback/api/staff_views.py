"""The staff API: an organisation's queue, its items and the workflow steps on them; joint
complaints are in ``staff_joint_views``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api import staff_serializers as s
from feedback.api.permissions import IsManager, IsOrganisationStaff
from feedback.api.serializers import FeedbackSubmitOutputSerializer
from feedback.downloads import attachment_response
from feedback.filters import QueueFilter
from feedback.models import Feedback, User
from feedback.selectors import (
    feedback_get_for_user,
    feedback_queue,
)
from feedback.services import attachments, duplicates, merging, workflow
from feedback.services.intake import feedback_submit
from feedback.services.steps import WORKFLOW_STEPS


class QueueListApi(generics.ListAPIView):
    """Your organisation's queue, newest first unless you choose an ordering."""

    permission_classes = [IsOrganisationStaff]
    serializer_class = s.QueueItemOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = QueueFilter

    def get_queryset(self) -> Any:
        return feedback_queue(self.request.user).prefetch_related("themes")  # type: ignore[arg-type]


class QueueItemApi(APIView):
    permission_classes = [IsOrganisationStaff]

    @extend_schema(responses={200: s.QueueItemOutputSerializer}, operation_id="queue_item")
    def get(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        return Response(s.QueueItemOutputSerializer(item).data)


def _assignee(user: User, username: str | None) -> User | None:
    if username is None:
        return None
    if user.organisation_id is None:
        raise serializers.ValidationError({"assignee": ["Your account has no organisation."]})
    try:
        return User.objects.get(username=username, organisation_id=user.organisation_id)
    except User.DoesNotExist as exc:
        raise serializers.ValidationError(
            {"assignee": ["No colleague with that username in your organisation."]}
        ) from exc


# How the API reads each step's input; steps without a serializer take no body.
STEP_INPUTS: dict[str, type[serializers.Serializer]] = {
    "investigate": s.InvestigationInputSerializer,
    "request-information": s.InformationRequestInputSerializer,
    "request-consent": s.InformationRequestInputSerializer,
    "record-consent": s.ConsentRecordInputSerializer,
    "respond": s.ResponseInputSerializer,
    "close": s.CloseInputSerializer,
    "withdraw": s.WithdrawInputSerializer,
    "reroute": s.RerouteInputSerializer,
    "assign": s.AssignInputSerializer,
    "agree-deadline": s.AgreeDeadlineInputSerializer,
    "reopen": s.ReopenInputSerializer,
    "confirm-risk": s.RiskConfirmInputSerializer,
    "dismiss-risk": s.RiskDismissInputSerializer,
    "correct-analysis": s.AnalysisCorrectionInputSerializer,
}


class QueueItemStepApi(APIView):
    """One workflow step on an item: 200 with the item, 400 bad input, 409 not allowed now."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        request=None,
        responses={
            200: s.QueueItemOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field"),
            404: OpenApiResponse(description="Not in your organisation's queue"),
            409: OpenApiResponse(description="The step is not allowed from the item's status"),
        },
        operation_id="queue_item_step",
    )
    def post(self, request: Request, pk: int, step: str) -> Response:
        if step not in WORKFLOW_STEPS:
            raise Http404("No such step.")
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        data: dict[str, Any] = {}
        if step in STEP_INPUTS:
            serializer = STEP_INPUTS[step](data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        if step == "assign":
            data["assignee"] = _assignee(request.user, data["assignee"])  # type: ignore[arg-type]
        item = WORKFLOW_STEPS[step].run(item, request.user, data)  # type: ignore[arg-type]
        return Response(s.QueueItemOutputSerializer(item).data)


class QueueItemIdentityApi(APIView):
    """Reveal the patient's contact details. Every call is written to the audit trail."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        request=None,
        responses={200: s.IdentityOutputSerializer},
        operation_id="queue_item_identity",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        identity = workflow.identity_reveal(feedback=item, actor=request.user)  # type: ignore[arg-type]
        if identity is None:
            return Response(
                {"name": "", "email": "", "phone": "", "nhs_number": "", "patient_name": ""}
            )
        return Response(s.IdentityOutputSerializer(identity).data)


class QueueItemAuditApi(APIView):
    """The item's audit trail, for managers and administrators. Read only."""

    permission_classes = [IsManager]

    @extend_schema(
        responses={200: s.AuditEventOutputSerializer(many=True)}, operation_id="queue_item_audit"
    )
    def get(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        events = item.audit_events.select_related("actor")
        return Response(s.AuditEventOutputSerializer(events, many=True).data)


class StaffEntryApi(APIView):
    """Enter feedback received by phone, letter or paper form on a patient's behalf."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        request=s.StaffEntryInputSerializer,
        responses={201: FeedbackSubmitOutputSerializer},
        operation_id="queue_entry_create",
    )
    def post(self, request: Request) -> Response:
        serializer = s.StaffEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = feedback_submit(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(FeedbackSubmitOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class QueueItemAttachmentsApi(APIView):
    """The item's attached files (GET), or attach one (POST, multipart/form-data, the file as
    ``file``). Refused with 400 by field: empty, too large, a type not accepted (told by the
    content, not the name), or the item has as many as it may. Every addition is audited."""

    permission_classes = [IsOrganisationStaff]
    parser_classes = [MultiPartParser]
    # Requests may be larger than the API's usual 1 MB (patientview/middleware.py).
    accepts_file_uploads = True

    @extend_schema(
        responses={200: s.AttachmentOutputSerializer(many=True)},
        operation_id="queue_item_attachments",
    )
    def get(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        found = attachments.attachments_of(item)
        return Response(s.AttachmentOutputSerializer(found, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.AttachmentInputSerializer},
        responses={
            201: s.AttachmentOutputSerializer,
            400: OpenApiResponse(
                description="No file, an empty or too large one, a type not "
                "accepted, or too many on the item: the reason under file"
            ),
            404: OpenApiResponse(description="Not in your organisation's queue"),
            413: OpenApiResponse(description="The request is larger than three times the limit"),
        },
        operation_id="queue_item_attachment_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        serializer = s.AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = attachments.attachment_add(
            feedback=item,
            uploaded_file=serializer.validated_data["file"],
            actor=request.user,  # type: ignore[arg-type]
        )
        return Response(s.AttachmentOutputSerializer(added).data, status=status.HTTP_201_CREATED)


class QueueItemAttachmentApi(APIView):
    """Download one attached file, with the type found from its content. Audited."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The file, as an attachment, with its own content type",
            ),
            404: OpenApiResponse(description="Not in your organisation's queue, or no such file"),
        },
        operation_id="queue_item_attachment_download",
    )
    def get(self, request: Request, pk: int, attachment_pk: int) -> HttpResponseBase:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        attachment = attachments.attachment_get(feedback=item, pk=attachment_pk)
        content = attachments.attachment_open(attachment=attachment, actor=request.user)  # type: ignore[arg-type]
        return attachment_response(attachment, content)


class QueueItemDuplicatesApi(APIView):
    """Items of your queue that may be this one again, best first: the same patient's NHS
    number, email or phone, or text very like it, received within 90 days either side. Only
    complaints and concerns are checked; an item merged already has none."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            200: s.DuplicateCandidateOutputSerializer(many=True),
            404: OpenApiResponse(description="Not in your organisation's queue"),
        },
        operation_id="queue_item_duplicates",
    )
    def get(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        found = duplicates.duplicate_candidates(feedback=item, user=request.user)  # type: ignore[arg-type]
        return Response(s.DuplicateCandidateOutputSerializer(found, many=True).data)


def _links(item: Feedback, user: User) -> dict[str, Any]:
    return {
        "linked": duplicates.links_of(feedback=item, user=user),
        "merged_here": duplicates.duplicates_of(feedback=item, user=user),
        # Never the id of an item the viewer may not see (one kept that left the queue).
        "duplicate_of": duplicates.merged_into(feedback=item, user=user),
    }


class QueueItemLinksApi(APIView):
    """The items linked to this one and merged into it (GET), or link another item of your
    queue to it (POST): both items show the link, and both audit it."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            200: s.LinksOutputSerializer,
            404: OpenApiResponse(description="Not in your organisation's queue"),
        },
        operation_id="queue_item_links",
    )
    def get(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        return Response(s.LinksOutputSerializer(_links(item, request.user)).data)  # type: ignore[arg-type]

    @extend_schema(
        request=s.LinkInputSerializer,
        responses={
            201: s.LinksOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field (an item linked to itself)"),
            404: OpenApiResponse(description="Either item not in your organisation's queue"),
            409: OpenApiResponse(description="Already linked"),
        },
        operation_id="queue_item_link_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        serializer = s.LinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = feedback_get_for_user(request.user, serializer.validated_data["item"])  # type: ignore[arg-type]
        duplicates.feedback_link(feedback=item, other=other, actor=request.user)  # type: ignore[arg-type]
        return Response(
            s.LinksOutputSerializer(_links(item, request.user)).data,  # type: ignore[arg-type]
            status=status.HTTP_201_CREATED,
        )


class QueueItemMergeApi(APIView):
    """Merge this item into another of your queue about the same matter: it is closed as a
    duplicate, its complainant is told and is sent the other item's final response. Audited on
    both. Refused (409, saying why) for an item closed, withdrawn, answered or merged already, or
    into one closed, withdrawn or merged itself."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        request=s.MergeInputSerializer,
        responses={
            200: s.QueueItemOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field (an item into itself)"),
            404: OpenApiResponse(description="Either item not in your organisation's queue"),
            409: OpenApiResponse(description="The merge is not allowed: the reason why"),
        },
        operation_id="queue_item_merge",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        serializer = s.MergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into = feedback_get_for_user(request.user, serializer.validated_data["into"])  # type: ignore[arg-type]
        merged = merging.complaint_merge(feedback=item, into=into, actor=request.user)  # type: ignore[arg-type]
        return Response(s.QueueItemOutputSerializer(merged).data)


class QueueItemLinkApi(APIView):
    """Remove the link between this item and another of your queue (linked by mistake): neither
    shows it any more; both audit it."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            200: s.LinksOutputSerializer,
            404: OpenApiResponse(description="Either item not in your organisation's queue"),
            409: OpenApiResponse(description="The two items are not linked"),
        },
        operation_id="queue_item_link_delete",
    )
    def delete(self, request: Request, pk: int, other_pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        other = feedback_get_for_user(request.user, other_pk)  # type: ignore[arg-type]
        duplicates.feedback_unlink(feedback=item, other=other, actor=request.user)  # type: ignore[arg-type]
        return Response(s.LinksOutputSerializer(_links(item, request.user)).data)  # type: ignore[arg-type]


class QueueItemUnmergeApi(APIView):
    """Undo the merge of this item into another (made by mistake): it is reopened in your queue
    where it was before the merge, its response clock running again from where it stopped.
    Audited. Refused (409) for an item that was not merged."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        request=s.UnmergeInputSerializer,
        responses={
            200: s.QueueItemOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field (no reason)"),
            404: OpenApiResponse(description="Not in your organisation's queue"),
            409: OpenApiResponse(description="The item was not merged"),
        },
        operation_id="queue_item_unmerge",
    )
    def post(self, request: Request, pk: int) -> Response:
        item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
        serializer = s.UnmergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reopened = merging.complaint_unmerge(
            feedback=item,
            actor=request.user,  # type: ignore[arg-type]
            reason=serializer.validated_data["reason"],
        )
        return Response(s.QueueItemOutputSerializer(reopened).data)
