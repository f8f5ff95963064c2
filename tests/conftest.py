from __future__ import annotations

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
    "tests/analytics/test_schemathesis.py",
    "tests/analytics/test_evaluate_models.py",
    "tests/bench/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
