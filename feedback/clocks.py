"""The statutory and target clocks, computed in one place.

- Acknowledge within 3 working days (regulation 13 of SI 2009/309). Working days skip weekends and
  the bank holidays of England and Wales, from the maintained ``holidays`` library.
- Respond within the organisation's target: four weeks (28 calendar days) by default, or a number of
  working days where the organisation works to that.
- Compliments and suggestions have no response clock.

Days are counted on the calendar of England (Europe/London), whatever the server's zone.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from feedback.choices import Kind

LONDON = ZoneInfo("Europe/London")
ACKNOWLEDGE_WORKING_DAYS = 3
KINDS_WITH_CLOCKS = frozenset({Kind.COMPLAINT, Kind.CONCERN})


class ResponseTarget(Protocol):
    response_target_days: int
    response_target_working_days: bool


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    # England and Wales share their bank holidays; subdivision ENG gives exactly that list.
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def local_date(moment: dt.datetime) -> dt.date:
    """The date in England at an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("clocks need time zone aware datetimes")
    return moment.astimezone(LONDON).date()


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (start itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def acknowledge_due(received_at: dt.datetime) -> dt.date:
    return add_working_days(local_date(received_at), ACKNOWLEDGE_WORKING_DAYS)


def response_due(received_at: dt.datetime, target: ResponseTarget) -> dt.date:
    received = local_date(received_at)
    if target.response_target_working_days:
        return add_working_days(received, target.response_target_days)
    return received + dt.timedelta(days=target.response_target_days)


def has_clock(kind: str) -> bool:
    return kind in KINDS_WITH_CLOCKS
