from __future__ import annotations

import pytest

from feedback.models import Organisation
from tests.factories import CqcFactory, IcbFactory, TrustFactory


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
