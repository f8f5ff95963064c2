import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from feedback import clocks
from feedback.models import Feedback

LONDON = ZoneInfo("Europe/London")


@dataclass
class Target:
    response_target_days: int = 28
    response_target_working_days: bool = False


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 11, 24), dt.date(2026, 11, 27)),  # Tuesday -> Friday
        (at(2026, 11, 26), dt.date(2026, 12, 1)),  # Thursday -> skips the weekend
        (at(2026, 11, 28), dt.date(2026, 12, 2)),  # received on a Saturday
        # Christmas Day, Boxing Day (Saturday, substitute Monday 28th) and New Year's Day 2027
        (at(2026, 12, 23), dt.date(2026, 12, 30)),
        (at(2026, 12, 31), dt.date(2027, 1, 6)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March
        (at(2027, 3, 25), dt.date(2027, 4, 1)),
        # Early May bank holiday 2027: Monday 3 May
        (at(2027, 4, 30), dt.date(2027, 5, 6)),
    ],
)
def test_acknowledgement_is_due_three_working_days_later(received, due):
    assert clocks.acknowledge_due(received) == due


def test_response_is_due_four_weeks_after_receipt_by_default():
    assert clocks.response_due(at(2026, 11, 24), Target()) == dt.date(2026, 12, 22)


def test_response_target_can_be_working_days():
    target = Target(response_target_days=25, response_target_working_days=True)
    # 25 working days from Tue 1 Dec 2026 crosses Christmas, Boxing Day (sub. 28th) and New Year.
    assert clocks.response_due(at(2026, 12, 1), target) == dt.date(2027, 1, 8)


def test_dates_are_english_dates_whatever_the_utc_time():
    # 23:30 UTC on 28 June 2026 is 00:30 on 29 June in London (British Summer Time).
    late_utc = dt.datetime(2026, 6, 28, 23, 30, tzinfo=dt.UTC)
    assert clocks.local_date(late_utc) == dt.date(2026, 6, 29)
    # In winter London is on UTC.
    assert clocks.local_date(dt.datetime(2026, 12, 28, 23, 30, tzinfo=dt.UTC)) == dt.date(
        2026, 12, 28
    )


def test_clocks_refuse_naive_datetimes():
    with pytest.raises(ValueError, match="time zone aware"):
        clocks.acknowledge_due(dt.datetime(2026, 11, 24, 12, 0))


def test_only_complaints_and_concerns_have_clocks():
    assert clocks.has_clock("complaint")
    assert clocks.has_clock("concern")
    assert not clocks.has_clock("compliment")
    assert not clocks.has_clock("suggestion")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 11, 24), dt.date(2027, 5, 24)),
        (at(2026, 8, 31), dt.date(2027, 2, 28)),  # no 31 February: last day of the month
        (at(2027, 8, 31), dt.date(2028, 2, 29)),  # leap year
        (at(2026, 12, 31), dt.date(2027, 6, 30)),
    ],
)
def test_statutory_limit_is_six_months(received, due):
    assert clocks.statutory_due(received) == due


def test_an_agreed_later_date_extends_the_statutory_limit_but_never_shortens_it():
    received = at(2026, 11, 24)
    assert clocks.statutory_due(received, agreed=dt.date(2027, 7, 1)) == dt.date(2027, 7, 1)
    assert clocks.statutory_due(received, agreed=dt.date(2027, 1, 1)) == dt.date(2027, 5, 24)


def test_paused_days_count_calendar_days_in_england_across_the_clock_change():
    # Paused on Saturday 28 March 2026, resumed Monday 30 March: BST began on Sunday 29th.
    paused = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)  # 23:30 GMT = 23:30 London
    resumed = dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC)  # 00:30 BST on the 30th
    assert clocks.paused_days(paused, resumed) == 2
    assert clocks.paused_days(at(2026, 11, 24, 9), at(2026, 11, 24, 17)) == 0


def test_overdue_and_due_soon_flags():
    today = dt.date(2026, 11, 24)
    assert clocks.is_overdue(dt.date(2026, 11, 23), today)
    assert not clocks.is_overdue(today, today)
    assert not clocks.is_overdue(None, today)
    assert clocks.is_due_within(dt.date(2026, 11, 26), today, 2)
    assert not clocks.is_due_within(dt.date(2026, 11, 27), today, 2)
    assert not clocks.is_due_within(dt.date(2026, 11, 23), today, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("days_after_due", [-3, 0, 1])
def test_answered_on_time_is_the_same_rule_in_python_and_in_the_database(days_after_due):
    """Stats count "answered on time" in Python and the regulator aggregates in SQL: the due
    day itself is in time, on England's calendar (a reply at 00:30 BST is that day's)."""
    from feedback.selectors import answered_on_time_q
    from tests.factories import FeedbackFactory

    due = dt.date(2026, 6, 10)
    answered_day = due + dt.timedelta(days=days_after_due)
    # 00:30 in London is 23:30 UTC the day before.
    responded_at = dt.datetime.combine(answered_day, dt.time(0, 30), tzinfo=clocks.LONDON)
    item = FeedbackFactory(response_due=due, responded_at=responded_at)
    in_python = clocks.answered_on_time(clocks.local_date(responded_at), due)
    in_sql = Feedback.objects.filter(answered_on_time_q(), pk=item.pk).exists()
    assert in_python is in_sql is (days_after_due <= 0)
