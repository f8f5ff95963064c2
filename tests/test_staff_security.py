"""Staff sign-in and sessions: two factors on every staff, staff-API and admin URL; time limits;
answers never cached; nothing that says a password was right."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from feedback.models import Identity
from tests.factories import FeedbackFactory, UserFactory

PASSWORD = "a-long-test-password"


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


@pytest.fixture
def enrolled(trust):
    user = UserFactory(username="enrolled", organisation=trust, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user, device


@pytest.fixture
def item(trust):
    item = FeedbackFactory(provider=trust, handled_by=trust)
    Identity.objects.create(feedback=item, name="Pat Example", email="pat@example.com")
    return item


@pytest.mark.django_db
def test_the_admin_refuses_a_password_alone(client: Client, enrolled):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "enrolled", "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, not a redirect into the admin
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_a_session_not_verified_by_a_code_reaches_no_staff_url(client: Client, enrolled, item):
    user, _ = enrolled
    client.force_login(user, verified=False)  # as a password-only admin sign-in left it
    identity = client.post(f"/api/v1/queue/{item.pk}/identity/")
    assert identity.status_code == 401
    assert "Pat Example" not in identity.content.decode()
    client.force_login(user, verified=False)
    assert client.get("/staff/queue/")["Location"].startswith("/staff/login/")
    client.force_login(user, verified=False)
    assert client.get("/admin/analytics/apitoken/add/").status_code == 302


@pytest.mark.django_db
def test_signing_in_needs_the_code_and_a_failure_never_says_the_password_was_right(
    client: Client, enrolled
):
    _, device = enrolled
    wrong_password = client.post(
        "/staff/login/", {"username": "enrolled", "password": "not-it", "otp_token": ""}
    )
    right_password_no_code = client.post(
        "/staff/login/", {"username": "enrolled", "password": PASSWORD, "otp_token": ""}
    )
    message = "Enter a correct username, password and security code."
    for response in (wrong_password, right_password_no_code):
        assert response.status_code == 200 and message in response.content.decode()
    assert "security code from your authenticator" not in right_password_no_code.content.decode()
    signed_in = client.post(
        "/staff/login/", {"username": "enrolled", "password": PASSWORD, "otp_token": code(device)}
    )
    assert signed_in.status_code == 302
    assert client.get("/staff/queue/").status_code == 200


@pytest.mark.django_db
def test_a_first_sign_in_leads_to_setting_up_the_authenticator(client: Client, trust):
    UserFactory(username="new.starter", organisation=trust)
    client.post("/staff/login/", {"username": "new.starter", "password": PASSWORD})
    for url in ("/staff/queue/", "/staff/dashboard/", "/staff/entries/new/", "/staff/fft-uploads/"):
        assert client.get(url)["Location"] == "/staff/two-factor/"
    assert client.get("/api/v1/queue/").status_code == 403
    assert client.get("/api/v1/fft-uploads/").status_code == 403


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lock_out(client: Client, enrolled):
    for _ in range(5):
        client.post(
            "/staff/login/", {"username": "enrolled", "password": PASSWORD, "otp_token": "000000"}
        )
    locked = client.post(
        "/staff/login/",
        {"username": "enrolled", "password": PASSWORD, "otp_token": code(enrolled[1])},
    )
    assert locked.status_code == 429 or "locked" in locked.content.decode().lower()


@pytest.mark.django_db
def test_staff_sessions_end_after_30_idle_minutes_and_8_hours_in_all(client: Client, trust):
    user = UserFactory(organisation=trust)
    with time_machine.travel(time.time(), tick=False) as clock:
        client.force_login(user)
        assert client.get("/staff/queue/").status_code == 200
        clock.shift(29 * 60)
        assert client.get("/staff/queue/").status_code == 200
        clock.shift(31 * 60)
        response = client.get("/staff/queue/")
        assert response["Location"].startswith("/staff/login/")
    with time_machine.travel(time.time(), tick=False) as clock:
        client.force_login(user)
        for _ in range(17):  # busy all day, never idle for long
            clock.shift(29 * 60)
            if client.get("/staff/queue/").status_code != 200:
                break
        assert client.get("/staff/queue/")["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_pages_and_answers_with_identifiable_data_are_never_stored(client: Client, trust, item):
    from tests.feedback.test_views import complete_journey

    complete_journey(client, trust)
    check_page = client.get("/feedback/new/check/")
    assert "no-store" in check_page["Cache-Control"]
    client.force_login(UserFactory(organisation=trust))
    for response in (
        client.get("/staff/queue/"),
        client.get(f"/staff/items/{item.pk}/"),
        client.post(f"/api/v1/queue/{item.pk}/identity/"),
    ):
        assert "no-store" in response["Cache-Control"], response
    assert "no-store" not in Client().get("/").get("Cache-Control", "")


@pytest.mark.django_db
def test_a_journeys_answers_expire_soon_and_go_once_sent(client: Client, trust):
    from tests.feedback.test_views import complete_journey

    complete_journey(client, trust)
    assert client.session.get_expiry_age() <= 2 * 60 * 60
    client.post("/feedback/new/check/")
    assert "feedback_answers" not in client.session


@pytest.mark.django_db
def test_an_account_is_locked_out_whatever_addresses_the_guesses_come_from(trust):
    UserFactory(username="target", organisation=trust)
    for n in range(5):
        Client(REMOTE_ADDR=f"203.0.113.{n}").post(
            "/staff/login/", {"username": "target", "password": "guess"}
        )
    locked = Client(REMOTE_ADDR="198.51.100.1").post(
        "/staff/login/", {"username": "target", "password": PASSWORD}
    )
    assert locked.status_code == 429


@pytest.mark.django_db
def test_an_address_is_locked_out_whatever_accounts_it_tries(trust):
    UserFactory(username="someone", organisation=trust)
    sprayer = Client(REMOTE_ADDR="203.0.113.99")
    for n in range(5):
        sprayer.post("/staff/login/", {"username": f"user{n}", "password": "Winter2026!"})
    locked = sprayer.post("/staff/login/", {"username": "someone", "password": PASSWORD})
    assert locked.status_code == 429


@pytest.mark.django_db
def test_a_token_issued_in_the_admin_cannot_outlive_the_maximum(trust):
    import datetime as dt

    from django.utils import timezone

    from analytics.tokens import TokenError, api_token_issue

    with pytest.raises(TokenError, match="at most 366 days"):
        api_token_issue(
            organisation=trust,
            scopes=["exports:read"],
            name="forever",
            actor=None,
            expires_at=timezone.now() + dt.timedelta(days=3650),
        )
