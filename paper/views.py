"""Staff pages for paper forms: print a batch, upload scans, check each page and confirm it.
Thin: they parse, call a service or a selector, render."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from feedback.errors import InvalidFeedback
from feedback.models import User
from paper import selectors, services
from paper.forms import PageConfirmForm, PrintForm, ScanUploadForm
from paper.models import PageStatus, ScanPage, UploadStatus
from paper.scan import reader
from paper.scan.layout import FORMS
from patientview.middleware import accepts_paper_uploads

UPLOADS_LISTED = 20
BATCHES_LISTED = 10


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.organisation_id is None:
        raise Http404("Your account does not belong to an organisation.")
    return user


def _add_errors(form: Any, exc: InvalidFeedback) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


@login_required
def paper_forms(request: HttpRequest) -> HttpResponse:
    """Print a batch of forms (POST: the PDF), and the batches printed so far."""
    user = _user(request)
    form = PrintForm(request.POST) if request.method == "POST" else PrintForm()
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.print_batch_create(actor=user, **form.cleaned_data)
        except InvalidFeedback as exc:
            _add_errors(form, exc)
        else:
            return redirect("paper-batch-pdf", pk=batch.pk)
    return render(
        request,
        "paper/forms.html",
        {
            "form": form,
            "can_print": user.organisation is not None
            and user.organisation.kind in services.PRINTING_KINDS,
            "batches": selectors.print_batches_for(user)[:BATCHES_LISTED],
        },
        status=400 if form.errors else 200,
    )


@login_required
def paper_batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch's forms as a PDF download (printed again from the list)."""
    batch = selectors.print_batch_get_for_user(_user(request), pk)
    response = HttpResponse(services.print_batch_pdf(batch), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{batch.form}-form-{batch.code}.pdf"'
    return response


@login_required
@accepts_paper_uploads
def paper_uploads(request: HttpRequest) -> HttpResponse:
    """Upload scanned forms (POST), and the uploads so far with the pages left to check."""
    user = _user(request)
    form = (
        ScanUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else ScanUploadForm()
    )
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.scan_upload_receive(actor=user, files=form.cleaned_data["scans"])
        except InvalidFeedback as exc:
            _add_errors(form, exc)
        else:
            return redirect("paper-upload", pk=upload.pk)
    return render(
        request,
        "paper/uploads.html",
        {
            "form": form,
            "hint": services.paper_upload_limits_hint(),
            "can_upload": user.organisation is not None
            and user.organisation.kind in services.PRINTING_KINDS,
            "uploads": selectors.scan_uploads_for(user)[:UPLOADS_LISTED],
        },
        status=400 if form.errors else 200,
    )


@login_required
def paper_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """One upload: reading progress (the page refreshes itself), then its pages to check, the
    blank pages skipped, and those confirmed."""
    upload = selectors.scan_upload_get_for_user(_user(request), pk)
    pages = list(upload.pages.select_related("feedback", "organisation").order_by("number"))
    return render(
        request,
        "paper/upload.html",
        {
            "upload": upload,
            "running": upload.status in (UploadStatus.QUEUED, UploadStatus.READING),
            "pages": pages,
            "blank": [p for p in pages if p.status == PageStatus.BLANK],
            "first_to_check": next((p for p in pages if p.status == PageStatus.TO_CHECK), None),
        },
    )


def _data_uri(image: np.ndarray, *, long_side: int | None = None) -> str:
    if long_side and max(image.shape[:2]) > long_side:
        scale = long_side / max(image.shape[:2])
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", image)
    return "data:image/png;base64," + base64.b64encode(data.tobytes()).decode() if ok else ""


def _field_images(page: ScanPage) -> tuple[dict[str, str], str]:
    """Each field's image cut from the straightened page, and the whole page's, as data URIs
    (the policy allows data: images; no extra URL to guard)."""
    source = page.aligned if page.aligned else page.image
    if not source:
        return {}, ""
    with source.open("rb") as f:
        image = reader.decode_image(f.read())
    if image is None:
        return {}, ""
    crops = {}
    if page.aligned:
        for name, field in page.fields.items():
            x, y, w, h = field["box"]
            crops[name] = _data_uri(image[max(y - 6, 0) : y + h + 6, max(x - 6, 0) : x + w + 6])
    return crops, _data_uri(image, long_side=900)


@login_required
def paper_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Check one page: each field's image beside what was read and how sure the reader is,
    doubtful ones highlighted; confirm (it becomes feedback) or set it aside."""
    user = _user(request)
    page = selectors.scan_page_get_for_user(user, pk)
    if page.status != PageStatus.TO_CHECK:
        return render(request, "paper/page_done.html", {"page": page})
    initial = services.page_proposal(page)
    form = (
        PageConfirmForm(request.POST, initial=initial)
        if request.method == "POST"
        else PageConfirmForm(initial=initial)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.scan_page_confirm(
                actor=user,
                page=page,
                organisation=data["organisation"],
                form=data["form"],
                kind=data["kind"],
                text=data["text"],
                fft_rating=data.get("fft_rating") or None,
                service_type=data["service_type"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                language=data.get("language") or "",
            )
        except InvalidFeedback as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Page {page.number} is now feedback #{item.pk}.")
            following = selectors.scan_page_next_to_check(page)
            if following is not None:
                return redirect("paper-page", pk=following.pk)
            return redirect("paper-upload", pk=page.upload_id)
    crops, whole = _field_images(page)
    layout = FORMS.get(page.form)
    rows = []
    for name, read in page.fields.items():
        label = name
        if layout is not None:
            label = next(
                (g.question for g in layout.ticks if g.name == name),
                next((t.label for t in layout.texts if t.name == name), name),
            )
        rows.append(
            {
                "name": name,
                "label": label,
                "value": read.get("value", ""),
                "confidence": round(100 * float(read.get("confidence", 0))),
                "low": float(read.get("confidence", 0)) < reader.LOW_CONFIDENCE,
                "image": crops.get(name, ""),
            }
        )
    return render(
        request,
        "paper/page.html",
        {
            "page": page,
            "form": form,
            "rows": rows,
            "whole": whole,
            "asks_organisation": page.organisation is None,
            "low_count": sum(1 for r in rows if r["low"]),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def paper_page_discard(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    page = selectors.scan_page_get_for_user(user, pk)
    try:
        services.scan_page_discard(actor=user, page=page)
    except InvalidFeedback as exc:
        messages.error(request, next(iter(exc.errors.values())))
    else:
        messages.success(request, f"Page {page.number} set aside: it will not become feedback.")
    return redirect("paper-upload", pk=page.upload_id)
