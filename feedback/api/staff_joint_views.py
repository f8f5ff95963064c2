"""The staff API for joint complaints (regulation 9, ADR 0018): a complaint's partner
organisations, invited and removed by the lead; a partner's part of the findings; and the joint
complaints an organisation is a partner in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api import staff_serializers as s
from feedback.api.permissions import IsOrganisationStaff
from feedback.errors import NotPermitted
from feedback.models import Feedback, User
from feedback.selectors import feedback_get_readable, feedback_joint_for, organisation_by_ods_code
from feedback.services import joint


@dataclass(frozen=True)
class _JointAnswer:
    item: Feedback
    lead: Any
    partners: list[Any]
    is_lead: bool
    organisation_id: int | None
    all_contributed: bool


def _joint_answer(item: Feedback, user: User) -> dict[str, Any]:
    view = joint.joint_view(feedback=item, user=user)
    answer = _JointAnswer(
        item=item,
        lead=view.lead,
        partners=view.partners,
        is_lead=view.is_lead,
        organisation_id=user.organisation_id,
        all_contributed=view.all_contributed,
    )
    return dict(s.JointOutputSerializer(answer).data)


def _lead_only(item: Feedback, user: User) -> None:
    if item.handled_by_id != user.organisation_id:
        raise NotPermitted(joint.NOT_LEAD)


class QueueItemPartnersApi(APIView):
    """A joint complaint's partner organisations and whether each has added its part (GET: the
    lead, or a partner's staff), or invite one (POST: the lead only, audited). Refused with 409
    for an item of the CQC's queue, a compliment or suggestion, or one already answered."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            200: s.JointOutputSerializer,
            404: OpenApiResponse(description="Not in your queue, nor a joint complaint of yours"),
        },
        operation_id="queue_item_partners",
    )
    def get(self, request: Request, pk: int) -> Response:
        item = feedback_get_readable(request.user, pk)  # type: ignore[arg-type]
        return Response(_joint_answer(item, request.user))  # type: ignore[arg-type]

    @extend_schema(
        request=s.JointInviteInputSerializer,
        responses={
            201: s.JointOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field (organisation, reason)"),
            403: OpenApiResponse(description="A partner, not the lead"),
            404: OpenApiResponse(description="Not in your queue, nor a joint complaint of yours"),
            409: OpenApiResponse(description="The item cannot be joint: the reason why"),
        },
        operation_id="queue_item_partner_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        item = feedback_get_readable(user, pk)
        _lead_only(item, user)
        serializer = s.JointInviteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = serializer.validated_data["organisation"]
        organisation = organisation_by_ods_code(code)
        if organisation is None:
            raise serializers.ValidationError(
                {
                    "organisation": [
                        f"{code.strip().upper()} is not the ODS code of an organisation."
                    ]
                }
            )
        joint.joint_partner_invite(
            feedback=item,
            organisation=organisation,
            reason=serializer.validated_data["reason"],
            actor=user,
        )
        return Response(_joint_answer(item, user), status=status.HTTP_201_CREATED)


class QueueItemPartnerApi(APIView):
    """Remove a partner that has not added its part (the lead only, audited): 409 once it has."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        responses={
            200: s.JointOutputSerializer,
            400: OpenApiResponse(description="That organisation is not a partner"),
            403: OpenApiResponse(description="A partner, not the lead"),
            404: OpenApiResponse(description="Not in your queue, nor a joint complaint of yours"),
            409: OpenApiResponse(description="It has added its part, or the item is answered"),
        },
        operation_id="queue_item_partner_delete",
    )
    def delete(self, request: Request, pk: int, ods_code: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        item = feedback_get_readable(user, pk)
        _lead_only(item, user)
        organisation = organisation_by_ods_code(ods_code)
        if organisation is None:
            raise serializers.ValidationError(
                {"organisation": [f"{ods_code.upper()} is not a partner of this complaint."]}
            )
        joint.joint_partner_remove(feedback=item, organisation=organisation, actor=user)
        return Response(_joint_answer(item, user))


class QueueItemContributionApi(APIView):
    """Your organisation's part of the findings of a joint complaint it is a partner in: added,
    or replaced, until the lead sends the response (409 after). Audited. 403 for the lead."""

    permission_classes = [IsOrganisationStaff]

    @extend_schema(
        request=s.JointFindingsInputSerializer,
        responses={
            200: s.JointOutputSerializer,
            400: OpenApiResponse(description="Invalid input, by field (findings)"),
            403: OpenApiResponse(description="Not a partner of this complaint (the lead)"),
            404: OpenApiResponse(description="Not in your queue, nor a joint complaint of yours"),
            409: OpenApiResponse(description="The lead has sent the final response"),
        },
        operation_id="queue_item_contribution",
    )
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        item = feedback_get_readable(user, pk)
        if item.handled_by_id == user.organisation_id:
            raise NotPermitted(joint.NOT_PARTNER)
        serializer = s.JointFindingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        joint.joint_contribution_save(
            feedback=item, actor=user, findings=serializer.validated_data["findings"]
        )
        return Response(_joint_answer(item, user))


class JointListApi(generics.ListAPIView):
    """Joint complaints: your part. The complaints other organisations lead that yours was
    invited to as a partner, newest first."""

    permission_classes = [IsOrganisationStaff]
    serializer_class = s.JointItemOutputSerializer

    def get_queryset(self) -> Any:
        return feedback_joint_for(self.request.user)  # type: ignore[arg-type]
