"""Who may use the staff API: signed-in staff of an organisation; managers for the audit trail."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from feedback.choices import Role


class IsOrganisationStaff(BasePermission):
    message = "Sign in with a staff account that belongs to an organisation."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "organisation_id", None))


class IsManager(IsOrganisationStaff):
    message = "Only managers and administrators can read the audit trail."

    def has_permission(self, request: Request, view: APIView) -> bool:
        role = getattr(request.user, "role", None)
        return super().has_permission(request, view) and role in (
            Role.MANAGER,
            Role.ADMINISTRATOR,
        )
