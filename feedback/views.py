"""Pages: thin views that parse, call a service or selector, and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from feedback.errors import InvalidFeedback
from feedback.forms import FeedbackForm
from feedback.selectors import feedback_get_by_token, feedback_get_for_user, feedback_queue
from feedback.services.intake import feedback_submit


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/start.html")


def feedback_new(request: HttpRequest) -> HttpResponse:
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = feedback_submit(**form.cleaned_data)
        except InvalidFeedback as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("feedback-submitted", token=item.tracking_token)
    return render(request, "feedback/new.html", {"form": form})


def feedback_submitted(request: HttpRequest, token: str) -> HttpResponse:
    item = feedback_get_by_token(token)
    return render(request, "feedback/submitted.html", {"item": item})


def tracking(request: HttpRequest, token: str) -> HttpResponse:
    item = feedback_get_by_token(token)
    return render(request, "feedback/tracking.html", {"item": item})


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
