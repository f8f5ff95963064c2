"""Possible duplicates of an item, and links between related items (issue 18 item 5, ADR 0016).

An item may be one already held: the same patient writing again (the same NHS number, email
address or phone number), or the same matter told again (text whose reading is very close). The
item page and the staff API list such candidates from the item's own queue, received within 90
days either side of it; a handler links two items as related (``feedback_link``) or merges one
into the other (``feedback.services.merging.complaint_merge``).

Only complaints and concerns are checked: they are the items answered, and thousands of short
compliments say the same thing without being the same item. The check reveals that contact
details match, never the details themselves (showing those stays a separate, audited step).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from analytics.ml.similarity import (
    SKETCH_BYTES,
    cosines,
    nearest_by_sketch,
    reading_matrix,
    sketch_matrix,
)
from feedback.audit import audit_record
from feedback.choices import Kind
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import (
    Feedback,
    FeedbackLink,
    FeedbackReading,
    Identity,
    PhoneDigits,
    User,
)
from feedback.selectors import feedback_visible_to

# Items received this long before or after an item are compared with it.
DUPLICATE_WINDOW = dt.timedelta(days=90)
# Cosine of two readings at or above which the texts are "very close": chosen on the triage
# corpus by bench/duplicate_threshold.py (fewer than 1 false candidate in 1,000 unrelated
# pairs; ADR 0016).
TEXT_THRESHOLD = 0.89
# How many candidates an item shows, best first.
CANDIDATES_SHOWN = 5
# Readings compared exactly after the first pass over sketches (analytics.ml.similarity): the
# nearest 256 by sketch, or 3% of the window when that is more. On the triage corpus the true
# five nearest above the threshold lay within the nearest 1.9% by sketch (ADR 0016).
SHORTLIST = 256
SHORTLIST_SHARE = 0.03
DUPLICATE_KINDS: tuple[str, ...] = (Kind.COMPLAINT, Kind.CONCERN)

# What a handler reads for each kind of match, strongest first.
SAME_NHS_NUMBER = "same NHS number"
SAME_EMAIL = "same email address"
SAME_PHONE = "same phone number"
_IDENTITY_STRENGTH = {SAME_NHS_NUMBER: 0, SAME_EMAIL: 1, SAME_PHONE: 2}


@dataclass(frozen=True)
class Candidate:
    """An item that may be a duplicate of another, and why."""

    item: Feedback
    reasons: tuple[str, ...]  # "same NHS number", "text 93% alike"
    similarity: float | None  # cosine of the readings, when they were compared

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def text_reason(similarity: float) -> str:
    # Rounded down: an item just under the threshold never reads as a rounder figure.
    return f"text {int(similarity * 100)}% alike"


def phone_keys(phone: str) -> frozenset[str]:
    """The digit strings the same UK number may be stored as ("07700 900123", "+44 7700
    900123", "0044 7700 900123", "+44 (0)7700 900123"), as ``PhoneDigits`` reads them."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return frozenset()
    national = digits
    for prefix in ("0044", "44"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 9:
            rest = digits[len(prefix) :]
            national = rest if rest.startswith("0") else "0" + rest
            break
    if not national.startswith("0"):
        return frozenset({digits})
    tail = national[1:]
    return frozenset({digits, national, "44" + tail, "0044" + tail, "440" + tail})


def duplicate_window(*, feedback: Feedback, user: User) -> QuerySet[Feedback]:
    """The items ``feedback`` is compared with: complaints and concerns of its queue (as ``user``
    may see it: the one scoping rule) received within 90 days either side of it, neither merged
    nor already linked to it."""
    if feedback.handled_by_id is None:
        return Feedback.objects.none()
    linked = _linked_ids(feedback)
    return (
        feedback_visible_to(user)
        .filter(
            handled_by_id=feedback.handled_by_id,
            kind__in=DUPLICATE_KINDS,
            duplicate_of__isnull=True,
            received_at__gte=feedback.received_at - DUPLICATE_WINDOW,
            received_at__lte=feedback.received_at + DUPLICATE_WINDOW,
        )
        .exclude(pk__in=[feedback.pk, *linked])
    )


@dataclass(frozen=True)
class _Own:
    """What the check compares an item by: its patient's details and the model's reading."""

    nhs_number: str
    email: str
    phones: frozenset[str]
    vector: bytes | None
    sketch: bytes | None
    model_version: str


def _own(feedback: Feedback) -> _Own:
    # One query for both (a round trip costs more than the join).
    row = (
        Feedback.objects.filter(pk=feedback.pk)
        .values_list(
            "identity__nhs_number",
            "identity__email",
            "identity__phone",
            "reading__vector",
            "reading__model_version",
            "reading_sketch",
        )
        .first()
    )
    nhs_number, email, phone, vector, model_version, sketch = row or (None,) * 6
    return _Own(
        nhs_number=(nhs_number or "").strip(),
        email=(email or "").strip().lower(),
        phones=phone_keys(phone or ""),
        vector=bytes(vector) if vector is not None else None,
        sketch=bytes(sketch) if sketch is not None else None,
        model_version=model_version or "",
    )


def duplicate_candidates(
    *, feedback: Feedback, user: User, limit: int = CANDIDATES_SHOWN
) -> list[Candidate]:
    """Items ``user`` may see that may be ``feedback`` again, best first: the same patient (by
    NHS number, then email, then phone), then the closest text. None for an item merged
    already, or one that is not a complaint or concern."""
    if feedback.kind not in DUPLICATE_KINDS or feedback.duplicate_of_id is not None:
        return []
    own = _own(feedback)
    window = duplicate_window(feedback=feedback, user=user)
    same_patient = _identity_matches(own, feedback, window)
    close_text = _text_matches(own, window)
    found = set(same_patient) | set(close_text)
    if not found:
        return []
    # The fields a candidate is shown and checked by (kind, status, date; whether it may be
    # merged): the rest of a wide row is not read for it.
    shown = window.filter(pk__in=found).only(
        "id", "kind", "status", "received_at", "handled_by", "duplicate_of", "risk_check"
    )
    items = {item.pk: item for item in shown}
    candidates = [
        Candidate(
            item=items[pk],
            reasons=(
                *same_patient.get(pk, ()),
                *((text_reason(close_text[pk]),) if pk in close_text else ()),
            ),
            similarity=close_text.get(pk),
        )
        for pk in found
        if pk in items
    ]

    def best_first(candidate: Candidate) -> tuple[int, float, float]:
        strength = min((_IDENTITY_STRENGTH.get(r, 3) for r in candidate.reasons), default=3)
        gap = abs((candidate.item.received_at - feedback.received_at).total_seconds())
        return (strength, -(candidate.similarity or 0.0), gap)

    return sorted(candidates, key=best_first)[:limit]


def _identity_matches(
    own: _Own, feedback: Feedback, window: QuerySet[Feedback]
) -> dict[int, list[str]]:
    """Items of ``window`` whose patient gave the same NHS number, email or phone number.

    Two short queries: the items whose patient gave any of those details (the identity indexes;
    ids only), then those of them in the window, with their details to say which matched. As
    one query PostgreSQL chose to read the whole window first, which took longer at a busy queue.
    """
    wanted = Q()
    # Each condition repeats its index's own (not empty), so PostgreSQL uses the partial index.
    if own.nhs_number:
        wanted |= Q(nhs_number=own.nhs_number) & ~Q(nhs_number="")
    if own.email:
        wanted |= Q(email_key=own.email) & ~Q(email="")
    if own.phones:
        wanted |= Q(phone_key__in=sorted(own.phones)) & ~Q(phone="")
    if not wanted:
        return {}
    same = list(
        Identity.objects.alias(email_key=Lower("email"), phone_key=PhoneDigits("phone"))
        .filter(wanted)
        .exclude(feedback_id=feedback.pk)
        .values_list("feedback_id", flat=True)
    )
    if not same:
        return {}
    rows = window.filter(pk__in=same).values_list(
        "pk", "identity__nhs_number", "identity__email", "identity__phone"
    )
    found: dict[int, list[str]] = {}
    for pk, their_nhs_number, their_email, their_phone in rows:
        reasons = []
        if own.nhs_number and (their_nhs_number or "").strip() == own.nhs_number:
            reasons.append(SAME_NHS_NUMBER)
        if own.email and (their_email or "").strip().lower() == own.email:
            reasons.append(SAME_EMAIL)
        if own.phones and own.phones & phone_keys(their_phone or ""):
            reasons.append(SAME_PHONE)
        if reasons:
            found[pk] = reasons
    return found


def _text_matches(own: _Own, window: QuerySet[Feedback]) -> dict[int, float]:
    """Items of ``window`` whose reading (by the same model) is at least ``TEXT_THRESHOLD``
    alike: a first pass over every reading's sketch, then the nearest compared exactly."""
    if own.vector is None or own.sketch is None:
        return {}
    ids, sketches = _window_sketches(window, own.model_version)
    if len(ids) == 0:
        return {}
    keep = max(SHORTLIST, int(len(ids) * SHORTLIST_SHARE))
    nearest = sorted(int(ids[i]) for i in nearest_by_sketch(own.sketch, sketches, keep))
    keys, vectors = _readings(nearest, own.model_version)
    if not keys:
        return {}
    alike = cosines(own.vector, reading_matrix(vectors))
    return {k: float(s) for k, s in zip(keys, alike, strict=True) if s >= TEXT_THRESHOLD}


def _readings(ids: list[int], model_version: str) -> tuple[list[int], list[bytes]]:
    """The readings of these items by ``model_version``: hundreds of rows, read without the
    ORM's cost per row (a few milliseconds at this size, a tenth of the check's budget)."""
    table = connection.ops.quote_name(FeedbackReading._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT feedback_id, vector FROM {table} "  # noqa: S608 (fixed names, bound values)
                "WHERE feedback_id = ANY(%s) AND model_version = %s",
                [ids, model_version],
            )
            rows = cursor.fetchall()
        else:
            rows = list(
                FeedbackReading.objects.filter(
                    feedback_id__in=ids, model_version=model_version
                ).values_list("feedback_id", "vector")
            )
    return [row[0] for row in rows], [bytes(row[1]) for row in rows]


# What PostgreSQL's binary COPY sends for each (id, sketch) row: the field count, then each field's
# length and value, big-endian. Sketches are 96 bytes (a constraint on the table), so every row is
# the same size and the whole answer is read as one array.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00"
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("id_size", ">i4"),
        ("id", ">i8"),
        ("sketch_size", ">i4"),
        ("sketch", np.uint8, (SKETCH_BYTES,)),
    ]
)


def _window_sketches(
    window: QuerySet[Feedback], model_version: str
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, sketches (n, SKETCH_BYTES)) of the items of ``window`` read by ``model_version``.

    On PostgreSQL from the feedback_duplicate_window index alone, as one binary COPY: a busy
    queue's 90 days (tens of thousands of sketches) arrive in milliseconds, where rows through
    the ORM, or bytes as text, took longer than the whole check may (ADR 0016).
    """
    sketched = (
        window.filter(model_version=model_version, reading_sketch__isnull=False)
        .order_by()
        .values_list("id", "reading_sketch")
    )
    if connection.vendor != "postgresql":
        found = list(sketched)
        ids = np.array([pk for pk, _ in found], dtype=np.int64)
        return ids, sketch_matrix([bytes(sketch or b"") for _, sketch in found])
    try:
        query, params = sketched.query.sql_with_params()
    except EmptyResultSet:  # a window that can hold nothing (no queue) has no SQL
        return np.zeros(0, dtype=np.int64), np.zeros((0, SKETCH_BYTES), dtype=np.uint8)
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        bound = raw.mogrify(query, params).decode()
        raw.copy_expert(f"COPY ({bound}) TO STDOUT WITH (FORMAT binary)", buffer)
    data = buffer.getbuffer()
    if data[: len(_COPY_HEADER)] != _COPY_HEADER:
        raise ValueError("not a binary COPY answer")
    start = len(_COPY_HEADER) + 8 + int.from_bytes(data[15:19], "big")
    rows = np.frombuffer(data[start : len(data) - 2], dtype=_COPY_ROW)
    if not (
        (rows["fields"] == 2).all()
        and (rows["id_size"] == 8).all()
        and (rows["sketch_size"] == SKETCH_BYTES).all()
    ):
        raise ValueError("unexpected rows in the binary COPY answer")
    return rows["id"].astype(np.int64), rows["sketch"]


# --- Links ---------------------------------------------------------------------------------------


def _linked_ids(feedback: Feedback) -> set[int]:
    pairs = FeedbackLink.objects.filter(
        Q(first_id=feedback.pk) | Q(second_id=feedback.pk)
    ).values_list("first_id", "second_id")
    return {second if first == feedback.pk else first for first, second in pairs}


def links_of(*, feedback: Feedback, user: User) -> QuerySet[Feedback]:
    """The items linked to ``feedback`` that ``user`` may see, oldest first."""
    return (
        feedback_visible_to(user).filter(pk__in=_linked_ids(feedback)).order_by("received_at", "pk")
    )


def duplicates_of(*, feedback: Feedback, user: User) -> QuerySet[Feedback]:
    """The items merged into ``feedback`` that ``user`` may see, oldest first."""
    return feedback_visible_to(user).filter(duplicate_of=feedback).order_by("received_at", "pk")


def merged_into(*, feedback: Feedback, user: User) -> int | None:
    """The id of the item ``feedback`` was merged into, if ``user`` may see that item: never the
    id of one that left the queue."""
    if feedback.duplicate_of_id is None:
        return None
    return (
        feedback_visible_to(user)
        .filter(pk=feedback.duplicate_of_id)
        .values_list("pk", flat=True)
        .first()
    )


def _both_in_queue(user: User, ids: Iterable[int]) -> bool:
    wanted = set(ids)
    return feedback_visible_to(user).filter(pk__in=wanted).count() == len(wanted)


def feedback_link(*, feedback: Feedback, other: Feedback, actor: User) -> FeedbackLink:
    """Mark two items of the handler's queue as related: both show the link. Audited on both."""
    if feedback.pk == other.pk:
        raise InvalidFeedback({"item": "An item cannot be linked to itself."})
    first, second = sorted((feedback.pk, other.pk))
    with transaction.atomic():
        # Both rows locked, the lower id first, as merging locks them.
        list(
            Feedback.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=[first, second])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not _both_in_queue(actor, (first, second)):
            raise IllegalTransition("Both items must be in your organisation's queue.")
        if FeedbackLink.objects.filter(first_id=first, second_id=second).exists():
            raise IllegalTransition(f"#{feedback.pk} and #{other.pk} are already linked.")
        link = FeedbackLink.objects.create(first_id=first, second_id=second, linked_by=actor)
        for item, to in ((feedback, other), (other, feedback)):
            audit_record(
                feedback=item,
                actor=actor,
                action="linked",
                to_value=f"#{to.pk}",
                detail={"item": to.pk},
            )
    return link


def feedback_unlink(*, feedback: Feedback, other: Feedback, actor: User) -> None:
    """Remove the link between two items of the handler's queue (linked by mistake): neither shows
    it any more. Audited on both."""
    first, second = sorted((feedback.pk, other.pk))
    with transaction.atomic():
        list(
            Feedback.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=[first, second])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not _both_in_queue(actor, (first, second)):
            raise IllegalTransition("Both items must be in your organisation's queue.")
        deleted, _ = FeedbackLink.objects.filter(first_id=first, second_id=second).delete()
        if not deleted:
            raise IllegalTransition(f"#{feedback.pk} and #{other.pk} are not linked.")
        for item, to in ((feedback, other), (other, feedback)):
            audit_record(
                feedback=item,
                actor=actor,
                action="unlinked",
                to_value=f"#{to.pk}",
                detail={"item": to.pk},
            )
