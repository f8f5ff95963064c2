"""Staff pages for duplicates and links: link or unlink two items of the queue, merge one into
the other, undo a merge. Thin: each parses a form, calls a service and redirects to the item."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.selectors import (
    feedback_get_for_user,
)
from feedback.services import (
    duplicates,
    merging,
)
from feedback.staff_forms import (
    LinkForm,
    MergeForm,
    UnmergeForm,
)
from feedback.staff_views import _form_problem, _refusal, _user


@login_required
@require_POST
def staff_item_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the item to another of the queue; both show the link."""
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    back = reverse("staff-item", kwargs={"pk": pk}) + "#duplicates"
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect(back)
    other = feedback_get_for_user(user, form.cleaned_data["other"])
    try:
        duplicates.feedback_link(feedback=item, other=other, actor=user)
    except (IllegalTransition, InvalidFeedback) as exc:
        messages.error(request, f"Not linked: {_refusal(exc)}")
    else:
        messages.success(request, f"Linked to #{other.pk}.")
    return redirect(back)


@login_required
@require_POST
def staff_item_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the link between the item and another of the queue (linked by mistake)."""
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    back = reverse("staff-item", kwargs={"pk": pk}) + "#duplicates"
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect(back)
    other = feedback_get_for_user(user, form.cleaned_data["other"])
    try:
        duplicates.feedback_unlink(feedback=item, other=other, actor=user)
    except (IllegalTransition, InvalidFeedback) as exc:
        messages.error(request, f"Not unlinked: {_refusal(exc)}")
    else:
        messages.success(request, f"Link to #{other.pk} removed.")
    return redirect(back)


@login_required
@require_POST
def staff_item_unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a merge made by mistake: the duplicate is reopened in the queue."""
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    back = reverse("staff-item", kwargs={"pk": pk}) + "#duplicates"
    form = UnmergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect(back)
    try:
        merging.complaint_unmerge(feedback=item, actor=user, reason=form.cleaned_data["reason"])
    except (IllegalTransition, InvalidFeedback) as exc:
        messages.error(request, f"Merge not undone: {_refusal(exc)}")
    else:
        messages.success(request, f"Merge undone: #{item.pk} is open again in your queue.")
    return redirect(back)


@login_required
@require_POST
def staff_item_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the item into another of the queue; back to the page the button was on, or to the
    item kept once merged."""
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_problem(form))
        return redirect(reverse("staff-item", kwargs={"pk": pk}) + "#duplicates")
    into = feedback_get_for_user(user, form.cleaned_data["into"])
    came_from = form.cleaned_data.get("back")
    back = came_from if came_from in (item.pk, into.pk) else item.pk
    try:
        merging.complaint_merge(feedback=item, into=into, actor=user)
    except (IllegalTransition, InvalidFeedback) as exc:
        messages.error(request, f"Not merged: {_refusal(exc)}")
        return redirect(reverse("staff-item", kwargs={"pk": back}) + "#duplicates")
    messages.success(
        request,
        f"#{item.pk} merged into #{into.pk} and closed as a duplicate. Its complainant has been "
        f"told, and will be sent the final response of #{into.pk}.",
    )
    return redirect(reverse("staff-item", kwargs={"pk": into.pk}) + "#duplicates")
