"""`manage.py generate_feedback`: synthetic items in states the real pipeline and workflow reach."""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from nhs_number import is_valid as nhs_number_is_valid

from analytics.ml.heads import sentiment_label
from analytics.themes import THEME_SLUGS
from demo.errors import SyntheticDataError
from demo.generate import feedback_generate
from feedback import clocks
from feedback.choices import (
    ALLOWED_TRANSITIONS,
    PRIMARY_CARE_SERVICES,
    AnalysisState,
    Kind,
    OrganisationKind,
    Route,
    Status,
)
from feedback.ko41 import Outcome, Profession, ServiceArea, Subject
from feedback.models import Feedback, FeedbackTheme, Identity

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
ROUTE_OF_KIND = {
    OrganisationKind.TRUST: Route.TRUST,
    OrganisationKind.ICB: Route.ICB,
    OrganisationKind.CQC: Route.CQC,
}


@pytest.fixture
def directory(db):
    call_command("import_ods", stdout=io.StringIO())


def _london_day(moment: dt.datetime) -> dt.date:
    return clocks.local_date(moment)


def test_items_are_in_states_the_workflow_can_reach(directory):
    out = io.StringIO()
    call_command("generate_feedback", "--count", "1500", "--seed", "7", stdout=out)
    assert "Created 1,500 feedback items" in out.getvalue()
    now = timezone.now()
    items = list(Feedback.objects.select_related("handled_by", "provider", "area"))
    assert len(items) == 1500
    themes: dict[int, list[str]] = {}
    for theme in FeedbackTheme.objects.all():
        themes.setdefault(theme.feedback_id, []).append(theme.theme)
    seen_statuses = set()
    for item in items:
        seen_statuses.add(item.status)
        assert now - dt.timedelta(days=2 * 366 + 1) <= item.received_at <= now
        moments = [
            item.received_at,
            item.analysed_at,
            item.acknowledged_at,
            item.responded_at,
            item.closed_at,
        ]
        present = [m for m in moments if m is not None]
        assert present == sorted(present), f"#{item.pk} out of order: {moments}"
        assert all(m <= now for m in present)
        assert set(themes.get(item.pk, [])) <= set(THEME_SLUGS)

        if item.analysis_state == AnalysisState.QUEUED:
            # Not analysed yet, so not routed: no queue, no clock, nothing done.
            assert item.handled_by is None and item.route == "" and item.status == Status.RECEIVED
            assert item.response_due is None and item.pk not in themes
            continue
        assert item.analysis_state == AnalysisState.DONE
        if item.needs_review:
            assert item.sentiment is None and item.model_version == ""
        else:
            assert 1 <= item.sentiment <= 5
            assert item.sentiment_label == sentiment_label(item.sentiment)
            assert 0 < item.sentiment_confidence <= 1
            assert item.model_version

        # Routing: the queue is an organisation of the route's kind, and the rule says why.
        assert item.handled_by is not None and item.routed_at >= item.received_at
        assert ROUTE_OF_KIND[item.handled_by.kind] == item.route
        assert item.route_rule.startswith(item.route) or item.route_rule == "rerouted"
        assert item.route_evidence
        if item.service_type in PRIMARY_CARE_SERVICES:
            assert item.provider is None and item.area is not None
            assert item.route_rule in ("icb_primary_care", "rerouted")
        if item.provider is not None:
            assert item.provider.kind == OrganisationKind.TRUST
            assert item.area_id == item.provider.icb_id
        flagged = item.risk_safeguarding or item.risk_mental_health_act or item.risk_serious
        if item.route == Route.CQC:
            assert flagged
        elif flagged:
            assert item.route_rule == "rerouted"

        if item.kind in (Kind.COMPLAINT, Kind.CONCERN):
            received = _london_day(item.received_at)
            assert item.acknowledge_due == clocks.acknowledge_due(item.received_at)
            assert item.response_due == clocks.response_due(
                item.received_at, item.handled_by
            ) + dt.timedelta(days=item.paused_days)
            assert item.statutory_due >= clocks.add_months(received, 6)
        else:
            assert item.acknowledge_due is None and item.response_due is None
            assert item.responded_at is None and item.outcome == ""

        if item.status in (Status.RESPONDED, Status.CLOSED) and item.kind in (
            Kind.COMPLAINT,
            Kind.CONCERN,
        ):
            assert item.responded_at is not None and item.acknowledged_at is not None
            assert "Ombudsman" in item.response_text
            assert item.outcome in Outcome.values
            assert item.ko41_subjects and set(item.ko41_subjects) <= set(Subject.values)
            assert item.ko41_service_area in ServiceArea.values
            assert item.ko41_profession in Profession.values
            # complaint_respond asks for a reason exactly when the response is late.
            late = _london_day(item.responded_at) > item.response_due
            assert bool(item.late_reason) == late
        elif item.kind in (Kind.COMPLAINT, Kind.CONCERN):
            assert item.responded_at is None and item.outcome == ""
        if item.status == Status.CLOSED:
            assert item.closed_at is not None
            assert item.resolved_at in (None, item.closed_at)
        else:
            assert item.closed_at is None and item.resolved_at is None
        if item.status == Status.AWAITING_COMPLAINANT:
            assert item.paused_at is not None
            assert Status.AWAITING_COMPLAINANT in ALLOWED_TRANSITIONS[item.status_before_pause]
        else:
            assert item.paused_at is None and item.status_before_pause == ""
        if item.status == Status.WITHDRAWN:
            assert item.withdrawn_at is not None and item.responded_at is None
        if item.status != Status.RECEIVED and item.kind in (Kind.COMPLAINT, Kind.CONCERN):
            assert item.acknowledged_at is not None
        if item.kind in (Kind.COMPLAINT, Kind.CONCERN) and item.status in (
            Status.INVESTIGATING,
            Status.RESPONDED,
            Status.CLOSED,
        ):
            assert item.investigation_approach

    # A realistic mix: every stage of the workflow is there.
    assert {
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
        Status.RESPONDED,
        Status.CLOSED,
    } <= seen_statuses
    assert {i.kind for i in items} == set(Kind.values)
    assert {i.route for i in items} >= {Route.TRUST, Route.ICB}
    responded = [i for i in items if i.responded_at is not None]
    on_time = [i for i in responded if _london_day(i.responded_at) <= i.response_due]
    assert 0.5 < len(on_time) / len(responded) < 0.95
    for identity in Identity.objects.exclude(nhs_number=""):
        assert nhs_number_is_valid(identity.nhs_number)


def _snapshot() -> list[tuple]:
    fields = [
        f.attname
        for f in Feedback._meta.concrete_fields
        if f.attname not in ("id", "tracking_token")
    ]
    rows = []
    for item in Feedback.objects.order_by("pk").prefetch_related("themes"):
        themes = sorted((t.theme, t.score) for t in item.themes.all())
        identity = Identity.objects.filter(feedback=item).values_list(
            "name", "email", "phone", "nhs_number"
        )
        rows.append((tuple(getattr(item, f) for f in fields), themes, list(identity)))
    return rows


def test_the_same_seed_makes_the_same_items(directory):
    feedback_generate(count=120, seed=42, now=NOW)
    first = _snapshot()
    Feedback.objects.all().delete()
    feedback_generate(count=120, seed=42, now=NOW)
    assert _snapshot() == first
    Feedback.objects.all().delete()
    feedback_generate(count=120, seed=43, now=NOW)
    assert _snapshot() != first


def test_tracking_tokens_stay_unique_across_runs_with_one_seed(directory):
    feedback_generate(count=30, seed=1, now=NOW)
    feedback_generate(count=30, seed=1, now=NOW)
    assert Feedback.objects.values("tracking_token").distinct().count() == 60


def test_without_the_shared_comments_it_writes_its_own(directory, tmp_path):
    result = feedback_generate(count=40, seed=5, now=NOW, fft_path=tmp_path / "absent.csv")
    assert result.texts_from == "synthetic"
    assert Feedback.objects.exclude(text="").count() == 40


@pytest.mark.parametrize("count", ["0", "-5", "many"])
def test_an_invalid_count_is_refused_clearly(directory, count):
    with pytest.raises(CommandError, match="count"):
        call_command("generate_feedback", "--count", count, stdout=io.StringIO())
    assert not Feedback.objects.exists()


def test_without_the_organisation_directory_it_says_what_to_run(db):
    with pytest.raises(CommandError, match="import_ods"):
        call_command("generate_feedback", "--count", "5", stdout=io.StringIO())
    with pytest.raises(SyntheticDataError):
        feedback_generate(count=5, seed=1)


def test_the_daily_aggregates_are_rebuilt_when_that_command_exists(directory):
    module = "demo.management.commands.generate_feedback"
    with (
        mock.patch(f"{module}.get_commands", return_value={"rebuild_stats": "analytics"}),
        mock.patch(f"{module}.call_command") as called,
    ):
        call_command("generate_feedback", "--count", "5", "--seed", "1", stdout=io.StringIO())
    called.assert_called_once_with("rebuild_stats", verbosity=1)
    with (
        mock.patch(f"{module}.get_commands", return_value={}),
        mock.patch(f"{module}.call_command") as called,
    ):
        call_command("generate_feedback", "--count", "5", "--seed", "1", stdout=io.StringIO())
    called.assert_not_called()


def test_items_are_written_oldest_first_as_in_a_live_service(directory):
    feedback_generate(count=200, seed=2, now=NOW)
    received = list(Feedback.objects.order_by("pk").values_list("received_at", flat=True))
    assert received == sorted(received)
    assert received[-1] <= NOW


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_feedback_alone(directory):
    call_command(
        "generate_feedback", "--count", "3", "--seed", "1", "--no-stats", stdout=io.StringIO()
    )
    out = io.StringIO()
    call_command("generate_feedback", "--count", "5", "--if-empty", stdout=out)
    assert Feedback.objects.count() == 3
    assert "nothing generated" in out.getvalue()


def test_the_demo_accounts_organisations_get_a_busy_queue(directory):
    # As `make run` makes it: a trust and an ICB with a working queue of their own.
    call_command(
        "generate_feedback",
        "--count",
        "2000",
        "--seed",
        "3",
        "--focus",
        "RJ1",
        "QMJ",
        stdout=io.StringIO(),
    )
    for code in ("RJ1", "QMJ"):
        queue = Feedback.objects.filter(handled_by__ods_code=code)
        # 70% of 2,000 shared by two: some 700 each; without focus a trust gets a handful.
        assert 550 < queue.count() < 850, (code, queue.count())
        assert queue.filter(status=Status.INVESTIGATING).exists()
        assert queue.filter(status=Status.CLOSED).exists()
    assert Feedback.objects.filter(handled_by__ods_code="RJ1", route=Route.TRUST).exists()
    assert set(
        Feedback.objects.filter(handled_by__ods_code="QMJ").values_list("route", flat=True)
    ) == {Route.ICB}


def test_focus_on_an_unknown_or_a_practice_code_is_refused(directory):
    for code in ("ZZZ", "B82007"):
        with pytest.raises(CommandError, match=code):
            call_command(
                "generate_feedback", "--count", "10", "--focus", code, stdout=io.StringIO()
            )
    assert not Feedback.objects.exists()


def test_analysed_items_carry_the_redacted_text_the_worker_would_store(directory):
    """Exports stream the stored redacted text: demo items hold it as analysed items do, with
    the writers' own details replaced, and items still queued have none yet."""
    call_command("generate_feedback", "--count", "1200", "--seed", "5", stdout=io.StringIO())
    items = list(Feedback.objects.select_related("identity"))
    with_details = 0
    for item in items:
        if item.analysis_state != "done":
            assert item.text_redacted == ""
            continue
        assert item.text_redacted
        identity = getattr(item, "identity", None)
        for detail in (identity.name, identity.phone) if identity else ():
            if detail and detail in item.text:
                with_details += 1
                assert detail not in item.text_redacted
        if "SW1A 1AA" in item.text:
            assert "[POSTCODE]" in item.text_redacted and "SW1A 1AA" not in item.text_redacted
    assert with_details > 10
