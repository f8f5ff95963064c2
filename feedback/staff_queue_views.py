"""The staff queue page: filters, search with highlighted matches, saved views and bulk steps.
Thin: each parses, calls a selector or service, and renders or redirects."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from feedback import clocks
from feedback.choices import CLOCK_RUNNING_STATUSES
from feedback.errors import InvalidFeedback
from feedback.filters import QueueFilter
from feedback.models import Feedback, User
from feedback.selectors import (
    MATCH_START,
    MATCH_STOP,
    SEARCH_RANK_LIMIT,
    feedback_queue,
    saved_views_for,
    search_snippet_words,
)
from feedback.services import (
    fft_uploads,
    saved_views,
)
from feedback.services.steps import bulk_apply
from feedback.staff_forms import (
    BulkActionForm,
)
from feedback.staff_views import PAGE_SIZE, STEPS, _user

_SNIPPET_CHARS = 110
# How many saved views the queue counts on each visit (each is one count query).
SAVED_VIEWS_COUNTED = 12


def _snippet_html(item: Feedback, words: list[str]) -> str:
    """The item's snippet for a search, escaped, the matching words in <mark>."""
    snippet = getattr(item, "snippet", None)
    if snippet is None:
        return ""
    if MATCH_START not in snippet:
        # The database did not mark it (SQLite, or found by its number): a window around the
        # first word found, marked here.
        pattern = (
            re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
        )
        first = pattern.search(snippet) if pattern else None
        start = max(0, first.start() - _SNIPPET_CHARS) if first else 0
        window = snippet[start : start + 2 * _SNIPPET_CHARS]
        window = ("\u2026" if start else "") + window
        window += "\u2026" if start + 2 * _SNIPPET_CHARS < len(snippet) else ""
        snippet = (
            pattern.sub(lambda m: f"{MATCH_START}{m.group(0)}{MATCH_STOP}", window)
            if pattern
            else window
        )
    marked = escape(snippet).replace(MATCH_START, "<mark>").replace(MATCH_STOP, "</mark>")
    return mark_safe(marked)  # noqa: S308 (escaped above; only our own <mark> tags added)


@login_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queryset = feedback_queue(user).select_related("assigned_to")
    filters = QueueFilter(request.GET or None, queryset=queryset, request=request)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    searched = (
        filters.form.cleaned_data.get("q", "") if filters.is_bound and filters.is_valid() else ""
    )
    words = search_snippet_words(searched)
    rows = [
        {
            "item": item,
            "snippet": _snippet_html(item, words) if searched else "",
            "overdue": clocks.is_item_overdue(item.status, item.response_due, today),
            "due_this_week": item.status in CLOCK_RUNNING_STATUSES
            and clocks.is_due_within(item.response_due, today, 7),
        }
        for item in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/queue.html",
        {
            "page": page,
            "rows": rows,
            "filter": filters,
            "query": query.urlencode(),
            "searched": searched,
            "search_limit": SEARCH_RANK_LIMIT,
            "saved_views": _saved_views(user, request),
            "uploads_fft": user.organisation is not None
            and user.organisation.kind in fft_uploads.UPLOADING_KINDS,
            "colleagues": User.objects.filter(
                organisation=user.organisation, is_active=True
            ).order_by("username"),
        },
    )


# How the item page reads each step's input; steps without a form are a single button.


def _saved_views(user: User, request: HttpRequest) -> list[dict[str, Any]]:
    """The user's saved views with how many items each holds now."""
    rows = []
    for view in saved_views_for(user)[:SAVED_VIEWS_COUNTED]:
        params = QueryDict(view.query)
        count = QueueFilter(params, queryset=feedback_queue(user), request=request).qs.count()
        # A broad search keeps only its most recent matches: the badge says "1000+", not 1000.
        capped = bool(params.get("q", "").strip()) and count >= SEARCH_RANK_LIMIT
        rows.append(
            {"view": view, "count": count, "capped": capped, "mine": view.owner_id == user.pk}
        )
    return rows


@login_required
@require_POST
def staff_queue_view_save(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = request.POST.get("query", "")
    try:
        view = saved_views.saved_view_create(
            user=user,
            name=request.POST.get("name", ""),
            query=query,
            shared=request.POST.get("shared") == "on",
        )
    except InvalidFeedback as exc:
        for message in exc.errors.values():
            messages.error(request, message)
        return redirect(reverse("staff-queue") + (f"?{query}" if query else ""))
    messages.success(request, f"View saved: {view.name}.")
    return redirect(reverse("staff-queue") + f"?{view.query}")


@login_required
@require_POST
def staff_queue_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        saved_views.saved_view_delete(user=user, pk=pk)
    except InvalidFeedback as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, "View deleted.")
    return redirect("staff-queue")


@login_required
@require_POST
def staff_queue_bulk(request: HttpRequest) -> HttpResponse:
    """Acknowledge or assign the items ticked in the queue, each its own audited step."""
    user = _user(request)
    form = BulkActionForm(request.POST, organisation_id=user.organisation_id)
    # Back to the queue as it was filtered (a query string on our own path: never off-site).
    return_to = request.POST.get("return_to", "")
    back = reverse("staff-queue") + (f"?{return_to}" if return_to else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    wanted = form.cleaned_data["items"]
    items = list(feedback_queue(user).filter(pk__in=wanted))
    data = (
        {"assignee": form.cleaned_data["assignee"]}
        if form.cleaned_data["action"] == "assign"
        else {}
    )
    result = bulk_apply(items=items, actor=user, step=form.cleaned_data["action"], data=data)
    missing = sorted(set(wanted) - {item.pk for item in items})
    label = STEPS[form.cleaned_data["action"]].label
    if result.done:
        messages.success(
            request, f"{label}: done for {len(result.done)} item{pluralize(len(result.done))}."
        )
    problems = [f"#{pk}: {why}" for pk, why in result.refused]
    problems += [f"#{pk}: not in your queue" for pk in missing]
    if problems:
        messages.error(request, f"{label}: not done for " + "; ".join(problems) + ".")
    return redirect(back)
