import datetime as dt
import uuid
from unittest import mock

import pytest
from django.utils import timezone

from analytics.ml.analyser import AnalysisInput, ModelUnavailable
from feedback.choices import AnalysisState, Route
from feedback.models import AuditEvent, Feedback, FeedbackTheme
from feedback.services.analysis import (
    feedback_analyse_batch,
    feedback_claim_batch,
    feedback_requeue_stale,
    reader,
)
from tests.factories import FeedbackFactory


@pytest.mark.django_db
def test_batch_analyses_and_routes_each_item_to_the_right_queue(trust, icb, cqc):
    to_trust = FeedbackFactory(
        provider=trust, text="The nurses were kind but I waited five hours to be seen."
    )
    to_icb = FeedbackFactory(
        provider=None, area=icb, service_type="gp", text="My GP surgery never answers the phone."
    )
    to_cqc = FeedbackFactory(
        provider=trust, text="A member of staff slapped my father and shouted at him."
    )
    written = feedback_analyse_batch()
    assert sorted(written) == sorted([to_trust.pk, to_icb.pk, to_cqc.pk])

    for item, route, handler, rule_prefix in [
        (to_trust, Route.TRUST, trust, "trust"),
        (to_icb, Route.ICB, icb, "icb_primary_care"),
        (to_cqc, Route.CQC, cqc, "cqc_safeguarding"),
    ]:
        item.refresh_from_db()
        assert item.analysis_state == AnalysisState.DONE
        assert item.route == route
        assert item.handled_by == handler
        assert item.route_rule.startswith(rule_prefix)
        assert item.route_evidence
        assert item.sentiment in {1, 2, 3, 4, 5}
        assert item.sentiment_label in {"positive", "neutral", "negative"}
        assert 0 < item.sentiment_confidence <= 1
        assert item.model_version
        assert item.acknowledge_due is not None and item.response_due is not None
        assert item.response_due - timezone.localdate(item.received_at) == dt.timedelta(days=28)
        actions = list(AuditEvent.objects.filter(feedback=item).values_list("action", flat=True))
        assert actions == ["analysed", "routed"]

    to_cqc.refresh_from_db()
    assert to_cqc.risk_safeguarding
    assert to_trust.sentiment_label != "positive" or to_trust.sentiment <= 3


@pytest.mark.django_db
def test_the_worker_reads_the_question_and_fft_rating_as_analyse_csv_does(trust, cqc):
    text, question = "It was all right I suppose.", "Please tell us why you gave your answer."
    rated = FeedbackFactory(provider=trust, text=text, question=question, fft_rating=5)
    unrated = FeedbackFactory(provider=trust, text=text, question=question)
    feedback_analyse_batch()
    expected = reader().analyse(
        [
            AnalysisInput(text=text, question=question, fft_rating=5),
            AnalysisInput(text=text, question=question),
        ]
    )
    for item, result in zip((rated, unrated), expected, strict=True):
        item.refresh_from_db()
        assert (item.sentiment, item.model_version) == (result.sentiment, result.model_version)
        assert item.sentiment_confidence == pytest.approx(result.sentiment_confidence, abs=1e-6)
    # The rating is read: the same words score differently with and without it.
    assert expected[0].sentiment_confidence != pytest.approx(
        expected[1].sentiment_confidence, abs=1e-6
    )


@pytest.mark.django_db
def test_compliments_have_no_clock(trust, cqc):
    item = FeedbackFactory(provider=trust, kind="compliment", text="Thank you to ward 5.")
    feedback_analyse_batch()
    item.refresh_from_db()
    assert item.route == Route.TRUST
    assert item.acknowledge_due is None and item.response_due is None


@pytest.mark.django_db
def test_a_redelivered_message_does_nothing_twice(trust, cqc):
    item = FeedbackFactory(provider=trust)
    assert feedback_analyse_batch(first_id=item.pk) == [item.pk]
    assert feedback_analyse_batch(first_id=item.pk) == []
    assert AuditEvent.objects.filter(feedback=item, action="routed").count() == 1
    themes = FeedbackTheme.objects.filter(feedback=item).count()
    feedback_analyse_batch(first_id=item.pk)
    assert FeedbackTheme.objects.filter(feedback=item).count() == themes


@pytest.mark.django_db
def test_a_claim_taken_over_after_timeout_cannot_be_written_by_the_old_worker(trust, cqc):
    item = FeedbackFactory(provider=trust)
    first_claim = feedback_claim_batch(first_id=item.pk)
    # The first worker dies; after the timeout the item is handed out again and analysed.
    later = timezone.now() + dt.timedelta(hours=1)
    assert feedback_requeue_stale(now=later) == [item.pk]
    assert feedback_analyse_batch(first_id=item.pk) == [item.pk]
    item.refresh_from_db()
    assert item.analysis_claim != first_claim
    assert item.analysis_attempts == 2
    assert AuditEvent.objects.filter(feedback=item, action="routed").count() == 1


@pytest.mark.django_db
def test_claims_take_only_queued_items(trust, cqc):
    done = FeedbackFactory(provider=trust, analysis_state=AnalysisState.DONE)
    queued = FeedbackFactory(provider=trust)
    claim = feedback_claim_batch(first_id=done.pk)
    assert list(Feedback.objects.filter(analysis_claim=claim).values_list("pk", flat=True)) == [
        queued.pk
    ]


@pytest.mark.django_db
def test_requeue_returns_items_left_queued(trust):
    old = FeedbackFactory(provider=trust, received_at=timezone.now() - dt.timedelta(minutes=10))
    FeedbackFactory(provider=trust)  # just arrived: its own message is still on its way
    assert feedback_requeue_stale() == [old.pk]


@pytest.mark.django_db
def test_a_complaint_whose_message_was_lost_is_sent_again_ahead_of_an_fft_backlog(trust):
    """An FFT upload's answers were received weeks ago; a patient's complaint waiting a few
    minutes is still sent again first, however many answers wait."""
    month_ago = timezone.now() - dt.timedelta(days=30)
    answers = FeedbackFactory.create_batch(
        5, provider=trust, channel="fft_import", kind="compliment", received_at=month_ago
    )
    complaint = FeedbackFactory(
        provider=trust, kind="complaint", received_at=timezone.now() - dt.timedelta(minutes=10)
    )
    with mock.patch("feedback.services.analysis.REQUEUE_LIMIT", 3):
        assert feedback_requeue_stale() == [complaint.pk, answers[0].pk, answers[1].pk]


@pytest.mark.django_db
def test_without_the_model_items_are_routed_by_rules_and_flagged_for_review(trust, cqc):
    item = FeedbackFactory(
        provider=trust, text="The staff sectioned my son under the Mental Health Act."
    )
    with mock.patch(
        "feedback.services.analysis.get_analyser", side_effect=ModelUnavailable("missing")
    ):
        assert feedback_analyse_batch() == [item.pk]
    item.refresh_from_db()
    assert item.needs_review
    assert item.route == Route.CQC
    assert item.sentiment is None
    assert item.analysis_state == AnalysisState.DONE
    assert AuditEvent.objects.filter(feedback=item, action="analysed_rules_only").exists()


@pytest.mark.django_db
def test_an_item_whose_claim_was_lost_mid_batch_is_left_to_its_new_claimant(trust, cqc):
    kept, lost = FeedbackFactory(provider=trust), FeedbackFactory(provider=trust)
    real_analyse = reader().analyse

    def analyse_while_another_worker_takes_one(inputs):
        # While this batch is in the model, its claim on one item times out and passes on.
        Feedback.objects.filter(pk=lost.pk).update(analysis_claim=uuid.uuid4())
        return real_analyse(inputs)

    with mock.patch("feedback.services.analysis.get_analyser") as get:
        get.return_value.analyse.side_effect = analyse_while_another_worker_takes_one
        assert feedback_analyse_batch() == [kept.pk]
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert kept.analysis_state == AnalysisState.DONE
    assert lost.analysis_state == AnalysisState.PROCESSING and lost.route == ""
    assert not AuditEvent.objects.filter(feedback=lost).exclude(action="submitted").exists()
    assert not FeedbackTheme.objects.filter(feedback=lost).exists()
    assert list(
        AuditEvent.objects.filter(feedback=kept)
        .exclude(action="submitted")
        .values_list("action", flat=True)
    ) == ["analysed", "routed"]


@pytest.mark.django_db
def test_a_batch_that_fails_while_writing_writes_nothing_and_is_handed_out_again(trust, cqc):
    items = [FeedbackFactory(provider=trust) for _ in range(3)]
    with (
        mock.patch("feedback.services.analysis.audit_record_all", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        feedback_analyse_batch()
    assert not Feedback.objects.filter(analysis_state=AnalysisState.DONE).exists()
    assert not FeedbackTheme.objects.exists()
    later = timezone.now() + dt.timedelta(hours=1)
    assert sorted(feedback_requeue_stale(now=later)) == sorted(i.pk for i in items)
    assert sorted(feedback_analyse_batch()) == sorted(i.pk for i in items)
    assert AuditEvent.objects.filter(action="routed").count() == 3


@pytest.mark.django_db
def test_a_batch_that_always_fails_is_set_aside_for_people_not_retried_forever(
    trust, cqc, settings
):
    settings.ANALYSIS_MAX_ATTEMPTS = 3
    poisoned = FeedbackFactory(provider=trust, text="A nurse hit my father on the ward.")
    later = timezone.now()
    with mock.patch(
        "analytics.ml.analyser.Analyser.analyse", side_effect=RuntimeError("always fails")
    ):
        for _ in range(3):
            with pytest.raises(RuntimeError):
                feedback_analyse_batch()
            later += dt.timedelta(hours=1)
            feedback_requeue_stale(now=later)
    poisoned.refresh_from_db()
    # Never lost: routed by the rules (here the CQC's: the phrase names the harm), flagged.
    assert poisoned.analysis_state == AnalysisState.DONE
    assert poisoned.needs_review is True
    assert poisoned.route == Route.CQC and poisoned.handled_by == cqc
    event = AuditEvent.objects.get(feedback=poisoned, action="analysed_rules_only")
    assert "set aside" in event.detail["reason"]
    assert feedback_analyse_batch() == []  # nothing left to retry

    from feedback.services.health import health_check

    report = health_check()
    assert report.analysis["set_aside_last_24_hours"] == 1
    assert report.status == "degraded"


@pytest.mark.django_db
def test_the_worker_stores_the_redacted_text_and_question_for_exports(trust, cqc):
    from feedback.models import Identity

    mine = FeedbackFactory(
        provider=trust,
        text="Ask for Jane Smith on 07700 900123, the ward was cold.",
        question="Tell us more, and email feedback@example.org",
    )
    Identity.objects.create(feedback=mine, name="Jane Smith", phone="07700900123")
    plain = FeedbackFactory(provider=trust, text="The ward was cold.", question="")
    feedback_analyse_batch()
    mine.refresh_from_db()
    plain.refresh_from_db()
    assert mine.text_redacted == "Ask for [NAME] on [PHONE], the ward was cold."
    assert mine.question_redacted == "Tell us more, and email [EMAIL]"
    assert (plain.text_redacted, plain.question_redacted) == ("The ward was cold.", "")
