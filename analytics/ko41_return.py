"""The KO41a-style return of written complaints, per organisation, per financial year or quarter.

NHS England's KO41a collection counts, for each organisation: new complaints received in the
period, by age and status of the complainant, service area, subject (a complaint can count under
several) and profession, and the complaints resolved in the period by outcome (upheld, partially
upheld, not upheld). The return here is built from what the service holds:

- new complaints: ``kind = complaint``, received in the period, in the organisation's queue; a
  duplicate merged into another complaint is not one of its own (ADR 0016);
- resolved: complaints whose final response (with its KO41 outcome) was sent in the period;
- service area, subject and profession are coded with the final response, so a new complaint not
  yet answered counts as ``not_yet_coded``;
- age of the patient and status of the complainant are optional questions (the patient's journey,
  the API, staff entry): a complaint without an answer counts as ``not_known``, never guessed.

The collection's validation rules are checked and reported with each return; an ``error`` rule
that fails makes the return invalid, a ``warning`` is for the reader to know.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from analytics.exports.filters import start_of_day
from feedback.choices import ComplainantStatus, Kind, PatientAge
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Feedback, Organisation

NOT_YET_CODED = "not_yet_coded"
NOT_KNOWN = "not_known"
NOT_RECORDED = "not_recorded"
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Period:
    """A financial year (April to March) or one of its quarters (Q1 is April to June)."""

    financial_year: int  # the year the financial year starts in: 2024 for 2024-25
    quarter: int | None = None

    def __post_init__(self) -> None:
        if self.quarter is not None and self.quarter not in (1, 2, 3, 4):
            raise ValueError("quarter is 1, 2, 3 or 4")

    @property
    def label(self) -> str:
        year = f"{self.financial_year}-{(self.financial_year + 1) % 100:02d}"
        return f"{year} Q{self.quarter}" if self.quarter else year

    @property
    def start(self) -> dt.date:
        if self.quarter is None:
            return dt.date(self.financial_year, 4, 1)
        month = 4 + 3 * (self.quarter - 1)
        return dt.date(self.financial_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        if self.quarter is None or self.quarter == 4:
            return dt.date(self.financial_year + 1, 3, 31)
        following = Period(self.financial_year, self.quarter + 1).start
        return following - dt.timedelta(days=1)


@dataclass(frozen=True)
class Check:
    rule: str
    severity: str
    passed: bool
    description: str
    detail: str


@dataclass
class Ko41Return:
    """One organisation's return for one period, with its validation checks."""

    organisation: Organisation
    new_complaints: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    age: Counter[str] = field(default_factory=Counter)
    status_of_complainant: Counter[str] = field(default_factory=Counter)
    service_area: Counter[str] = field(default_factory=Counter)
    subject: Counter[str] = field(default_factory=Counter)
    profession: Counter[str] = field(default_factory=Counter)
    resolved: int = 0
    outcome: Counter[str] = field(default_factory=Counter)
    checks: list[Check] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks if c.severity == ERROR)

    def as_dict(self) -> dict[str, Any]:
        org = self.organisation
        return {
            "organisation": {
                "ods_code": org.ods_code,
                "name": org.name,
                "kind": org.kind,
                "icb_ods_code": org.icb.ods_code if org.icb_id and org.icb else None,
            },
            "new_complaints": self.new_complaints,
            "by_channel": _full(self.by_channel, []),
            "age_of_patient": _full(self.age, [*PatientAge.values, NOT_KNOWN]),
            "status_of_complainant": _full(
                self.status_of_complainant, [*ComplainantStatus.values, NOT_KNOWN]
            ),
            "service_area": _full(self.service_area, [*ServiceArea.values, NOT_YET_CODED]),
            "subject": _full(self.subject, [*Subject.values, NOT_YET_CODED]),
            "profession": _full(self.profession, [*Profession.values, NOT_YET_CODED]),
            "resolved": self.resolved,
            "outcome": _full(self.outcome, [*Outcome.values, NOT_RECORDED]),
            "valid": self.valid,
            "checks": [
                {
                    "rule": c.rule,
                    "severity": c.severity,
                    "passed": c.passed,
                    "description": c.description,
                    "detail": c.detail,
                }
                for c in self.checks
            ],
        }


def _full(counts: Counter[str], keys: list[str]) -> dict[str, int]:
    """Every code in the list, zero where nothing counted, then anything else that was counted."""
    out = {key: counts.get(key, 0) for key in keys}
    for key, value in sorted(counts.items()):
        out.setdefault(key, value)
    return out


def ko41_validate(ret: Ko41Return) -> list[Check]:
    """The collection's consistency rules, each reported whether it passes or not."""
    new = ret.new_complaints
    outcomes = sum(ret.outcome.get(o, 0) for o in Outcome.values)
    missing = ret.outcome.get(NOT_RECORDED, 0)
    subjects = sum(ret.subject.values())
    coded = new - ret.service_area.get(NOT_YET_CODED, 0)
    return [
        Check(
            "outcomes_within_resolved",
            ERROR,
            outcomes <= ret.resolved,
            "Upheld, partially upheld and not upheld add up to no more than the complaints "
            "resolved.",
            f"{outcomes} outcomes for {ret.resolved} resolved complaints",
        ),
        Check(
            "resolved_have_outcomes",
            ERROR,
            missing == 0 and outcomes == ret.resolved,
            "Every resolved complaint has an outcome.",
            f"{missing} resolved complaints without an outcome",
        ),
        Check(
            "subjects_cover_complaints",
            ERROR,
            subjects >= new,
            "The subject counts add up to at least the number of new complaints (one complaint "
            "can count under several subjects).",
            f"{subjects} subject counts for {new} new complaints",
        ),
        Check(
            "service_area_totals",
            ERROR,
            sum(ret.service_area.values()) == new,
            "The service area counts add up to the number of new complaints.",
            f"{sum(ret.service_area.values())} for {new}",
        ),
        Check(
            "profession_totals",
            ERROR,
            sum(ret.profession.values()) == new,
            "The profession counts add up to the number of new complaints.",
            f"{sum(ret.profession.values())} for {new}",
        ),
        Check(
            "age_totals",
            ERROR,
            sum(ret.age.values()) == new,
            "The age counts (known or not) add up to the number of new complaints.",
            f"{sum(ret.age.values())} for {new}",
        ),
        Check(
            "status_totals",
            ERROR,
            sum(ret.status_of_complainant.values()) == new,
            "The complainant status counts (known or not) add up to the number of new complaints.",
            f"{sum(ret.status_of_complainant.values())} for {new}",
        ),
        Check(
            "age_known",
            WARNING,
            ret.age.get(NOT_KNOWN, 0) == 0,
            "The age of the patient is known.",
            f"{ret.age.get(NOT_KNOWN, 0)} of {new} not known: the complainant did not say",
        ),
        Check(
            "status_known",
            WARNING,
            ret.status_of_complainant.get(NOT_KNOWN, 0) == 0,
            "The status of the complainant (patient, relative, ...) is known.",
            f"{ret.status_of_complainant.get(NOT_KNOWN, 0)} of {new} not known: the complainant "
            "did not say",
        ),
        Check(
            "coding_complete",
            WARNING,
            coded == new,
            "Every new complaint is coded by service area, subject and profession.",
            f"{new - coded} of {new} not coded yet: they are coded with the final response",
        ),
    ]


def ko41_returns(
    organisations: QuerySet[Organisation], period: Period, *, include_empty: bool = False
) -> list[Ko41Return]:
    """The returns of these organisations for the period, in ODS code order."""
    start, end = start_of_day(period.start), start_of_day(period.end + dt.timedelta(days=1))
    org_ids = list(organisations.values_list("pk", flat=True))
    returns: dict[int, Ko41Return] = {}
    by_id = {o.pk: o for o in organisations.select_related("icb")}

    def ret(org_id: int) -> Ko41Return:
        if org_id not in returns:
            returns[org_id] = Ko41Return(organisation=by_id[org_id])
        return returns[org_id]

    # A duplicate merged into another complaint is that complaint told again: one complaint,
    # counted (received, coded, resolved) once, as the item kept.
    complaints = Feedback.objects.filter(
        kind=Kind.COMPLAINT, handled_by_id__in=org_ids, duplicate_of__isnull=True
    )
    for org_id, channel, area, profession, subjects, age, status in (
        complaints.filter(received_at__gte=start, received_at__lt=end)
        .values_list(
            "handled_by_id",
            "channel",
            "ko41_service_area",
            "ko41_profession",
            "ko41_subjects",
            "patient_age",
            "complainant_status",
        )
        .iterator(chunk_size=5000)
    ):
        r = ret(org_id)
        r.new_complaints += 1
        r.by_channel[channel] += 1
        r.age[age or NOT_KNOWN] += 1
        r.status_of_complainant[status or NOT_KNOWN] += 1
        r.service_area[area or NOT_YET_CODED] += 1
        r.profession[profession or NOT_YET_CODED] += 1
        for subject in subjects or [NOT_YET_CODED]:
            r.subject[subject] += 1
    resolved: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for org_id, outcome in complaints.filter(
        responded_at__gte=start, responded_at__lt=end
    ).values_list("handled_by_id", "outcome"):
        resolved[org_id][outcome or NOT_RECORDED] += 1
    for org_id, outcomes in resolved.items():
        r = ret(org_id)
        r.resolved = sum(outcomes.values())
        r.outcome = outcomes
    if include_empty:
        for org_id in org_ids:
            ret(org_id)
    for r in returns.values():
        r.checks = ko41_validate(r)
    return sorted(returns.values(), key=lambda r: r.organisation.ods_code)
