"""Dashboards: who sees what, and whether the figures are right."""

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from analytics.dashboard import median_of, month_label, scopes_for
from analytics.stats import stats_refresh
from feedback.choices import Role, Status, TrustType
from tests.factories import FeedbackFactory, IcbFactory, TrustFactory, UserFactory

PAGES = ("/staff/dashboard/", "/staff/dashboard/feedback/", "/staff/dashboard/peers/")


def make(org, days_ago, **fields):
    received = timezone.now() - dt.timedelta(days=days_ago)
    defaults = {
        "provider": org,
        "handled_by": org,
        "route": "trust",
        "analysis_state": "done",
        "service_type": "acute",
        "sentiment": 4,
        "received_at": received,
        "acknowledge_due": timezone.localdate() - dt.timedelta(days=days_ago - 3),
        "response_due": timezone.localdate() - dt.timedelta(days=days_ago - 28),
    }
    return FeedbackFactory(**(defaults | fields))


def responded(org, days_ago, took, **fields):
    answered = timezone.now() - dt.timedelta(days=days_ago - took)
    return make(org, days_ago, status=Status.RESPONDED, responded_at=answered, **fields)


@pytest.fixture
def world(cqc, icb, trust, other_trust):
    """Two trusts in one ICB, one in another; items of each, some late, some overdue."""
    sibling = TrustFactory(icb=icb, name="Sibling Hospitals NHS Trust", trust_type=TrustType.ACUTE)
    ours = [
        responded(trust, 60, 20),
        responded(trust, 60, 35, late_reason="Complex."),
        make(trust, 40),  # open, due 12 days ago: overdue
        make(trust, 5, kind="compliment", response_due=None),
        make(trust, 50, status=Status.AWAITING_COMPLAINANT, paused_at=timezone.now()),
    ]
    theirs = [
        make(other_trust, 40, text="Other trust's overdue complaint"),
        responded(other_trust, 60, 10),
    ]
    siblings = [responded(sibling, 70, d) for d in (5, 6, 7, 8, 9, 10, 11, 12, 13, 14)]
    icb_items = [make(icb, 35, route="icb", service_type="gp")]
    stats_refresh()
    return {
        "ours": ours,
        "theirs": theirs,
        "siblings": siblings,
        "icb": icb_items,
        "sibling": sibling,
    }


def login(client, org, role=Role.MANAGER):
    user = UserFactory(organisation=org, role=role)
    client.force_login(user)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_dashboards_need_a_signed_in_member_of_staff(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


@pytest.mark.django_db
def test_a_trust_sees_itself_only_whatever_it_asks_for(client, world, trust, other_trust, icb):
    login(client, trust)
    assert [s.key for s in scopes_for(_user(trust))] == [f"org:{trust.ods_code}"]
    for query in (
        "",
        f"?scope=org:{other_trust.ods_code}",
        f"?scope=icb:{icb.ods_code}",
        "?scope=england",
    ):
        page = client.get("/staff/dashboard/" + query).content.decode()
        assert trust.name in page
        assert "Other trust&#x27;s" not in page
        assert f"/staff/items/{world['theirs'][0].pk}/" not in page
        # Our own overdue item is listed, with a link.
        assert f"/staff/items/{world['ours'][2].pk}/" in page


def _user(org):
    return UserFactory(organisation=org)


@pytest.mark.django_db
def test_response_time_figures_count_open_overdue_items_as_late(client, world, trust):
    login(client, trust)
    response = client.get("/staff/dashboard/?download=response-trend")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Month",
        "Answered on time",
        "Answered late",
        "Open past due",
        "Within target (%)",
    ]
    on_time = sum(int(r[1]) for r in rows[1:])
    late = sum(int(r[2]) for r in rows[1:])
    overdue = sum(int(r[3]) for r in rows[1:])
    assert (on_time, late, overdue) == (1, 1, 1)
    page = client.get("/staff/dashboard/")
    headlines = {h.label: h for h in page.context["headlines"]}
    assert headlines["Answered within target, last 12 months"].value == "33%"
    assert headlines["Median days to response"].value == "27.5 days"
    assert page.context["overdue_count"] == 1
    assert page.context["paused_count"] == 1


@pytest.mark.django_db
def test_an_icb_sees_its_own_queue_and_its_trusts_not_others(
    client, world, icb, trust, other_trust
):
    login(client, icb)
    keys = [s.key for s in scopes_for(_user(icb))]
    assert keys[0] == f"icb:{icb.ods_code}"
    assert f"org:{trust.ods_code}" in keys and f"org:{other_trust.ods_code}" not in keys
    page = client.get("/staff/dashboard/")
    assert page.context["overdue_count"] == 1 + 1  # the trust's overdue and the ICB's own
    # The trust's item is listed without a link: the ICB cannot open another queue's item.
    assert f"/staff/items/{world['ours'][2].pk}/" not in page.content.decode()
    assert f"/staff/items/{world['icb'][0].pk}/" in page.content.decode()
    # Asking for another ICB's trust falls back to the ICB's own scope.
    other = client.get(f"/staff/dashboard/?scope=org:{other_trust.ods_code}")
    assert other.context["filters"].scope.key == f"icb:{icb.ods_code}"


@pytest.mark.django_db
def test_cqc_sees_england_and_can_narrow_to_any_organisation(client, world, cqc, other_trust):
    login(client, cqc, role=Role.HANDLER)
    page = client.get("/staff/dashboard/")
    assert page.context["filters"].scope.key == "england"
    assert page.context["overdue_count"] == 3
    narrowed = client.get(f"/staff/dashboard/?scope=org:{other_trust.ods_code}")
    assert narrowed.context["overdue_count"] == 1


@pytest.mark.django_db
def test_peers_are_ranked_and_the_best_named(client, world, trust):
    login(client, trust)
    page = client.get("/staff/dashboard/peers/")
    tables = {t.slug: t for t in page.context["tables"]}
    same_icb = tables["peers-icb"]
    assert same_icb.rows[0][0] == 1 and same_icb.rows[0][1] == world["sibling"].name
    assert same_icb.rows[0][3] == 100.0
    # Too few responses due to rank: listed last, unranked, marked as the viewer.
    assert any(r[0] == "Not ranked" and r[1].endswith("(you)") for r in same_icb.rows)
    assert "peers-type" in tables
    best = dict(page.context["learn_from"])
    assert [p.organisation for p in best[same_icb.title]] == [world["sibling"]]
    assert world["sibling"].name in page.content.decode()


@pytest.mark.django_db
def test_what_patients_say_counts_kinds_channels_routes_and_themes(client, world, trust):
    login(client, trust)
    page = client.get("/staff/dashboard/feedback/")
    tables = {t.slug: t for t in page.context["tables"]}
    kinds = {r[0]: r[1] for r in tables["kinds"].rows}
    assert kinds["Complaint"] == 4 and kinds["Compliment"] == 1
    assert page.context["received"] == 5
    routes = {r[0]: r[1] for r in tables["routes"].rows}
    assert routes["NHS trust"] == 5


@pytest.mark.django_db
def test_filters_narrow_by_kind_and_service_and_bad_values_fall_back(client, world, trust):
    login(client, trust)
    page = client.get("/staff/dashboard/feedback/?kind=compliment")
    assert page.context["received"] == 1
    page = client.get("/staff/dashboard/feedback/?service_type=gp")
    assert page.context["received"] == 0
    page = client.get("/staff/dashboard/feedback/?period=forever&kind=<script>")
    assert page.status_code == 200 and page.context["filters"].period == "12_months"
    assert "<script>" not in page.content.decode().split("<main")[1].split("</main>")[0]


@pytest.mark.django_db
def test_every_chart_has_a_table_and_a_csv_and_unknown_tables_are_404(client, world, trust):
    login(client, trust)
    for url in PAGES:
        page = client.get(url)
        html = page.content.decode()
        for table, chart in page.context["charts"]:
            if chart is not None:
                assert f'aria-label="{chart.label}"' in html
            if table.rows:
                assert f"download={table.slug}" in html
                download = client.get(f"{url}?download={table.slug}")
                assert download.status_code == 200
                assert len(download.content.decode().splitlines()) == len(table.rows) + 1
    assert client.get("/staff/dashboard/?download=nothing").status_code == 404


@pytest.mark.django_db
def test_a_dashboard_read_writes_nothing_and_asks_the_worker_to_count(client, trust, monkeypatch):
    from django.core.cache import cache

    from analytics.models import MonthlyStat, StatChange
    from analytics.tasks import refresh_stats

    login(client, trust)
    make(trust, 3)
    cache.delete("dashboard-refresh-requested")
    waiting = StatChange.objects.count()
    asked: list[str] = []
    monkeypatch.setattr(refresh_stats, "apply_async", lambda **options: asked.append("refresh"))
    page = client.get("/staff/dashboard/feedback/")
    assert page.context["pending"] == waiting > 0
    assert "still being counted" in page.content.decode()
    # Nothing written by the read; the worker is asked, once however many pages are opened.
    assert StatChange.objects.count() == waiting and not MonthlyStat.objects.exists()
    client.get("/staff/dashboard/")
    assert asked == ["refresh"]
    refresh_stats()  # the worker's run
    page = client.get("/staff/dashboard/feedback/")
    assert page.context["received"] == 1 and page.context["pending"] == 0


@pytest.mark.django_db
def test_csv_cells_that_look_like_formulas_are_neutralised(client, trust):
    icb = IcbFactory()
    evil = TrustFactory(icb=icb, name="=HYPERLINK(1)")
    login(client, evil)
    make(evil, 40)
    response = client.get("/staff/dashboard/?download=overdue")
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_median_of_a_histogram():
    from collections import Counter

    assert median_of(Counter()) is None
    assert median_of(Counter({3: 1})) == 3
    assert median_of(Counter({1: 1, 5: 1})) == 3
    assert median_of(Counter({1: 2, 5: 1})) == 1
    assert median_of(Counter({2: 1, 4: 2, 9: 1})) == 4


@pytest.mark.django_db
def test_possible_risks_are_counted_with_what_people_decided_and_how_long_it_took(
    client, trust, other_trust
):
    routed = timezone.now() - dt.timedelta(days=2)
    make(trust, 2, routed_at=routed, risk_check="pending", risk_check_flags=["safeguarding"])
    make(
        trust,
        2,
        routed_at=routed,
        risk_check="dismissed",
        risk_checked_at=routed + dt.timedelta(hours=3),
        risk_check_flags=["serious_risk"],
    )
    make(
        trust,
        2,
        routed_at=routed,
        risk_check="confirmed",
        risk_checked_at=routed + dt.timedelta(hours=5),
        risk_check_flags=["safeguarding"],
    )
    make(other_trust, 2, routed_at=routed, risk_check="pending", risk_check_flags=["serious_risk"])
    make(trust, 2)  # not flagged
    login(client, trust)
    page = client.get("/staff/dashboard/feedback/?period=3")
    assert page.context["checks_pending"] == 1
    tables = {t.slug: t for t in page.context["tables"]}
    # The row of the month they came in (last month on the first days of a month).
    month = month_label(timezone.localtime(routed).date().replace(day=1))
    row = next(r for r in tables["risk_checks"].rows if r[0] == month)
    assert row[1:] == [3, 1, 1, 1, 4.0]
    assert "1 possible risk still to check" in page.content.decode()


@pytest.mark.django_db
def test_the_period_shown_is_the_period_counted_and_other_filters_keep_it(client, world, trust):
    login(client, trust)
    page = client.get("/staff/dashboard/").content.decode()
    assert re.search(r'<option value="12_months" selected>Last 12 months</option>', page)
    narrowed = client.get("/staff/dashboard/?period=3_months&kind=complaint")
    assert narrowed.context["filters"].period == "3_months"
    assert re.search(r'<option value="3_months" selected>', narrowed.content.decode())
    # One bad value falls back alone; the rest stand.
    mixed = client.get("/staff/dashboard/?period=3_months&kind=rant")
    assert mixed.context["filters"].period == "3_months"
    assert mixed.context["filters"].kind == ""


@pytest.mark.django_db
def test_a_dashboard_opens_with_the_broker_down(client, trust, monkeypatch):
    from django.core.cache import cache

    from analytics.tasks import refresh_stats

    def broker_down(**options):
        raise ConnectionError("broker unreachable")

    login(client, trust)
    make(trust, 2)
    cache.delete("dashboard-refresh-requested")
    monkeypatch.setattr(refresh_stats, "apply_async", broker_down)
    page = client.get("/staff/dashboard/")
    assert page.status_code == 200
    assert "still being counted" in page.content.decode()
