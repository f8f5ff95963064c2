"""Analysing queued items in batches and routing them to the queue that should act on them.

Exactly once, whatever the broker does: a batch is claimed with a conditional update that stamps a
claim id on rows still ``queued``; results are written with a second conditional update that only
succeeds while the claim is still ours. A redelivered message finds nothing left to claim; a worker
that died leaves a stale claim that ``feedback_requeue_stale`` hands out again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from analytics.ml.analyser import (
    Analyser,
    AnalysisInput,
    AnalysisResult,
    ModelUnavailable,
    get_analyser,
)
from analytics.ml.language import LanguageReading, detect_languages
from analytics.ml.routing import RouteDecision, RoutingInput, route_feedback
from analytics.ml.similarity import reading_sketch
from analytics.redaction import IdentityTerms, redact_many
from feedback import clocks
from feedback.audit import audit_record_all
from feedback.choices import (
    AnalysisState,
    Channel,
    OrganisationKind,
    RiskCheck,
    RiskFlag,
    Route,
)
from feedback.models import (
    AuditEvent,
    Feedback,
    FeedbackReading,
    FeedbackTheme,
    Identity,
    Organisation,
)
from feedback.selectors import organisation_cqc, organisation_national
from feedback.services.triage import UNREAD_LANGUAGE, risk_check_due

logger = logging.getLogger(__name__)


def feedback_claim_batch(*, first_id: int | None = None, limit: int | None = None) -> uuid.UUID:
    """Claim up to ``limit`` queued items (``first_id`` first, then the oldest); returns the claim.

    The claim is one UPDATE conditional on the rows still being queued, so two workers never
    claim the same row, on PostgreSQL or SQLite alike.
    """
    limit = limit or settings.ANALYSIS_BATCH_SIZE
    claim = uuid.uuid4()
    queued = Feedback.objects.filter(analysis_state=AnalysisState.QUEUED)
    candidates: list[int] = []
    if first_id is not None:
        candidates.extend(queued.filter(pk=first_id).values_list("pk", flat=True))
    candidates.extend(
        queued.exclude(pk__in=candidates)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[: limit - len(candidates)]
    )
    if candidates:
        Feedback.objects.filter(pk__in=candidates, analysis_state=AnalysisState.QUEUED).update(
            analysis_state=AnalysisState.PROCESSING,
            analysis_claim=claim,
            analysis_claimed_at=timezone.now(),
            analysis_attempts=F("analysis_attempts") + 1,
        )
    return claim


def reader() -> Analyser:
    """The analyser for the artifacts the settings name (loaded once a process)."""
    return get_analyser(Path(settings.ANALYSIS_ARTIFACTS_DIR), precision=settings.READER_PRECISION)


def _handler_for(route: str, item: Feedback, cqc: Organisation) -> Organisation | None:
    """The queue the route means for this item. A practice is never a queue: its ICB handles
    it. With no area known at all, NHS England's national triage queue assigns the item."""
    if route == Route.CQC:
        return cqc
    if route == Route.ICB or (item.provider is not None and item.provider.is_practice):
        return (
            item.area or (item.provider.icb if item.provider else None) or organisation_national()
        )
    return item.provider


def _national_triage(
    item: Feedback, handler: Organisation | None, decision: RouteDecision
) -> dict[str, object]:
    """Rule and evidence for an item sent to NHS England to assign: nobody could name its ICB."""
    if handler is None or handler.kind != OrganisationKind.NATIONAL:
        return {}
    place = (
        f"the place given, {item.place!r}, matched no single area"
        if item.place
        else ("no place was given")
    )
    return {
        "route_rule": "national_triage",
        "route_evidence": [
            *decision.evidence,
            f"No NHS trust, practice or area was named and {place}: NHS England assigns it",
        ],
    }


def _routing_input(item: Feedback, result: AnalysisResult | None) -> RoutingInput:
    return RoutingInput(
        text=item.text,
        kind=item.kind,
        service_type=item.service_type,
        wants_commissioner=item.wants_commissioner,
        has_provider=item.provider_id is not None,
        question=item.question,
        themes=[slug for slug, _ in result.themes] if result else (),
        risk_scores=dict(result.risk_scores) if result else {},
        safety_answer=item.safety_answer,
        triage=result.triage if result else None,
    )


def unread_language_note(language: LanguageReading) -> str:
    """Why the reader left an item alone, in the words staff read in its route evidence."""
    return (
        f"Written in {language.name}: the reader reads English only, so the patient's answers "
        f"and the rules that still apply routed it; it needs a reader of {language.name}"
    )


def _result_fields(
    *,
    item: Feedback,
    result: AnalysisResult | None,
    decision: RouteDecision,
    handler: Organisation | None,
    now: dt.datetime,
    language: LanguageReading | None = None,
) -> dict[str, object]:
    """The columns one item's analysis and route set."""
    unread = language is not None and not language.readable
    # Nobody has read an item in another language for risks: a person checks it, as any possible
    # risk, by the end of the next working day (a risk it tells reaches the CQC then).
    checks = set(decision.check_flags) | ({UNREAD_LANGUAGE} if unread else set())
    fields: dict[str, object] = {
        "analysis_state": AnalysisState.DONE,
        "analysed_at": now,
        "route": decision.route,
        "route_rule": decision.rule,
        "route_evidence": [
            *decision.evidence,
            *([unread_language_note(language)] if unread and language else []),
        ],
        **_national_triage(item, handler, decision),
        "routed_at": now,
        "handled_by": handler,
        "risk_safeguarding": RiskFlag.SAFEGUARDING in decision.risk_flags,
        "risk_mental_health_act": RiskFlag.MENTAL_HEALTH_ACT in decision.risk_flags,
        "risk_serious": RiskFlag.SERIOUS_RISK in decision.risk_flags,
        # An item in another language was not read on purpose: it is flagged for a reader of
        # its language, not as a model failure.
        "needs_review": result is None and not unread,
        "risk_check": RiskCheck.PENDING if checks else "",
        "risk_check_flags": sorted(checks),
        "risk_check_due": risk_check_due(now) if checks else None,
    }
    if language is not None:
        fields["text_language"] = language.code
        fields["text_language_confidence"] = round(language.confidence, 4)
    if unread:
        # Never a confident English reading of words the reader cannot read: no sentiment, so no
        # dashboard, export or figure counts one until a person who reads it records one.
        fields |= {"sentiment": None, "sentiment_label": "", "sentiment_confidence": None}
    if result is not None:
        fields |= {
            "sentiment": result.sentiment,
            "sentiment_label": result.sentiment_label,
            "sentiment_confidence": result.sentiment_confidence,
            "model_version": result.model_version,
            "triage_scores": (
                {label: round(score, 4) for label, score in result.triage.scores.items()}
                if result.triage is not None
                else {}
            ),
            "reading_sketch": (
                reading_sketch(result.reading) if result.reading is not None else None
            ),
        }
    if handler is not None and clocks.has_clock(item.kind):
        fields["acknowledge_due"] = clocks.acknowledge_due(item.received_at)
        fields["response_due"] = clocks.response_due(item.received_at, handler)
        fields["statutory_due"] = clocks.statutory_due(item.received_at)
    return fields


def _audit_events(
    *,
    item: Feedback,
    result: AnalysisResult | None,
    decision: RouteDecision,
    handler: Organisation | None,
    now: dt.datetime,
    reason: str = "model unavailable",
    language: LanguageReading | None = None,
) -> list[AuditEvent]:
    if language is not None and not language.readable:
        reason = f"written in {language.name}: the reader reads English only"
    detail: dict[str, object] = (
        {"sentiment": result.sentiment, "themes": [slug for slug, _ in result.themes]}
        if result is not None
        else {"reason": reason}
    )
    if language is not None:
        detail["language"] = language.code
        detail["language_confidence"] = round(language.confidence, 4)
        # What an uncertain text looked most like before it was taken as English.
        detail["language_detected"] = language.detected
    analysed = AuditEvent(
        feedback=item,
        action="analysed" if result is not None else "analysed_rules_only",
        to_value=result.model_version if result is not None else "",
        detail=detail,
        at=now,
    )
    routed = AuditEvent(
        feedback=item,
        action="routed",
        to_value=handler.ods_code if handler else "",
        detail={
            "route": decision.route,
            "rule": decision.rule,
            "evidence": list(decision.evidence),
        },
        at=now,
    )
    return [analysed, routed]


def _redacted_texts(items: Sequence[Feedback]) -> dict[int, tuple[str, str]]:
    """Each item's (text, question) with direct identifiers replaced, the writer's own details
    included: made here, once, so exports stream what is stored and never redact."""
    identities = {
        i.feedback_id: IdentityTerms(i.name, i.email, i.phone, i.nhs_number, i.patient_name)
        for i in Identity.objects.filter(feedback_id__in=[item.pk for item in items])
    }
    texts = redact_many([item.text for item in items], [identities.get(item.pk) for item in items])
    # Questions repeat (the FFT question): each distinct one is redacted once.
    questions = sorted({item.question for item in items if item.question})
    redacted_question = dict(zip(questions, redact_many(questions), strict=True))
    return {
        item.pk: (text, redacted_question.get(item.question, ""))
        for item, text in zip(items, texts, strict=True)
    }


def _save_results(
    *,
    claim: uuid.UUID,
    outcomes: Sequence[tuple[Feedback, AnalysisResult | None, RouteDecision, Organisation | None]],
    reason: str = "model unavailable",
    languages: dict[int, LanguageReading] | None = None,
) -> list[int]:
    """Write a batch's analyses and routes, each only while the claim on it is still ours.

    One transaction for the batch: a conditional UPDATE per item, then its themes, readings and
    audit rows in one INSERT each (per-item transactions cost a fifth of the worker's time). If
    anything fails, nothing of the batch is written and its claim goes stale, to be handed out
    again. Returns the ids written.
    """
    now = timezone.now()
    written: list[int] = []
    themes: list[FeedbackTheme] = []
    readings: list[FeedbackReading] = []
    events: list[AuditEvent] = []
    redacted = _redacted_texts([item for item, *_ in outcomes])
    with transaction.atomic():
        for item, result, decision, handler in outcomes:
            language = (languages or {}).get(item.pk)
            fields = _result_fields(
                item=item,
                result=result,
                decision=decision,
                handler=handler,
                now=now,
                language=language,
            )
            fields["text_redacted"], fields["question_redacted"] = redacted[item.pk]
            if not Feedback.objects.filter(
                pk=item.pk, analysis_claim=claim, analysis_state=AnalysisState.PROCESSING
            ).update(**fields):
                continue
            written.append(item.pk)
            if result is not None:
                themes.extend(
                    FeedbackTheme(feedback=item, theme=slug, score=score)
                    for slug, score in result.themes
                )
            if result is not None and result.reading is not None:
                readings.append(
                    FeedbackReading(
                        feedback=item, vector=result.reading, model_version=result.model_version
                    )
                )
            events.extend(
                _audit_events(
                    item=item,
                    result=result,
                    decision=decision,
                    handler=handler,
                    now=now,
                    reason=reason,
                    language=language,
                )
            )
        if themes:
            FeedbackTheme.objects.bulk_create(themes)
        if readings:
            # An item read again (a retrained model) keeps one reading: the newest.
            FeedbackReading.objects.bulk_create(
                readings,
                update_conflicts=True,
                unique_fields=["feedback"],
                update_fields=["vector", "model_version"],
            )
        if events:
            audit_record_all(events)
    return written


def feedback_analyse_batch(*, first_id: int | None = None, limit: int | None = None) -> list[int]:
    """Claim, analyse and route a batch of queued items; returns the ids written."""
    claim = feedback_claim_batch(first_id=first_id, limit=limit)
    items = list(
        Feedback.objects.filter(analysis_claim=claim, analysis_state=AnalysisState.PROCESSING)
        .select_related("provider__icb", "area")
        .order_by("received_at", "pk")
    )
    if not items:
        return []
    # The language first: the reader reads English, and its sentence about anything else would be
    # a confident guess (bench/results/language.md). Those items are not given to it at all.
    languages = dict(
        zip((i.pk for i in items), detect_languages([i.text for i in items]), strict=True)
    )
    readable = [i for i in items if languages[i.pk].readable]
    results: dict[int, AnalysisResult | None] = {}
    try:
        if readable:
            analyser = reader()
            read = analyser.analyse(
                [
                    AnalysisInput(
                        text=i.text,
                        question=i.question,
                        service_type=i.service_type,
                        fft_rating=i.fft_rating,
                    )
                    for i in readable
                ]
            )
            results = dict(zip((i.pk for i in readable), read, strict=True))
    except ModelUnavailable:
        # Rules alone still route every item; people review what the model did not read.
        logger.exception("model unavailable: routing %d items by rules alone", len(items))
    cqc = organisation_cqc()
    outcomes = []
    for item in items:
        result = results.get(item.pk)
        decision = route_feedback(_routing_input(item, result))
        outcomes.append((item, result, decision, _handler_for(decision.route, item, cqc)))
    return _save_results(claim=claim, outcomes=outcomes, languages=languages)


SET_ASIDE_REASON = "set aside after repeated failed analyses: routed by rules, check by hand"


def feedback_set_aside(items: QuerySet[Feedback]) -> list[int]:
    """Route items whose analysis kept failing by the rules alone, flagged for people to review.

    Claimed afresh first (so a worker still holding an old claim cannot write over them), then
    written as a model-less analysis is: never retried again, never lost.
    """
    claim = uuid.uuid4()
    ids = list(items.values_list("pk", flat=True)[:1000])
    if not ids:
        return []
    Feedback.objects.filter(pk__in=ids, analysis_state=AnalysisState.PROCESSING).update(
        analysis_claim=claim, analysis_claimed_at=timezone.now()
    )
    claimed = list(
        Feedback.objects.filter(analysis_claim=claim).select_related("provider__icb", "area")
    )
    cqc = organisation_cqc()
    outcomes = []
    for item in claimed:
        decision = route_feedback(_routing_input(item, None))
        outcomes.append((item, None, decision, _handler_for(decision.route, item, cqc)))
    logger.error("set aside %d items after repeated failed analyses", len(outcomes))
    return _save_results(claim=claim, outcomes=outcomes, reason=SET_ASIDE_REASON)


# Items a sweep sends again at most (one message each ANALYSIS_BATCH_SIZE of them).
REQUEUE_LIMIT = 1000


def feedback_requeue_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Hand out again what a lost message or a dead worker left behind; returns the ids to send.

    Items claimed longer ago than the claim timeout go back to ``queued``; items queued for longer
    than the requeue delay are returned so the caller can enqueue them.
    """
    now = now or timezone.now()
    stale_claims = now - dt.timedelta(seconds=settings.ANALYSIS_CLAIM_TIMEOUT_SECONDS)
    stale = Feedback.objects.filter(
        analysis_state=AnalysisState.PROCESSING, analysis_claimed_at__lt=stale_claims
    )
    feedback_set_aside(stale.filter(analysis_attempts__gte=settings.ANALYSIS_MAX_ATTEMPTS))
    stale.filter(analysis_attempts__lt=settings.ANALYSIS_MAX_ATTEMPTS).update(
        analysis_state=AnalysisState.QUEUED, analysis_claim=None
    )
    waiting_since = now - dt.timedelta(seconds=settings.ANALYSIS_REQUEUE_AFTER_SECONDS)
    waiting = Feedback.objects.filter(
        analysis_state=AnalysisState.QUEUED, received_at__lt=waiting_since
    ).order_by("received_at", "pk")
    # Patients' items first: an FFT upload's answers were received weeks before they were
    # loaded, so by date alone a month of them would fill every sweep ahead of a complaint whose
    # message was lost a minute ago.
    patients = list(
        waiting.exclude(channel=Channel.FFT_IMPORT).values_list("pk", flat=True)[:REQUEUE_LIMIT]
    )
    bulk = list(
        waiting.filter(channel=Channel.FFT_IMPORT).values_list("pk", flat=True)[
            : REQUEUE_LIMIT - len(patients)
        ]
    )
    return patients + bulk
