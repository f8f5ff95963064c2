"""Helpers for the regulator API tests: tokens, authenticated clients, items in known places."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.models import ApiToken
from analytics.tokens import api_token_issue
from feedback.choices import Route, ServiceType
from feedback.models import Feedback, Organisation
from tests.factories import FeedbackFactory

ALL_SCOPES = ("exports:read", "aggregates:read")


def issue(
    organisation: Organisation, scopes: Sequence[str] = ALL_SCOPES, **kwargs: Any
) -> tuple[ApiToken, str]:
    issued = api_token_issue(
        organisation=organisation,
        scopes=scopes,
        name=kwargs.pop("name", f"{organisation.ods_code} analysts"),
        actor=None,
        **kwargs,
    )
    return issued.token, issued.plain


def client_for(plain: str | None) -> APIClient:
    client = APIClient()
    if plain is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def reset_throttles() -> None:
    cache.clear()


def item(
    *,
    provider: Organisation | None,
    handled_by: Organisation | None,
    route: str = Route.TRUST,
    received: dt.datetime | None = None,
    **kwargs: Any,
) -> Feedback:
    values: dict[str, Any] = {
        "provider": provider,
        "handled_by": handled_by,
        "route": route,
        "received_at": received or timezone.now() - dt.timedelta(days=3),
        # Read by the worker, as almost every exported item is (one not yet read is exported
        # without its text: tests/analytics/test_exports.py).
        "analysis_state": "done",
    }
    if provider is None:
        values["area"] = kwargs.pop("area", None)
        values.setdefault("service_type", ServiceType.GP)
    values.update(kwargs)
    return FeedbackFactory(**values)
