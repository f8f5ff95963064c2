"""A person's check of what the reader was unsure of, and corrections kept as training examples."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from feedback.choices import CorrectionKind, RiskCheck, Route, Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import AuditEvent, Correction, Feedback
from feedback.services import triage, workflow
from feedback.services.steps import available_steps
from tests.factories import FeedbackFactory, UserFactory


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


@pytest.fixture
def flagged(trust, cqc):
    """A trust item the reader thought might be safeguarding, not surely enough for the CQC."""
    return FeedbackFactory(
        provider=trust,
        handled_by=trust,
        route=Route.TRUST,
        route_rule="trust_default",
        analysis_state="done",
        analysed_at=timezone.now(),
        risk_check=RiskCheck.PENDING,
        risk_check_flags=["safeguarding"],
        risk_check_due=timezone.localdate() + dt.timedelta(days=1),
        text="Dad seemed scared of one of the carers and went quiet whenever she came in.",
    )


@pytest.mark.django_db
def test_confirming_a_possible_risk_sends_the_item_to_the_cqc_in_one_audited_step(
    flagged, handler, cqc
):
    item = triage.risk_check_confirm(feedback=flagged, actor=handler, reason="spoke to the ward")
    item.refresh_from_db()
    assert (item.handled_by, item.route, item.status) == (cqc, Route.CQC, Status.RECEIVED)
    assert item.risk_check == RiskCheck.CONFIRMED
    assert item.risk_checked_by == handler and item.risk_checked_at is not None
    actions = list(AuditEvent.objects.filter(feedback=item).values_list("action", flat=True))
    assert actions[-2:] == ["rerouted", "risk_check_confirmed"]
    reroute = AuditEvent.objects.get(feedback=item, action="rerouted")
    assert "confirmed possible safeguarding concern: spoke to the ward" in reroute.detail["reason"]
    correction = Correction.objects.get(feedback=item)
    assert correction.kind == CorrectionKind.RISK_CONFIRMED
    assert correction.after == {"route": "cqc", "labels": ["safeguarding"]}
    assert correction.actor == handler


@pytest.mark.django_db
def test_dismissing_needs_a_reason_and_keeps_the_route(flagged, handler, trust):
    with pytest.raises(InvalidFeedback) as caught:
        triage.risk_check_dismiss(feedback=flagged, actor=handler, reason="  ")
    assert "reason" in caught.value.errors
    item = triage.risk_check_dismiss(
        feedback=flagged, actor=handler, reason="She is his granddaughter; he is shy with her."
    )
    item.refresh_from_db()
    assert (item.handled_by, item.route, item.risk_check) == (trust, Route.TRUST, "dismissed")
    event = AuditEvent.objects.get(feedback=item, action="risk_check_dismissed")
    assert event.detail == {"reason": "She is his granddaughter; he is shy with her."}
    correction = Correction.objects.get(feedback=item)
    assert correction.after == {"labels": [], "not": ["safeguarding"]}


@pytest.mark.django_db
def test_a_check_is_done_once(flagged, handler):
    triage.risk_check_dismiss(feedback=flagged, actor=handler, reason="Not a risk.")
    with pytest.raises(IllegalTransition):
        triage.risk_check_confirm(feedback=flagged, actor=handler)


@pytest.mark.django_db
def test_the_check_is_due_by_the_end_of_the_next_working_day():
    friday = dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)
    assert triage.risk_check_due(friday) == dt.date(2026, 12, 7)  # Monday
    christmas_eve = dt.datetime(2026, 12, 24, 10, 0, tzinfo=dt.UTC)
    assert triage.risk_check_due(christmas_eve) == dt.date(2026, 12, 29)  # after the holidays


@pytest.mark.django_db
def test_rerouting_is_kept_as_a_correction_with_what_the_cqc_should_act_on(trust, cqc, handler):
    item = FeedbackFactory(provider=trust, handled_by=trust, route=Route.TRUST)
    workflow.complaint_reroute(
        feedback=item,
        actor=handler,
        to=cqc,
        reason="A carer took money from his wallet.",
        concern="safeguarding",
    )
    correction = Correction.objects.get(feedback=item)
    assert correction.kind == CorrectionKind.ROUTE
    assert correction.before["route"] == "trust"
    assert correction.after == {"route": "cqc", "organisation": "CQC", "labels": ["safeguarding"]}


@pytest.mark.django_db
def test_correcting_sentiment_and_themes_is_audited_and_kept(trust, handler):
    item = FeedbackFactory(
        provider=trust, handled_by=trust, sentiment=3, analysed_at=timezone.now()
    )
    item.themes.create(theme="parking", score=0.8)
    triage.analysis_correct(
        feedback=item, actor=handler, sentiment=5, themes=["staff_manner", "safeguarding"]
    )
    item.refresh_from_db()
    assert (item.sentiment, item.sentiment_label) == (5, "negative")
    assert sorted(item.themes.values_list("theme", flat=True)) == ["safeguarding", "staff_manner"]
    kinds = set(Correction.objects.filter(feedback=item).values_list("kind", flat=True))
    assert kinds == {CorrectionKind.SENTIMENT, CorrectionKind.THEMES}
    assert AuditEvent.objects.filter(feedback=item, action="themes_corrected").exists()


@pytest.mark.django_db
def test_an_unknown_theme_is_refused(trust, handler):
    item = FeedbackFactory(provider=trust, handled_by=trust)
    with pytest.raises(InvalidFeedback) as caught:
        triage.analysis_correct(feedback=item, actor=handler, sentiment=None, themes=["nope"])
    assert "themes" in caught.value.errors


@pytest.mark.django_db
def test_withdrawing_needs_a_reason(trust, handler):
    item = FeedbackFactory(provider=trust, handled_by=trust)
    with pytest.raises(InvalidFeedback):
        workflow.complaint_withdraw(feedback=item, actor=handler, reason="")
    workflow.complaint_withdraw(feedback=item, actor=handler, reason="Resolved by phone.")
    event = AuditEvent.objects.get(feedback=item, action="status_changed")
    assert event.detail == {"reason": "Resolved by phone."}


# --- What the handler sees ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_item_page_shows_the_check_and_both_buttons(client: Client, flagged, handler):
    client.force_login(handler)
    page = client.get(f"/staff/items/{flagged.pk}/").content.decode()
    assert "Possible safeguarding concern" in page
    assert "Check by" in page
    assert 'id="step-confirm-risk"' in page and 'id="step-dismiss-risk"' in page
    response = client.post(f"/staff/items/{flagged.pk}/dismiss-risk/", {"dismiss-risk-reason": ""})
    assert response.status_code == 400
    assert "Say why there is no risk to act on." in response.content.decode()
    response = client.post(
        f"/staff/items/{flagged.pk}/dismiss-risk/", {"dismiss-risk-reason": "Family member."}
    )
    assert response.status_code == 302
    page = client.get(f"/staff/items/{flagged.pk}/").content.decode()
    assert 'id="step-confirm-risk"' not in page
    assert "Possible risk dismissed" in page


@pytest.mark.django_db
def test_cqc_items_and_items_to_check_come_first_in_the_queue_marked_urgent(
    client: Client, trust, handler
):
    now = timezone.now()
    newest = FeedbackFactory(provider=trust, handled_by=trust, received_at=now)
    to_check = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        received_at=now - dt.timedelta(days=3),
        risk_check=RiskCheck.PENDING,
        risk_check_flags=["serious_risk"],
        risk_check_due=timezone.localdate(),
    )
    checked = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        received_at=now - dt.timedelta(days=1),
        risk_check=RiskCheck.DISMISSED,
        risk_check_flags=["serious_risk"],
    )
    client.force_login(handler)
    for query in ("", "?ordering=-received", "?ordering=due"):
        rows = client.get(f"/staff/queue/{query}").content.decode()
        order = [rows.index(f"/staff/items/{i.pk}/") for i in (to_check, newest, checked)]
        assert order[0] < order[1] and order[0] < order[2], query
    assert "Urgent" in rows
    api = client.get("/api/v1/queue/?ordering=-received").json()
    assert api["results"][0]["id"] == to_check.pk


@pytest.mark.django_db
def test_the_timeline_and_analysis_read_in_words_not_codes(client: Client, trust, handler):
    item = FeedbackFactory(
        provider=trust, handled_by=trust, route_rule="trust_default", analysed_at=timezone.now()
    )
    item.themes.create(theme="staff_manner", score=0.9)
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    client.force_login(handler)
    page = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert "Status changed (Received to Acknowledged)" in page
    assert "Status_changed" not in page
    assert "Staff manner" in page and "staff_manner" not in page.split("<form")[0]
    assert "NHS trust: care at the trust named" in page


@pytest.mark.django_db
def test_the_staff_api_confirms_a_possible_risk(flagged, handler, cqc):
    client = Client()
    client.force_login(handler)
    response = client.post(
        f"/api/v1/queue/{flagged.pk}/confirm-risk/", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Feedback.objects.get(pk=flagged.pk).handled_by == cqc
    again = client.post(f"/api/v1/queue/{flagged.pk}/confirm-risk/")
    assert again.status_code == 404  # no longer in the trust's queue


@pytest.mark.django_db
def test_export_corrections_writes_training_examples_with_only_what_staff_decided(
    tmp_path, flagged, handler, trust, cqc
):
    from django.core.management import call_command

    from analytics.ml.triage_data import read_jsonl
    from feedback.models import Identity

    Identity.objects.create(feedback=flagged, name="Mary Jones", phone="07700 900 982")
    flagged.text += " Call Mary Jones on 07700 900 982."
    flagged.save()
    triage.risk_check_confirm(feedback=flagged, actor=handler)
    moved_back = FeedbackFactory(provider=trust, handled_by=cqc, route=Route.CQC, sentiment=4)
    triage.analysis_correct(feedback=moved_back, actor=handler, sentiment=2, themes=[])
    workflow.complaint_reroute(
        feedback=moved_back, actor=handler, to=trust, reason="Only about parking."
    )
    output = tmp_path / "corrections.jsonl"
    call_command("export_corrections", str(output))
    examples = {e.id: e for e in read_jsonl(output, source="corrections")}
    confirmed = examples[f"corr-{flagged.pk}"]
    assert confirmed.labels == {"safeguarding"} and confirmed.known == {"safeguarding"}
    assert "Mary Jones" not in confirmed.text and "07700" not in confirmed.text
    back = examples[f"corr-{moved_back.pk}"]
    assert back.labels == frozenset()
    assert back.known == {"safeguarding", "mental_health_act", "serious_risk"}
    assert back.route == "trust"
    record = output.read_text().splitlines()
    assert any('"sentiment": 2' in line for line in record)


@pytest.mark.django_db
def test_while_waiting_for_the_complainant_only_resume_and_withdraw_are_offered(
    client: Client, trust, handler
):
    item = FeedbackFactory(provider=trust, handled_by=trust, route=Route.TRUST)
    workflow.complaint_acknowledge(feedback=item, actor=handler)
    workflow.complaint_request_information(feedback=item, actor=handler, note="consent form")
    assert available_steps(Feedback.objects.get(pk=item.pk))[:3] != ["acknowledge"]
    steps = set(available_steps(Feedback.objects.get(pk=item.pk)))
    assert {"resume", "withdraw"} <= steps
    assert not steps & {"acknowledge", "investigate", "respond"}
    client.force_login(handler)
    page = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert 'id="step-acknowledge"' not in page
    with pytest.raises(IllegalTransition):
        workflow.complaint_acknowledge(feedback=item, actor=handler)
    assert Feedback.objects.get(pk=item.pk).status == Status.AWAITING_COMPLAINANT
