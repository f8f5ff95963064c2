"""The statutory and target clocks, computed in one place.

- Acknowledge within 3 working days (regulation 13 of SI 2009/309). Working days skip weekends and
  the bank holidays of England and Wales, from the maintained ``holidays`` library.
- Respond within the organisation's target: four weeks (28 calendar days) by default, or a number of
  working days where the organisation works to that.
- Compliments and suggestions have no response clock.

Days are counted on the calendar of England (Europe/London), whatever the server's zone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

from feedback.choices import CLOCK_RUNNING_STATUSES, Kind

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
    return acknowledge_due_from(local_date(received_at))


def acknowledge_due_from(received: dt.date) -> dt.date:
    return add_working_days(received, ACKNOWLEDGE_WORKING_DAYS)


def response_due(received_at: dt.datetime, target: ResponseTarget) -> dt.date:
    return response_due_from(
        local_date(received_at), target.response_target_days, target.response_target_working_days
    )


def response_due_from(received: dt.date, days: int, working_days: bool) -> dt.date:
    """The response date for an item received on ``received``: ``days`` calendar days later, or
    ``days`` working days where the organisation works to that."""
    if working_days:
        return add_working_days(received, days)
    return received + dt.timedelta(days=days)


def has_clock(kind: str) -> bool:
    return kind in KINDS_WITH_CLOCKS


STATUTORY_LIMIT_MONTHS = 6


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day where that day does not exist."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def statutory_due(received_at: dt.datetime, agreed: dt.date | None = None) -> dt.date:
    """The outer limit for a response: 6 months, or a later date agreed with the complainant."""
    limit = statutory_due_from(local_date(received_at))
    return max(limit, agreed) if agreed else limit


def statutory_due_from(received: dt.date) -> dt.date:
    return add_months(received, STATUTORY_LIMIT_MONTHS)


def paused_days(paused_at: dt.datetime, resumed_at: dt.datetime) -> int:
    """Whole calendar days the clock stood still; a pause that ends the same day costs none."""
    return max(0, (local_date(resumed_at) - local_date(paused_at)).days)


def answered_on_time(answered: dt.date, due: dt.date) -> bool:
    """Acknowledged or answered by its due date: the due day itself is still in time. The same
    rule in SQL, for counting in the database: ``feedback.selectors.answered_on_time_q``."""
    return answered <= due


def is_overdue(due: dt.date | None, today: dt.date) -> bool:
    return due is not None and today > due


def is_item_overdue(status: str, due: dt.date | None, today: dt.date) -> bool:
    """Past its response date with the clock running (not paused, answered or closed)."""
    return status in CLOCK_RUNNING_STATUSES and is_overdue(due, today)


def is_due_within(due: dt.date | None, today: dt.date, days: int) -> bool:
    return due is not None and today <= due <= today + dt.timedelta(days=days)
