"""The joint complaint pages: the lead's section on the item page, the partner's view of the item
and its list, as the lead, a partner and an unrelated organisation's staff use them."""

from __future__ import annotations

import pytest
from django.test import Client

from feedback.choices import Status
from feedback.models import AuditEvent, Feedback, JointPartner
from feedback.services import joint
from tests.feedback.joint_items import community_trust, complaint, respond_kwargs, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(trust, other_trust):
    community = community_trust()
    item = complaint(trust)
    return {
        "item": item,
        "community": community,
        "lead": staff(trust, "lead"),
        "partner": staff(community, "community"),
        "unrelated": staff(other_trust, "unrelated"),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(world, ods="RKE", reason="Discharged to the district nurses"):
    return signed_in(world["lead"]).post(
        f"/staff/items/{world['item'].pk}/partners/",
        {"joint-organisation": ods, "joint-reason": reason},
    )


def test_the_lead_invites_a_partner_from_the_item_page(world):
    client = signed_in(world["lead"])
    page = client.get(f"/staff/items/{world['item'].pk}/")
    assert "Joint complaint" in page.content.decode()
    assert "Invite a partner organisation" in page.content.decode()
    response = client.post(
        f"/staff/items/{world['item'].pk}/partners/",
        {"joint-organisation": "rke", "joint-reason": "Discharged to the district nurses"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/staff/items/{world['item'].pk}/#joint")
    page = client.get(response["Location"]).content.decode()
    assert "Whittington Health NHS Trust invited as a partner" in page
    assert "Waiting for 1 of 1 partner" in page
    assert "Not added yet" in page


def test_a_bad_invitation_shows_an_error_summary_naming_the_field(world):
    response = invite(world, ods="ZZZ99", reason="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'href="#id_joint-organisation"' in page
    assert "Say why this organisation is part of the complaint." in page
    assert "<title>Error:" in page
    assert not JointPartner.objects.exists()


def test_inviting_the_lead_itself_is_refused_on_the_field(world):
    response = invite(world, ods="RAL")
    assert response.status_code == 400
    assert "is the lead organisation" in response.content.decode()


def test_an_item_of_the_cqc_queue_offers_no_invitation(world, cqc):
    item = complaint(cqc, route="cqc")
    page = signed_in(staff(cqc, "inspector")).get(f"/staff/items/{item.pk}/").content.decode()
    assert "The CQC does not run joint NHS complaints" in page
    assert "Invite partner" not in page


def test_the_partner_reads_the_item_and_adds_its_part(world):
    invite(world)
    client = signed_in(world["partner"])
    listing = client.get("/staff/joint/").content.decode()
    assert f"/staff/items/{world['item'].pk}/" in listing and "To add" in listing
    page = client.get(f"/staff/items/{world['item'].pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Led by Royal Free London NHS Foundation Trust" in body
    assert "the district nurses never came" in body
    # Read only: no workflow step, no contact details, no timeline.
    assert "Show contact details" not in body and "Acknowledge" not in body
    assert "Pat Example" not in body and "Timeline" not in body
    saved = client.post(
        f"/staff/items/{world['item'].pk}/contribution/",
        {"joint-findings": "The referral reached us a week late."},
    )
    assert saved.status_code == 302
    assert "Added" in client.get("/staff/joint/").content.decode()
    lead_page = signed_in(world["lead"]).get(f"/staff/items/{world['item'].pk}/").content.decode()
    assert "The referral reached us a week late." in lead_page
    assert "Every partner has added its part of the findings." in lead_page


def test_an_empty_part_shows_an_error_summary(world):
    invite(world)
    response = signed_in(world["partner"]).post(
        f"/staff/items/{world['item'].pk}/contribution/", {"joint-findings": ""}
    )
    assert response.status_code == 400
    assert 'href="#id_joint-findings"' in response.content.decode()


def test_the_partner_cannot_run_the_leads_steps_or_see_the_patient(world):
    invite(world)
    client = signed_in(world["partner"])
    pk = world["item"].pk
    for url in (
        f"/staff/items/{pk}/acknowledge/",
        f"/staff/items/{pk}/close/",
        f"/staff/items/{pk}/identity/",
        f"/staff/items/{pk}/reroute/",
        f"/staff/items/{pk}/merge/",
        f"/staff/items/{pk}/links/",
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    client.post(f"/staff/items/{pk}/partners/", {"joint-organisation": "RYR", "joint-reason": "x"})
    assert JointPartner.objects.count() == 1
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_an_unrelated_organisation_sees_nothing(world):
    invite(world)
    client = signed_in(world["unrelated"])
    pk = world["item"].pk
    assert client.get(f"/staff/items/{pk}/").status_code == 404
    assert (
        client.post(f"/staff/items/{pk}/contribution/", {"joint-findings": "x"}).status_code == 404
    )
    assert client.post(f"/staff/items/{pk}/partners/RKE/remove/").status_code == 404
    assert f"/staff/items/{pk}/" not in client.get("/staff/joint/").content.decode()


def test_the_lead_removes_a_partner_that_has_not_added_its_part(world):
    invite(world)
    response = signed_in(world["lead"]).post(
        f"/staff/items/{world['item'].pk}/partners/RKE/remove/"
    )
    assert response.status_code == 302
    assert not JointPartner.objects.exists()
    assert signed_in(world["partner"]).get(f"/staff/items/{world['item'].pk}/").status_code == 404


def test_the_response_step_says_which_partner_is_missing_and_keeps_the_text(world):
    invite(world)
    data = {f"respond-{k}": v for k, v in respond_kwargs().items()}
    response = signed_in(world["lead"]).post(f"/staff/items/{world['item'].pk}/respond/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Whittington Health NHS Trust has not added its part" in page
    assert "We have looked into your care" in page  # the typed response is kept
    assert Feedback.objects.get(pk=world["item"].pk).status == Status.INVESTIGATING


def test_after_the_response_the_partner_reads_it_and_cannot_change_its_part(world):
    invite(world)
    joint.joint_contribution_save(
        feedback=world["item"], actor=world["partner"], findings="A week late."
    )
    data = {f"respond-{k}": v for k, v in respond_kwargs().items()}
    signed_in(world["lead"]).post(f"/staff/items/{world['item'].pk}/respond/", data)
    client = signed_in(world["partner"])
    page = client.get(f"/staff/items/{world['item'].pk}/").content.decode()
    assert "can no longer be changed" in page and "Final response" in page
    refused = client.post(
        f"/staff/items/{world['item'].pk}/contribution/", {"joint-findings": "Later."}
    )
    assert refused.status_code == 302
    assert JointPartner.objects.get().findings == "A week late."
