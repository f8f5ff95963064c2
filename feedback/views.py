"""Patient pages: thin views that parse, call a service or selector, and render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from feedback.errors import InvalidFeedback
from feedback.forms import FeedbackForm
from feedback.selectors import feedback_get_by_token
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
