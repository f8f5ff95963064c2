"""Reply templates, per organisation and step, edited by managers. Thin: parse, call the service,
render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from feedback.choices import Role
from feedback.errors import InvalidFeedback
from feedback.models import ReplyTemplate
from feedback.reply_templates import DEFAULTS, PLACEHOLDERS, TEMPLATE_STEPS
from feedback.services import (
    reply_templates,
)
from feedback.staff_views import _user


@login_required
def staff_templates(request: HttpRequest) -> HttpResponse:
    """A manager's page for the organisation's reply templates (handlers read them)."""
    user = _user(request)
    if user.organisation_id is None:
        raise Http404("No organisation.")
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = ReplyTemplate.objects.filter(
            pk=int(request.GET["edit"]), organisation_id=user.organisation_id
        ).first()
    errors: dict[str, str] = {}
    values = {
        "step": editing.step if editing else "respond",
        "name": editing.name if editing else "",
        "body": editing.body if editing else "",
    }
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("step", "name", "body")}
        pk = request.POST.get("pk", "")
        try:
            saved = reply_templates.reply_template_save(
                user=user, pk=int(pk) if pk.isdigit() else None, **values
            )
        except InvalidFeedback as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Template saved: {saved.name}.")
            return redirect("staff-templates")
    own = ReplyTemplate.objects.filter(organisation_id=user.organisation_id).order_by(
        "step", "name"
    )
    return render(
        request,
        "staff/templates.html",
        {
            "own": own,
            "defaults": DEFAULTS,
            "steps": TEMPLATE_STEPS,
            "placeholders": PLACEHOLDERS,
            "values": values,
            "editing": editing,
            "errors": errors,
            "is_manager": user.role == Role.MANAGER,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def staff_template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        reply_templates.reply_template_delete(user=user, pk=pk)
    except InvalidFeedback as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, "Template deleted.")
    return redirect("staff-templates")
