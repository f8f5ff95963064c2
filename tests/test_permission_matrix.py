"""Who sees which item, on every URL that shows items, for every kind of viewer.

Items in four queues: the trust's own, the ICB's (a complaint about the trust the patient sent to
the commissioner), the CQC's (a safeguarding concern about the trust's nurse) and another trust's.
Staff work their own queue only; regulator tokens export what the staff of their organisation
oversee (an ICB its trusts' queues too; the CQC and national tokens everything). Nothing is ever
visible because of what it is about.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from analytics.pseudonym import pseudonym_for
from feedback.choices import Role, Route, Status
from feedback.models import Attachment, AuditEvent, Feedback, FeedbackLink, Identity
from feedback.services.attachments import attachment_add
from tests.analytics.regulator import client_for, issue, item, reset_throttles
from tests.attachment_files import PDF, upload
from tests.factories import TrustFactory, UserFactory

pytestmark = pytest.mark.django_db

OCTOBER = dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC)
ITEMS = ("own", "to_icb", "to_cqc", "other")

# What each member of staff may open (their own queue), and what each token may export.
STAFF_SEES = {
    "trust staff": {"own"},
    "icb staff": {"to_icb"},
    "cqc staff": {"to_cqc"},
    "other trust staff": {"other"},
}
TOKEN_SEES = {
    "trust token": {"own"},
    "icb token": {"own", "to_icb"},
    "national token": set(ITEMS),
    "other trust token": {"other"},
}


@pytest.fixture
def world(trust, other_trust, icb, cqc) -> dict[str, Any]:
    items = {
        "own": item(provider=trust, handled_by=trust, received=OCTOBER),
        "to_icb": item(
            provider=trust,
            handled_by=icb,
            area=icb,
            route=Route.ICB,
            received=OCTOBER,
            wants_commissioner=True,
            text="I do not want the hospital to know I complained.",
        ),
        "to_cqc": item(
            provider=trust,
            handled_by=cqc,
            route=Route.CQC,
            received=OCTOBER,
            risk_safeguarding=True,
            text="A nurse on the ward hit my father.",
        ),
        "other": item(provider=other_trust, handled_by=other_trust, received=OCTOBER),
    }
    for feedback in items.values():
        Identity.objects.create(feedback=feedback, name="Pat Example", email="pat@example.com")
    staff = {
        "trust staff": UserFactory(organisation=trust, role=Role.MANAGER),
        "icb staff": UserFactory(organisation=icb, role=Role.MANAGER),
        "cqc staff": UserFactory(organisation=cqc, role=Role.MANAGER),
        "other trust staff": UserFactory(organisation=other_trust, role=Role.MANAGER),
    }
    tokens = {
        "trust token": issue(trust)[1],
        "icb token": issue(icb)[1],
        "national token": issue(cqc)[1],
        "other trust token": issue(other_trust)[1],
    }
    reset_throttles()
    return {"items": items, "staff": staff, "tokens": tokens}


STAFF_URLS = [
    ("get", "/staff/items/{pk}/"),
    ("post", "/staff/items/{pk}/identity/"),
    ("post", "/staff/items/{pk}/acknowledge/"),
    ("get", "/api/v1/queue/{pk}/"),
    ("post", "/api/v1/queue/{pk}/identity/"),
    ("get", "/api/v1/queue/{pk}/audit/"),
    ("post", "/api/v1/queue/{pk}/assign/"),
    ("get", "/api/v1/queue/{pk}/duplicates/"),
    ("get", "/api/v1/queue/{pk}/links/"),
    ("post", "/api/v1/queue/{pk}/links/"),
    ("post", "/api/v1/queue/{pk}/merge/"),
    ("post", "/staff/items/{pk}/links/"),
    ("post", "/staff/items/{pk}/merge/"),
    ("post", "/api/v1/queue/{pk}/unmerge/"),
    ("post", "/staff/items/{pk}/unmerge/"),
    ("delete", "/api/v1/queue/{pk}/links/{other}/"),
    ("post", "/staff/items/{pk}/unlink/"),
    ("get", "/api/v1/queue/{pk}/partners/"),
]


def _body(url: str, feedback: Any) -> dict[str, Any]:
    """What each POST sends: a link or a merge names another complaint of the same queue; undoing
    one needs a link or a merge to undo."""
    if url.endswith("assign/"):
        return {"assignee": None}
    if url.endswith(("links/", "merge/", "unlink/", "{other}/")):
        partner = item(
            provider=feedback.provider,
            handled_by=feedback.handled_by,
            route=feedback.route,
            received=OCTOBER,
        )
        # The same person writing again (the same email address): the only items merged.
        Identity.objects.create(feedback=partner, name="Pat Example", email="pat@example.com")
        if url.endswith(("unlink/", "{other}/")):
            first, second = sorted((feedback.pk, partner.pk))
            FeedbackLink.objects.create(
                first_id=first, second_id=second, linked_by=UserFactory(organisation=None)
            )
        if url.endswith("unmerge/"):
            Feedback.objects.filter(pk=feedback.pk).update(
                duplicate_of=partner, status=Status.CLOSED, closed_at=timezone.now()
            )
            return {"reason": "merged by mistake"}
        return {"item": partner.pk, "other": partner.pk, "into": partner.pk}
    return {}


@pytest.mark.parametrize(("method", "url"), STAFF_URLS)
@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_staff_open_only_the_items_of_their_own_queue(world, viewer, method, url):
    client = Client()
    client.force_login(world["staff"][viewer])
    for name, feedback in world["items"].items():
        body = _body(url, feedback)
        # The staff pages' forms post form data; the API takes JSON.
        kind = {} if url.startswith("/staff/") else {"content_type": "application/json"}
        path = url.format(pk=feedback.pk, other=body.get("other"))
        response = getattr(client, method)(path, body, **kind)
        if name in STAFF_SEES[viewer]:
            assert response.status_code in (200, 201, 302), (viewer, name, response.status_code)
        else:
            assert response.status_code == 404, (viewer, name, response.status_code)
            assert b"Pat Example" not in response.content


@pytest.mark.parametrize(("method", "url"), STAFF_URLS)
def test_nobody_signed_out_opens_anything(world, method, url):
    for feedback in world["items"].values():
        response = getattr(Client(), method)(url.format(pk=feedback.pk, other=feedback.pk))
        assert response.status_code in (302, 401, 403)
        assert b"Pat Example" not in response.content


@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_each_queue_lists_only_its_own_items(world, viewer):
    client = Client()
    client.force_login(world["staff"][viewer])
    listed = {row["id"] for row in client.get("/api/v1/queue/").json()["results"]}
    page = client.get("/staff/queue/").content.decode()
    for name, feedback in world["items"].items():
        assert (feedback.pk in listed) == (name in STAFF_SEES[viewer]), (viewer, name)
        assert (f"/staff/items/{feedback.pk}/" in page) == (name in STAFF_SEES[viewer])


@pytest.mark.parametrize("viewer", list(TOKEN_SEES))
def test_tokens_export_what_their_organisations_staff_oversee(world, viewer):
    client = client_for(world["tokens"][viewer])
    expected = {pseudonym_for(world["items"][name].pk) for name in TOKEN_SEES[viewer]}
    pages = {r["id"] for r in client.get("/api/v1/exports/feedback/").json()["results"]}
    assert pages == expected
    stream = client.get("/api/v1/exports/feedback/ndjson/?month=2026-10")
    streamed = b"".join(stream.streaming_content).decode()
    assert {line.split('"id":"')[1][:16] for line in streamed.splitlines()} == {
        e[:16] for e in expected
    }
    aggregates = client.get("/api/v1/aggregates/feedback/").json()
    assert sum(row["count"] for row in aggregates["rows"]) == len(expected)


@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_dashboards_count_only_the_queues_the_viewer_oversees(world, viewer):
    from analytics.stats import stats_refresh

    stats_refresh()  # the worker's count of the new items (a dashboard read writes nothing)
    client = Client()
    client.force_login(world["staff"][viewer])
    # The default scope of each (a trust: itself; an ICB: itself and its trusts; the CQC:
    # England); asking for another organisation or England falls back unless it may see it.
    expected = {
        "trust staff": {"": 1, "org:RYR": 1, "england": 1},
        "icb staff": {"": 2, "org:RYR": 2, "england": 2},
        "cqc staff": {"": 4, "org:RYR": 1, "england": 4},
        "other trust staff": {"": 1, "org:RYR": 1, "england": 1},
    }[viewer]
    for scope, count in expected.items():
        page = client.get(f"/staff/dashboard/feedback/?period=24_months&scope={scope}")
        assert page.status_code == 200
        assert page.context["received"] == count, (viewer, scope)


# Attachments: exactly those who may open the item on a staff page or the staff API; never a
# regulator's token (exports carry no files); the patient through their own item's link only.
ATTACHMENT_URLS = [
    ("get", "/staff/items/{pk}/attachments/{attachment}/"),
    ("post", "/staff/items/{pk}/attachments/"),
    ("get", "/api/v1/queue/{pk}/attachments/"),
    ("post", "/api/v1/queue/{pk}/attachments/"),
    ("get", "/api/v1/queue/{pk}/attachments/{attachment}/"),
]


@pytest.fixture
def attached(world, attachment_storage) -> dict[str, Attachment]:
    """A letter the patient attached to each item (the items have no file the viewer added)."""
    return {
        name: attachment_add(
            feedback=feedback,
            uploaded_file=upload("Letter from Pat Example.pdf", PDF),
            by_patient=True,
        )
        for name, feedback in world["items"].items()
    }


def _attachment_request(client: Any, method: str, url: str, attachment: Attachment) -> Any:
    path = url.format(pk=attachment.feedback_id, attachment=attachment.pk)
    if method == "post":
        return client.post(path, {"file": upload("reply.pdf", PDF)}, format="multipart")
    return client.get(path)


@pytest.mark.parametrize(("method", "url"), ATTACHMENT_URLS)
@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_staff_reach_the_attachments_of_their_own_queue_only(world, attached, viewer, method, url):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world["staff"][viewer])
    for name, attachment in attached.items():
        before = AuditEvent.objects.filter(feedback_id=attachment.feedback_id).count()
        response = _attachment_request(client, method, url, attachment)
        if name in STAFF_SEES[viewer]:
            assert response.status_code in (200, 201, 302), (viewer, name, response.status_code)
        else:
            assert response.status_code == 404, (viewer, name, response.status_code)
            assert AuditEvent.objects.filter(feedback_id=attachment.feedback_id).count() == before
    assert Attachment.objects.count() == len(attached) + (method == "post")


@pytest.mark.parametrize(("method", "url"), ATTACHMENT_URLS)
@pytest.mark.parametrize("viewer", ["anonymous", *TOKEN_SEES])
def test_tokens_and_the_signed_out_reach_no_attachment(world, attached, viewer, method, url):
    client = client_for(None if viewer == "anonymous" else world["tokens"][viewer])
    for attachment in attached.values():
        response = _attachment_request(client, method, url, attachment)
        assert response.status_code in (302, 401, 403), (viewer, response.status_code)
        assert b"Pat Example" not in response.content and PDF not in response.content
    assert Attachment.objects.count() == len(attached)
    assert not AuditEvent.objects.filter(action="attachment_downloaded").exists()


def test_a_tracking_link_reaches_the_patients_files_of_its_own_item_only(world, attached):
    import re

    from django.core import mail

    for name, feedback in world["items"].items():
        client = Client()
        track = f"/track/{feedback.tracking_token}/"
        own = f"{track}attachments/{attached[name].pk}/"
        # The patients gave an email address: even their own file needs the emailed code first.
        assert client.get(own).status_code == 404
        client.post(f"{track}response/", {"action": "send"})
        code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
        client.post(f"{track}response/", {"code": code})
        assert client.get(own).status_code == 200, name
        for other, attachment in attached.items():
            if other != name:
                response = client.get(f"{track}attachments/{attachment.pk}/")
                assert response.status_code == 404, (name, other)
    assert AuditEvent.objects.filter(action="attachment_downloaded").count() == len(attached)


# FFT uploads: an organisation's own staff only, whatever they oversee (an ICB's staff do not see
# what its trusts uploaded; the CQC's see nobody's); never a regulator's token; nobody signed out.
FFT_UPLOAD_URLS = ["/staff/fft-uploads/{pk}/", "/api/v1/fft-uploads/{pk}/"]
FFT_UPLOADS_OF = {
    "trust staff": "trust",
    "icb staff": "icb",
    "cqc staff": None,
    "other trust staff": "other trust",
}


@pytest.fixture
def fft_uploads(world, trust, icb, other_trust) -> dict[str, Any]:
    """A finished upload of each organisation that uploads FFT exports."""
    from feedback.models import FftUpload

    return {
        name: FftUpload.objects.create(
            organisation=organisation,
            uploaded_by=UserFactory(organisation=organisation),
            file_name=f"{organisation.ods_code} FFT October 2026.csv",
            file_format="csv",
            file_size=1000,
            file_digest=f"{organisation.pk:064d}",
            status="done",
            rows_total=10,
            rows_added=10,
        )
        for name, organisation in (("trust", trust), ("icb", icb), ("other trust", other_trust))
    }


@pytest.mark.parametrize("url", FFT_UPLOAD_URLS)
@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_staff_open_only_their_own_organisations_fft_uploads(world, fft_uploads, viewer, url):
    client = Client()
    client.force_login(world["staff"][viewer])
    for name, record in fft_uploads.items():
        response = client.get(url.format(pk=record.pk))
        if name == FFT_UPLOADS_OF[viewer]:
            assert response.status_code == 200, (viewer, name, response.status_code)
            assert record.file_name in response.content.decode()
        else:
            assert response.status_code == 404, (viewer, name, response.status_code)
            assert record.file_name not in response.content.decode()


@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_each_organisation_lists_only_its_own_fft_uploads(world, fft_uploads, viewer):
    client = Client()
    client.force_login(world["staff"][viewer])
    listed = {row["id"] for row in client.get("/api/v1/fft-uploads/").json()}
    page = client.get("/staff/fft-uploads/").content.decode()
    for name, record in fft_uploads.items():
        own = name == FFT_UPLOADS_OF[viewer]
        assert (record.pk in listed) == own, (viewer, name)
        assert (record.file_name in page) == own, (viewer, name)


@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_fft_exports_are_taken_from_trusts_and_icbs_for_themselves(
    world, fft_uploads, viewer, attachment_storage
):
    from rest_framework.test import APIClient

    from feedback.models import FftUpload
    from tests.fft_files import csv_bytes
    from tests.fft_files import upload as fft_file

    client = APIClient()
    client.force_login(world["staff"][viewer])
    response = client.post(
        "/api/v1/fft-uploads/", {"file": fft_file("fft.csv", csv_bytes())}, format="multipart"
    )
    if FFT_UPLOADS_OF[viewer] is None:
        assert response.status_code == 403
        assert FftUpload.objects.count() == len(fft_uploads)
    else:
        assert response.status_code == 202, response.content
        added = FftUpload.objects.get(pk=response.json()["id"])
        assert added.organisation == world["staff"][viewer].organisation


@pytest.mark.parametrize("url", ["/staff/fft-uploads/", "/api/v1/fft-uploads/", *FFT_UPLOAD_URLS])
@pytest.mark.parametrize("viewer", ["anonymous", *TOKEN_SEES])
def test_tokens_and_the_signed_out_reach_no_fft_upload(
    world, fft_uploads, viewer, url, attachment_storage
):
    from feedback.models import FftUpload
    from tests.fft_files import csv_bytes
    from tests.fft_files import upload as fft_file

    client = client_for(None if viewer == "anonymous" else world["tokens"][viewer])
    for record in fft_uploads.values():
        response = client.get(url.format(pk=record.pk))
        assert response.status_code in (302, 401, 403), (viewer, response.status_code)
        assert record.file_name.encode() not in response.content
    if "{pk}" not in url:
        sent = client.post(url, {"file": fft_file("fft.csv", csv_bytes())}, format="multipart")
        assert sent.status_code in (302, 401, 403), (viewer, sent.status_code)
    assert FftUpload.objects.count() == len(fft_uploads)


# Joint complaints (regulation 9, ADR 0018): the trust's own complaint, with the other trust
# invited as a partner. The lead works it; the partner reads it and adds its part, nothing else;
# everyone else (the lead's ICB and the CQC included: staff work their own queue) gets 404.
# What each viewer gets from each joint URL: the lead, the partner, anyone else.
JOINT_URLS = [
    ("get", "/staff/items/{pk}/", {"lead": 200, "partner": 200}),
    ("post", "/staff/items/{pk}/partners/", {"lead": 302, "partner": 302}),
    ("post", "/staff/items/{pk}/partners/RYR/remove/", {"lead": 302, "partner": 302}),
    ("post", "/staff/items/{pk}/contribution/", {"lead": 302, "partner": 302}),
    ("get", "/api/v1/queue/{pk}/partners/", {"lead": 200, "partner": 200}),
    ("post", "/api/v1/queue/{pk}/partners/", {"lead": 201, "partner": 403}),
    ("delete", "/api/v1/queue/{pk}/partners/RYR/", {"lead": 200, "partner": 403}),
    ("post", "/api/v1/queue/{pk}/contribution/", {"lead": 403, "partner": 200}),
]
JOINT_ROLES = {
    "trust staff": "lead",
    "other trust staff": "partner",
    "icb staff": "none",
    "cqc staff": "none",
}
# The lead's steps and the patient's details stay the lead's: 404 for a partner as for anyone.
LEAD_ONLY_URLS = [
    (method, url)
    for method, url in STAFF_URLS
    if not url.endswith("partners/") and url != "/staff/items/{pk}/"
]


@pytest.fixture
def joint_world(world, trust, other_trust) -> dict[str, Any]:
    from feedback.services.joint import joint_partner_invite

    joint_partner_invite(
        feedback=world["items"]["own"],
        organisation=other_trust,
        reason="Transferred from their hospital",
        actor=world["staff"]["trust staff"],
    )
    TrustFactory(ods_code="RKE", name="Whittington Health NHS Trust")
    return world


def _joint_body(url: str) -> dict[str, Any]:
    if url.endswith("contribution/"):
        return {"findings": "Our part.", "joint-findings": "Our part."}
    if url.endswith("partners/"):
        return {
            "organisation": "RKE",
            "reason": "District nurses",
            "joint-organisation": "RKE",
            "joint-reason": "District nurses",
        }
    return {}


@pytest.mark.parametrize(("method", "url", "expected"), JOINT_URLS)
@pytest.mark.parametrize("viewer", list(JOINT_ROLES))
def test_joint_complaint_urls_by_lead_partner_and_everyone_else(
    joint_world, viewer, method, url, expected
):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(joint_world["staff"][viewer])
    feedback = joint_world["items"]["own"]
    path = url.format(pk=feedback.pk)
    body = _joint_body(url)
    if url.startswith("/api/"):
        response = getattr(client, method)(path, body, format="json")
    else:
        response = getattr(client, method)(path, body)
    want = expected.get(JOINT_ROLES[viewer], 404)
    assert response.status_code == want, (viewer, url, response.status_code)
    assert b"Pat Example" not in response.content


@pytest.mark.parametrize(("method", "url", "expected"), JOINT_URLS)
def test_nobody_signed_out_reaches_a_joint_complaint(joint_world, method, url, expected):
    feedback = joint_world["items"]["own"]
    response = getattr(Client(), method)(url.format(pk=feedback.pk))
    assert response.status_code in (302, 401, 403)
    assert b"Pat Example" not in response.content


@pytest.mark.parametrize(("method", "url"), LEAD_ONLY_URLS)
def test_a_partner_reaches_none_of_the_leads_steps(joint_world, method, url):
    client = Client()
    client.force_login(joint_world["staff"]["other trust staff"])
    feedback = joint_world["items"]["own"]
    body = _body(url, feedback)
    kind = {} if url.startswith("/staff/") else {"content_type": "application/json"}
    path = url.format(pk=feedback.pk, other=body.get("other"))
    response = getattr(client, method)(path, body, **kind)
    assert response.status_code == 404, (url, response.status_code)
    assert b"Pat Example" not in response.content


def test_the_partner_lists_the_joint_complaint_but_its_queue_does_not(joint_world):
    feedback = joint_world["items"]["own"]
    client = Client()
    client.force_login(joint_world["staff"]["other trust staff"])
    assert feedback.pk in {r["id"] for r in client.get("/api/v1/joint/").json()["results"]}
    assert f"/staff/items/{feedback.pk}/" in client.get("/staff/joint/").content.decode()
    assert feedback.pk not in {r["id"] for r in client.get("/api/v1/queue/").json()["results"]}
    for viewer in ("trust staff", "icb staff", "cqc staff"):
        other = Client()
        other.force_login(joint_world["staff"][viewer])
        assert feedback.pk not in {r["id"] for r in other.get("/api/v1/joint/").json()["results"]}


@pytest.mark.parametrize("viewer", list(TOKEN_SEES))
def test_tokens_count_a_joint_complaint_for_its_lead_only(joint_world, viewer):
    """A partner's token exports and counts what it did before: the joint complaint is the
    lead's (ADR 0018)."""
    test_tokens_export_what_their_organisations_staff_oversee(joint_world, viewer)
    client = client_for(joint_world["tokens"][viewer])
    ko41 = client.get("/api/v1/ko41/", {"year": 2026, "quarter": 3})
    assert ko41.status_code == 200, ko41.content
    counted = {r["organisation"]["ods_code"]: r["new_complaints"] for r in ko41.json()["returns"]}
    # The joint complaint is the Royal Free's (RAL) new complaint; never the partner's (RYR).
    assert counted and set(counted.values()) == {1}, counted


@pytest.mark.parametrize("viewer", list(STAFF_SEES))
def test_dashboards_count_a_joint_complaint_for_its_lead_only(joint_world, viewer):
    test_dashboards_count_only_the_queues_the_viewer_oversees(joint_world, viewer)


# Paper forms (issue 20): batches, scan uploads and their pages belong to the organisation that
# printed or uploaded them; staff of any other see none of them (404), the signed out none.
PAPER_URLS = [
    ("get", "/staff/paper/batches/{batch}/pdf/"),
    ("get", "/staff/paper/uploads/{upload}/"),
    ("get", "/staff/paper/pages/{page}/"),
    ("post", "/staff/paper/pages/{page}/discard/"),
]
PAPER_OWNERS = {"trust staff": "trust", "icb staff": "icb", "other trust staff": "other"}


@pytest.fixture
def paper(world, trust, icb, other_trust) -> dict[str, dict[str, int]]:
    from paper.models import PrintBatch, ScanPage, ScanUpload

    records = {}
    for name, organisation in (("trust", trust), ("icb", icb), ("other", other_trust)):
        user = UserFactory(organisation=organisation)
        batch = PrintBatch.objects.create(
            code=f"CODE{name.upper()}",
            organisation=organisation,
            form="fft",
            copies=1,
            printed_by=user,
        )
        upload = ScanUpload.objects.create(
            organisation=organisation, uploaded_by=user, status="done", pages_total=1
        )
        page = ScanPage.objects.create(upload=upload, number=1, reading="unaligned")
        records[name] = {"batch": batch.pk, "upload": upload.pk, "page": page.pk}
    return records


@pytest.mark.parametrize(("method", "url"), PAPER_URLS)
@pytest.mark.parametrize("viewer", list(PAPER_OWNERS))
def test_staff_open_only_their_own_organisations_paper_forms(world, paper, viewer, method, url):
    from paper.models import ScanPage

    client = Client()
    client.force_login(world["staff"][viewer])
    for name, ids in paper.items():
        response = getattr(client, method)(url.format(**ids))
        if name == PAPER_OWNERS[viewer]:
            assert response.status_code in (200, 302), (viewer, name, response.status_code)
        else:
            assert response.status_code == 404, (viewer, name, response.status_code)
    # Only the viewer's own page was set aside.
    if url.endswith("discard/"):
        assert set(ScanPage.objects.filter(status="discarded").values_list("pk", flat=True)) == {
            paper[PAPER_OWNERS[viewer]]["page"]
        }


@pytest.mark.parametrize(("method", "url"), PAPER_URLS)
def test_nobody_signed_out_opens_a_paper_form(world, paper, method, url):
    for ids in paper.values():
        response = getattr(Client(), method)(url.format(**ids))
        assert response.status_code in (302, 401, 403)
