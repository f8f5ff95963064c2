"""Staff pages for FFT uploads: thin views that parse, call the service or a selector, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from feedback.choices import FFT_UPLOAD_RUNNING, FftUploadStatus
from feedback.errors import InvalidFeedback
from feedback.fft_vocabulary import COLUMNS
from feedback.models import User
from feedback.selectors import (
    fft_upload_earlier_same_file,
    fft_upload_get_for_user,
    fft_upload_row_kinds,
    fft_uploads_for,
)
from feedback.services import fft_uploads
from feedback.upload_forms import FftUploadForm
from patientview.middleware import accepts_fft_uploads

UPLOADS_LISTED = 20


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.organisation_id is None:
        raise Http404("Your account does not belong to an organisation.")
    return user


@login_required
@accepts_fft_uploads
def staff_fft_uploads(request: HttpRequest) -> HttpResponse:
    """Upload the organisation's FFT export (POST), and the uploads made so far."""
    user = _user(request)
    form = FftUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = fft_uploads.fft_upload_receive(
                actor=user, uploaded_file=form.cleaned_data["file"]
            )
        except InvalidFeedback as exc:
            form.add_error("file", exc.errors.get("file", str(exc)))
        else:
            return redirect("staff-fft-upload", pk=upload.pk)
    organisation = user.organisation
    return render(
        request,
        "staff/fft_uploads.html",
        {
            "form": form,
            "can_upload": organisation is not None
            and organisation.kind in fft_uploads.UPLOADING_KINDS,
            "hint": fft_uploads.fft_upload_limits_hint(),
            "columns": COLUMNS,
            "uploads": fft_uploads_for(user)[:UPLOADS_LISTED],
        },
        status=400 if form.errors else 200,
    )


@login_required
def staff_fft_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload: its progress while it runs (the page updates itself), then its result."""
    user = _user(request)
    upload = fft_upload_get_for_user(user, pk)
    return render(
        request,
        "staff/fft_upload.html",
        {
            "upload": upload,
            "running": upload.status in FFT_UPLOAD_RUNNING,
            "rejected": upload.status == FftUploadStatus.REJECTED,
            "progress": fft_uploads.fft_upload_progress_text(upload),
            "earlier": fft_upload_earlier_same_file(upload),
            "more_errors": max(0, upload.row_error_count - len(upload.row_errors)),
            "row_kinds": fft_upload_row_kinds(upload),
            "row_errors_days": settings.FFT_UPLOAD_ROW_ERRORS_DAYS,
        },
    )
