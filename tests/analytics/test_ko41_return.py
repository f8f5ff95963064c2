"""The KO41a-style return: periods, counts and the collection's validation rules."""

import datetime as dt
from collections import Counter

import pytest

from analytics.ko41_return import (
    NOT_KNOWN,
    NOT_RECORDED,
    NOT_YET_CODED,
    Ko41Return,
    Period,
    ko41_returns,
    ko41_validate,
)
from feedback.choices import Kind, Role, Route, Status
from feedback.models import Identity, Organisation
from feedback.services import merging
from tests.analytics.regulator import client_for, issue, item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("period", "start", "end", "label"),
    [
        (Period(2024), dt.date(2024, 4, 1), dt.date(2025, 3, 31), "2024-25"),
        (Period(2024, 1), dt.date(2024, 4, 1), dt.date(2024, 6, 30), "2024-25 Q1"),
        (Period(2024, 3), dt.date(2024, 10, 1), dt.date(2024, 12, 31), "2024-25 Q3"),
        (Period(2024, 4), dt.date(2025, 1, 1), dt.date(2025, 3, 31), "2024-25 Q4"),
        (Period(2099), dt.date(2099, 4, 1), dt.date(2100, 3, 31), "2099-00"),
    ],
)
def test_financial_years_and_quarters(period, start, end, label):
    assert (period.start, period.end, period.label) == (start, end, label)


def _checks(ret):
    return {c.rule: c.passed for c in ko41_validate(ret)}


def _consistent(new=2, resolved=2):
    return Ko41Return(
        organisation=Organisation(ods_code="RAL", name="x", kind="trust"),
        new_complaints=new,
        age=Counter({NOT_KNOWN: new}),
        status_of_complainant=Counter({NOT_KNOWN: new}),
        service_area=Counter({"emergency": new}),
        profession=Counter({"nursing": new}),
        subject=Counter({"waiting_times": new, "communications": 1}),
        resolved=resolved,
        outcome=Counter({"upheld": resolved}),
    )


def test_a_consistent_return_passes_and_says_what_is_not_known():
    ret = _consistent()
    ret.checks = ko41_validate(ret)
    assert ret.valid
    checks = _checks(ret)
    assert checks["age_known"] is False and checks["status_known"] is False  # warnings only


def test_outcomes_may_not_exceed_complaints_resolved():
    ret = _consistent(resolved=1)
    ret.outcome = Counter({"upheld": 1, "not_upheld": 1})
    checks = _checks(ret)
    assert checks["outcomes_within_resolved"] is False
    assert checks["resolved_have_outcomes"] is False


def test_every_resolved_complaint_needs_an_outcome():
    ret = _consistent(resolved=2)
    ret.outcome = Counter({"upheld": 1, NOT_RECORDED: 1})
    checks = _checks(ret)
    assert checks["outcomes_within_resolved"] is True
    assert checks["resolved_have_outcomes"] is False


def test_subjects_must_cover_the_complaints():
    ret = _consistent(new=3)
    ret.subject = Counter({"waiting_times": 2})
    assert _checks(ret)["subjects_cover_complaints"] is False
    ret.subject = Counter({"waiting_times": 2, "communications": 2})  # several per complaint
    assert _checks(ret)["subjects_cover_complaints"] is True


@pytest.mark.parametrize("section", ["service_area", "profession", "age", "status_of_complainant"])
def test_breakdowns_must_add_up_to_the_new_complaints(section):
    ret = _consistent(new=2)
    getattr(ret, section).update({"other": 1})
    rule = {
        "service_area": "service_area_totals",
        "profession": "profession_totals",
        "age": "age_totals",
        "status_of_complainant": "status_totals",
    }[section]
    checks = ko41_validate(ret)
    failed = next(c for c in checks if c.rule == rule)
    assert not failed.passed and failed.severity == "error"
    ret.checks = checks
    assert not ret.valid


def _respond(feedback, when, outcome="upheld", subjects=("waiting_times",)):
    feedback.responded_at = when
    feedback.outcome = outcome
    feedback.ko41_subjects = list(subjects)
    feedback.ko41_service_area = "emergency"
    feedback.ko41_profession = "nursing"
    feedback.save()


def test_returns_count_new_and_resolved_complaints_of_the_period(trust, icb, other_trust):
    q2 = dt.datetime(2026, 8, 3, 10, tzinfo=dt.UTC)
    q1 = dt.datetime(2026, 5, 3, 10, tzinfo=dt.UTC)
    a = item(provider=trust, handled_by=trust, received=q2, channel="letter")
    b = item(provider=trust, handled_by=trust, received=q2)
    # The complainant of a answered the optional questions; b's did not.
    a.patient_age, a.complainant_status = "65_plus", "on_behalf"
    a.save()
    item(provider=trust, handled_by=trust, received=q2, kind=Kind.COMPLIMENT)  # not a complaint
    older = item(provider=trust, handled_by=trust, received=q1)
    item(provider=trust, handled_by=trust, received=q1 - dt.timedelta(days=400))
    item(provider=None, handled_by=icb, area=icb, route=Route.ICB, received=q2)
    item(provider=other_trust, handled_by=other_trust, received=q2)
    _respond(a, q2 + dt.timedelta(days=10), "partially_upheld", ["waiting_times", "communications"])
    _respond(older, q2 + dt.timedelta(days=1), "not_upheld")  # received Q1, resolved Q2
    orgs = Organisation.objects.filter(ods_code__in=["RAL", "QMJ"])
    returns = {r.organisation.ods_code: r for r in ko41_returns(orgs, Period(2026, 2))}
    assert set(returns) == {"QMJ", "RAL"}
    ral = returns["RAL"].as_dict()
    assert ral["new_complaints"] == 2
    assert ral["by_channel"] == {"letter": 1, "web": 1}
    assert ral["age_of_patient"] == {"0_17": 0, "18_64": 0, "65_plus": 1, NOT_KNOWN: 1}
    assert ral["status_of_complainant"] == {"patient": 0, "on_behalf": 1, NOT_KNOWN: 1}
    age_known = next(c for c in ral["checks"] if c["rule"] == "age_known")
    assert age_known["passed"] is False and age_known["detail"].startswith("1 of 2 not known")
    assert ral["subject"]["waiting_times"] == 1
    assert ral["subject"]["communications"] == 1
    assert ral["subject"][NOT_YET_CODED] == 1  # b is not answered yet
    assert ral["service_area"]["emergency"] == 1 and ral["service_area"][NOT_YET_CODED] == 1
    assert ral["resolved"] == 2
    assert ral["outcome"] == {
        "upheld": 0,
        "partially_upheld": 1,
        "not_upheld": 1,
        NOT_RECORDED: 0,
    }
    assert ral["valid"] is True
    coding = next(c for c in ral["checks"] if c["rule"] == "coding_complete")
    assert coding["passed"] is False and coding["severity"] == "warning"
    assert b.pk  # counted as new, not resolved
    annual = {r.organisation.ods_code: r for r in ko41_returns(orgs, Period(2026))}
    assert annual["RAL"].new_complaints == 3


def test_a_resolved_complaint_without_an_outcome_makes_the_return_invalid(trust):
    when = dt.datetime(2026, 8, 3, 10, tzinfo=dt.UTC)
    broken = item(provider=trust, handled_by=trust, received=when)
    broken.responded_at = when  # e.g. loaded from an older system without its outcome
    broken.save()
    (ret,) = ko41_returns(Organisation.objects.filter(ods_code="RAL"), Period(2026, 2))
    assert not ret.valid
    failed = {c.rule for c in ret.checks if not c.passed and c.severity == "error"}
    assert failed == {"resolved_have_outcomes"}


def test_the_ko41_endpoint_returns_one_organisation_with_its_checks(trust):
    item(provider=trust, handled_by=trust, received=dt.datetime(2026, 8, 3, tzinfo=dt.UTC))
    _, plain = issue(trust, scopes=["aggregates:read"])
    body = client_for(plain).get("/api/v1/ko41/?year=2026&quarter=2").json()
    assert body["period"] == "2026-27 Q2"
    assert body["period_start"] == "2026-07-01" and body["period_end"] == "2026-09-30"
    (ret,) = body["returns"]
    assert ret["organisation"]["ods_code"] == "RAL"
    assert ret["new_complaints"] == 1
    assert {c["rule"] for c in ret["checks"]} >= {
        "outcomes_within_resolved",
        "resolved_have_outcomes",
        "subjects_cover_complaints",
    }
    assert any("not collected" in note for note in body["notes"])


@pytest.mark.parametrize(
    "query",
    ["", "year=1999", "year=twenty", "year=2026&quarter=5"],
)
def test_the_ko41_endpoint_rejects_bad_periods(trust, query):
    _, plain = issue(trust, scopes=["aggregates:read"])
    assert client_for(plain).get(f"/api/v1/ko41/?{query}").status_code == 400


def test_a_merged_duplicate_is_one_complaint_not_two(trust):
    """The same person writing twice about one matter, merged: KO41 counts one complaint received,
    coded with its answer, and resolved once; the return and the API say the same."""
    handler = UserFactory(organisation=trust, role=Role.HANDLER)
    when = dt.datetime(2026, 8, 3, 10, tzinfo=dt.UTC)
    kept = item(provider=trust, handled_by=trust, received=when, status=Status.INVESTIGATING)
    again = item(provider=trust, handled_by=trust, received=when + dt.timedelta(days=2))
    for complaint in (kept, again):
        Identity.objects.create(feedback=complaint, name="Pat", email="pat@example.com")
    merging.complaint_merge(feedback=again, into=kept, actor=handler)
    _respond(kept, when + dt.timedelta(days=10), "upheld", ["waiting_times"])

    (ret,) = ko41_returns(Organisation.objects.filter(ods_code="RAL"), Period(2026, 2))
    counted = ret.as_dict()
    assert counted["new_complaints"] == 1
    assert counted["service_area"][NOT_YET_CODED] == 0
    assert counted["subject"] == {**counted["subject"], NOT_YET_CODED: 0, "waiting_times": 1}
    assert counted["resolved"] == 1
    coding = next(c for c in counted["checks"] if c["rule"] == "coding_complete")
    assert coding["passed"] is True

    _, token = issue(trust, scopes=["aggregates:read"])
    body = client_for(token).get("/api/v1/ko41/?year=2026&quarter=2&organisation=RAL").json()
    (returned,) = body["returns"]
    assert returned["new_complaints"] == 1 and returned["service_area"][NOT_YET_CODED] == 0
