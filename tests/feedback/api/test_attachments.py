"""Attachments through the staff API: upload (multipart), list, download, and their errors."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from feedback.choices import Role
from feedback.models import Attachment, AuditEvent
from feedback.services.attachments import attachment_add
from tests.analytics.regulator import client_for, issue
from tests.attachment_files import EXE, PDF, TEXT, png, stored_files, upload
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture
def item(trust):
    return FeedbackFactory(provider=trust, handled_by=trust, route="trust")


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust, role=Role.HANDLER)


@pytest.fixture
def api(handler) -> APIClient:
    client = APIClient()
    client.force_login(handler)
    return client


def test_upload_list_and_download(attachment_storage, api, item, handler):
    url = f"/api/v1/queue/{item.pk}/attachments/"
    assert api.get(url).json() == []

    created = api.post(url, {"file": upload("Consent form.pdf", PDF)}, format="multipart")
    assert created.status_code == 201, created.content
    body = created.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk
    assert body["name"] == "Consent form.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["added_by"] == handler.username and body["by_patient"] is False
    assert body["download_url"] == f"{url}{attachment.pk}/"
    assert AuditEvent.objects.filter(action="attachment_added", actor=handler).count() == 1

    attachment_add(
        feedback=item, uploaded_file=upload("p.png", png(), "image/png"), by_patient=True
    )
    listed = api.get(url).json()
    assert [(a["name"], a["added_by"], a["by_patient"]) for a in listed] == [
        ("Consent form.pdf", handler.username, False),
        ("p.png", None, True),
    ]

    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="Consent form.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {p.strip() for p in download["Cache-Control"].split(",")}
    assert AuditEvent.objects.filter(action="attachment_downloaded", actor=handler).count() == 1


def test_a_file_larger_than_the_apis_usual_limit_is_taken(attachment_storage, api, item):
    # The API refuses bodies over 1 MB, but not a file of a few MB to the upload endpoint.
    text = TEXT * (3 * MB // len(TEXT))
    created = api.post(
        f"/api/v1/queue/{item.pk}/attachments/",
        {"file": upload("notes.txt", text, "text/plain")},
        format="multipart",
    )
    assert created.status_code == 201
    assert created.json()["size"] == len(text)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"file": upload("letter.pdf", EXE)},
            "Attach a PDF, JPEG, PNG, Word document or plain text file",
        ),
        (
            {"file": upload("scan.pdf", PDF + bytes(int(12.3 * MB)))},
            "The file is 12.4 MB: attach files of 10 MB or less",
        ),
        ({}, "Choose a file to attach"),
        ({"file": "not a file"}, "Choose a file to attach"),
    ],
)
def test_refusals_name_the_field_and_the_reason(attachment_storage, api, item, body, message):
    refused = api.post(f"/api/v1/queue/{item.pk}/attachments/", body, format="multipart")
    assert refused.status_code == 400
    assert refused.json() == {"file": [message]}
    assert not Attachment.objects.exists() and stored_files(attachment_storage) == []


def test_too_many_is_a_400(settings, attachment_storage, api, item):
    settings.ATTACHMENTS_PER_ITEM = 1
    url = f"/api/v1/queue/{item.pk}/attachments/"
    assert api.post(url, {"file": upload("a.pdf", PDF)}, format="multipart").status_code == 201
    refused = api.post(url, {"file": upload("b.pdf", PDF)}, format="multipart")
    assert refused.status_code == 400
    assert refused.json() == {
        "file": ["An item can have up to 1 attached files, and this one has 1"]
    }


def test_a_json_body_is_415(api, item):
    refused = api.post(f"/api/v1/queue/{item.pk}/attachments/", {"file": "x"}, format="json")
    assert refused.status_code == 415


def test_other_organisations_anonymous_clients_and_tokens_get_nothing(
    attachment_storage, item, handler, other_trust, cqc
):
    attachment = attachment_add(feedback=item, uploaded_file=upload("a.pdf", PDF), actor=handler)
    urls = [
        ("get", f"/api/v1/queue/{item.pk}/attachments/"),
        ("post", f"/api/v1/queue/{item.pk}/attachments/"),
        ("get", f"/api/v1/queue/{item.pk}/attachments/{attachment.pk}/"),
    ]
    other = APIClient()
    other.force_login(UserFactory(organisation=other_trust, role=Role.MANAGER))
    clients = {
        "other trust": (other, {404}),
        "anonymous": (APIClient(), {401, 403}),
        "national token": (client_for(issue(cqc)[1]), {401, 403}),
        "trust's own token": (client_for(issue(item.handled_by)[1]), {401, 403}),
    }
    before = AuditEvent.objects.count()
    for name, (client, refused) in clients.items():
        for method, url in urls:
            body = {"file": upload("b.pdf", PDF)} if method == "post" else None
            response = getattr(client, method)(url, body, format="multipart")
            assert response.status_code in refused, (name, method, url, response.status_code)
            assert PDF not in response.content
    assert AuditEvent.objects.count() == before
    assert Attachment.objects.count() == 1


def test_the_schema_describes_the_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    upload_op = schema["paths"]["/api/v1/queue/{id}/attachments/"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    download = schema["paths"]["/api/v1/queue/{id}/attachments/{attachment_pk}/"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]
    assert "AttachmentOutput" in schema["components"]["schemas"]
