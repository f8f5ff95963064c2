"""The patient's tracking page: the status of what they sent, with the link emailed to them; adding
to it, attaching a file, withdrawing it, and the emailed code that shows the response. Thin views
that parse, call ``feedback.services.patient`` or ``attachments``, and render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from feedback.choices import TERMINAL_STATUSES, Status
from feedback.downloads import attachment_response
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.labels import easy_read_tracking
from feedback.selectors import feedback_get_by_token
from feedback.services import attachments, patient
from feedback.tracking_forms import AddInformationForm, ResponseCodeForm, WithdrawFeedbackForm
from feedback.upload_forms import AttachmentForm
from patientview.middleware import accepts_file_uploads


def tracking(request: HttpRequest, token: str, forms: dict[str, Any] | None = None,
             status: int = 200) -> HttpResponse:  # fmt: skip
    item = feedback_get_by_token(token)
    forms = forms or {}
    access = patient.response_access(feedback=item, session=request.session)
    # Patients see only the files they added, and, like the response, only once it is known to
    # be them: the names may say who they are.
    own_files = attachments.attachments_of(item, by_patient=True)
    context = {
        "item": item,
        # The response shown: this item's own, or that of the item it was merged into.
        "answer": patient.response_source(item),
        "merged": item.duplicate_of_id is not None,
        "access": access,
        "own_files": own_files if access.show else [],
        "own_file_count": own_files.count(),
        "attach_form": forms.get("attach") or AttachmentForm(),
        "attachment_hint": attachments.attachment_limits_hint(),
        "attachment_accept": attachments.ACCEPT,
        "add_form": forms.get("add") or AddInformationForm(),
        "withdraw_form": forms.get("withdraw") or WithdrawFeedbackForm(),
        "code_form": forms.get("code") or ResponseCodeForm(),
        "code_sent": forms.get("code_sent", False),
        "can_add": item.status not in TERMINAL_STATUSES,
        "can_withdraw": item.status not in (*TERMINAL_STATUSES, Status.RESPONDED),
        "messages_sent": item.messages.count(),
        # ?easy-read=1: the status in easy read too, a link away and with no JavaScript.
        "easy_read": easy_read_tracking(
            status=item.status,
            route=item.route,
            route_rule=item.route_rule,
            has_handler=item.handled_by_id is not None,
            merged=item.duplicate_of_id is not None,
        )
        if request.GET.get("easy-read") == "1"
        else None,
    }
    return render(request, "feedback/tracking.html", context, status=status)


@require_http_methods(["POST"])
def tracking_add(request: HttpRequest, token: str) -> HttpResponse:
    item = feedback_get_by_token(token)
    form = AddInformationForm(request.POST)
    if form.is_valid():
        try:
            patient.patient_add_information(feedback=item, text=form.cleaned_data["text"])
        except InvalidFeedback as exc:
            form.add_error("text", exc.errors.get("text", _("Check what you entered")))
        except IllegalTransition as exc:
            form.add_error("text", str(exc))
        else:
            return redirect(f"{reverse('tracking', args=[token])}?added=1")
    return tracking(request, token, {"add": form}, status=400)


@require_http_methods(["POST"])
@accepts_file_uploads
def tracking_attach(request: HttpRequest, token: str) -> HttpResponse:
    """The patient adds a letter or photo to their open item."""
    item = feedback_get_by_token(token)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachments.attachment_add(
                feedback=item, uploaded_file=form.cleaned_data["file"], by_patient=True
            )
        except InvalidFeedback as exc:
            form.add_error("file", exc.errors.get("file", str(exc)))
        except IllegalTransition as exc:
            form.add_error("file", str(exc))
        else:
            return redirect(f"{reverse('tracking', args=[token])}?attached=1#attachments")
    return tracking(request, token, {"attach": form}, status=400)


@require_http_methods(["GET"])
def tracking_attachment(request: HttpRequest, token: str, attachment_pk: int) -> HttpResponseBase:
    """Download a file the patient added: with the link, and the emailed code where the response
    needs one (the same rule as for reading the response)."""
    item = feedback_get_by_token(token)
    if not patient.response_access(feedback=item, session=request.session).show:
        raise Http404("Check it is you first: ask for a code on the tracking page.")
    attachment = attachments.attachment_get(feedback=item, pk=attachment_pk, by_patient=True)
    content = attachments.attachment_open(attachment=attachment, actor=None)
    return attachment_response(attachment, content)


@require_http_methods(["POST"])
def tracking_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    item = feedback_get_by_token(token)
    form = WithdrawFeedbackForm(request.POST)
    if form.is_valid():
        try:
            patient.patient_withdraw(feedback=item, reason=form.cleaned_data["reason"])
        except (InvalidFeedback, IllegalTransition) as exc:
            form.add_error("reason", str(getattr(exc, "errors", {}).get("reason", exc)))
        else:
            return redirect("tracking", token=token)
    return tracking(request, token, {"withdraw": form}, status=400)


@require_http_methods(["POST"])
def tracking_response(request: HttpRequest, token: str) -> HttpResponse:
    """Send a code to the patient's email, or check the code they entered."""
    item = feedback_get_by_token(token)
    if request.POST.get("action") == "send":
        patient.response_code_send(feedback=item, session=request.session)
        return tracking(request, token, {"code_sent": True})
    form = ResponseCodeForm(request.POST)
    if form.is_valid():
        try:
            patient.response_code_check(
                feedback=item, session=request.session, code=form.cleaned_data["code"]
            )
        except InvalidFeedback as exc:
            form.add_error("code", exc.errors["code"])
        else:
            # Back to what the code was asked for: the response, or the patient's own files.
            to = "#response" if patient.response_source(item).response_text else "#attachments"
            return redirect(f"{reverse('tracking', args=[token])}{to}")
    return tracking(request, token, {"code": form, "code_sent": True}, status=400)
