"""Staff pages: thin views that parse, call a service or selector, and render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from feedback.choices import TERMINAL_STATUSES, Role, Status
from feedback.downloads import attachment_response
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Feedback, User
from feedback.reply_templates import TEMPLATE_STEPS
from feedback.selectors import (
    feedback_get_for_user,
    feedback_get_readable,
    feedback_visible_to,
    reply_templates_for,
)
from feedback.services import (
    attachments,
    duplicates,
    joint,
    merging,
    privacy,
    reply_templates,
    two_factor,
    workflow,
)
from feedback.services.intake import feedback_submit
from feedback.services.steps import WORKFLOW_STEPS, available_steps
from feedback.staff_forms import (
    AgreeDeadlineForm,
    AssignForm,
    CloseForm,
    ConfirmRiskForm,
    CorrectAnalysisForm,
    DismissRiskForm,
    InvestigateForm,
    JointFindingsForm,
    JointInviteForm,
    PersonForm,
    RecordConsentForm,
    ReopenForm,
    RequestConsentForm,
    RequestInformationForm,
    RerouteForm,
    RespondForm,
    StaffEntryForm,
    StaffLoginForm,
    TwoFactorConfirmForm,
    WithdrawForm,
)
from feedback.upload_forms import AttachmentForm
from patientview.middleware import accepts_file_uploads

PAGE_SIZE = 25
TRIAGE_NAMES = {
    "safeguarding": "Safeguarding",
    "mental_health_act": "Mental Health Act",
    "serious_risk": "Serious risk to safety",
    "primary_care": "Primary care",
    "commissioning": "Commissioning",
    "asks_commissioner": "Asks for the commissioner",
}


class StaffLoginView(auth_views.LoginView):
    """Sign in; staff with two-factor on are verified with their code in the same step."""

    template_name = "staff/login.html"
    authentication_form = StaffLoginForm

    def form_valid(self, form: StaffLoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        if form.otp_device is not None:
            otp_login(self.request, form.otp_device)
        return response


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.organisation_id is None:
        raise Http404("Your account does not belong to an organisation.")
    return user


STEP_FORMS: dict[str, type[forms.Form]] = {
    "investigate": InvestigateForm,
    "request-information": RequestInformationForm,
    "request-consent": RequestConsentForm,
    "record-consent": RecordConsentForm,
    "respond": RespondForm,
    "close": CloseForm,
    "withdraw": WithdrawForm,
    "reroute": RerouteForm,
    "assign": AssignForm,
    "agree-deadline": AgreeDeadlineForm,
    "reopen": ReopenForm,
    "confirm-risk": ConfirmRiskForm,
    "dismiss-risk": DismissRiskForm,
    "correct-analysis": CorrectAnalysisForm,
}
STEPS = WORKFLOW_STEPS


def _make_form(
    name: str,
    user: User,
    data: Any = None,
    item: Feedback | None = None,
    initial: dict[str, Any] | None = None,
) -> forms.Form | None:
    form_class = STEP_FORMS.get(name)
    if form_class is None:
        return None
    if form_class is AssignForm:
        return AssignForm(data, organisation_id=user.organisation_id, prefix=name)
    if form_class is CorrectAnalysisForm and item is not None:
        return CorrectAnalysisForm(data, item=item, prefix=name)
    return form_class(data, prefix=name, initial=initial)


def _template_initial(
    request: HttpRequest, item: Feedback, user: User
) -> tuple[str, dict[str, Any]]:
    """The step and the form's starting text when the handler chose a template (?template=)."""
    chosen = request.GET.get("template", "")
    step, _, key = chosen.partition(":")
    if step not in TEMPLATE_STEPS or user.organisation_id is None:
        return "", {}
    template = next(
        (t for t in reply_templates_for(user.organisation_id, step) if t.key == key), None
    )
    if template is None or step not in available_steps(item):
        return "", {}
    # The complainant's name is read (and the reading audited) only when the handler chose the
    # template on our own page, never for a link followed from elsewhere.
    same_site = request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
    text = reply_templates.reply_template_fill(
        item=item, user=user, body=template.body, reveal_name=same_site
    )
    return step, {TEMPLATE_STEPS[step][1]: text}


def _render_item(
    request: HttpRequest,
    item: Feedback,
    user: User,
    *,
    bound: tuple[str, forms.Form] | None = None,
    identity: Any = None,
    attachment_form: forms.Form | None = None,
    joint_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    steps = []
    filled_step, filled = _template_initial(request, item, user) if bound is None else ("", {})
    for name in available_steps(item):
        form: forms.Form | None
        if bound and bound[0] == name:
            form = bound[1]
        else:
            initial = filled if name == filled_step else None
            form = _make_form(name, user, item=item, initial=initial)
        templates = (
            reply_templates_for(user.organisation_id, name)
            if name in TEMPLATE_STEPS and user.organisation_id is not None
            else []
        )
        steps.append(
            {"name": name, "label": STEPS[name].label, "form": form, "templates": templates}
        )
    events = item.audit_events.select_related("actor")
    if user.role == Role.HANDLER:
        # Who looked at whose contact details is for managers to review.
        events = events.exclude(action="identity_viewed")
    return render(
        request,
        "staff/item.html",
        {
            "item": item,
            "themes": item.themes.order_by("-score"),
            "triage_scores": [
                (TRIAGE_NAMES.get(label, label), score)
                for label, score in sorted((item.triage_scores or {}).items(), key=lambda p: -p[1])
            ],
            "events": events,
            "steps": steps,
            # None: not asked for; False: asked for, but the patient gave none; else the details.
            "identity": identity,
            "attachments": attachments.attachments_of(item),
            "attachment_form": attachment_form or AttachmentForm(),
            "attachment_hint": attachments.attachment_limits_hint(),
            "attachment_accept": attachments.ACCEPT,
            **_duplicates_context(item, user),
            "joint": joint.joint_view(feedback=item, user=user),
            "joint_refusal": joint.joint_refusal(item),
            "joint_form": joint_form or JointInviteForm(prefix="joint"),
        },
        status=status,
    )


def render_partner_item(
    request: HttpRequest,
    item: Feedback,
    user: User,
    *,
    findings_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """A joint complaint as a partner organisation's staff see it: what the patient said, the
    lead and its clock, and their own part of the findings to add. No workflow step, contact
    details, attachments or timeline: those stay with the lead (ADR 0018)."""
    view = joint.joint_view(feedback=item, user=user)
    editable = item.status not in (Status.RESPONDED, *TERMINAL_STATUSES)
    if findings_form is None:
        initial = {"findings": view.own.findings} if view.own is not None else None
        findings_form = JointFindingsForm(prefix="joint", initial=initial)
    return render(
        request,
        "staff/joint_item.html",
        {"item": item, "joint": view, "editable": editable, "findings_form": findings_form},
        status=status,
    )


def _duplicates_context(item: Feedback, user: User) -> dict[str, Any]:
    """The item page's "Possible duplicates" section: candidates with the merges that are open
    for each, the items linked to it, merged into it, and the one it was merged into."""
    candidates = duplicates.duplicate_candidates(feedback=item, user=user)
    return {
        "duplicates_checked": item.kind in duplicates.DUPLICATE_KINDS,
        "duplicate_window_days": duplicates.DUPLICATE_WINDOW.days,
        "candidates": [
            {
                "candidate": candidate,
                "merge_here": merging.merge_refusal(candidate.item, item) is None,
                "merge_there": merging.merge_refusal(item, candidate.item) is None,
            }
            for candidate in candidates
        ],
        "linked_items": list(duplicates.links_of(feedback=item, user=user)),
        "merged_here": list(duplicates.duplicates_of(feedback=item, user=user)),
        "merged_into": (
            feedback_visible_to(user).filter(pk=item.duplicate_of_id).first()
            if item.duplicate_of_id is not None
            else None
        ),
    }


def _refusal(exc: IllegalTransition | InvalidFeedback) -> str:
    if isinstance(exc, InvalidFeedback):
        return " ".join(exc.errors.values())
    return str(exc)


def _form_problem(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@login_required
def staff_item(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = feedback_get_readable(user, pk)
    if item.handled_by_id != user.organisation_id:
        # A joint complaint the user's organisation is a partner in.
        return render_partner_item(request, item, user)
    return _render_item(request, feedback_get_for_user(user, pk), user)


@login_required
@require_POST
def staff_item_identity(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    identity = workflow.identity_reveal(feedback=item, actor=user)
    return _render_item(request, item, user, identity=identity or False)


@login_required
@require_POST
@accepts_file_uploads
def staff_item_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a letter, photo or form to the item; the page again with the problem if refused."""
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = attachments.attachment_add(
                feedback=item, uploaded_file=form.cleaned_data["file"], actor=user
            )
        except InvalidFeedback as exc:
            form.add_error("file", exc.errors.get("file", str(exc)))
        else:
            messages.success(request, f"Attached: {added.name}.")
            return redirect(reverse("staff-item", kwargs={"pk": pk}) + "#attachments")
    return _render_item(request, item, user, attachment_form=form, status=400)


@login_required
@require_GET
def staff_item_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    """Download one of the item's attachments (audited)."""
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    attachment = attachments.attachment_get(feedback=item, pk=attachment_pk)
    content = attachments.attachment_open(attachment=attachment, actor=user)
    return attachment_response(attachment, content)


@login_required
@require_POST
def staff_item_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = _user(request)
    item = feedback_get_for_user(user, pk)
    if step not in STEPS:
        raise Http404("No such step.")
    form = _make_form(step, user, request.POST, item=item)
    data: dict[str, Any] = {}
    if form is not None:
        if not form.is_valid():
            return _render_item(request, item, user, bound=(step, form), status=400)
        data = dict(form.cleaned_data)
    try:
        STEPS[step].run(item, user, data)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
        return redirect("staff-item", pk=pk)
    except InvalidFeedback as exc:
        form = form or forms.Form()
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
        return _render_item(request, item, user, bound=(step, form), status=400)
    messages.success(request, f"{STEPS[step].label}: done.")
    if step == "reroute":
        return redirect("staff-queue")
    return redirect("staff-item", pk=pk)


@login_required
def staff_entry(request: HttpRequest) -> HttpResponse:
    """Enter feedback a patient gave by phone, letter or paper form."""
    user = _user(request)
    form = StaffEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = feedback_submit(actor=user, **form.cleaned_data)
        except InvalidFeedback as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
                "tracking", kwargs={"token": item.tracking_token}
            )
            sent = "emailed to them" if form.cleaned_data.get("email") else "not emailed"
            messages.success(
                request,
                f"Feedback #{item.pk} saved. It will appear in the right queue once analysed. "
                f"The patient's private tracking link ({sent}; send it by letter or read it out "
                f"if they have no email): {link}",
            )
            return redirect("staff-queue")
    return render(request, "staff/entry.html", {"form": form})


@login_required
def staff_two_factor(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app every staff account needs (administrators' too, who have no
    organisation's queue)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404("Sign in first.")
    if two_factor.totp_has_confirmed(user=user):
        return render(request, "staff/two_factor.html", {"confirmed": True})
    form = TwoFactorConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.totp_confirm(user=user, token=form.cleaned_data["token"])
        if device is not None:
            # This session is now verified by the code just shown.
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is on.")
            return redirect("staff-queue" if user.organisation_id else "admin:index")
        form.add_error("token", "That code is not right. Enter the code your app shows now.")
    device = two_factor.totp_device_pending(user=user)
    return render(
        request,
        "staff/two_factor.html",
        {
            "form": form,
            "secret": two_factor.totp_secret_base32(device),
            "qr_svg": two_factor.totp_qr_svg(device),
        },
    )


@login_required
def staff_privacy(request: HttpRequest) -> HttpResponse:
    """Subject access and erasure requests, for managers of the organisation."""
    user = _user(request)
    if user.role not in (Role.MANAGER, Role.ADMINISTRATOR):
        raise Http404("Only managers answer subject access and erasure requests.")
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = {k: form.cleaned_data.get(k) or "" for k in ("nhs_number", "email")}
        try:
            if request.POST.get("action") == "erase":
                count = privacy.identity_erase(user=user, **person)
                messages.success(
                    request, f"Contact details erased from {count} item{pluralize(count)}."
                )
                return redirect("staff-privacy")
            record = privacy.subject_access_export(user=user, **person)
        except InvalidFeedback as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            response = HttpResponse(
                privacy.subject_access_json(record), content_type="application/json"
            )
            response["Content-Disposition"] = 'attachment; filename="subject-access.json"'
            return response
    return render(request, "staff/privacy.html", {"form": form})
