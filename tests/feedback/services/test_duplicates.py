"""Possible duplicates, links and merges as a handler meets them (issue 18 item 5)."""

from __future__ import annotations

import datetime as dt
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.db.models import F

from analytics.ml.analyser import ModelUnavailable
from feedback.choices import NotificationKind, RiskCheck, Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import AuditEvent, Feedback, FeedbackLink, FeedbackReading, Notification
from feedback.selectors import feedback_queue
from feedback.services import duplicates, merging, workflow
from feedback.services.analysis import feedback_analyse_batch
from feedback.services.duplicates import duplicate_candidates, feedback_link, phone_keys
from feedback.services.notifications import notification_send
from feedback.services.triage import risk_check_confirm
from tests.factories import FeedbackFactory, UserFactory
from tests.feedback.duplicate_items import (
    MODEL,
    PAT,
    PAT_NHS,
    RESPONSE,
    SAM,
    complaint,
    reading,
    topic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


def found(item, user):
    return {c.item.pk: c.reasons for c in duplicate_candidates(feedback=item, user=user)}


# --- Candidates ----------------------------------------------------------------------------------


def test_the_same_patient_writing_again_is_a_candidate_and_someone_else_is_not(trust, handler):
    first = complaint(trust, days_ago=20, patient=PAT_NHS)
    other_person = complaint(trust, days_ago=10, patient=SAM)
    again = complaint(trust, days_ago=1, patient=PAT_NHS)
    assert found(again, handler) == {
        first.pk: ("same NHS number", "same email address", "same phone number")
    }
    # Both ways round: the first item shows the second.
    assert set(found(first, handler)) == {again.pk}
    assert other_person.pk not in found(first, handler)


def test_an_email_in_another_case_and_a_phone_written_differently_match(trust, handler):
    first = complaint(trust, patient={"email": "Pat.Example@Example.COM"})
    by_phone = complaint(trust, patient={"phone": "07700-900-123"})
    again = complaint(
        trust, patient={"email": "pat.example@example.com", "phone": "+44 7700 900123"}
    )
    assert found(again, handler) == {
        first.pk: ("same email address",),
        by_phone.pk: ("same phone number",),
    }


def test_phone_keys_cover_the_ways_one_uk_number_is_written():
    keys = phone_keys("07700 900123")
    for written in ("+44 7700 900123", "0044 7700 900123", "+44 (0)7700 900123", "07700900123"):
        assert phone_keys(written) & keys, written
    assert not phone_keys("07700 900124") & keys
    assert phone_keys("999") == frozenset()


def test_a_complaint_told_again_in_other_words_is_a_candidate_and_an_unrelated_one_is_not(
    trust, handler
):
    wait = topic()
    first = complaint(trust, days_ago=12, read_as=reading(wait))
    unrelated = complaint(trust, days_ago=6, read_as=reading(topic()))
    again = complaint(trust, days_ago=1, read_as=reading(wait, noise=0.1))
    [candidate] = duplicate_candidates(feedback=again, user=handler)
    assert candidate.item == first
    assert candidate.similarity is not None and candidate.similarity >= duplicates.TEXT_THRESHOLD
    assert candidate.reason == f"text {int(candidate.similarity * 100)}% alike"
    assert unrelated.pk not in found(again, handler)


def test_only_the_same_queue_within_90_days_and_not_merged_linked_or_compliments(
    trust, other_trust, handler
):
    meaning = topic()

    def same(**kwargs):
        return complaint(
            kwargs.pop("org", trust), patient=PAT_NHS, read_as=reading(meaning, 0.05), **kwargs
        )

    item = same(days_ago=100)
    shown = {
        "80 days before": same(days_ago=180),
        "80 days after": same(days_ago=20),
        "a concern": same(days_ago=90, kind="concern"),
    }
    hidden = {
        "another trust": same(days_ago=100, org=other_trust),
        "95 days before": same(days_ago=195),
        "95 days after": same(days_ago=5),
        "a compliment": same(days_ago=100, kind="compliment"),
        "merged": same(days_ago=101),
        "linked": same(days_ago=102),
    }
    Feedback.objects.filter(pk=hidden["merged"].pk).update(
        duplicate_of=shown["a concern"], status=Status.CLOSED
    )
    feedback_link(feedback=item, other=hidden["linked"], actor=handler)
    assert set(found(item, handler)) == {i.pk for i in shown.values()}
    # Another trust's handler sees nothing of this trust's queue, whatever matches.
    assert found(hidden["another trust"], UserFactory(organisation=other_trust)) == {}


def test_readings_of_another_model_are_not_compared(trust, handler):
    meaning = topic()
    complaint(trust, read_as=reading(meaning), model_version="an-older-model")
    again = complaint(trust, read_as=reading(meaning, 0.05))
    assert found(again, handler) == {}


def test_candidates_come_best_first_and_at_most_five(trust, handler):
    meaning = topic()
    by_text = [complaint(trust, days_ago=2 + i, read_as=reading(meaning, 0.1)) for i in range(6)]
    by_nhs_number = complaint(trust, days_ago=60, patient={"nhs_number": "9434765919"})
    item = complaint(
        trust, days_ago=1, patient={"nhs_number": "9434765919"}, read_as=reading(meaning)
    )
    shown = duplicate_candidates(feedback=item, user=handler)
    assert len(shown) == duplicates.CANDIDATES_SHOWN
    assert shown[0].item == by_nhs_number
    similarities = [c.similarity for c in shown[1:]]
    assert similarities == sorted(similarities, reverse=True)
    assert {c.item.pk for c in shown[1:]} <= {i.pk for i in by_text}


def test_the_first_pass_finds_what_comparing_every_reading_finds(trust, handler, monkeypatch):
    meanings = [topic() for _ in range(40)]
    items = [
        complaint(trust, days_ago=1 + i % 80, read_as=reading(meanings[i % 40], 0.2))
        for i in range(200)
    ]
    monkeypatch.setattr(duplicates, "SHORTLIST", 10)
    monkeypatch.setattr(duplicates, "SHORTLIST_SHARE", 0.0)
    shortlisted = found(items[0], handler)
    monkeypatch.setattr(duplicates, "SHORTLIST", 10_000)
    assert shortlisted == found(items[0], handler)
    assert len(shortlisted) >= 3


def test_the_worker_keeps_a_reading_only_when_the_model_read_the_item(trust, cqc):
    item = FeedbackFactory(provider=trust, text="Nobody answered the phone for two days.")
    with mock.patch(
        "feedback.services.analysis.get_analyser", side_effect=ModelUnavailable("missing")
    ):
        feedback_analyse_batch()
    item.refresh_from_db()
    assert item.needs_review
    assert not FeedbackReading.objects.filter(feedback=item).exists()


# --- Links ---------------------------------------------------------------------------------------


def test_linking_shows_on_both_items_and_is_audited_on_both(trust, handler):
    first, second = complaint(trust), complaint(trust)
    feedback_link(feedback=second, other=first, actor=handler)
    assert list(duplicates.links_of(feedback=first, user=handler)) == [second]
    assert list(duplicates.links_of(feedback=second, user=handler)) == [first]
    for item, other in ((first, second), (second, first)):
        event = AuditEvent.objects.get(feedback=item, action="linked")
        assert (event.actor, event.to_value) == (handler, f"#{other.pk}")
    with pytest.raises(IllegalTransition, match="already linked"):
        feedback_link(feedback=first, other=second, actor=handler)
    with pytest.raises(InvalidFeedback, match="itself"):
        feedback_link(feedback=first, other=first, actor=handler)
    assert FeedbackLink.objects.count() == 1


def test_an_item_of_another_organisation_cannot_be_linked(trust, other_trust, handler):
    mine, theirs = complaint(trust), complaint(other_trust)
    with pytest.raises(IllegalTransition, match="your organisation's queue"):
        feedback_link(feedback=mine, other=theirs, actor=handler)
    assert not FeedbackLink.objects.exists()
    assert not AuditEvent.objects.exists()


# --- Merges --------------------------------------------------------------------------------------


def test_merging_closes_the_duplicate_audits_both_and_its_patient_gets_the_answer(trust, handler):
    kept = complaint(trust, days_ago=10, patient=PAT)
    # The same person writing again, their address typed in another case.
    duplicate = complaint(
        trust, days_ago=2, patient={"name": "P Example", "email": "Pat@Example.com"}
    )
    merged = merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)

    assert (merged.status, merged.duplicate_of, merged.closed_at is not None) == (
        Status.CLOSED,
        kept,
        True,
    )
    assert list(duplicates.duplicates_of(feedback=kept, user=handler)) == [merged]
    assert AuditEvent.objects.get(feedback=duplicate, action="merged").to_value == f"#{kept.pk}"
    assert AuditEvent.objects.get(feedback=kept, action="duplicate_merged").to_value == (
        f"#{duplicate.pk}"
    )
    status = AuditEvent.objects.get(feedback=duplicate, action="status_changed")
    assert (status.from_value, status.to_value, status.actor) == ("received", "closed", handler)

    # The duplicate's complainant is told it was joined to another.
    joined = Notification.objects.get(feedback=duplicate, kind=NotificationKind.MERGED)
    assert notification_send(notification_id=joined.pk)
    assert mail.outbox[-1].to == ["Pat@Example.com"]
    assert "joined yours to it" in mail.outbox[-1].body

    # The kept item is answered: both complainants are sent the response.
    workflow.complaint_acknowledge(feedback=kept, actor=handler)
    workflow.complaint_start_investigation(feedback=kept, actor=handler)
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    sent = {}
    for notification in Notification.objects.filter(kind=NotificationKind.RESPONSE):
        assert notification_send(notification_id=notification.pk)
        sent[notification.feedback_id] = mail.outbox[-1]
    assert set(sent) == {kept.pk, duplicate.pk}
    assert sent[duplicate.pk].to == ["Pat@Example.com"]
    assert RESPONSE["response_text"] in sent[duplicate.pk].body
    assert "answers both" in sent[duplicate.pk].body
    assert duplicate.tracking_token in sent[duplicate.pk].body
    assert kept.tracking_token not in sent[duplicate.pk].body
    assert AuditEvent.objects.filter(feedback=duplicate, action="response_shared").count() == 1


def test_a_merge_into_an_item_already_answered_sends_that_answer_now(trust, handler):
    kept = complaint(trust, days_ago=20, status=Status.INVESTIGATING, patient=PAT)
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    duplicate = complaint(trust, days_ago=1, patient=PAT)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    kinds = set(Notification.objects.filter(feedback=duplicate).values_list("kind", flat=True))
    assert kinds == {NotificationKind.MERGED, NotificationKind.RESPONSE}


@pytest.mark.parametrize(
    ("kept_patient", "duplicate_patient"),
    [
        (PAT, SAM),  # two people telling one incident
        (PAT_NHS, {**SAM, "nhs_number": PAT_NHS["nhs_number"]}),  # someone typing Pat's number
        (PAT, {"name": "Pat", "phone": PAT["phone"]}),  # no email to send the answer to
        (PAT, None),  # anonymous: the tracking page would show Pat's answer
        (None, None),
    ],
)
def test_complaints_of_two_people_are_linked_not_merged(
    trust, handler, kept_patient, duplicate_patient
):
    """One person's answer never reaches another: only items giving the same email address
    are merged, as the answer to one is sent to that address already."""
    kept = complaint(trust, patient=kept_patient)
    duplicate = complaint(trust, patient=duplicate_patient)
    assert merging.merge_refusal(duplicate, kept) is not None
    with pytest.raises(IllegalTransition, match="do not give the same email address"):
        merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    assert Feedback.objects.get(pk=duplicate.pk).status == Status.RECEIVED
    assert not Notification.objects.exists()
    duplicates.feedback_link(feedback=duplicate, other=kept, actor=handler)


REFUSALS = {
    "into itself": (lambda item, kept: (item, item), "cannot be merged into itself"),
    "a closed item": (
        lambda item, kept: (_set(item, status=Status.CLOSED), kept),
        "a closed or withdrawn item cannot be merged",
    ),
    "a withdrawn item": (
        lambda item, kept: (_set(item, status=Status.WITHDRAWN), kept),
        "a closed or withdrawn item cannot be merged",
    ),
    "an answered item": (
        lambda item, kept: (_set(item, status=Status.RESPONDED), kept),
        "has had its final response",
    ),
    "into a closed item": (
        lambda item, kept: (item, _set(kept, status=Status.CLOSED)),
        "merge only into an item still being handled",
    ),
    "into a merged item": (
        lambda item, kept: (item, _merged(kept)),
        "was itself merged into",
    ),
    "an item merged already": (
        lambda item, kept: (_merged(item), kept),
        "was already merged into",
    ),
    "a compliment": (
        lambda item, kept: (_set(item, kind="compliment"), kept),
        "only complaints and concerns are merged",
    ),
    "a possible risk not yet checked": (
        lambda item, kept: (_set(item, risk_check=RiskCheck.PENDING), kept),
        "possible risk to check first",
    ),
    "into an item with a possible risk not yet checked": (
        lambda item, kept: (item, _set(kept, risk_check=RiskCheck.PENDING)),
        "possible risk to check first",
    ),
    "an item others were merged into": (
        lambda item, kept: (_kept_for_another(item), kept),
        "Other items were merged into",
    ),
}


def _set(item, **values):
    Feedback.objects.filter(pk=item.pk).update(**values)
    item.refresh_from_db()
    return item


def _merged(item):
    other = complaint(item.handled_by)
    return _set(item, duplicate_of=other, status=Status.CLOSED)


def _kept_for_another(item):
    complaint(item.handled_by, duplicate_of=item, status=Status.CLOSED)
    return item


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_merge_says_why_and_changes_nothing(trust, handler, case):
    arrange, why = REFUSALS[case]
    item, kept = arrange(complaint(trust), complaint(trust))
    before = AuditEvent.objects.count()
    error = InvalidFeedback if case == "into itself" else IllegalTransition
    with pytest.raises(error, match=why):
        merging.complaint_merge(feedback=item, into=kept, actor=handler)
    assert AuditEvent.objects.count() == before
    assert not Notification.objects.exists()
    assert Feedback.objects.get(pk=item.pk).duplicate_of_id == item.duplicate_of_id


def test_an_item_of_another_organisation_cannot_be_merged(trust, other_trust, handler):
    mine, theirs = complaint(trust), complaint(other_trust)
    for item, into in ((mine, theirs), (theirs, mine)):
        with pytest.raises(IllegalTransition, match="your organisation's queue"):
            merging.complaint_merge(feedback=item, into=into, actor=handler)
    assert not Feedback.objects.filter(duplicate_of__isnull=False).exists()


def test_a_merged_item_cannot_be_reopened(trust, handler):
    kept, duplicate = complaint(trust, patient=PAT), complaint(trust, patient=PAT)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    with pytest.raises(IllegalTransition, match=f"merged into #{kept.pk}"):
        workflow.complaint_reopen(feedback=duplicate, actor=handler, reason="unhappy")


def test_erasing_or_anonymising_the_text_drops_its_reading(trust, handler):
    from feedback.services import privacy

    item = complaint(trust, patient=PAT, read_as=reading(topic()))
    manager = UserFactory(organisation=trust, role="manager")
    privacy.identity_erase(user=manager, email=PAT["email"])
    assert not FeedbackReading.objects.filter(feedback=item).exists()
    item.refresh_from_db()
    assert item.reading_sketch is None


def test_an_item_not_yet_in_a_queue_has_no_candidates(trust, handler):
    waiting = complaint(trust, patient=PAT_NHS, read_as=reading(topic()))
    complaint(trust, patient=PAT_NHS)
    Feedback.objects.filter(pk=waiting.pk).update(handled_by=None)
    waiting.refresh_from_db()
    assert duplicate_candidates(feedback=waiting, user=handler) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the binary COPY path")
def test_the_window_is_read_in_one_binary_copy_on_postgresql(trust, handler):
    meaning = topic()
    first = complaint(trust, read_as=reading(meaning, 0.05))
    again = complaint(trust, read_as=reading(meaning, 0.05))
    window = duplicates.duplicate_window(feedback=again, user=handler)
    ids, sketches = duplicates._window_sketches(window, MODEL)
    assert list(ids) == [first.pk]
    assert bytes(sketches[0]) == bytes(Feedback.objects.get(pk=first.pk).reading_sketch)


# --- When the item kept leaves, and undoing a merge or a link -------------------------------------


def _merged_pair(trust, handler, **duplicate_values):
    kept = complaint(trust, days_ago=10, patient=PAT)
    duplicate = complaint(trust, days_ago=2, patient=PAT, **duplicate_values)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    return kept, duplicate


def _days_later(item, days):
    """As if ``days`` passed since the item was merged (its clock stopped then)."""
    Feedback.objects.filter(pk=item.pk).update(closed_at=F("closed_at") - dt.timedelta(days=days))


def _email_of_kind(item, kind):
    notification = Notification.objects.get(feedback=item, kind=kind)
    assert notification_send(notification_id=notification.pk)
    return mail.outbox[-1]


@pytest.mark.parametrize("how", ["withdrawn", "handed to the ICB", "merged by mistake"])
def test_a_complainant_told_their_complaint_was_joined_is_told_when_it_is_handled_alone(
    trust, handler, icb, how
):
    kept, duplicate = _merged_pair(trust, handler, status=Status.ACKNOWLEDGED)
    joined = _email_of_kind(duplicate, NotificationKind.MERGED)
    assert "joined yours to it" in joined.body

    if how == "withdrawn":
        workflow.complaint_withdraw(feedback=kept, actor=handler, reason="the patient withdrew it")
    elif how == "handed to the ICB":
        workflow.complaint_reroute(feedback=kept, actor=handler, to=icb, reason="GP care only")
    else:
        merging.complaint_unmerge(feedback=duplicate, actor=handler, reason="not the same matter")

    duplicate.refresh_from_db()
    told = _email_of_kind(duplicate, NotificationKind.UNMERGED)
    assert told.to == ["pat@example.com"]
    assert "on its own" in told.body
    assert f"{duplicate.response_due:%d %B %Y}" in told.body
    assert duplicate.tracking_token in told.body
    # Nothing of the other item: not its number, not its link.
    assert f"#{kept.pk}" not in told.body and kept.tracking_token not in told.body
    # The complainant of the item kept hears nothing of this.
    assert not Notification.objects.filter(feedback=kept, kind=NotificationKind.UNMERGED).exists()


def test_withdrawing_the_item_kept_reopens_its_duplicate_with_its_clock_resumed(trust, handler):
    kept, duplicate = _merged_pair(trust, handler, status=Status.ACKNOWLEDGED)
    due_before = Feedback.objects.get(pk=duplicate.pk).response_due
    _days_later(duplicate, 5)

    workflow.complaint_withdraw(feedback=kept, actor=handler, reason="the patient withdrew it")

    duplicate.refresh_from_db()
    # Back in the queue as it was before the merge, to be answered on its own.
    assert (duplicate.status, duplicate.duplicate_of_id, duplicate.closed_at) == (
        Status.ACKNOWLEDGED,
        None,
        None,
    )
    assert duplicate in feedback_queue(handler)
    # Its clock stood still while it was merged: the response date moves by those days.
    assert duplicate.response_due == due_before + dt.timedelta(days=5)
    assert duplicate.paused_days == 5
    reopened = AuditEvent.objects.get(feedback=duplicate, action="unmerged")
    assert f"#{kept.pk}) was withdrawn" in reopened.detail["reason"]
    status = AuditEvent.objects.filter(feedback=duplicate, action="status_changed").last()
    assert (status.from_value, status.to_value) == ("closed", "acknowledged")
    assert AuditEvent.objects.filter(feedback=kept, action="duplicate_reopened").count() == 1
    # It is offered the ordinary steps again, and answered on its own.
    workflow.complaint_start_investigation(feedback=duplicate, actor=handler)
    workflow.complaint_respond(feedback=duplicate, actor=handler, **RESPONSE)


def test_a_duplicate_merged_while_waiting_for_the_complainant_waits_again(trust, handler):
    duplicate = complaint(trust, days_ago=2, patient=PAT, status=Status.ACKNOWLEDGED)
    workflow.complaint_request_information(feedback=duplicate, actor=handler)
    kept = complaint(trust, days_ago=10, patient=PAT)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    paused_at = AuditEvent.objects.get(feedback=duplicate, action="merged").detail["paused_at"]

    workflow.complaint_withdraw(feedback=kept, actor=handler, reason="withdrawn")

    duplicate.refresh_from_db()
    assert duplicate.status == Status.AWAITING_COMPLAINANT
    assert duplicate.status_before_pause == Status.ACKNOWLEDGED
    assert duplicate.paused_at.isoformat() == paused_at
    # Resuming counts the days since it first waited, as any pause.
    workflow.complaint_resume(feedback=duplicate, actor=handler)
    assert Feedback.objects.get(pk=duplicate.pk).status == Status.ACKNOWLEDGED


@pytest.mark.parametrize("how", ["risk confirmed", "rerouted"])
def test_when_the_item_kept_leaves_the_queue_its_duplicate_is_reopened_here(
    trust, other_trust, cqc, handler, how
):
    kept, duplicate = _merged_pair(trust, handler)
    if how == "risk confirmed":
        Feedback.objects.filter(pk=kept.pk).update(
            risk_check=RiskCheck.PENDING, risk_check_flags=["safeguarding"]
        )
        risk_check_confirm(feedback=kept, actor=handler)
    else:
        workflow.complaint_reroute(
            feedback=kept, actor=handler, to=other_trust, reason="their ward"
        )

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id, duplicate.handled_by_id) == (
        Status.RECEIVED,
        None,
        trust.pk,
    )
    assert duplicate in feedback_queue(handler)
    assert not duplicates.duplicates_of(feedback=kept, user=handler).exists()
    # The reason is audited, without the id of an item this queue no longer sees; the item kept,
    # now another organisation's, names no item of this queue either.
    reopened = AuditEvent.objects.get(feedback=duplicate, action="unmerged")
    assert "another organisation's queue" in reopened.detail["reason"]
    assert str(kept.pk) not in str(reopened.detail) + reopened.to_value
    assert not AuditEvent.objects.filter(feedback=kept, action="duplicate_reopened").exists()


def test_a_duplicate_already_sent_the_answer_stays_closed(trust, other_trust, handler):
    kept = complaint(trust, days_ago=20, status=Status.INVESTIGATING, patient=PAT)
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    duplicate = complaint(trust, days_ago=1, patient=PAT)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    workflow.complaint_reroute(feedback=kept, actor=handler, to=other_trust, reason="theirs")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == (Status.CLOSED, kept.pk)
    # Nothing shows this queue the id of the item now elsewhere.
    assert duplicates.merged_into(feedback=duplicate, user=handler) is None


def test_a_handler_undoes_a_merge_made_by_mistake(trust, handler):
    kept, duplicate = _merged_pair(trust, handler, status=Status.INVESTIGATING)
    _days_later(duplicate, 3)
    due_before = Feedback.objects.get(pk=duplicate.pk).response_due
    with pytest.raises(InvalidFeedback):
        merging.complaint_unmerge(feedback=duplicate, actor=handler, reason=" ")

    merging.complaint_unmerge(feedback=duplicate, actor=handler, reason="different visits")

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == (Status.INVESTIGATING, None)
    assert duplicate.response_due == due_before + dt.timedelta(days=3)
    undone = AuditEvent.objects.get(feedback=duplicate, action="unmerged")
    assert (undone.actor, undone.detail["reason"]) == (handler, "different visits")
    assert AuditEvent.objects.get(feedback=kept, action="duplicate_unmerged").to_value == (
        f"#{duplicate.pk}"
    )
    # Its complainant is no longer sent the kept item's answer.
    workflow.complaint_acknowledge(feedback=kept, actor=handler)
    workflow.complaint_start_investigation(feedback=kept, actor=handler)
    workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
    assert not Notification.objects.filter(
        feedback=duplicate, kind=NotificationKind.RESPONSE
    ).exists()
    # An item not merged has nothing to undo.
    with pytest.raises(IllegalTransition, match="was not merged"):
        merging.complaint_unmerge(feedback=kept, actor=handler, reason="oops")


def test_only_the_items_own_organisation_undoes_a_merge(trust, other_trust, handler):
    kept, duplicate = _merged_pair(trust, handler)
    stranger = UserFactory(organisation=other_trust)
    with pytest.raises(IllegalTransition, match="your organisation's queue"):
        merging.complaint_unmerge(feedback=duplicate, actor=stranger, reason="mine")
    assert Feedback.objects.get(pk=duplicate.pk).duplicate_of_id == kept.pk


def test_unlinking_removes_the_link_from_both_and_is_audited_on_both(trust, other_trust, handler):
    first, second = complaint(trust), complaint(trust)
    feedback_link(feedback=first, other=second, actor=handler)
    with pytest.raises(IllegalTransition, match="your organisation's queue"):
        duplicates.feedback_unlink(
            feedback=first, other=second, actor=UserFactory(organisation=other_trust)
        )

    duplicates.feedback_unlink(feedback=second, other=first, actor=handler)

    assert not FeedbackLink.objects.exists()
    assert not duplicates.links_of(feedback=first, user=handler).exists()
    for item, other in ((first, second), (second, first)):
        assert AuditEvent.objects.get(feedback=item, action="unlinked").to_value == f"#{other.pk}"
    with pytest.raises(IllegalTransition, match="not linked"):
        duplicates.feedback_unlink(feedback=first, other=second, actor=handler)


# --- Two handlers at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_undoing_a_merge_while_the_item_kept_is_answered_finishes_both(trust, handler):
    """One handler undoes a merge (the duplicate locked, a note then written on the item kept)
    while another sends the item kept its final response (it locked, the response then shared
    with the duplicate's complainant). Each step writes a row that points at the item the other
    has locked: both must finish, neither stopped by the database as a deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite takes one lock for the whole database)")
    kept = complaint(trust, days_ago=10, status=Status.INVESTIGATING, patient=PAT)
    duplicate = complaint(trust, days_ago=2, patient=PAT)
    merging.complaint_merge(feedback=duplicate, into=kept, actor=handler)
    colleague = UserFactory(organisation=trust)
    duplicate_held, kept_held = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    write_audit = merging.audit_record

    def audit_record(*, feedback, **kwargs):
        # The undo, holding the duplicate, reaches its note on the item kept only once the
        # response holds that item: the two steps cross, as two handlers' clicks can.
        if feedback.pk == kept.pk and kwargs.get("action") == "duplicate_unmerged":
            duplicate_held.set()
            kept_held.wait(10)
        return write_audit(feedback=feedback, **kwargs)

    share = merging.share_response

    def share_response(**kwargs):
        kept_held.set()
        return share(**kwargs)

    def undo() -> None:
        try:
            merging.complaint_unmerge(feedback=duplicate, actor=colleague, reason="not the same")
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    with (
        mock.patch.object(merging, "audit_record", audit_record),
        mock.patch.object(merging, "share_response", share_response),
    ):
        other = threading.Thread(target=undo)
        other.start()
        assert duplicate_held.wait(10)
        try:
            workflow.complaint_respond(feedback=kept, actor=handler, **RESPONSE)
        except BaseException as error:
            failures.append(error)
        finally:
            kept_held.set()
            other.join(20)

    assert failures == []
    assert Feedback.objects.get(pk=kept.pk).status == Status.RESPONDED
    assert Feedback.objects.get(pk=duplicate.pk).duplicate_of_id is None
    assert AuditEvent.objects.filter(feedback=kept, action="duplicate_unmerged").count() == 1
