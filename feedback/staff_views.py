"""Staff pages: thin views that parse, call a service or selector, and render."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from feedback import clocks
from feedback.choices import CLOCK_RUNNING_STATUSES, TERMINAL_STATUSES, Role, Status
from feedback.downloads import attachment_response
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.filters import QueueFilter
from feedback.forms import AttachmentForm
from feedback.models import Feedback, ReplyTemplate, User
from feedback.reply_templates import DEFAULTS, PLACEHOLDERS, TEMPLATE_STEPS
from feedback.selectors import (
    MATCH_START,
    MATCH_STOP,
    SEARCH_RANK_LIMIT,
    feedback_get_for_user,
    feedback_get_readable,
    feedback_queue,
    feedback_visible_to,
    reply_templates_for,
    saved_views_for,
    search_snippet_words,
)
from feedback.services import (
    attachments,
    duplicates,
    fft_uploads,
    joint,
    merging,
    privacy,
    reply_templates,
    saved_views,
    two_factor,
    workflow,
)
from feedback.services.intake import feedback_submit
from feedback.services.steps import WORKFLOW_STEPS, available_steps, bulk_apply
from feedback.staff_forms import (
    AgreeDeadlineForm,
    AssignForm,
    BulkActionForm,
    CloseForm,
    ConfirmRiskForm,
    CorrectAnalysisForm,
    DismissRiskForm,
    InvestigateForm,
    JointFindingsForm,
    JointInviteForm,
    LinkForm,
    MergeForm,
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
    UnmergeForm,
    WithdrawForm,
)
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


_SNIPPET_CHARS = 110


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


# How many saved views the queue counts on each visit (each is one count query).
SAVED_VIEWS_COUNTED = 12


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
