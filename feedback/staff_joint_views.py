"""Staff pages for joint complaints (regulation 9): the lead invites and removes partners on the
item page; a partner's staff list their joint complaints and add their part of the findings.
Thin: each parses a form, calls ``feedback.services.joint`` and renders or redirects."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from feedback.errors import IllegalTransition, InvalidFeedback, NotPermitted
from feedback.models import Organisation
from feedback.selectors import feedback_get_readable, feedback_joint_for, organisation_by_ods_code
from feedback.services import joint
from feedback.staff_forms import JointFindingsForm, JointInviteForm
from feedback.staff_views import PAGE_SIZE, _render_item, _user, render_partner_item


def _back(pk: int) -> str:
    return reverse("staff-item", kwargs={"pk": pk}) + "#joint"


@login_required
@require_GET
def staff_joint(request: HttpRequest) -> HttpResponse:
    """Joint complaints: your part. The items other organisations lead that the user's
    organisation was invited to, with whether it has added its part."""
    user = _user(request)
    page = Paginator(feedback_joint_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    own = {
        p.feedback_id: p
        for p in user.organisation.joint_items.filter(  # type: ignore[union-attr]
            feedback_id__in=[item.pk for item in page.object_list]
        )
    }
    rows = [{"item": item, "own": own.get(item.pk)} for item in page.object_list]
    return render(request, "staff/joint.html", {"page": page, "rows": rows})


@login_required
@require_POST
def staff_item_partner_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead invites a partner organisation; the page again with the problem if refused."""
    user = _user(request)
    item = feedback_get_readable(user, pk)
    if item.handled_by_id != user.organisation_id:
        messages.error(request, joint.NOT_LEAD)
        return redirect(_back(pk))
    form = JointInviteForm(request.POST, prefix="joint")
    organisation = None
    if form.is_valid() or "organisation" in form.cleaned_data:
        code = form.cleaned_data["organisation"].strip().upper()
        organisation = organisation_by_ods_code(code)
        if organisation is None:
            form.add_error(
                "organisation", f"{code} is not the ODS code of an organisation in the directory."
            )
    if organisation is not None and form.is_valid():
        try:
            joint.joint_partner_invite(
                feedback=item,
                organisation=organisation,
                reason=form.cleaned_data["reason"],
                actor=user,
            )
        except (IllegalTransition, NotPermitted) as exc:
            messages.error(request, f"Not invited: {exc}")
            return redirect(_back(pk))
        except InvalidFeedback as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                f"{organisation.name} invited as a partner. Its staff can now see this "
                "complaint and add their part of the findings.",
            )
            return redirect(_back(pk))
    return _render_item(request, item, user, joint_form=form, status=400)


@login_required
@require_POST
def staff_item_partner_remove(request: HttpRequest, pk: int, ods_code: str) -> HttpResponse:
    """The lead takes back an invitation (a partner that has not added its part)."""
    user = _user(request)
    item = feedback_get_readable(user, pk)
    organisation = Organisation.objects.filter(ods_code=ods_code.upper()).first()
    try:
        if organisation is None:
            raise InvalidFeedback({"organisation": "That organisation is not a partner."})
        joint.joint_partner_remove(feedback=item, organisation=organisation, actor=user)
    except (IllegalTransition, InvalidFeedback, NotPermitted) as exc:
        problem = " ".join(exc.errors.values()) if isinstance(exc, InvalidFeedback) else str(exc)
        messages.error(request, f"Not removed: {problem}")
    else:
        messages.success(request, f"{organisation.name} is no longer a partner.")
    return redirect(_back(pk))


@login_required
@require_POST
def staff_item_contribution(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner adds or changes its part of the findings."""
    user = _user(request)
    item = feedback_get_readable(user, pk)
    if item.handled_by_id == user.organisation_id:
        messages.error(request, joint.NOT_PARTNER)
        return redirect(_back(pk))
    form = JointFindingsForm(request.POST, prefix="joint")
    if form.is_valid():
        try:
            joint.joint_contribution_save(
                feedback=item, actor=user, findings=form.cleaned_data["findings"]
            )
        except (IllegalTransition, NotPermitted) as exc:
            messages.error(request, f"Not saved: {exc}")
            return redirect(_back(pk))
        except InvalidFeedback as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, "Your part of the findings is saved. The lead can see it.")
            return redirect(_back(pk))
    return render_partner_item(request, item, user, findings_form=form, status=400)
