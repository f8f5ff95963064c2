"""Admin: administrators issue and revoke regulator API tokens and read the export audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from analytics.models import ApiScope, ApiToken, ExportAudit
from analytics.tokens import TokenError, api_token_issue, api_token_revoke


def _default_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.REGULATOR_TOKEN_DEFAULT_DAYS)


class ApiTokenIssueForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(initial=_default_expiry)

    class Meta:
        model = ApiToken
        fields = ["name", "organisation", "national", "scopes", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "prefix",
        "scopes",
        "national",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["national", "organisation__kind"]
    search_fields = ["name", "prefix", "organisation__ods_code", "organisation__name"]
    actions = ["revoke"]
    readonly_fields = [
        "organisation",
        "national",
        "scopes",
        "prefix",
        "expires_at",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
        "last_used_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Scope, organisation and expiry are fixed once issued: issue a new token to change them.
        return list(self.readonly_fields) if obj is not None else []

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenIssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return list(ApiTokenIssueForm.Meta.fields)
        return ["name", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        data = form.cleaned_data
        try:
            issued = api_token_issue(
                organisation=data["organisation"],
                scopes=data["scopes"],
                name=data["name"],
                national=data["national"],
                expires_at=data["expires_at"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except TokenError as exc:
            raise forms.ValidationError(str(exc)) from exc
        # The admin goes on with the instance it built: make it the issued row.
        for model_field in ApiToken._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(issued.token, model_field.attname))
        obj._state = issued.token._state
        obj._plain_token = issued.plain  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        plain = getattr(obj, "_plain_token", None)
        if plain is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "admin/analytics/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "title": "API token issued",
                "token": obj,
                "plain": plain,
                "change_url": reverse("admin:analytics_apitoken_change", args=[obj.pk]),
                "list_url": reverse("admin:analytics_apitoken_changelist"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                api_token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
                count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoke instead: the export audit refers to the token


@admin.register(ExportAudit)
class ExportAuditAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "organisation",
        "token",
        "endpoint",
        "row_count",
        "completed",
        "client_ip",
    ]
    list_filter = ["endpoint", "completed", "organisation__kind"]
    search_fields = ["token__prefix", "organisation__ods_code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
