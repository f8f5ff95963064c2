import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from feedback.choices import ALLOWED_TRANSITIONS, NotificationState, Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import AuditEvent, Feedback, Identity, Notification
from feedback.services import workflow
from feedback.services.notifications import notification_send
from feedback.services.steps import available_steps
from tests.factories import FeedbackFactory, UserFactory

RESPONSE = (
    "We are sorry. We have retrained the team. If you are not satisfied you can ask the "
    "Parliamentary and Health Service Ombudsman to look at your complaint."
)


def respond_kwargs(**extra):
    return {
        "response_text": RESPONSE,
        "outcome": "partially_upheld",
        "subjects": ["communications", "values_behaviours"],
        "service_area": "inpatient",
        "profession": "nursing",
    } | extra


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


@pytest.fixture
def item(trust):
    now = timezone.now()
    return FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route="trust",
        analysis_state="done",
        received_at=now,
        acknowledge_due=timezone.localdate() + dt.timedelta(days=3),
        response_due=timezone.localdate() + dt.timedelta(days=28),
    )


# The status each step moves to, and how to call it.
STEPS = {
    "acknowledge": (
        Status.ACKNOWLEDGED,
        lambda i, u: workflow.complaint_acknowledge(feedback=i, actor=u),
    ),
    "investigate": (
        Status.INVESTIGATING,
        lambda i, u: workflow.complaint_start_investigation(
            feedback=i, actor=u, approach="detailed"
        ),
    ),
    "request_information": (
        Status.AWAITING_COMPLAINANT,
        lambda i, u: workflow.complaint_request_information(
            feedback=i, actor=u, note="consent form"
        ),
    ),
    "respond": (
        Status.RESPONDED,
        lambda i, u: workflow.complaint_respond(feedback=i, actor=u, **respond_kwargs()),
    ),
    "close": (Status.CLOSED, lambda i, u: workflow.complaint_close(feedback=i, actor=u)),
    "withdraw": (
        Status.WITHDRAWN,
        lambda i, u: workflow.complaint_withdraw(feedback=i, actor=u, reason="resolved informally"),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("from_status", list(Status))
@pytest.mark.parametrize("step", list(STEPS))
def test_every_move_is_allowed_exactly_when_the_transition_map_says_so(
    item, handler, from_status, step
):
    Feedback.objects.filter(pk=item.pk).update(status=from_status)
    item.refresh_from_db()
    target, run = STEPS[step]
    allowed = target in ALLOWED_TRANSITIONS[from_status]
    if step == "close" and from_status != Status.RESPONDED:
        allowed = False  # complaints close only after their response
    audit_before = AuditEvent.objects.filter(feedback=item).count()
    if allowed:
        updated = run(item, handler)
        assert updated.status == target
        event = AuditEvent.objects.filter(feedback=item).latest("pk")
        assert (event.action, event.from_value, event.to_value, event.actor) == (
            "status_changed",
            from_status,
            target,
            handler,
        )
    else:
        with pytest.raises(IllegalTransition):
            run(item, handler)
        item.refresh_from_db()
        assert item.status == from_status
        assert AuditEvent.objects.filter(feedback=item).count() == audit_before


@pytest.mark.django_db
def test_compliments_can_close_without_a_response(trust, handler):
    compliment = FeedbackFactory(provider=trust, handled_by=trust, kind="compliment")
    closed = workflow.complaint_close(feedback=compliment, actor=handler)
    assert closed.status == Status.CLOSED


@pytest.mark.django_db
def test_pausing_moves_the_response_date_by_the_days_waited(item, handler):
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    workflow.complaint_start_investigation(
        feedback=item, actor=handler, approach="early_resolution"
    )
    workflow.complaint_request_information(feedback=item, actor=handler)
    due_before = Feedback.objects.get(pk=item.pk).response_due
    Feedback.objects.filter(pk=item.pk).update(paused_at=timezone.now() - dt.timedelta(days=5))
    resumed = workflow.complaint_resume(feedback=item, actor=handler)
    assert resumed.status == Status.INVESTIGATING  # back where it was
    assert resumed.paused_days == 5
    assert resumed.response_due == due_before + dt.timedelta(days=5)
    assert resumed.paused_at is None


@pytest.mark.django_db
def test_resume_needs_a_paused_item(item, handler):
    with pytest.raises(IllegalTransition):
        workflow.complaint_resume(feedback=item, actor=handler)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"response_text": "We are sorry."}, "response_text"),
        ({"outcome": "maybe"}, "outcome"),
        ({"subjects": []}, "subjects"),
        ({"subjects": ["bad-code"]}, "subjects"),
        ({"service_area": ""}, "service_area"),
        ({"profession": "wizard"}, "profession"),
    ],
)
def test_a_response_must_signpost_the_ombudsman_and_be_coded(item, handler, changes, field):
    Feedback.objects.filter(pk=item.pk).update(status=Status.INVESTIGATING)
    with pytest.raises(InvalidFeedback) as caught:
        workflow.complaint_respond(feedback=item, actor=handler, **respond_kwargs(**changes))
    assert field in caught.value.errors
    assert Feedback.objects.get(pk=item.pk).status == Status.INVESTIGATING


@pytest.mark.django_db
def test_a_late_response_must_say_why(item, handler):
    Feedback.objects.filter(pk=item.pk).update(
        status=Status.INVESTIGATING, response_due=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(InvalidFeedback) as caught:
        workflow.complaint_respond(feedback=item, actor=handler, **respond_kwargs())
    assert "late" in caught.value.errors["late_reason"]
    done = workflow.complaint_respond(
        feedback=item,
        actor=handler,
        **respond_kwargs(late_reason="We waited for a clinical review."),
    )
    assert done.late_reason == "We waited for a clinical review."


@pytest.mark.django_db
def test_several_ko41_subjects_are_kept(item, handler):
    Feedback.objects.filter(pk=item.pk).update(status=Status.INVESTIGATING)
    done = workflow.complaint_respond(feedback=item, actor=handler, **respond_kwargs())
    assert done.ko41_subjects == ["communications", "values_behaviours"]
    assert done.outcome == "partially_upheld"


@pytest.mark.django_db
def test_reroute_moves_item_and_history_and_applies_new_clock_rules(item, handler, icb):
    icb.response_target_days = 25
    icb.response_target_working_days = True
    icb.save()
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    moved = workflow.complaint_reroute(
        feedback=item, actor=handler, to=icb, reason="About GP prescribing, not the hospital"
    )
    assert moved.handled_by == icb
    assert moved.route == "icb"
    assert moved.route_rule == "rerouted"
    assert moved.status == Status.RECEIVED
    from feedback import clocks

    assert moved.response_due == clocks.response_due(moved.received_at, icb)
    events = list(
        AuditEvent.objects.filter(feedback=item).values_list("action", "from_value", "to_value")
    )
    # Acknowledged by the trust, handed over, and back to "received" at the ICB: each audited.
    assert events[-3:] == [
        ("status_changed", "received", "acknowledged"),
        ("rerouted", item.handled_by.ods_code, icb.ods_code),
        ("status_changed", "acknowledged", "received"),
    ]
    event = AuditEvent.objects.get(feedback=item, action="rerouted")
    assert (event.from_value, event.to_value) == (item.handled_by.ods_code, icb.ods_code)
    assert event.detail["reason"] == "About GP prescribing, not the hospital"


@pytest.mark.django_db
def test_reroute_needs_a_reason_and_an_open_item(item, handler, icb):
    with pytest.raises(InvalidFeedback):
        workflow.complaint_reroute(feedback=item, actor=handler, to=icb, reason=" ")
    Feedback.objects.filter(pk=item.pk).update(status=Status.CLOSED)
    with pytest.raises(IllegalTransition):
        workflow.complaint_reroute(feedback=item, actor=handler, to=icb, reason="wrong place")


@pytest.mark.django_db
def test_reroute_of_a_new_item_records_no_status_change(item, handler, icb):
    workflow.complaint_reroute(feedback=item, actor=handler, to=icb, reason="GP prescribing")
    actions = list(AuditEvent.objects.filter(feedback=item).values_list("action", flat=True))
    assert "status_changed" not in actions and actions.count("rerouted") == 1


@pytest.mark.django_db
def test_reroute_while_waiting_for_the_complainant_keeps_the_days_already_paused(
    item, handler, icb
):
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    workflow.complaint_request_information(feedback=item, actor=handler, note="Consent form")
    moved = workflow.complaint_reroute(feedback=item, actor=handler, to=icb, reason="ICB's")
    assert (moved.status, moved.paused_at, moved.status_before_pause) == (
        Status.RECEIVED,
        None,
        "",
    )
    assert available_steps(moved)[:1] == ["acknowledge"]
    assert "resume" not in available_steps(moved)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "closable_before_response"),
    [("complaint", False), ("concern", False), ("compliment", True), ("suggestion", True)],
)
def test_what_the_item_page_offers_is_what_the_step_allows(
    item, handler, kind, closable_before_response
):
    """The steps a page offers and the steps the services accept are the same rule."""
    Feedback.objects.filter(pk=item.pk).update(kind=kind)
    item.refresh_from_db()
    assert ("close" in available_steps(item)) is closable_before_response
    if closable_before_response:
        assert workflow.complaint_close(feedback=item, actor=handler).status == Status.CLOSED
    else:
        with pytest.raises(IllegalTransition, match="only after the final response"):
            workflow.complaint_close(feedback=item, actor=handler)
        item.refresh_from_db()
        assert item.status == Status.RECEIVED


@pytest.mark.django_db
def test_resume_is_offered_and_allowed_only_while_paused(item, handler):
    assert "resume" not in available_steps(item)
    with pytest.raises(IllegalTransition, match="waiting for the complainant"):
        workflow.complaint_resume(feedback=item, actor=handler)
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    paused = workflow.complaint_request_information(feedback=item, actor=handler)
    assert "resume" in available_steps(paused)
    assert workflow.complaint_resume(feedback=item, actor=handler).status == Status.ACKNOWLEDGED


@pytest.mark.django_db
def test_assign_only_within_the_organisation(item, handler, other_trust):
    colleague = UserFactory(organisation=item.handled_by)
    assert (
        workflow.complaint_assign(feedback=item, actor=handler, assignee=colleague).assigned_to
        == colleague
    )
    outsider = UserFactory(organisation=other_trust)
    with pytest.raises(InvalidFeedback):
        workflow.complaint_assign(feedback=item, actor=handler, assignee=outsider)
    assert AuditEvent.objects.filter(feedback=item, action="assigned").count() == 1


@pytest.mark.django_db
def test_revealing_identity_is_audited(item, handler):
    Identity.objects.create(feedback=item, name="Ann", email="ann@example.com")
    identity = workflow.identity_reveal(feedback=item, actor=handler)
    assert identity.name == "Ann"
    event = AuditEvent.objects.get(feedback=item, action="identity_viewed")
    assert event.actor == handler


@pytest.mark.django_db
def test_an_agreed_date_becomes_the_response_target(trust, handler):
    # The defect as found: received 2 December 2026, 29 January 2027 agreed with the complainant.
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        item = FeedbackFactory(
            provider=trust,
            handled_by=trust,
            route="trust",
            received_at=timezone.now(),
            response_due=dt.date(2026, 12, 30),
            statutory_due=dt.date(2027, 6, 2),
        )
        done = workflow.complaint_agree_deadline(
            feedback=item, actor=handler, agreed_due=dt.date(2027, 1, 29)
        )
    assert done.response_due == dt.date(2027, 1, 29)  # "Respond by" moves
    assert done.statutory_due == dt.date(2027, 6, 2)  # the 6-month limit stays
    event = AuditEvent.objects.get(feedback=item, action="deadline_agreed")
    assert (event.from_value, event.to_value) == ("2026-12-30", "2027-01-29")


@pytest.mark.django_db
def test_an_agreed_date_past_six_months_moves_the_limit_and_has_a_ceiling(trust, handler):
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        item = FeedbackFactory(
            provider=trust, handled_by=trust, route="trust", received_at=timezone.now()
        )
        done = workflow.complaint_agree_deadline(
            feedback=item, actor=handler, agreed_due=dt.date(2027, 8, 31)
        )
        assert (done.response_due, done.statutory_due) == (dt.date(2027, 8, 31),) * 2
        for bad, message in [
            (dt.date(2026, 12, 2), "after today"),
            (dt.date(2027, 12, 31), "no later than 02 December 2027"),
        ]:
            with pytest.raises(InvalidFeedback) as caught:
                workflow.complaint_agree_deadline(feedback=item, actor=handler, agreed_due=bad)
            assert message in caught.value.errors["agreed_due"]
    # After the 6-month limit passed, a date beyond it can no longer be agreed.
    with time_machine.travel(dt.datetime(2027, 9, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        other = FeedbackFactory(
            provider=trust,
            handled_by=trust,
            route="trust",
            received_at=dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC),
        )
        with pytest.raises(InvalidFeedback) as caught:
            workflow.complaint_agree_deadline(
                feedback=other, actor=handler, agreed_due=dt.date(2027, 10, 1)
            )
        assert "before 02 June 2027" in caught.value.errors["agreed_due"]


@pytest.mark.django_db
def test_acknowledgement_and_response_are_emailed_once_after_commit(
    item, handler, django_capture_on_commit_callbacks
):
    Identity.objects.create(feedback=item, email="pat@example.com")
    with django_capture_on_commit_callbacks() as callbacks:
        workflow.complaint_acknowledge(feedback=item, actor=handler)
    assert len(callbacks) == 1
    assert len(mail.outbox) == 0  # nothing is sent inside the transaction
    ack = Notification.objects.get(feedback=item, kind="acknowledgement")
    assert notification_send(notification_id=ack.pk) is True
    assert notification_send(notification_id=ack.pk) is False  # a redelivered task
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.com"]
    assert item.tracking_token in mail.outbox[0].body

    workflow.complaint_start_investigation(feedback=item, actor=handler, approach="detailed")
    workflow.complaint_respond(feedback=item, actor=handler, **respond_kwargs())
    response = Notification.objects.get(feedback=item, kind="response")
    notification_send(notification_id=response.pk)
    assert len(mail.outbox) == 2
    assert "Ombudsman" in mail.outbox[1].body
    response.refresh_from_db()
    assert response.state == NotificationState.SENT


@pytest.mark.django_db
def test_no_email_address_means_no_email(item, handler):
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    ack = Notification.objects.get(feedback=item, kind="acknowledgement")
    assert ack.state == NotificationState.SKIPPED
    assert notification_send(notification_id=ack.pk) is False
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_daily_warning_lists_due_and_overdue_items(trust, handler):
    from feedback.services.deadlines import deadline_warnings_send

    handler.email = "handler@example.nhs.uk"
    handler.save()
    today = timezone.localdate()
    FeedbackFactory(provider=trust, handled_by=trust, response_due=today + dt.timedelta(days=1))
    overdue = FeedbackFactory(
        provider=trust, handled_by=trust, response_due=today - dt.timedelta(days=3)
    )
    FeedbackFactory(provider=trust, handled_by=trust, response_due=today + dt.timedelta(days=20))
    FeedbackFactory(
        provider=trust, handled_by=trust, response_due=today - dt.timedelta(days=9), status="closed"
    )
    assert deadline_warnings_send(today=today) == 1
    message = mail.outbox[0]
    assert message.to == ["handler@example.nhs.uk"]
    assert message.subject == "1 overdue, 1 due within 2 days"
    assert f"#{overdue.pk}" in message.body


@pytest.mark.django_db
def test_closing_a_complaint_under_investigation_says_why_not(item, handler):
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    workflow.complaint_start_investigation(feedback=item, actor=handler)
    with pytest.raises(IllegalTransition, match="closed only after the final response"):
        workflow.complaint_close(feedback=item, actor=handler)
