"""Admin: organisations and staff are managed here; the audit trail is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from feedback.models import AuditEvent, Organisation, Region, User


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["ods_code", "name", "kind", "trust_type", "icb", "region"]
    list_filter = ["kind", "trust_type", "region"]
    search_fields = ["ods_code", "name"]


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    list_display = ["username", "email", "organisation", "role", "is_active"]
    list_filter = ["role", "organisation__kind", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Organisation", {"fields": ("organisation", "role")}),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "feedback", "actor", "action", "from_value", "to_value"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
