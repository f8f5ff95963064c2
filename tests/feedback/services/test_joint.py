"""Joint complaints (regulation 9) as the services run them: invite, remove, each partner's
part, one coordinated response naming everyone, and the lead's clock left alone."""

from __future__ import annotations

import pytest

from feedback.choices import Kind, Route, Status
from feedback.errors import IllegalTransition, InvalidFeedback, NotPermitted
from feedback.models import AuditEvent, Feedback, JointPartner
from feedback.services import joint, workflow
from feedback.services.reply_templates import reply_template_fill
from tests.feedback.joint_items import (
    RESPONSE,
    community_trust,
    complaint,
    gp_practice,
    respond_kwargs,
    staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_handler(trust):
    return staff(trust, "lead")


@pytest.fixture
def community():
    return community_trust()


@pytest.fixture
def partner_handler(community):
    return staff(community, "community")


@pytest.fixture
def item(trust):
    return complaint(trust)


def invite(item, organisation, actor, reason="Discharged to the district nursing team"):
    return joint.joint_partner_invite(
        feedback=item, organisation=organisation, reason=reason, actor=actor
    )


def test_the_lead_invites_partners_of_any_kind_and_each_invitation_is_audited(
    item, lead_handler, community, icb
):
    practice = gp_practice(icb)
    invite(item, community, lead_handler)
    invite(item, practice, lead_handler, reason="The GP did not pass on the referral")
    partners = joint.joint_partners_of(item)
    assert [p.organisation for p in partners] == [community, practice]
    events = AuditEvent.objects.filter(feedback=item, action="joint_partner_invited")
    assert [e.to_value for e in events] == ["RKE", "F83004"]
    assert events[0].detail["reason"] == "Discharged to the district nursing team"
    assert events[0].actor == lead_handler


def test_the_invitation_names_the_field_that_is_wrong(item, lead_handler, trust, community, cqc):
    with pytest.raises(InvalidFeedback) as lead_itself:
        invite(item, trust, lead_handler)
    assert "lead organisation" in lead_itself.value.errors["organisation"]
    with pytest.raises(InvalidFeedback) as the_cqc:
        invite(item, cqc, lead_handler)
    assert "CQC" in the_cqc.value.errors["organisation"]
    with pytest.raises(InvalidFeedback) as no_reason:
        invite(item, community, lead_handler, reason="  ")
    assert "reason" in no_reason.value.errors
    invite(item, community, lead_handler)
    with pytest.raises(InvalidFeedback) as twice:
        invite(item, community, lead_handler)
    assert "already a partner" in twice.value.errors["organisation"]
    assert JointPartner.objects.count() == 1


def test_only_the_lead_invites(item, community, partner_handler, other_trust):
    with pytest.raises(NotPermitted):
        invite(item, other_trust, partner_handler)
    assert not JointPartner.objects.exists()


def test_an_item_routed_to_the_cqc_cannot_be_joint(cqc, community):
    item = complaint(cqc, route=Route.CQC)
    with pytest.raises(IllegalTransition, match="CQC does not run joint NHS complaints"):
        invite(item, community, staff(cqc, "inspector"))


def test_a_compliment_or_an_answered_complaint_cannot_be_joint(trust, lead_handler, community):
    compliment = complaint(trust, kind=Kind.COMPLIMENT)
    with pytest.raises(IllegalTransition, match="only complaints and concerns"):
        invite(compliment, community, lead_handler)
    answered = complaint(trust, status=Status.RESPONDED)
    with pytest.raises(IllegalTransition, match="final response has been sent"):
        invite(answered, community, lead_handler)


def test_the_lead_removes_a_partner_only_before_it_adds_its_part(
    item, lead_handler, community, partner_handler, other_trust
):
    invite(item, community, lead_handler)
    invite(item, other_trust, lead_handler, reason="Transferred there first")
    joint.joint_partner_remove(feedback=item, organisation=other_trust, actor=lead_handler)
    assert [p.organisation for p in joint.joint_partners_of(item)] == [community]
    removed = AuditEvent.objects.get(feedback=item, action="joint_partner_removed")
    assert removed.from_value == other_trust.ods_code
    with pytest.raises(NotPermitted):
        joint.joint_partner_remove(feedback=item, organisation=community, actor=partner_handler)
    joint.joint_contribution_save(
        feedback=item, actor=partner_handler, findings="The referral reached us a week late."
    )
    with pytest.raises(IllegalTransition, match="added its part"):
        joint.joint_partner_remove(feedback=item, organisation=community, actor=lead_handler)


def test_a_partner_adds_then_changes_its_part_until_the_lead_responds(
    item, lead_handler, community, partner_handler
):
    invite(item, community, lead_handler)
    with pytest.raises(InvalidFeedback) as empty:
        joint.joint_contribution_save(feedback=item, actor=partner_handler, findings=" ")
    assert "findings" in empty.value.errors
    joint.joint_contribution_save(feedback=item, actor=partner_handler, findings="First look.")
    saved = joint.joint_contribution_save(
        feedback=item, actor=partner_handler, findings="The referral reached us a week late."
    )
    assert saved.findings == "The referral reached us a week late."
    assert saved.contributed_by == partner_handler and saved.contributed_at is not None
    actions = list(
        AuditEvent.objects.filter(feedback=item, action__startswith="joint_findings").values_list(
            "action", flat=True
        )
    )
    assert actions == ["joint_findings_added", "joint_findings_changed"]
    assert joint.joint_view(feedback=item, user=lead_handler).all_contributed

    workflow.complaint_respond(feedback=item, actor=lead_handler, **respond_kwargs())
    with pytest.raises(IllegalTransition, match="final response"):
        joint.joint_contribution_save(feedback=item, actor=partner_handler, findings="Later.")
    assert JointPartner.objects.get().findings == "The referral reached us a week late."


def test_neither_the_lead_nor_an_unrelated_organisation_adds_a_partners_part(
    item, lead_handler, community, other_trust
):
    invite(item, community, lead_handler)
    for actor in (lead_handler, staff(other_trust, "unrelated")):
        with pytest.raises(NotPermitted):
            joint.joint_contribution_save(feedback=item, actor=actor, findings="Not ours.")


def test_the_response_waits_for_every_partner_and_then_names_every_organisation(
    item, lead_handler, community, partner_handler, trust
):
    invite(item, community, lead_handler)
    with pytest.raises(InvalidFeedback) as waiting:
        workflow.complaint_respond(feedback=item, actor=lead_handler, **respond_kwargs())
    assert "Whittington Health NHS Trust has not added its part" in waiting.value.errors["partners"]
    assert Feedback.objects.get(pk=item.pk).status == Status.INVESTIGATING

    joint.joint_contribution_save(feedback=item, actor=partner_handler, findings="A week late.")
    done = workflow.complaint_respond(feedback=item, actor=lead_handler, **respond_kwargs())
    assert done.status == Status.RESPONDED
    assert done.response_text.startswith(RESPONSE)
    assert (
        "all the organisations involved in your complaint: Royal Free London NHS Foundation "
        "Trust and Whittington Health NHS Trust" in done.response_text
    )


def test_a_response_that_names_everyone_is_sent_as_written(
    item, lead_handler, community, partner_handler
):
    invite(item, community, lead_handler)
    joint.joint_contribution_save(feedback=item, actor=partner_handler, findings="A week late.")
    text = (
        "Royal Free London NHS Foundation Trust and Whittington Health NHS Trust looked into "
        "this together. You can go to the Parliamentary and Health Service Ombudsman."
    )
    done = workflow.complaint_respond(
        feedback=item, actor=lead_handler, **respond_kwargs(response_text=text)
    )
    assert done.response_text == text


def test_an_item_that_is_not_joint_is_answered_as_before(item, lead_handler):
    done = workflow.complaint_respond(feedback=item, actor=lead_handler, **respond_kwargs())
    assert done.response_text == RESPONSE


def test_partners_never_move_the_leads_clock(item, lead_handler, community, partner_handler):
    before = Feedback.objects.values("acknowledge_due", "response_due", "statutory_due").get(
        pk=item.pk
    )
    invite(item, community, lead_handler)
    joint.joint_contribution_save(feedback=item, actor=partner_handler, findings="A week late.")
    after = Feedback.objects.values("acknowledge_due", "response_due", "statutory_due").get(
        pk=item.pk
    )
    assert after == before


def test_the_joint_response_template_names_the_partners(item, lead_handler, community, icb):
    invite(item, community, lead_handler)
    invite(item, gp_practice(icb), lead_handler, reason="The GP's referral")
    text = reply_template_fill(
        item=item,
        user=lead_handler,
        body="{organisation} with {partner_organisations}.",
        reveal_name=False,
    )
    assert text == (
        "Royal Free London NHS Foundation Trust with Whittington Health NHS Trust and "
        "Camden Health Centre."
    )


def test_rerouting_to_a_partner_makes_it_the_lead_and_no_longer_a_partner(
    item, lead_handler, community, other_trust
):
    invite(item, community, lead_handler)
    invite(item, other_trust, lead_handler, reason="Transferred there first")
    workflow.complaint_reroute(
        feedback=item, actor=lead_handler, to=community, reason="They lead the care"
    )
    assert [p.organisation for p in joint.joint_partners_of(item)] == [other_trust]


def test_rerouting_to_the_cqc_ends_the_joint_handling(item, lead_handler, community, cqc):
    invite(item, community, lead_handler)
    workflow.complaint_reroute(
        feedback=item, actor=lead_handler, to=cqc, reason="A safeguarding concern"
    )
    assert not JointPartner.objects.exists()
    removed = AuditEvent.objects.get(feedback=item, action="joint_partner_removed")
    assert removed.detail["reason"] == "rerouted to the CQC"
