"""The dashboards' monthly aggregates equal a direct count of the items, after every kind of change.

The direct count here is written independently of analytics.stats: SQL GROUP BY with the
database's own month truncation in Europe/London, one query per event date.
"""

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics.models import MonthlyStat, MonthlyThemeStat, StatChange
from analytics.stats import ALL, stats_pending, stats_rebuild, stats_refresh
from feedback.choices import Status
from feedback.clocks import LONDON
from feedback.models import Feedback, FeedbackTheme
from feedback.services import workflow
from tests.factories import FeedbackFactory, TrustFactory, UserFactory

RESPONSE = (
    "We are sorry. We have retrained the team. If you are not satisfied you can ask the "
    "Parliamentary and Health Service Ombudsman to look at your complaint."
)
SUMMED = (
    "received",
    "channel_web",
    "channel_phone",
    "sentiment_1",
    "sentiment_5",
    "route_trust",
    "risk_safeguarding",
    "risk_serious",
    "acknowledged_on_time",
    "acknowledged_late",
    "due_on_time",
    "due_late",
    "responded",
    "resolved",
)


def _month(expression):
    return TruncMonth(expression, tzinfo=LONDON)


def direct_counts():
    """(month, organisation id, service type, kind) -> measures, counted straight from the items."""
    expected = defaultdict(Counter)
    routed = Feedback.objects.filter(handled_by__isnull=False)
    clocked = Q(kind__in=["complaint", "concern"])

    def add(rows):
        for row in rows:
            month = row.pop("m")
            month = month.astimezone(LONDON).date() if hasattr(month, "astimezone") else month
            key = (month.replace(day=1), row.pop("handled_by_id"), row.pop("service_type"))
            key += (row.pop("kind"),)
            expected[key].update({k: v for k, v in row.items() if v})

    group = ("m", "handled_by_id", "service_type", "kind")
    add(
        routed.annotate(m=_month("received_at"))
        .values(*group)
        .annotate(
            received=Count("id"),
            channel_web=Count("id", filter=Q(channel="web")),
            channel_phone=Count("id", filter=Q(channel="phone")),
            sentiment_1=Count("id", filter=Q(sentiment=1)),
            sentiment_5=Count("id", filter=Q(sentiment=5)),
            route_trust=Count("id", filter=Q(route="trust")),
            risk_safeguarding=Count("id", filter=Q(risk_safeguarding=True)),
            risk_serious=Count("id", filter=Q(risk_serious=True)),
        )
    )
    acknowledged = routed.filter(
        clocked, acknowledged_at__isnull=False, acknowledge_due__isnull=False
    )
    for item in acknowledged:  # whether on time depends on a local date: counted in Python
        key = (
            item.received_at.astimezone(LONDON).date().replace(day=1),
            item.handled_by_id,
            item.service_type,
            item.kind,
        )
        on_time = item.acknowledged_at.astimezone(LONDON).date() <= item.acknowledge_due
        expected[key]["acknowledged_on_time" if on_time else "acknowledged_late"] += 1
    for item in routed.filter(clocked, responded_at__isnull=False, response_due__isnull=False):
        key = (item.response_due.replace(day=1), item.handled_by_id, item.service_type, item.kind)
        on_time = item.responded_at.astimezone(LONDON).date() <= item.response_due
        expected[key]["due_on_time" if on_time else "due_late"] += 1
    add(
        routed.filter(responded_at__isnull=False)
        .annotate(m=_month("responded_at"))
        .values(*group)
        .annotate(responded=Count("id"))
    )
    add(
        routed.filter(resolved_at__isnull=False)
        .annotate(m=_month("resolved_at"))
        .values(*group)
        .annotate(resolved=Count("id"))
    )
    return {key: +counts for key, counts in expected.items() if +counts}


def aggregate_counts():
    found = {}
    for row in (
        MonthlyStat.objects.filter(organisation__isnull=False)
        .exclude(kind=ALL)
        .values("month", "organisation_id", "service_type", "kind", *SUMMED)
    ):
        key = (row.pop("month"), row.pop("organisation_id"), row.pop("service_type"))
        key += (row.pop("kind"),)
        counts = +Counter({k: v for k, v in row.items()})
        if counts:
            found[key] = counts
    return found


def direct_themes():
    rows = (
        FeedbackTheme.objects.filter(feedback__handled_by__isnull=False)
        .annotate(m=_month("feedback__received_at"))
        .values("m", "feedback__handled_by_id", "theme")
        .annotate(n=Count("id"))
    )
    return {
        (
            r["m"].astimezone(LONDON).date() if hasattr(r["m"], "astimezone") else r["m"],
            r["feedback__handled_by_id"],
            r["theme"],
        ): r["n"]
        for r in rows
    }


def aggregate_themes():
    found: Counter = Counter()
    for month, org, theme, items in MonthlyThemeStat.objects.filter(
        organisation__isnull=False
    ).values_list("month", "organisation_id", "theme", "items"):
        found[(month, org, theme)] += items
    return dict(+found)


def england_totals():
    """England's rows, and what they should be: the organisations' rows added up."""
    found, expected = defaultdict(Counter), defaultdict(Counter)
    for row in MonthlyStat.objects.exclude(kind=ALL).values(
        "organisation_id", "month", "service_type", "kind", "response_days", *SUMMED
    ):
        target = found if row.pop("organisation_id") is None else expected
        key = (row.pop("month"), row.pop("service_type"), row.pop("kind"))
        target[key].update({f"days {d}": n for d, n in row.pop("response_days").items()})
        target[key].update(row)
    for row in MonthlyThemeStat.objects.values("organisation_id", "month", "theme", "items"):
        target = found if row["organisation_id"] is None else expected
        target[(row["month"], row["theme"])]["theme items"] += row["items"]
    return {k: +v for k, v in found.items() if +v}, {k: +v for k, v in expected.items() if +v}


def organisation_totals():
    """Each organisation's totals rows, and what they should be: its detailed rows added up."""
    found, expected = defaultdict(Counter), defaultdict(Counter)
    for row in MonthlyStat.objects.filter(organisation__isnull=False).values(
        "organisation_id", "month", "kind", "response_days", *SUMMED
    ):
        target = found if row.pop("kind") == ALL else expected
        key = (row.pop("month"), row.pop("organisation_id"))
        target[key].update({f"days {d}": n for d, n in row.pop("response_days").items()})
        target[key].update(row)
    return {k: +v for k, v in found.items()}, {k: +v for k, v in expected.items()}


def assert_aggregates_match():
    assert aggregate_counts() == direct_counts()
    found, expected = organisation_totals()
    assert found == expected
    assert aggregate_themes() == direct_themes()
    found, expected = england_totals()
    assert found == expected


def at(year, month, day, hour=12):
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def trusts(icb):
    return TrustFactory(icb=icb), TrustFactory(icb=icb)


def make(org, received_at, **fields):
    defaults = {
        "provider": org,
        "handled_by": org,
        "route": "trust",
        "analysis_state": "done",
        "service_type": "acute",
        "sentiment": 4,
        "sentiment_label": "negative",
        "received_at": received_at,
        "acknowledge_due": received_at.date() + dt.timedelta(days=3),
        "response_due": received_at.date() + dt.timedelta(days=28),
    }
    return FeedbackFactory(**(defaults | fields))


@pytest.fixture
def items(trusts):
    a, b = trusts
    made = [
        make(a, at(2026, 1, 10), channel="phone", sentiment=5, risk_safeguarding=True),
        make(a, at(2026, 1, 31, 23), kind="concern"),
        # 23:30 UTC on 31 March 2026 is 00:30 on 1 April in London (BST): an April item.
        make(a, at(2026, 3, 31, 23), sentiment=1, kind="compliment", response_due=None),
        make(b, at(2026, 2, 14), service_type="community", risk_serious=True),
        make(b, at(2025, 12, 30), acknowledged_at=at(2026, 1, 5), responded_at=at(2026, 2, 2)),
    ]
    FeedbackTheme.objects.create(feedback=made[0], theme="staff_manner", score=0.9)
    FeedbackTheme.objects.create(feedback=made[3], theme="timeliness_of_care", score=0.8)
    return made


@pytest.mark.django_db
def test_a_refresh_counts_what_the_items_say_including_local_months(items):
    assert stats_pending() > 0
    result = stats_refresh()
    assert result.changes > 0 and stats_pending() == 0
    assert_aggregates_match()
    april = MonthlyStat.objects.get(
        month=dt.date(2026, 4, 1), kind="compliment", organisation__isnull=False
    )
    assert april.received == 1 and april.sentiment_1 == 1


@pytest.mark.django_db
def test_aggregates_stay_equal_to_a_direct_count_through_workflow_and_bulk_changes(items, trusts):
    a, b = trusts
    stats_refresh()
    handler = UserFactory(organisation=a)
    first = Feedback.objects.get(pk=items[0].pk)
    workflow.complaint_acknowledge(feedback=first, actor=handler)
    workflow.complaint_start_investigation(feedback=first, actor=handler, approach="detailed")
    workflow.complaint_respond(
        feedback=first,
        actor=handler,
        response_text=RESPONSE,
        outcome="upheld",
        subjects=["communications"],
        service_area="inpatient",
        profession="nursing",
        late_reason="The investigation needed a second opinion.",
    )
    workflow.complaint_close(feedback=Feedback.objects.get(pk=first.pk), actor=handler)
    # Rerouted to the other trust: both organisations' months change.
    workflow.complaint_reroute(
        feedback=Feedback.objects.get(pk=items[1].pk), actor=handler, to=b, reason="Their ward."
    )
    # Bulk updates and deletes that send no Django signal.
    Feedback.objects.filter(pk=items[3].pk).update(sentiment=1, channel="phone")
    FeedbackTheme.objects.filter(feedback=items[3]).delete()
    FeedbackTheme.objects.create(feedback=items[4], theme="staff_manner", score=0.7)
    Feedback.objects.filter(pk=items[2].pk).delete()
    make(b, timezone.now() - dt.timedelta(days=40), responded_at=timezone.now())
    stats_refresh()
    assert_aggregates_match()
    assert stats_pending() == 0
    # A full recount gives the same rows as the incremental refreshes.
    incremental = aggregate_counts(), aggregate_themes()
    stats_rebuild()
    assert (aggregate_counts(), aggregate_themes()) == incremental


@pytest.mark.django_db
def test_response_days_and_resolution_days_are_exact_histograms(trusts):
    a, _ = trusts
    make(a, at(2026, 5, 1), responded_at=at(2026, 5, 20), resolved_at=at(2026, 5, 25))
    make(a, at(2026, 5, 2), responded_at=at(2026, 5, 22))
    stats_refresh()
    may = MonthlyStat.objects.get(month=dt.date(2026, 5, 1), organisation=a, kind="complaint")
    assert may.response_days == {"19": 1, "20": 1}
    assert may.resolution_days == {"24": 1}
    assert may.responded == 2 and may.resolved == 1 and may.due_on_time == 2


@pytest.mark.django_db
def test_an_update_that_changes_no_counted_column_notes_no_change(items):
    stats_refresh()
    Feedback.objects.filter(pk=items[0].pk).update(analysis_attempts=3, text="edited")
    assert not StatChange.objects.exists()
    Feedback.objects.filter(pk=items[0].pk).update(status=Status.ACKNOWLEDGED)
    assert StatChange.objects.count() == 2  # before and after


@pytest.mark.django_db
def test_unrouted_items_wait_for_their_queue(trusts):
    a, _ = trusts
    item = make(a, at(2026, 6, 1), handled_by=None, route="")
    assert not StatChange.objects.exists()
    Feedback.objects.filter(pk=item.pk).update(handled_by=a, route="trust")
    stats_refresh()
    assert MonthlyStat.objects.get(organisation=a, kind="complaint").received == 1
    assert MonthlyStat.objects.get(organisation=a, kind=ALL).received == 1
    assert MonthlyStat.objects.get(organisation=None).received == 1


@pytest.mark.django_db
def test_a_bounded_refresh_leaves_the_rest_for_the_next(items):
    pending = stats_pending()
    first = stats_refresh(max_changes=2)
    assert first.changes == 2 and stats_pending() == pending - 2
    stats_refresh()
    assert_aggregates_match()
