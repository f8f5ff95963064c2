"""How far along its workflow a demo item is by now: its clocks, then its status and the steps
taken, drawn from the generator's random stream at the handler's pace."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from demo.directory import _acknowledge_due, _Org, _response_due, _statutory_due
from demo.tables import (
    _AMBULANCE_AREAS,
    _OUTCOMES,
    _PRIMARY_AREAS,
    _PROFESSIONS,
    _SERVICE_AREAS,
    _SUBJECTS,
    _pick,
)
from demo.texts import _LATE_REASONS, _RESPONSES
from feedback import clocks
from feedback.choices import (
    PRIMARY_CARE_SERVICES,
    InvestigationApproach,
    Kind,
    OrganisationKind,
    ServiceType,
    Status,
)
from feedback.ko41 import Profession, Subject


def _complaint_workflow(
    rng: random.Random,
    now: dt.datetime,
    values: dict[str, Any],
    kind: str,
    received: dt.datetime,
    handler: _Org,
    service: str,
) -> None:
    """Clocks, then as far along received -> acknowledged -> investigating -> responded ->
    closed as the time since it arrived allows, at the handler's pace."""
    day = received.date()  # received is in London time: this is its day in England
    response_due = _response_due(
        day, handler.response_target_days, handler.response_target_working_days
    )
    statutory_due = _statutory_due(day)
    values.update(acknowledge_due=_acknowledge_due(day), statutory_due=statutory_due)
    values["status"] = Status.RECEIVED
    values["response_due"] = response_due
    if rng.random() < 0.88:
        acknowledged = received + dt.timedelta(hours=rng.uniform(0.5, 60) * handler.pace)
    else:
        acknowledged = received + dt.timedelta(days=rng.uniform(3, 12))
    if acknowledged > now:
        return
    values.update(status=Status.ACKNOWLEDGED, acknowledged_at=acknowledged)
    if rng.random() < 0.02:
        withdrawn = acknowledged + dt.timedelta(days=rng.uniform(0.5, 20))
        if withdrawn <= now:
            values.update(status=Status.WITHDRAWN, withdrawn_at=withdrawn)
            return
    started = acknowledged + dt.timedelta(hours=rng.uniform(1, 72))
    if started > now:
        return
    early = rng.random() < (0.7 if kind == Kind.CONCERN else 0.4)
    values.update(
        status=Status.INVESTIGATING,
        investigation_approach=(
            InvestigationApproach.EARLY_RESOLUTION if early else InvestigationApproach.DETAILED
        ),
    )
    if early:
        days = rng.uniform(2, 24) * handler.pace
    elif rng.random() < 0.01:
        days = rng.uniform(200, 500)  # lost in the system: long overdue
    else:
        days = rng.lognormvariate(math.log(25 * handler.pace), 0.5)
    # Never before the investigation started.
    responded = max(
        received + dt.timedelta(days=days), started + dt.timedelta(hours=rng.uniform(2, 48))
    )
    if not early and rng.random() < 0.1:
        paused = started + dt.timedelta(days=rng.uniform(1, 10))
        resumed = paused + dt.timedelta(days=rng.randint(3, 35))
        if paused <= now < resumed:
            values.update(
                status=Status.AWAITING_COMPLAINANT,
                paused_at=paused,
                status_before_pause=Status.INVESTIGATING,
            )
            return
        if paused <= now:
            pause_days = (resumed.date() - paused.date()).days
            values["paused_days"] = pause_days
            response_due = response_due + dt.timedelta(days=pause_days)
            values["response_due"] = response_due
            responded = max(
                responded + dt.timedelta(days=pause_days),
                resumed + dt.timedelta(days=rng.uniform(1, 10)),
            )
    if days > 150 and rng.random() < 0.5:
        agreed = clocks.add_months(day, 8)
        values.update(agreed_due=agreed, statutory_due=max(statutory_due, agreed))
    if responded > now:
        return
    service_areas = (
        _PRIMARY_AREAS
        if service in PRIMARY_CARE_SERVICES
        else _AMBULANCE_AREAS
        if service in (ServiceType.AMBULANCE, ServiceType.NHS_111, ServiceType.PATIENT_TRANSPORT)
        else _SERVICE_AREAS.get(service, _SERVICE_AREAS[ServiceType.ACUTE])
    )
    subjects = {_pick(rng, _SUBJECTS) for _ in range(rng.randint(1, 3))}
    if handler.kind == OrganisationKind.ICB and rng.random() < 0.3:
        subjects.add(Subject.COMMISSIONING)
    values.update(
        status=Status.RESPONDED,
        responded_at=responded,
        response_text=rng.choice(_RESPONSES),
        outcome=_pick(rng, _OUTCOMES),
        ko41_subjects=sorted(subjects),
        ko41_service_area=_pick(rng, service_areas),
        ko41_profession=(
            Profession.AMBULANCE if service_areas is _AMBULANCE_AREAS else _pick(rng, _PROFESSIONS)
        ),
    )
    if responded.date() > response_due:
        values["late_reason"] = rng.choice(_LATE_REASONS)
    if rng.random() < 0.9:
        closed = responded + dt.timedelta(days=rng.uniform(0, 21))
        if closed <= now:
            values.update(status=Status.CLOSED, closed_at=closed)
            if rng.random() < 0.8:
                values["resolved_at"] = closed


def _other_workflow(
    rng: random.Random, now: dt.datetime, values: dict[str, Any], received: dt.datetime
) -> None:
    """Compliments and suggestions: no clock; most are passed on to the team and closed."""
    values["status"] = Status.RECEIVED
    if rng.random() < 0.12:
        acknowledged = received + dt.timedelta(hours=rng.uniform(1, 72))
        if acknowledged > now:
            return
        values.update(status=Status.ACKNOWLEDGED, acknowledged_at=acknowledged)
    if rng.random() < 0.97:
        since = values.get("acknowledged_at") or received
        closed = since + dt.timedelta(days=rng.uniform(0.5, 30))
        if closed <= now:
            values.update(status=Status.CLOSED, closed_at=closed)
            if rng.random() < 0.95:
                values["resolved_at"] = closed
