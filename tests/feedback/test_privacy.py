"""A person's rights: everything held about them on request, their contact details erased on
request, and case files anonymised after the retention period, all audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from feedback.choices import Kind, Role, Status
from feedback.models import AuditEvent, Feedback, Identity, JointPartner
from feedback.services import privacy
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(trust):
    return UserFactory(organisation=trust, role=Role.MANAGER)


@pytest.fixture
def pats_items(trust, other_trust):
    mine = FeedbackFactory(
        provider=trust, handled_by=trust, text="Pat Example here, my leg was not treated."
    )
    Identity.objects.create(
        feedback=mine, name="Pat Example", email="pat@example.com", nhs_number="9434765919"
    )
    elsewhere = FeedbackFactory(provider=other_trust, handled_by=other_trust)
    Identity.objects.create(feedback=elsewhere, name="Pat Example", nhs_number="9434765919")
    return mine, elsewhere


def test_a_manager_downloads_everything_their_organisation_holds_about_a_person(
    client: Client, manager, pats_items
):
    mine, _elsewhere = pats_items
    client.force_login(manager)
    response = client.post("/staff/privacy/", {"nhs_number": "943 476 5919", "action": "download"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    record = json.loads(response.content)
    assert [i["reference"] for i in record["items"]] == [mine.pk]  # not another trust's
    assert record["items"][0]["contact_details"]["email"] == "pat@example.com"
    assert AuditEvent.objects.filter(feedback=mine, action="subject_access_exported").exists()


def test_erasing_removes_the_contact_details_and_the_name_from_the_text(
    client: Client, manager, pats_items
):
    mine, elsewhere = pats_items
    client.force_login(manager)
    response = client.post("/staff/privacy/", {"email": "PAT@example.com", "action": "erase"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert not Identity.objects.filter(feedback=mine).exists()
    assert "Pat Example" not in mine.text
    assert Identity.objects.filter(feedback=elsewhere).exists()  # another trust's, untouched
    assert AuditEvent.objects.filter(feedback=mine, action="identity_erased").exists()


def test_handlers_cannot_answer_these_requests_and_a_person_must_be_named(
    client: Client, trust, manager
):
    client.force_login(UserFactory(organisation=trust, role=Role.HANDLER))
    assert client.get("/staff/privacy/").status_code == 404
    client.force_login(manager)
    page = client.post("/staff/privacy/", {"action": "download"})
    assert "Enter the person&#x27;s NHS number or email address." in page.content.decode()


def test_case_files_are_anonymised_ten_years_after_closure_and_the_counts_stay(trust):
    now = timezone.now()
    old = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        kind=Kind.COMPLAINT,
        status=Status.CLOSED,
        closed_at=now - dt.timedelta(days=365 * 10 + 10),
        sentiment=5,
        response_text="We are sorry. The Ombudsman can help.",
    )
    Identity.objects.create(feedback=old, name="Old Case", email="old@example.com")
    recent = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        kind=Kind.COMPLAINT,
        status=Status.CLOSED,
        closed_at=now - dt.timedelta(days=365 * 9),
    )
    open_item = FeedbackFactory(provider=trust, handled_by=trust, kind=Kind.COMPLAINT)
    assert privacy.retention_anonymise(now=now) == 1
    old.refresh_from_db()
    assert old.text == privacy.REMOVED and old.response_text == privacy.REMOVED
    assert not Identity.objects.filter(feedback=old).exists()
    assert (old.kind, old.sentiment, old.handled_by) == (Kind.COMPLAINT, 5, trust)  # counted
    assert AuditEvent.objects.filter(feedback=old, action="anonymised_after_retention").exists()
    for kept in (recent, open_item):
        assert Feedback.objects.get(pk=kept.pk).text != privacy.REMOVED
    assert privacy.retention_anonymise(now=now) == 0  # once


def test_erasing_a_person_also_takes_their_details_out_of_a_joint_complaints_partners_part(
    client: Client, manager, pats_items, other_trust
):
    mine, _elsewhere = pats_items
    partner = JointPartner.objects.create(
        feedback=mine,
        organisation=other_trust,
        reason="The community team visited after discharge",
        invited_by=manager,
        findings="Our nurse visited Pat Example twice; pat@example.com was never written to.",
    )
    client.force_login(manager)
    client.post("/staff/privacy/", {"nhs_number": "9434765919", "action": "erase"})
    partner.refresh_from_db()
    assert "Pat Example" not in partner.findings
    assert "pat@example.com" not in partner.findings
    assert "visited" in partner.findings  # the findings themselves stay


def test_anonymising_a_joint_complaint_removes_the_partners_parts_but_keeps_who_took_part(
    trust, other_trust, manager
):
    now = timezone.now()
    old = FeedbackFactory(
        provider=trust,
        handled_by=trust,
        kind=Kind.COMPLAINT,
        status=Status.CLOSED,
        closed_at=now - dt.timedelta(days=365 * 10 + 10),
    )
    JointPartner.objects.create(
        feedback=old,
        organisation=other_trust,
        reason="Mr Old Case was discharged to their district nurses",
        invited_by=manager,
        findings="Mr Old Case's dressings were changed late on 3 May.",
    )
    assert privacy.retention_anonymise(now=now) == 1
    partner = JointPartner.objects.get(feedback=old)
    assert partner.findings == privacy.REMOVED and partner.reason == privacy.REMOVED
    assert partner.organisation == other_trust
