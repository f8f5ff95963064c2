"""Regulator tokens: stored as a digest, shown once, expire, revoke; the command and the admin."""

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from analytics.models import ApiToken
from analytics.tokens import (
    TokenError,
    TokenRejected,
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
)
from feedback.choices import Role
from feedback.models import AuditEvent
from tests.analytics.regulator import issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_a_digest_of_the_token_is_stored(trust):
    token, plain = issue(trust)
    token.refresh_from_db()
    assert plain.startswith(f"pvr_{token.prefix}_")
    assert len(plain) > 50
    assert token.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list(flat=False).get(pk=token.pk)]
    assert not any(plain in value for value in stored)


def test_a_token_authenticates_until_it_is_revoked(trust):
    token, plain = issue(trust)
    assert api_token_authenticate(plain) == token
    api_token_revoke(token=token, actor=None)
    with pytest.raises(TokenRejected, match="revoked"):
        api_token_authenticate(plain)
    assert AuditEvent.objects.filter(action="api_token_revoked", to_value=token.prefix).exists()


def test_an_expired_token_is_refused(trust):
    token, plain = issue(trust)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(TokenRejected, match="expired"):
        api_token_authenticate(plain)


@pytest.mark.parametrize(
    "plain",
    ["", "pvr_", "pvr_deadbeef_wrong", "not-a-token", "pvr_x_y_z"],
)
def test_unknown_and_malformed_tokens_are_refused(trust, plain):
    issue(trust)
    with pytest.raises(TokenRejected):
        api_token_authenticate(plain)


def test_a_right_prefix_with_a_wrong_secret_is_refused(trust):
    _, plain = issue(trust)
    with pytest.raises(TokenRejected, match="Unknown"):
        api_token_authenticate(plain[:-4] + "AAAA")


def test_issuing_checks_scopes_and_lifetime(trust):
    with pytest.raises(TokenError, match="scope"):
        issue(trust, scopes=["exports:write"])
    with pytest.raises(TokenError, match="scope"):
        issue(trust, scopes=[])
    with pytest.raises(TokenError, match="days"):
        issue(trust, days=0)
    with pytest.raises(TokenError, match="days"):
        issue(trust, days=10_000)


def test_cqc_tokens_are_national_and_others_only_when_asked(cqc, trust):
    assert issue(cqc)[0].national
    assert not issue(trust)[0].national
    assert issue(trust, national=True)[0].national


def test_issuing_is_audited(trust):
    token, _ = issue(trust)
    event = AuditEvent.objects.get(action="api_token_issued")
    assert event.to_value == token.prefix
    assert event.detail["organisation"] == "RAL"


def test_issue_token_command_prints_the_token_once(icb):
    out, err = StringIO(), StringIO()
    call_command(
        "issue_token",
        "--organisation",
        "qmj",
        "--scopes",
        "exports:read",
        "aggregates:read",
        "--days",
        "30",
        "--name",
        "NCL analysts",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    token = api_token_authenticate(plain)
    assert token.organisation == icb
    assert token.scopes == ["aggregates:read", "exports:read"]
    assert token.name == "NCL analysts"
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert plain not in err.getvalue()
    assert token.prefix in err.getvalue()


def test_issue_token_command_refuses_an_unknown_organisation(db):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("issue_token", "--organisation", "XXX", "--scopes", "exports:read")


@pytest.fixture
def admin_client(trust) -> Client:
    user = UserFactory(username="admin", organisation=trust, role=Role.ADMINISTRATOR, is_staff=True)
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_administrator_issues_a_token_in_the_admin_and_sees_it_once(admin_client, cqc):
    expires = (timezone.now() + dt.timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    response = admin_client.post(
        "/admin/analytics/apitoken/add/",
        {
            "name": "CQC intelligence",
            "organisation": cqc.pk,
            "scopes": ["exports:read", "aggregates:read"],
            "expires_at": expires,
        },
    )
    assert response.status_code == 200, response.content[:2000]
    token = ApiToken.objects.get(name="CQC intelligence")
    page = response.content.decode()
    plain = page.split('word-break: break-all;">')[1].split("</pre>")[0]
    assert api_token_authenticate(plain) == token
    assert "will not be shown again" in page
    assert "no-store" in response["Cache-Control"]
    assert token.national
    # The change page never shows it again.
    change = admin_client.get(f"/admin/analytics/apitoken/{token.pk}/change/")
    assert change.status_code == 200
    assert plain not in change.content.decode()


def test_administrator_revokes_tokens_with_the_admin_action(admin_client, trust):
    token, plain = issue(trust)
    response = admin_client.post(
        "/admin/analytics/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    with pytest.raises(TokenRejected):
        api_token_authenticate(plain)


def test_api_token_issue_returns_the_plain_value_only_in_memory(trust):
    issued = api_token_issue(organisation=trust, scopes=["exports:read"], name="x", actor=None)
    assert issued.plain not in str(ApiToken.objects.filter(pk=issued.token.pk).values().get())
