"""Staff pages: thin views that parse, call a service or selector, and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from feedback.selectors import feedback_get_for_user, feedback_queue


@login_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(feedback_queue(request.user), 25).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    return render(request, "staff/queue.html", {"page": page})


@login_required
def staff_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = feedback_get_for_user(request.user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "staff/item.html",
        {"item": item, "themes": item.themes.order_by("-score"), "events": item.audit_events.all()},
    )
