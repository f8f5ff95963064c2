from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from feedback.models import Organisation
from tests.factories import CqcFactory, IcbFactory, TrustFactory
from tests.timetravel.sitecustomize import NOW_VARIABLE, travel_from_environment

_travelled_to = None


def pytest_configure(config: pytest.Config) -> None:
    global _travelled_to
    _travelled_to = travel_from_environment()


# Whole folders and modules whose tests are slow; `make test-fast` runs everything else.
BROWSER = "tests/browser/"
SLOW_MODULES = (
    "tests/feedback/test_fuzz.py",
    "tests/analytics/api/test_schema.py",
    "tests/analytics/test_evaluate_models.py",
    "tests/analytics/ml/test_encoder.py",
    "tests/feedback/services/test_duplicates_model.py",
    "tests/bench/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    if missing := [p for p in (BROWSER, *SLOW_MODULES) if not (root / p).exists()]:
        # A moved slow module would silently join the fast lane.
        raise pytest.UsageError(f"tests/conftest.py names test paths that do not exist: {missing}")
    for item in items:
        path = item.nodeid.replace("\\", "/")
        if path.startswith(BROWSER):
            item.add_marker(pytest.mark.browser)
        if path.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


def pytest_report_header(config: pytest.Config) -> str | None:
    if _travelled_to is None:
        return None
    return f"clock moved by {NOW_VARIABLE} to {_travelled_to.isoformat()} (ticking)"


@pytest.fixture(autouse=True)
def _language_of_a_worker() -> Any:
    """Each test starts in the default language, as a worker process or a new request does: the
    test client leaves active the language of the last page fetched (/cy/...), in this thread."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _force_login_is_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    """``client.force_login(user)`` signs in as a member of staff who also gave the code from a
    confirmed authenticator, as every staff session must; ``verified=False`` does not."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None, verified: bool = True):
        original(self, user, backend)
        if verified:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def cqc(db: None) -> Organisation:
    return CqcFactory()


@pytest.fixture
def icb(db: None) -> Organisation:
    return IcbFactory(ods_code="QMJ", name="NHS North Central London Integrated Care Board")


@pytest.fixture
def trust(icb: Organisation) -> Organisation:
    return TrustFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust", icb=icb)


@pytest.fixture
def other_trust(db: None) -> Organisation:
    return TrustFactory(ods_code="RYR", name="University Hospitals Sussex NHS Foundation Trust")


@pytest.fixture
def attachment_storage(settings: Any, tmp_path: Path) -> Path:
    """Attachments stored in a folder of the test's own, to look into."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT
