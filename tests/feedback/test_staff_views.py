"""Staff pages: permission matrix, workflow steps through the page, identity, entry, sign-in."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from feedback.choices import Role
from feedback.models import AuditEvent, Feedback, Identity
from tests.factories import FeedbackFactory, UserFactory


@pytest.fixture
def item(trust):
    feedback = FeedbackFactory(
        provider=trust, handled_by=trust, route="trust", route_rule="trust_default"
    )
    Identity.objects.create(feedback=feedback, name="Pat Smith", phone="07700 900123")
    return feedback


PAGES = [
    ("get", "/staff/queue/"),
    ("get", "/staff/items/{pk}/"),
    ("post", "/staff/items/{pk}/identity/"),
    ("post", "/staff/items/{pk}/acknowledge/"),
    ("post", "/staff/items/{pk}/links/"),
    ("post", "/staff/items/{pk}/merge/"),
    ("get", "/staff/entries/new/"),
    ("get", "/staff/fft-uploads/"),
    ("get", "/staff/two-factor/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), PAGES)
def test_anonymous_is_sent_to_sign_in(client: Client, item, method, path):
    response = getattr(client, method)(path.format(pk=item.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert Feedback.objects.get(pk=item.pk).status == "received"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), [p for p in PAGES if "{pk}" in p[1]])
def test_other_organisation_gets_404(client: Client, item, other_trust, method, path):
    client.force_login(UserFactory(organisation=other_trust, role=Role.MANAGER))
    response = getattr(client, method)(path.format(pk=item.pk))
    assert response.status_code == 404
    assert Feedback.objects.get(pk=item.pk).status == "received"
    assert not AuditEvent.objects.filter(feedback=item).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "path"), PAGES)
def test_own_organisation_every_role(client: Client, item, role, method, path):
    client.force_login(UserFactory(organisation=item.handled_by, role=role))
    response = getattr(client, method)(path.format(pk=item.pk))
    assert response.status_code in (200, 302)
    if method == "get":
        assert response.status_code == 200


@pytest.mark.django_db
def test_contact_details_are_hidden_until_asked_for_and_the_view_is_audited(client: Client, item):
    client.force_login(UserFactory(organisation=item.handled_by))
    page = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert "Pat Smith" not in page
    assert "Show contact details" in page
    shown = client.post(f"/staff/items/{item.pk}/identity/").content.decode()
    assert "Pat Smith" in shown and "07700 900123" in shown
    assert AuditEvent.objects.filter(feedback=item, action="identity_viewed").count() == 1


@pytest.mark.django_db
def test_only_managers_see_identity_views_in_the_timeline(client: Client, item):
    handler = UserFactory(organisation=item.handled_by, role=Role.HANDLER)
    client.force_login(handler)
    client.post(f"/staff/items/{item.pk}/identity/")
    assert "Contact details viewed" not in client.get(f"/staff/items/{item.pk}/").content.decode()
    client.force_login(UserFactory(organisation=item.handled_by, role=Role.MANAGER))
    assert "Contact details viewed" in client.get(f"/staff/items/{item.pk}/").content.decode()


@pytest.mark.django_db
def test_steps_through_the_page_and_only_allowed_buttons(client: Client, item):
    client.force_login(UserFactory(organisation=item.handled_by))
    page = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert 'id="step-acknowledge"' in page
    assert 'id="step-respond"' not in page
    response = client.post(f"/staff/items/{item.pk}/acknowledge/")
    assert response.status_code == 302
    assert Feedback.objects.get(pk=item.pk).status == "acknowledged"
    # Acknowledging twice is refused with a clear message, nothing changes.
    again = client.post(f"/staff/items/{item.pk}/acknowledge/", follow=True).content.decode()
    assert "cannot be moved to acknowledged" in again
    # A step with missing input re-renders with the error and returns 400.
    bad = client.post(f"/staff/items/{item.pk}/investigate/", {})
    assert bad.status_code == 400
    assert "Choose early resolution or a detailed investigation." in bad.content.decode()
    ok = client.post(f"/staff/items/{item.pk}/investigate/", {"investigate-approach": "detailed"})
    assert ok.status_code == 302
    assert Feedback.objects.get(pk=item.pk).status == "investigating"
    respond = client.post(
        f"/staff/items/{item.pk}/respond/",
        {
            "respond-response_text": "Sorry.",
            "respond-outcome": "upheld",
            "respond-subjects": ["communications"],
            "respond-service_area": "inpatient",
            "respond-profession": "nursing",
        },
    )
    assert respond.status_code == 400
    assert "Parliamentary and Health Service Ombudsman" in respond.content.decode()


@pytest.mark.django_db
def test_queue_marks_overdue_and_filters(client: Client, trust):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    late = FeedbackFactory(
        provider=trust, handled_by=trust, response_due=today - dt.timedelta(days=1)
    )
    soon = FeedbackFactory(
        provider=trust, handled_by=trust, response_due=today + dt.timedelta(days=3)
    )
    client.force_login(UserFactory(organisation=trust))
    page = client.get("/staff/queue/").content.decode()
    assert "Overdue" in page and "Due this week" in page
    overdue_only = client.get("/staff/queue/?due=overdue").content.decode()
    assert f"/staff/items/{late.pk}/" in overdue_only
    assert f"/staff/items/{soon.pk}/" not in overdue_only


@pytest.mark.django_db
def test_staff_enter_phone_feedback_for_a_patient(client: Client, trust):
    client.force_login(UserFactory(organisation=trust))
    response = client.post(
        "/staff/entries/new/",
        {
            "channel": "phone",
            "kind": "complaint",
            "provider": trust.ods_code,
            "text": "Called about a lost referral.",
        },
    )
    assert response.status_code == 302
    item = Feedback.objects.get()
    assert item.channel == "phone"
    event = AuditEvent.objects.get(feedback=item, action="submitted")
    assert event.actor is not None


@pytest.mark.django_db
def test_sign_in_locks_out_after_repeated_failures(client: Client, trust):
    UserFactory(username="handler1", organisation=trust)
    for _ in range(5):
        client.post("/staff/login/", {"username": "handler1", "password": "wrong-password"})
    locked = client.post(
        "/staff/login/", {"username": "handler1", "password": "a-long-test-password"}
    )
    assert locked.status_code == 429
    assert "Your account is locked" in locked.content.decode()


@pytest.mark.django_db
def test_sign_in_works_and_needs_the_code_once_two_factor_is_on(client: Client, trust):
    user = UserFactory(username="handler2", organisation=trust)
    response = client.post(
        "/staff/login/", {"username": "handler2", "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    client.logout()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    without_code = client.post(
        "/staff/login/", {"username": "handler2", "password": "a-long-test-password"}
    )
    assert without_code.status_code == 200  # asked for the code
    code = str(totp(device.bin_key)).zfill(6)
    with_code = client.post(
        "/staff/login/",
        {"username": "handler2", "password": "a-long-test-password", "otp_token": code},
    )
    assert with_code.status_code == 302


@pytest.mark.django_db
def test_two_factor_set_up_confirms_with_a_valid_code(client: Client, trust):
    user = UserFactory(organisation=trust)
    client.force_login(user, verified=False)  # a first sign-in: no authenticator yet
    assert client.get("/staff/queue/")["Location"] == "/staff/two-factor/"
    page = client.get("/staff/two-factor/").content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    bad = client.post("/staff/two-factor/", {"token": "000000"})
    assert "That code is not right" in bad.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows retries after a wrong code; time passes here
    good = client.post("/staff/two-factor/", {"token": str(totp(device.bin_key)).zfill(6)})
    assert good.status_code == 302
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get("/staff/queue/").status_code == 200  # the session is verified now
