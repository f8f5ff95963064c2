"""Patient pages up to sending: the start pages and the journey. Thin views that parse, call a
service or selector, and render; the tracking page, after sending, is in ``tracking_views``.

The journey asks one question a page (docs/adr/0004-patient-journey.md) and keeps the answers in
the server-side session until the patient sends them from "Check your answers"; nothing is saved
as feedback before then, and the answers leave the session once the feedback is saved.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, get_language_from_request, override
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from feedback.api.throttling import submission_window_hit
from feedback.choices import (
    PRACTICE_KIND_FOR_SERVICE,
    PRIMARY_CARE_SERVICES,
    ComplainantStatus,
    Kind,
    OrganisationKind,
    Relationship,
)
from feedback.errors import InvalidFeedback, SubmissionKeyReused
from feedback.form_fields import StepForm
from feedback.forms import CONSENT_CHOICES, STEPS, FeedbackForm
from feedback.labels import (
    EASY_READ_START,
    FFT_RATING_LABELS,
    KIND_LABELS,
    PATIENT_AGE_LABELS,
    RELATIONSHIP_LABELS,
    SAFETY_ANSWER_LABELS,
    SERVICE_TYPE_LABELS,
    Text,
    communication_needs_text,
)
from feedback.selectors import (
    feedback_get_by_token,
    organisation_practice,
    organisation_search,
)
from feedback.services.intake import feedback_submit, submission_digest
from patientview.client import client_address

SESSION_KEY = "feedback_answers"
SENT_KEY = "feedback_sent_token"
STEP_SLUGS = [slug for slug, _ in STEPS]
STEP_FORMS = dict(STEPS)
# Which page asks each question, so a problem found on sending links back to the right page.
STEP_OF_FIELD = {name: slug for slug, form in STEPS for name in form.base_fields}
# Kinds for which the patient may ask the commissioner to handle it instead of the provider.
KINDS_WITH_HANDLER_CHOICE = {Kind.COMPLAINT, Kind.CONCERN}


@vary_on_headers("Accept-Language", "Cookie")
def start(request: HttpRequest) -> HttpResponse:
    """The start page. At the English address, someone whose browser prefers another language we
    have (Accept-Language: cy) and who has not chosen one yet is sent to that language's start
    page, once: the redirect sets the language cookie, so the "English" link of the language
    switcher leads back here and stays (docs/adr/0021)."""
    current = get_language()
    if current == settings.LANGUAGE_CODE and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        preferred = get_language_from_request(request)
        if preferred != current:
            with override(preferred):
                response: HttpResponse = redirect(reverse("start"))
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                preferred,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE),
            )
            return response
    return render(request, "feedback/start.html")


def easy_read_start(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/easy_read_start.html", {"points": EASY_READ_START})


def _answers(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(SESSION_KEY, {}))


def _step_url(slug: str, *, change: bool = False) -> str:
    url = (
        reverse("feedback-new") if slug == STEP_SLUGS[0] else reverse("feedback-step", args=[slug])
    )
    return f"{url}?change=1" if change else url


def _back_url(slug: str, *, change: bool) -> str:
    if change:
        return reverse("feedback-check")
    index = STEP_SLUGS.index(slug)
    return reverse("start") if index == 0 else _step_url(STEP_SLUGS[index - 1])


def _render_step(
    request: HttpRequest, slug: str, form: StepForm, answers: dict[str, Any], *, change: bool
) -> HttpResponse:
    service_type = answers.get("service_type", "")
    context = {
        "form": form,
        "step": slug,
        "step_number": STEP_SLUGS.index(slug) + 1,
        "step_count": len(STEP_SLUGS),
        "action": _step_url(slug, change=change),
        "back_url": _back_url(slug, change=change),
        "is_primary_care": service_type in PRIMARY_CARE_SERVICES,
        "show_handler_choice": answers.get("kind") in KINDS_WITH_HANDLER_CHOICE,
        # The KO41 return counts complaints only: other kinds are not asked about the patient.
        "asks_about_patient": answers.get("kind") == Kind.COMPLAINT,
        # Someone writing for the patient: the contact details asked next are theirs.
        "on_behalf": answers.get("complainant_status") == ComplainantStatus.ON_BEHALF,
        "change": change,
    }
    if slug == "where":
        context.update(_practice_search(request, form, service_type))
    return render(request, f"feedback/steps/{slug}.html", context)


@dataclass(frozen=True)
class PracticeWords:
    """What the "where" page says about the kind of practice searched for. Whole sentences, one
    set a kind, so each language can write them its own way (Welsh mutates the noun after "the")."""

    search: Text
    find: Text
    choose: Text
    chosen: Text
    none_found: Text  # with %(query)s


PRACTICE_WORDS: dict[str, PracticeWords] = {
    OrganisationKind.GP_PRACTICE: PracticeWords(
        search=_(
            "Search for the GP practice by its name, the town or its postcode. If you cannot "
            "find it, tell us the area or a postcode or town below."
        ),
        find=_("Find the GP practice"),
        choose=_("Choose the GP practice"),
        chosen=_("The GP practice you chose"),
        none_found=_(
            "No GP practice found for “%(query)s”. Check the spelling or try the postcode, or "
            "tell us the area below."
        ),
    ),
    OrganisationKind.DENTAL_PRACTICE: PracticeWords(
        search=_(
            "Search for the dentist by its name, the town or its postcode. If you cannot find "
            "it, tell us the area or a postcode or town below."
        ),
        find=_("Find the dentist"),
        choose=_("Choose the dentist"),
        chosen=_("The dentist you chose"),
        none_found=_(
            "No dentist found for “%(query)s”. Check the spelling or try the postcode, or tell "
            "us the area below."
        ),
    ),
    OrganisationKind.PHARMACY: PracticeWords(
        search=_(
            "Search for the pharmacy by its name, the town or its postcode. If you cannot find "
            "it, tell us the area or a postcode or town below."
        ),
        find=_("Find the pharmacy"),
        choose=_("Choose the pharmacy"),
        chosen=_("The pharmacy you chose"),
        none_found=_(
            "No pharmacy found for “%(query)s”. Check the spelling or try the postcode, or tell "
            "us the area below."
        ),
    ),
}


def _practice_search(request: HttpRequest, form: StepForm, service_type: str) -> dict[str, Any]:
    """For a GP, dentist or pharmacy: the search the patient made (by name, town or postcode)
    and its matches to choose from, the practice already chosen first."""
    kind = PRACTICE_KIND_FOR_SERVICE.get(service_type)
    if kind is None:
        return {"practice_kind": ""}
    # NUL characters are dropped: no organisation's name holds one, and PostgreSQL refuses them.
    query = " ".join((request.GET.get("q") or request.POST.get("q") or "").split()).replace(
        "\x00", ""
    )
    matches, total = organisation_search(query, kind=kind) if query else ([], 0)
    chosen_code = str(form["practice"].value() or "").strip().upper().replace("\x00", "")
    if chosen_code and all(m.ods_code != chosen_code for m in matches):
        chosen = organisation_practice(chosen_code, kind=kind)
        if chosen is not None:
            matches = [chosen, *matches]
    return {
        "practice_kind": kind,
        "practice_words": replace(
            PRACTICE_WORDS[kind], none_found=str(PRACTICE_WORDS[kind].none_found) % {"query": query}
        ),
        "query": query,
        "matches": matches,
        "chosen_code": chosen_code,
        "total": total,
        "more": total > len(matches),
        "search_action": _step_url("where"),
    }


def step_form_for_answers(form: StepForm, answers: dict[str, Any]) -> None:
    """Questions a page does not ask given the earlier answers take nothing posted to them: on
    the "where" page, only a practice of the kind of service chosen may be picked (none for other
    services); the KO41 questions about the patient are for complaints only."""
    field = form.fields.get("practice")
    kind = PRACTICE_KIND_FOR_SERVICE.get(answers.get("service_type", ""))
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        if kind:
            field.queryset = field.queryset.filter(kind=kind)
        else:
            field.disabled = True
    if answers.get("kind") != Kind.COMPLAINT and "patient_age" in form.fields:
        form.fields["patient_age"].disabled = True


@require_http_methods(["GET", "POST"])
def feedback_step(request: HttpRequest, step: str = STEP_SLUGS[0]) -> HttpResponse:
    if step not in STEP_FORMS:
        raise Http404("No such question.")
    change = request.GET.get("change") == "1"
    answers = _answers(request)
    form_class = STEP_FORMS[step]
    if request.method == "POST":
        form = form_class(request.POST)
        step_form_for_answers(form, answers)
        if form.is_valid():
            # Keep what was typed, not the parsed values: the whole set is parsed again on sending.
            for name, field in form.fields.items():
                # A question the page did not ask keeps no answer, whatever was posted for it.
                if field.disabled:
                    answers[name] = ""
                elif isinstance(field, forms.MultipleChoiceField):
                    answers[name] = request.POST.getlist(name)
                else:
                    answers[name] = form.data.get(name, "")
            # One key per journey, made before any sending: two requests racing to send the same
            # answers (a double click) save one item between them.
            answers.setdefault("submission_key", secrets.token_urlsafe(32))
            request.session[SESSION_KEY] = answers
            # The answers may hold a name and contact details: kept for a short while only, and
            # gone at once when the feedback is sent.
            request.session.set_expiry(settings.JOURNEY_SESSION_SECONDS)
            index = STEP_SLUGS.index(step)
            if change or index == len(STEP_SLUGS) - 1:
                return redirect("feedback-check")
            return redirect(_step_url(STEP_SLUGS[index + 1]))
    else:
        form = form_class(
            initial={name: answers[name] for name in form_class.base_fields if name in answers}
        )
    return _render_step(request, step, form, answers, change=change)


def _first_incomplete_step(answers: dict[str, Any]) -> str | None:
    for slug, form_class in STEPS:
        if any(name not in answers for name in form_class.base_fields):
            return slug
        if not form_class(answers).is_valid():
            return slug
    return None


@require_http_methods(["GET", "POST"])
def feedback_check(request: HttpRequest) -> HttpResponse:
    answers = _answers(request)
    last_sent = request.session.get(SENT_KEY)
    if request.method == "POST" and not answers and last_sent:
        # A second click on "Send feedback" after the first one was saved.
        return redirect("feedback-submitted", token=last_sent)
    incomplete = _first_incomplete_step(answers)
    if incomplete is not None:
        return redirect(_step_url(incomplete))
    form = FeedbackForm(FeedbackForm.journey_data(answers))
    if not form.is_valid():  # each page's answer was valid, so only if the directory changed
        return redirect(_step_url(STEP_OF_FIELD.get(next(iter(form.errors)), STEP_SLUGS[0])))
    cleaned = dict(form.cleaned_data)
    if cleaned.get("kind") not in KINDS_WITH_HANDLER_CHOICE:
        cleaned["wants_commissioner"] = False
    if cleaned.get("kind") != Kind.COMPLAINT:
        # Asked of complaints only (for the KO41 return): an answer kept from before the patient
        # changed the kind is not sent.
        cleaned["patient_age"] = ""
    if request.method == "POST":
        wait = submission_window_hit(client_address(request))
        if wait:
            # The answers stay in the session: nothing is lost, the patient sends them later.
            response = render(
                request,
                "feedback/too_many.html",
                {"minutes": max(1, math.ceil(wait / 60))},
                status=429,
            )
            response["Retry-After"] = str(math.ceil(wait))
            return response
        try:
            try:
                item = feedback_submit(
                    **cleaned,
                    language=get_language(),
                    submission_key=answers["submission_key"],
                    submission_digest=submission_digest(cleaned),
                )
            except SubmissionKeyReused:
                # The journey's key went with other answers (changed while a send was under way):
                # these answers are a submission of their own.
                item = feedback_submit(
                    **cleaned,
                    language=get_language(),
                    submission_key=secrets.token_urlsafe(32),
                    submission_digest=submission_digest(cleaned),
                )
        except InvalidFeedback as exc:
            # The service has the last word (e.g. the NHS number's check digit): show the problem
            # on the page that asked the question.
            slug = next(
                (STEP_OF_FIELD[field] for field in exc.errors if field in STEP_OF_FIELD),
                STEP_SLUGS[0],
            )
            step_form = STEP_FORMS[slug](answers)
            step_form.is_valid()
            for field, message in exc.errors.items():
                if field in step_form.fields:
                    step_form.add_error(field, message)
            return _render_step(request, slug, step_form, answers, change=True)
        request.session.pop(SESSION_KEY, None)
        request.session[SENT_KEY] = item.tracking_token
        return redirect("feedback-submitted", token=item.tracking_token)
    return render(request, "feedback/check.html", {"rows": _check_rows(cleaned)})


def _check_rows(cleaned: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of "Check your answers": question, answer, and the page that changes it."""
    not_given = _("Not given")

    def row(key: Text, value: Text, step: str, *, multiline: bool = False) -> dict[str, Any]:
        return {
            "key": key,
            "value": value or not_given,
            "change_url": _step_url(step, change=True),
            "multiline": multiline,
        }

    provider, area = cleaned.get("provider"), cleaned.get("area")
    service_type = cleaned.get("service_type", "")
    rows = [
        row(_("What you are telling us"), KIND_LABELS[cleaned["kind"]], "kind"),
        row(
            _("Kind of service"),
            SERVICE_TYPE_LABELS[service_type] if service_type else _("Something else, or not sure"),
            "service",
        ),
        row(_("Where the care was"), provider.name if provider else "", "where"),
        row(_("Area"), area.name if area else "", "where"),
    ]
    if cleaned.get("place"):
        rows.append(row(_("Postcode or town"), cleaned["place"], "where"))
    if cleaned["kind"] in KINDS_WITH_HANDLER_CHOICE:
        rows.append(
            row(
                _("Who should handle it"),
                _("The integrated care board")
                if cleaned.get("wants_commissioner")
                else _("The organisation that should act on it"),
                "where",
            )
        )
    rating = cleaned.get("fft_rating")
    rows += [
        row(_("Overall experience"), FFT_RATING_LABELS[rating] if rating else "", "experience"),
        row(_("What happened"), cleaned["text"], "what-happened", multiline=True),
        row(
            _("Anyone at risk of harm"),
            SAFETY_ANSWER_LABELS[cleaned["safety_answer"]] if cleaned.get("safety_answer") else "",
            "safety",
        ),
    ]
    on_behalf = cleaned.get("complainant_status") == ComplainantStatus.ON_BEHALF
    rows.append(
        row(
            _("Are you the patient?"),
            _("No, I am writing for someone else") if on_behalf else _("Yes"),
            "patient",
        )
    )
    if on_behalf:
        relationship = cleaned.get("relationship", "")
        rows += [
            row(
                _("How you know the patient"),
                cleaned.get("relationship_other", "")
                if relationship == Relationship.OTHER
                else RELATIONSHIP_LABELS[relationship]
                if relationship
                else "",
                "patient",
            ),
            row(_("The patient's name"), cleaned.get("patient_name", ""), "patient"),
            row(
                _("Has the patient agreed?"),
                dict(CONSENT_CHOICES).get(cleaned.get("consent", ""), ""),
                "patient",
            ),
        ]
    if cleaned["kind"] == Kind.COMPLAINT:
        age = cleaned.get("patient_age")
        rows.append(
            row(_("Age of the patient"), PATIENT_AGE_LABELS[age] if age else "", "your-details")
        )
    rows += [
        row(
            _("Your full name") if on_behalf else _("Full name"),
            cleaned.get("name", ""),
            "your-details",
        ),
        row(_("Email address"), cleaned.get("email", ""), "your-details"),
        row(_("Phone number"), cleaned.get("phone", ""), "your-details"),
        row(_("NHS number"), cleaned.get("nhs_number", ""), "your-details"),
        row(
            _("Communication needs"),
            communication_needs_text(
                cleaned.get("communication_needs") or [], cleaned.get("interpreter_language", "")
            )
            or _("None"),
            "communication",
        ),
    ]
    return rows


def feedback_submitted(request: HttpRequest, token: str) -> HttpResponse:
    item = feedback_get_by_token(token)
    return render(request, "feedback/submitted.html", {"item": item})
