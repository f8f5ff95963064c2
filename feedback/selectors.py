"""Reads. Every queryset a member of staff sees is scoped here, in one place."""

from __future__ import annotations

import re
import time
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save
from django.http import Http404

from feedback.choices import (
    FFT_ANSWERS,
    FFT_ROW_KINDS,
    PRACTICE_KINDS,
    Channel,
    FftUploadStatus,
    OrganisationKind,
    RiskCheck,
    Route,
    Status,
)
from feedback.clocks import LONDON
from feedback.models import (
    AuditEvent,
    Feedback,
    FftUpload,
    JointPartner,
    Organisation,
    ReplyTemplate,
    SavedView,
    User,
)
from feedback.reply_templates import DEFAULTS, Template

CQC_ODS_CODE = "CQC"


def feedback_visible_to(user: User) -> QuerySet[Feedback]:
    """The items in the queue of the user's organisation (the scoping rule, narrowed to the
    user's own queue: staff work only their own); nothing for a user without one."""
    if not user.is_authenticated or user.organisation_id is None:
        return Feedback.objects.none()
    return Feedback.objects.visible_to(user).filter(handled_by_id=user.organisation_id)


def feedback_queue(user: User) -> QuerySet[Feedback]:
    """The user's queue, urgent first (``urgent`` 0: the CQC's items and possible risks still
    to check), then newest first."""
    urgent = Case(
        When(Q(route=Route.CQC) | Q(risk_check=RiskCheck.PENDING), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        feedback_visible_to(user)
        .select_related("provider", "handled_by")
        .annotate(urgent=urgent)
        .order_by("urgent", "-received_at", "-pk")
    )


# Full-text search: PostgreSQL's text search over what the patient wrote and the response, read
# from the stored tsvector column of migration 0015 (GIN-indexed).
SEARCH_CONFIG = "english"
_TSQUERY = f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)"
SEARCH_MAX_LENGTH = 200
# Marks around the matching words in a snippet, turned into <mark> after the text is escaped.
MATCH_START, MATCH_STOP = "\x02", "\x03"
_REFERENCE = re.compile(r"#?(\d{1,12})")
# A search ranks at most this many matches, the most recent: counting and ranking every match of
# a common word in a busy queue (thousands) took the page past 200 ms at 1,000,000 items, and a
# handler narrows a broad search with more words or a filter rather than paging past 1,000.
SEARCH_RANK_LIMIT = 1000


def feedback_search(queryset: QuerySet[Feedback], query: str) -> QuerySet[Feedback]:
    """The items of ``queryset`` matching ``query`` (words, "a phrase", -excluded, or an item's
    reference number like 1234 or #1234), best match first after the urgent ones, each with a
    ``snippet`` of its text around the matching words (between MATCH_START and MATCH_STOP).
    Of a broad search, the ``SEARCH_RANK_LIMIT`` most recent matches (apply the other filters
    first, so these are the most recent of what the handler asked for).

    On PostgreSQL words match by their stem ("waited" finds "waiting"); on SQLite (``make run``)
    every word must appear as typed."""
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    if not query:
        return queryset
    reference = _REFERENCE.fullmatch(query)
    if reference:
        return queryset.filter(pk=int(reference.group(1))).annotate(snippet=F("text"))
    if connection.vendor == "postgresql":
        wanted = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        matching = queryset.filter(
            # The words are a bound parameter; the rest is fixed (S611: no user text in SQL).
            # Unqualified: only the feedback table has the column, and a subquery (if one is
            # ever built from this) then reads its own row's.
            RawSQL(f"search_vector @@ {_TSQUERY}", (query,), BooleanField())  # noqa: S611
        )
        return (
            queryset.filter(pk__in=_most_recent(matching))
            .annotate(
                rank=RawSQL(f"ts_rank(search_vector, {_TSQUERY})", (query,)),  # noqa: S611
                snippet=SearchHeadline(
                    "text",
                    wanted,
                    config=SEARCH_CONFIG,
                    start_sel=MATCH_START,
                    stop_sel=MATCH_STOP,
                    max_words=30,
                    min_words=12,
                ),
            )
            .order_by(*_urgent_first(queryset), "-rank", "-received_at", "-pk")
        )
    words = [w for w in re.split(r"\W+", query) if w]
    condition = Q()
    for word in words:
        condition &= Q(text__icontains=word) | Q(response_text__icontains=word)
    return queryset.filter(pk__in=_most_recent(queryset.filter(condition))).annotate(
        snippet=F("text")
    )


def _most_recent(matching: QuerySet[Feedback]) -> list[int]:
    """The ids of the ``SEARCH_RANK_LIMIT`` most recent items of ``matching``, urgent ones (the
    CQC's, risks to check) first so the cut never hides them, read once: the page's count and
    its rows then read only these (a subquery would run the search twice)."""
    recent = matching.order_by(*_urgent_first(matching), "-received_at", "-pk")
    return list(recent.values_list("pk", flat=True)[:SEARCH_RANK_LIMIT])


def _urgent_first(queryset: QuerySet[Feedback]) -> tuple[str, ...]:
    """A queue's urgent items stay first (``feedback_queue`` marks them)."""
    return ("urgent",) if "urgent" in queryset.query.annotations else ()


def search_snippet_words(query: str) -> list[str]:
    """The words to mark in a snippet the database did not mark (SQLite, a reference)."""
    return [w for w in re.split(r"\W+", query) if len(w) > 1 and not w.isdigit()]


def saved_views_for(user: User) -> QuerySet[SavedView]:
    """The user's own views and those their team shared, of their organisation's queue."""
    return (
        SavedView.objects.filter(organisation=user.organisation)
        .filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("name", "pk")
    )


def reply_templates_for(organisation_id: int, step: str) -> list[Template]:
    """The templates a handler may start from for ``step``: the organisation's own, then the
    shipped ones."""
    own = [
        Template(str(t.pk), t.step, t.name, t.body)
        for t in ReplyTemplate.objects.filter(organisation_id=organisation_id, step=step).order_by(
            "name"
        )
    ]
    return own + [t for t in DEFAULTS if t.step == step]


def feedback_get_for_user(user: User, pk: int) -> Feedback:
    """One item of the user's queue; another organisation's item does not exist for them."""
    try:
        return feedback_queue(user).select_related("area").get(pk=pk)
    except Feedback.DoesNotExist as exc:
        raise Http404("No such item in your organisation's queue.") from exc


def _partner_is(organisation_id: int) -> Exists:
    return Exists(
        JointPartner.objects.filter(feedback_id=OuterRef("pk"), organisation_id=organisation_id)
    )


def feedback_joint_for(user: User) -> QuerySet[Feedback]:
    """The joint complaints the user's organisation was invited to as a partner ("Joint
    complaints: your part"), newest first: the scoping rule with its partners' items, narrowed
    to the user's own organisation as a partner (never its own queue)."""
    if not user.is_authenticated or user.organisation_id is None:
        return Feedback.objects.none()
    return (
        Feedback.objects.visible_to(user, joint=True)
        .filter(_partner_is(user.organisation_id))
        .exclude(handled_by_id=user.organisation_id)
        .select_related("handled_by")
        .order_by("-received_at", "-pk")
    )


def feedback_get_readable(user: User, pk: int) -> Feedback:
    """One item of the user's queue, or a joint complaint their organisation is a partner in
    (which they may read and add their part to, nothing else); otherwise 404."""
    if not user.is_authenticated or user.organisation_id is None:
        raise Http404("No such item in your organisation's queue.")
    readable = Feedback.objects.visible_to(user, joint=True).filter(
        Q(handled_by_id=user.organisation_id) | _partner_is(user.organisation_id)
    )
    try:
        return readable.select_related("handled_by", "provider", "area").get(pk=pk)
    except Feedback.DoesNotExist as exc:
        raise Http404("No such item in your organisation's queue.") from exc


def organisation_by_ods_code(ods_code: str) -> Organisation | None:
    """The active organisation of any kind with this ODS code (any case), or None."""
    code = ods_code.strip().upper()
    if not code or not re.fullmatch(r"[A-Z0-9]{2,10}", code):
        return None
    return Organisation.objects.filter(ods_code=code, is_active=True).first()


def fft_uploads_for(user: User) -> QuerySet[FftUpload]:
    """The FFT exports the user's organisation uploaded, newest first. Like its queue, its own
    only: an ICB's staff do not see what its trusts uploaded (the items, once routed, are in the
    queues they may see); nothing for a user without an organisation."""
    if not user.is_authenticated or user.organisation_id is None:
        return FftUpload.objects.none()
    return (
        FftUpload.objects.filter(organisation_id=user.organisation_id)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-pk")
    )


def fft_upload_get_for_user(user: User, pk: int) -> FftUpload:
    """One upload of the user's organisation; another organisation's does not exist for them."""
    try:
        return fft_uploads_for(user).get(pk=pk)
    except FftUpload.DoesNotExist as exc:
        raise Http404("No such FFT upload for your organisation.") from exc


def fft_upload_row_kinds(upload: FftUpload) -> dict[str, int] | None:
    """Of a done upload's rows: answers to the FFT question, comments on other questions and
    other questions' rows without a comment, as its worker recorded them in the audit when it
    finished (``choices.FFT_ROW_KINDS``); None for an upload not done, or done before they
    were recorded."""
    if upload.status != FftUploadStatus.DONE:
        return None
    detail = (
        AuditEvent.objects.filter(
            feedback__isnull=True, action="fft_upload_done", detail__fft_upload=upload.pk
        )
        .values_list("detail", flat=True)
        .first()
    )
    if not detail or FFT_ANSWERS not in detail:
        return None
    return {name: int(detail.get(name) or 0) for name in FFT_ROW_KINDS}


def fft_upload_earlier_same_file(upload: FftUpload) -> FftUpload | None:
    """The latest earlier upload of the same file by the same organisation that was saved (the
    status page says so: its answers were not added twice), or None."""
    return (
        FftUpload.objects.filter(
            organisation_id=upload.organisation_id,
            file_digest=upload.file_digest,
            status=FftUploadStatus.DONE,
            pk__lt=upload.pk,
        )
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-pk")
        .first()
    )


def feedback_loaded_in_bulk(ids: list[int]) -> set[int]:
    """Which of these items came in bulk (an FFT upload's answers): their analysis is queued on
    the bulk queue, never ahead of a patient's item."""
    return set(
        Feedback.objects.filter(pk__in=ids, channel=Channel.FFT_IMPORT).values_list("pk", flat=True)
    )


def answered_on_time_q() -> Q:
    """``clocks.answered_on_time`` in SQL: the response sent on or before its due date, the day
    taken on England's calendar."""
    return Q(
        responded_at__isnull=False,
        response_due__isnull=False,
        response_due__gte=TruncDate("responded_at", tzinfo=LONDON),
    )


def feedback_open_with_clock() -> QuerySet[Feedback]:
    """Items whose response clock is running (not paused, not finished)."""
    return Feedback.objects.filter(
        status__in=[Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING],
        response_due__isnull=False,
        handled_by__isnull=False,
    )


# What new_tracking_token makes: 32 random bytes, URL-safe base64 (43 characters). Anything
# else is not a link we gave out, and is refused before any query (a NUL would otherwise reach
# PostgreSQL, which cannot compare it, and answer 500).
TRACKING_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def feedback_get_by_token(token: str) -> Feedback:
    if not TRACKING_TOKEN.fullmatch(token):
        raise Http404("No feedback with that tracking link.")
    try:
        return Feedback.objects.select_related("handled_by").get(tracking_token=token)
    except Feedback.DoesNotExist as exc:
        raise Http404("No feedback with that tracking link.") from exc


def organisation_trusts() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.TRUST, is_active=True).order_by("name")


def organisation_icbs() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.ICB, is_active=True).order_by("name")


def organisation_practices() -> QuerySet[Organisation]:
    """Active GP practices, dental practices and pharmacies."""
    return Organisation.objects.filter(kind__in=PRACTICE_KINDS, is_active=True).select_related(
        "icb"
    )


def organisation_cqc() -> Organisation:
    return Organisation.objects.get(ods_code=CQC_ODS_CODE)


def organisation_practice(ods_code: str, *, kind: str) -> Organisation | None:
    """The active practice of ``kind`` with this code, if there is one."""
    return (
        Organisation.objects.filter(ods_code=ods_code, kind=kind, is_active=True)
        .select_related("icb")
        .first()
    )


NATIONAL_ODS_CODE = "X24"


def organisation_national() -> Organisation | None:
    """NHS England, whose national triage queue takes items no area could be found for."""
    return Organisation.objects.filter(
        ods_code=NATIONAL_ODS_CODE, kind=OrganisationKind.NATIONAL, is_active=True
    ).first()


# A UK postcode, or only its first half (the district: "LS29"), spaces anywhere.
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})?")
# How many matches a search shows; more asks the patient for more of the name or the postcode.
SEARCH_LIMIT = 20
# Below this share of the organisations in a district or town, no ICB is the place's ICB.
_AREA_SHARE = 0.75


def postcode_parts(text: str) -> tuple[str, str] | None:
    """("LS29", "8TQ") for "ls29 8tq", ("LS29", "") for "LS29"; None if not a postcode."""
    match = _POSTCODE.fullmatch(text.strip().upper())
    if match is None:
        return None
    return match.group(1), match.group(2) or ""


def organisation_search(query: str, *, kind: str) -> tuple[list[Organisation], int]:
    """Active practices of ``kind`` matching a patient's words: a postcode (the same postcode
    first, then the district), or every word found in the name or address. Returns at most
    ``SEARCH_LIMIT`` and how many matched in all."""
    query = " ".join(query.split())[:100]
    practices = Organisation.objects.filter(kind=kind, is_active=True)
    if not query:
        return [], 0
    parts = postcode_parts(query)
    matches: QuerySet[Organisation, Any]
    if parts is not None and parts[1]:
        full = f"{parts[0]} {parts[1]}"
        matches = (
            practices.filter(Q(postcode=full) | Q(postcode__startswith=f"{parts[0]} "))
            .annotate(
                here=Case(When(postcode=full, then=Value(0)), default=Value(1)),
            )
            .order_by("here", "name")
        )
    elif parts is not None:
        matches = practices.filter(postcode__startswith=f"{parts[0]} ").order_by("name")
    else:
        words = [word for word in re.split(r"[\s,]+", query) if word]
        condition = Q()
        for word in words:
            condition &= Q(name__icontains=word) | Q(address__icontains=word)
        matches = practices.filter(condition).order_by("name")
    total = matches.count()
    return list(matches.select_related("icb")[:SEARCH_LIMIT]), total


def organisation_area_for_place(place: str) -> Organisation | None:
    """The ICB for a postcode, a postcode district or a town a patient gave instead of naming
    the organisation: the ICB of (nearly) every trust and practice in that district or town.
    None when the directory knows no organisation there, or the place spans several ICBs."""
    parts = postcode_parts(place)
    located = Organisation.objects.filter(
        is_active=True,
        icb__isnull=False,
        kind__in=[OrganisationKind.TRUST, *PRACTICE_KINDS],
    )
    if parts is not None:
        located = located.filter(postcode__startswith=f"{parts[0]} ")
    else:
        # "Ilkley, West Yorkshire": the town is the first part.
        town = " ".join(place.split(",")[0].split())
        if len(town) < 3:
            return None
        located = located.filter(
            Q(address__iendswith=f", {town}")
            | Q(address__icontains=f", {town},")
            | Q(address__iexact=town)
        )
    counts = list(
        located.values("icb_id").annotate(n=Count("pk")).order_by("-n").values_list("icb_id", "n")
    )
    total = sum(n for _, n in counts)
    if not counts or counts[0][1] < _AREA_SHARE * total:
        return None
    return Organisation.objects.filter(
        pk=counts[0][0], kind=OrganisationKind.ICB, is_active=True
    ).first()


# The organisation directory changes a few times a year (import_ods); every submission looks up one
# or two ODS codes in it. Each process keeps a copy of the active trusts and ICBs for a minute, so
# a submission costs no query for them; a code not in the copy is looked up in the database (a
# trust imported a moment ago is found at once). A trust marked closed may still be accepted for
# up to a minute in another process; one saved in this process clears the copy at once.
ORGANISATION_DIRECTORY_TTL_SECONDS = 60.0
_directory: dict[tuple[str, str], Organisation] = {}
_directory_loaded_at = float("-inf")


def organisation_directory_clear(**_: object) -> None:
    global _directory_loaded_at
    _directory.clear()
    _directory_loaded_at = float("-inf")


post_save.connect(organisation_directory_clear, sender=Organisation, weak=False)
post_delete.connect(organisation_directory_clear, sender=Organisation, weak=False)


def organisation_active_by_ods_code(ods_code: str, *, kind: str) -> Organisation | None:
    """The active trust or ICB with this ODS code (a trust with its ICB), or None.

    Served from the process's copy of the directory; the objects are shared between requests and
    must not be changed.
    """
    global _directory_loaded_at
    now = time.monotonic()
    if now - _directory_loaded_at > ORGANISATION_DIRECTORY_TTL_SECONDS:
        fresh = {
            (org.kind, org.ods_code): org
            for org in Organisation.objects.filter(
                is_active=True, kind__in=[OrganisationKind.TRUST, OrganisationKind.ICB]
            ).select_related("icb")
        }
        _directory.clear()
        _directory.update(fresh)
        _directory_loaded_at = now
    found = _directory.get((kind, ods_code))
    if found is None:
        found = (
            Organisation.objects.filter(ods_code=ods_code, kind=kind, is_active=True)
            .select_related("icb")
            .first()
        )
    return found
