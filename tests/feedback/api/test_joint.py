"""The staff API for joint complaints: list partners, invite, remove, a partner's part, and the
partner's list; 400 by field, 403 for the other side's step, 404 outside scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from feedback.models import AuditEvent, JointPartner
from tests.feedback.joint_items import community_trust, complaint, respond_kwargs, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(trust, other_trust):
    return {
        "item": complaint(trust),
        "community": community_trust(),
        "lead": staff(trust, "lead"),
        "partner": staff(community_trust(), "community"),
        "unrelated": staff(other_trust, "unrelated"),
    }


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def partners_url(world) -> str:
    return f"/api/v1/queue/{world['item'].pk}/partners/"


def invite(world, **body):
    data = {"organisation": "RKE", "reason": "Discharged to the district nurses"} | body
    return client_for(world["lead"]).post(partners_url(world), data, format="json")


def test_the_lead_invites_lists_and_the_partner_adds_its_part(world):
    response = invite(world, organisation="rke")
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["lead"] == "RAL" and answer["all_contributed"] is False
    [partner] = answer["partners"]
    assert partner["organisation"] == "RKE" and partner["has_contributed"] is False
    assert partner["reason"] == "Discharged to the district nurses"

    partner_client = client_for(world["partner"])
    listed = partner_client.get("/api/v1/joint/").json()["results"]
    assert [row["id"] for row in listed] == [world["item"].pk]
    assert listed[0]["lead"] == "RAL"
    assert partner_client.get(partners_url(world)).status_code == 200
    added = partner_client.post(
        f"/api/v1/queue/{world['item'].pk}/contribution/",
        {"findings": "The referral reached us a week late."},
        format="json",
    )
    assert added.status_code == 200, added.content
    assert added.json()["all_contributed"] is True
    seen = client_for(world["lead"]).get(partners_url(world)).json()
    assert seen["partners"][0]["findings"] == "The referral reached us a week late."
    assert seen["partners"][0]["contributed_by"] == "community"


def test_bad_input_is_400_naming_the_field(world):
    missing = client_for(world["lead"]).post(partners_url(world), {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"organisation", "reason"}
    unknown = invite(world, organisation="ZZZ99")
    assert unknown.status_code == 400 and "organisation" in unknown.json()
    itself = invite(world, organisation="RAL")
    assert itself.status_code == 400 and "lead organisation" in itself.json()["organisation"][0]
    invite(world)
    empty = client_for(world["partner"]).post(
        f"/api/v1/queue/{world['item'].pk}/contribution/", {"findings": ""}, format="json"
    )
    assert empty.status_code == 400 and "findings" in empty.json()


def test_each_side_is_refused_the_others_step_with_403(world):
    invite(world)
    partner = client_for(world["partner"])
    assert (
        partner.post(partners_url(world), {"organisation": "RYR", "reason": "x"}).status_code == 403
    )
    assert partner.delete(f"{partners_url(world)}RKE/").status_code == 403
    lead_adds = client_for(world["lead"]).post(
        f"/api/v1/queue/{world['item'].pk}/contribution/", {"findings": "x"}, format="json"
    )
    assert lead_adds.status_code == 403
    assert JointPartner.objects.get().findings == ""


def test_the_partner_cannot_run_a_workflow_step_or_read_the_patient(world):
    invite(world)
    partner = client_for(world["partner"])
    pk = world["item"].pk
    for method, url in (
        ("get", f"/api/v1/queue/{pk}/"),
        ("post", f"/api/v1/queue/{pk}/acknowledge/"),
        ("post", f"/api/v1/queue/{pk}/identity/"),
        ("get", f"/api/v1/queue/{pk}/attachments/"),
        ("post", f"/api/v1/queue/{pk}/respond/"),
    ):
        assert getattr(partner, method)(url, {}, format="json").status_code == 404, url
    assert pk not in {row["id"] for row in partner.get("/api/v1/queue/").json()["results"]}
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_an_unrelated_organisation_gets_404_everywhere(world):
    invite(world)
    unrelated = client_for(world["unrelated"])
    pk = world["item"].pk
    assert unrelated.get(partners_url(world)).status_code == 404
    assert (
        unrelated.post(partners_url(world), {"organisation": "RYR", "reason": "x"}).status_code
        == 404
    )
    assert unrelated.delete(f"{partners_url(world)}RKE/").status_code == 404
    assert unrelated.post(f"/api/v1/queue/{pk}/contribution/", {"findings": "x"}).status_code == 404
    assert unrelated.get("/api/v1/joint/").json()["results"] == []


def test_removal_and_its_refusal_once_the_partner_has_added_its_part(world):
    invite(world)
    lead = client_for(world["lead"])
    assert lead.delete(f"{partners_url(world)}RYR/").status_code == 400
    client_for(world["partner"]).post(
        f"/api/v1/queue/{world['item'].pk}/contribution/", {"findings": "Late."}, format="json"
    )
    assert lead.delete(f"{partners_url(world)}RKE/").status_code == 409
    assert JointPartner.objects.count() == 1


def test_the_cqc_queue_refuses_joint_handling_with_409(world, cqc):
    item = complaint(cqc, route="cqc")
    response = client_for(staff(cqc, "inspector")).post(
        f"/api/v1/queue/{item.pk}/partners/", {"organisation": "RKE", "reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert "CQC does not run joint NHS complaints" in response.json()["detail"]


def test_the_response_step_is_400_on_partners_until_every_part_is_in(world):
    invite(world)
    lead = client_for(world["lead"])
    url = f"/api/v1/queue/{world['item'].pk}/respond/"
    waiting = lead.post(url, respond_kwargs(), format="json")
    assert waiting.status_code == 400
    assert "Whittington Health NHS Trust" in waiting.json()["partners"][0]
    client_for(world["partner"]).post(
        f"/api/v1/queue/{world['item'].pk}/contribution/", {"findings": "Late."}, format="json"
    )
    done = lead.post(url, respond_kwargs(), format="json")
    assert done.status_code == 200
    assert "Whittington Health NHS Trust" in done.json()["response_text"]


def test_signed_out_gets_nothing(world):
    invite(world)
    client = APIClient()
    assert client.get(partners_url(world)).status_code in (401, 403)
    assert client.get("/api/v1/joint/").status_code in (401, 403)
