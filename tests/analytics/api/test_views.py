"""The regulator API: who sees what (permission matrix), exports, audit, throttling, aggregates."""

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from analytics.exports import streaming
from analytics.exports.filters import ExportFilters
from analytics.exports.query import feedback_export_values
from analytics.exports.rows import ExportRowBuilder
from analytics.models import ApiToken, ExportAudit
from analytics.pseudonym import pseudonym_for
from feedback.choices import Kind, OrganisationKind, Route, Status
from feedback.models import FeedbackTheme, Identity, Organisation
from tests.analytics.regulator import client_for, issue, item, reset_throttles

pytestmark = pytest.mark.django_db

MONTH = "month=2026-10"
EXPORTS = [
    "/api/v1/exports/feedback/",
    f"/api/v1/exports/feedback/csv/?{MONTH}",
    f"/api/v1/exports/feedback/ndjson/?{MONTH}",
]
AGGREGATES = ["/api/v1/aggregates/feedback/", "/api/v1/ko41/?year=2026"]
ENDPOINTS = EXPORTS + AGGREGATES


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def world(trust, other_trust, icb, cqc):
    """Items in known places: received in October 2026."""
    october = dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC)
    other_icb = other_trust.icb
    return {
        "own": item(provider=trust, handled_by=trust, received=october),
        "own_to_cqc": item(
            provider=trust,
            handled_by=cqc,
            route=Route.CQC,
            received=october,
            risk_safeguarding=True,
        ),
        "icb_gp": item(provider=None, handled_by=icb, area=icb, route=Route.ICB, received=october),
        "other": item(provider=other_trust, handled_by=other_trust, received=october),
        "other_icb_gp": item(
            provider=None, handled_by=other_icb, area=other_icb, route=Route.ICB, received=october
        ),
    }


def export_ids(client, query=""):
    response = client.get(f"/api/v1/exports/feedback/?{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def ids_of(world, *names):
    return {pseudonym_for(world[name].pk) for name in names}


# --- Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_token_is_401_with_a_bearer_challenge(world, path):
    response = client_for(None).get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer pvr_nope_nope", "Bearer not-a-token"]
)
def test_a_malformed_or_unknown_token_is_401(world, path, header):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_expired_token_is_401(world, cqc, path):
    token, plain = issue(cqc)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    response = client_for(plain).get(path)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_revoked_token_is_401(world, cqc, path):
    token, plain = issue(cqc)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client_for(plain).get(path).status_code == 401


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_need_the_exports_scope(world, cqc, path):
    _, plain = issue(cqc, scopes=["aggregates:read"])
    response = client_for(plain).get(path)
    assert response.status_code == 403
    assert "exports:read" in response.json()["detail"]
    assert not ExportAudit.objects.exists()


@pytest.mark.parametrize("path", AGGREGATES)
def test_aggregates_and_ko41_need_the_aggregates_scope(world, cqc, path):
    _, plain = issue(cqc, scopes=["exports:read"])
    response = client_for(plain).get(path)
    assert response.status_code == 403
    assert "aggregates:read" in response.json()["detail"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_right_token_is_served(world, cqc, path):
    _, plain = issue(cqc)
    assert client_for(plain).get(path).status_code == 200


def test_a_staff_session_is_not_a_token(world, trust):
    from tests.factories import UserFactory

    client = client_for(None)
    client.force_login(UserFactory(organisation=trust))
    assert client.get("/api/v1/exports/feedback/").status_code == 401


# --- Visibility ------------------------------------------------------------------------------


def test_cqc_sees_every_organisation(world, cqc):
    _, plain = issue(cqc)
    assert export_ids(client_for(plain)) == ids_of(world, *world)


def test_a_national_token_of_another_body_sees_every_organisation(world):
    # The ODS directory has no kind for NHS England: the administrator marks its token national.
    nhs_england = Organisation.objects.create(
        ods_code="X24", name="NHS England", kind=OrganisationKind.TRUST
    )
    _, plain = issue(nhs_england, national=True)
    assert export_ids(client_for(plain)) == ids_of(world, *world)


def test_an_icb_sees_its_queue_and_its_trusts_queues(world, icb):
    _, plain = issue(icb)
    # Not the safeguarding concern about its trust's nurse: that is in the CQC's queue.
    assert export_ids(client_for(plain)) == ids_of(world, "own", "icb_gp")


def test_a_trust_sees_only_its_own_queue_as_its_staff_do(world, trust):
    _, plain = issue(trust)
    # Not the concern about its own staff sent to the CQC, nor a complaint about it the patient
    # sent to the ICB: its staff cannot see them, and neither can its token.
    assert export_ids(client_for(plain)) == ids_of(world, "own")


def test_a_trust_sees_items_rerouted_to_it(world, trust, other_trust):
    moved = item(provider=other_trust, handled_by=trust)
    _, plain = issue(trust)
    assert pseudonym_for(moved.pk) in export_ids(client_for(plain))


def test_another_trust_sees_none_of_them(world, other_trust):
    _, plain = issue(other_trust)
    assert export_ids(client_for(plain)) == ids_of(world, "other")


def test_filtering_by_another_organisation_cannot_widen_the_scope(world, trust, other_trust):
    _, plain = issue(trust)
    assert export_ids(client_for(plain), "organisation=RYR") == set()
    assert client_for(plain).get("/api/v1/exports/feedback/?organisation=ZZZ").status_code == 400


@pytest.mark.parametrize(
    ("org", "expected"),
    [("trust", {"own"}), ("icb", {"own", "icb_gp"}), ("cqc", None)],
)
def test_streams_are_scoped_like_pages(world, request, org, expected):
    _, plain = issue(request.getfixturevalue(org))
    response = client_for(plain).get(f"/api/v1/exports/feedback/ndjson/?{MONTH}")
    lines = b"".join(response.streaming_content).decode().splitlines()
    ids = {json.loads(line)["id"] for line in lines}
    assert ids == ids_of(world, *(expected or world))


def test_ko41_is_scoped_to_the_tokens_organisations(world, trust, icb):
    _, plain = issue(icb)
    client = client_for(plain)
    body = client.get("/api/v1/ko41/?year=2026").json()
    assert {r["organisation"]["ods_code"] for r in body["returns"]} <= {"QMJ", "RAL"}
    assert client.get("/api/v1/ko41/?year=2026&organisation=RYR").status_code == 404
    _, trust_plain = issue(trust)
    trust_client = client_for(trust_plain)
    assert trust_client.get("/api/v1/ko41/?year=2026&organisation=QMJ").status_code == 404
    own = trust_client.get("/api/v1/ko41/?year=2026&organisation=RAL").json()
    assert [r["organisation"]["ods_code"] for r in own["returns"]] == ["RAL"]


def test_aggregates_are_scoped(world, trust):
    _, plain = issue(trust)
    body = client_for(plain).get("/api/v1/aggregates/feedback/?group_by=organisation").json()
    assert {r["organisation_ods_code"] for r in body["rows"]} == {"RAL"}
    assert sum(r["count"] for r in body["rows"]) == 1


# --- The export's content --------------------------------------------------------------------


def test_a_row_has_no_direct_identifier(trust, cqc):
    feedback = item(
        provider=trust,
        handled_by=trust,
        text="I am Jane Smith, NHS number 943 476 5919, call 07700 900123 or jane@example.com. "
        "We live at SW1A 1AA.",
        response_text="Dear Ms Smith, ...",
    )
    Identity.objects.create(
        feedback=feedback,
        name="Jane Smith",
        email="jane@example.com",
        phone="07700900123",
        nhs_number="9434765919",
    )
    _, plain = issue(cqc)
    body = client_for(plain).get("/api/v1/exports/feedback/").json()
    row = body["results"][0]
    dumped = json.dumps(row)
    for identifier in ("Jane", "Smith", "943 476 5919", "07700", "jane@", "SW1A", "1AA"):
        assert identifier not in dumped
    assert row["id"] == pseudonym_for(feedback.pk)
    assert str(feedback.pk) != row["id"]
    assert "tracking_token" not in row and feedback.tracking_token not in dumped
    assert "response_text" not in row
    assert row["provider_ods_code"] == "RAL"
    assert row["icb_ods_code"] == "QMJ"
    assert row["icb_name"] == "NHS North Central London Integrated Care Board"
    assert "[NHS NUMBER]" in row["text"] and "[EMAIL]" in row["text"]


def test_a_row_carries_analysis_routing_clocks_and_ko41_codes(trust, cqc):
    feedback = item(
        provider=trust,
        handled_by=trust,
        sentiment=4,
        sentiment_label="negative",
        sentiment_confidence=0.8,
        model_version="test-model-1",
        route_rule="trust_default",
        status=Status.RESPONDED,
        response_due=dt.date(2026, 11, 9),
        responded_at=dt.datetime(2026, 11, 9, 23, 30, tzinfo=dt.UTC),  # GMT: still 9 November
        outcome="upheld",
        ko41_subjects=["waiting_times", "communications"],
        ko41_service_area="emergency",
        ko41_profession="nursing",
        risk_serious=True,
    )
    FeedbackTheme.objects.create(feedback=feedback, theme="timeliness_of_care", score=0.9)
    FeedbackTheme.objects.create(feedback=feedback, theme="staff_manner", score=0.6)
    _, plain = issue(cqc)
    row = client_for(plain).get("/api/v1/exports/feedback/").json()["results"][0]
    assert row["sentiment"] == 4 and row["sentiment_label"] == "negative"
    assert row["model_version"] == "test-model-1"
    assert row["themes"] == ["timeliness_of_care", "staff_manner"]
    assert row["risk_flags"] == ["serious_risk"]
    assert row["route"] == "trust" and row["route_rule"] == "trust_default"
    assert row["responded_date"] == "2026-11-09"
    assert row["responded_within_target"] is True
    assert row["outcome"] == "upheld"
    assert row["ko41_subjects"] == ["waiting_times", "communications"]
    assert row["ko41_service_area"] == "emergency"


def test_a_response_just_after_midnight_in_england_counts_on_the_english_day(trust, cqc):
    # 23:30 UTC on 9 July is 00:30 on 10 July in London (BST): a day late.
    item(
        provider=trust,
        handled_by=trust,
        response_due=dt.date(2026, 7, 9),
        responded_at=dt.datetime(2026, 7, 9, 23, 30, tzinfo=dt.UTC),
    )
    _, plain = issue(cqc)
    row = client_for(plain).get("/api/v1/exports/feedback/").json()["results"][0]
    assert row["responded_date"] == "2026-07-10"
    assert row["responded_within_target"] is False


def test_filters(world, cqc):
    _, plain = issue(cqc)
    client = client_for(plain)
    FeedbackTheme.objects.create(feedback=world["other"], theme="parking", score=0.7)
    assert export_ids(client, "risk=safeguarding") == ids_of(world, "own_to_cqc")
    assert export_ids(client, "route=icb") == ids_of(world, "icb_gp", "other_icb_gp")
    assert export_ids(client, "theme=parking") == ids_of(world, "other")
    assert export_ids(client, "organisation=RAL") == ids_of(world, "own", "own_to_cqc")
    assert export_ids(client, "organisation=qmj") == ids_of(world, "icb_gp")
    assert export_ids(client, "kind=compliment") == set()
    assert export_ids(client, "month=2026-09") == set()
    assert export_ids(client, "received_from=2026-10-12&received_to=2026-10-12") == ids_of(
        world, *world
    )
    assert export_ids(client, "received_from=2026-10-13") == set()


@pytest.mark.parametrize(
    "query",
    [
        "received_from=2026-10-05&received_to=2026-10-01",
        "received_from=0001-01-01",
        "month=2026-13",
        "month=2026-10&received_from=2026-10-01",
        "sentiment=9",
        "theme=not-a-theme",
        "organisation=%00",
    ],
)
def test_bad_filters_are_400(world, cqc, query):
    _, plain = issue(cqc)
    assert client_for(plain).get(f"/api/v1/exports/feedback/?{query}").status_code == 400


def test_a_stream_needs_a_whole_period(world, cqc):
    _, plain = issue(cqc)
    response = client_for(plain).get("/api/v1/exports/feedback/csv/")
    assert response.status_code == 400
    assert "received_from" in response.json()


def test_json_pages_follow_the_cursor_without_repeats(trust, cqc):
    base = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
    made = [item(provider=trust, handled_by=trust, received=base) for _ in range(5)]
    made += [
        item(provider=trust, handled_by=trust, received=base + dt.timedelta(hours=n))
        for n in range(1, 6)
    ]
    _, plain = issue(cqc)
    client = client_for(plain)
    url = "/api/v1/exports/feedback/?page_size=3"
    seen = []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(pseudonym_for(f.pk) for f in made)
    assert len(seen) == len(set(seen)) == 10


def test_csv_stream_has_the_header_and_every_row(world, cqc):
    _, plain = issue(cqc)
    response = client_for(plain).get(f"/api/v1/exports/feedback/csv/?{MONTH}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="feedback_2026-10-01_2026-10-31.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["id"] for r in rows} == ids_of(world, *world)
    safeguarding = next(r for r in rows if r["id"] == pseudonym_for(world["own_to_cqc"].pk))
    assert safeguarding["risk_flags"] == "safeguarding"
    assert safeguarding["handled_by_ods_code"] == "CQC"


def test_csv_cells_that_would_run_as_formulas_are_neutralised(trust, cqc):
    october = dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC)
    for text, extra in [
        ('=HYPERLINK("http://evil.example","click")', {}),
        ("+44 is not my number", {"question": "@SUM(A1)"}),
        ("-2+3", {"model_version": "\tcmd"}),
    ]:
        item(provider=trust, handled_by=trust, text=text, received=october, **extra)
    _, plain = issue(cqc)
    response = client_for(plain).get(f"/api/v1/exports/feedback/csv/?{MONTH}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [value for row in rows for value in row.values() if value]
    assert cells
    assert not [c for c in cells if c[0] in "=+-@\t\r"]
    texts = {row["text"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in texts
    assert "'-2+3" in texts


def test_every_export_is_audited_with_filters_and_row_count(world, icb):
    token, plain = issue(icb)
    client = client_for(plain)
    client.get("/api/v1/exports/feedback/?kind=complaint")
    response = client.get(f"/api/v1/exports/feedback/csv/?{MONTH}&route=trust")
    b"".join(response.streaming_content)
    client.get("/api/v1/aggregates/feedback/")
    client.get("/api/v1/ko41/?year=2026&quarter=3")
    audits = {a.endpoint: a for a in ExportAudit.objects.filter(token=token)}
    assert set(audits) == {"feedback_json", "feedback_csv", "aggregates", "ko41"}
    assert audits["feedback_json"].row_count == 2  # the ICB's own and its trust's queue
    assert audits["feedback_json"].filters["kind"] == "complaint"
    csv_audit = audits["feedback_csv"]
    assert csv_audit.filters == {
        "received_from": "2026-10-01",
        "received_to": "2026-10-31",
        "route": "trust",
    }
    assert csv_audit.row_count == 1 and csv_audit.completed and csv_audit.finished_at
    assert csv_audit.organisation == icb
    assert audits["ko41"].filters["period"] == "2026-27 Q3"
    assert response["X-Export-Id"] == str(csv_audit.pk)


def test_an_abandoned_stream_is_audited_as_incomplete(trust, cqc, monkeypatch):
    monkeypatch.setattr(streaming, "STREAM_FLUSH_ROWS", 1)
    october = dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC)
    for _ in range(3):
        item(provider=trust, handled_by=trust, received=october)
    token, plain = issue(cqc)
    client_for(plain).get(f"/api/v1/exports/feedback/ndjson/?{MONTH}")
    audit = ExportAudit.objects.get()
    assert audit.completed is False and audit.finished_at is None  # written before any row
    # The client goes away after the first chunk: the server closes the stream.
    stream = streaming.stream_ndjson(
        ExportRowBuilder().records(
            streaming.iterate_values(feedback_export_values(token, ExportFilters()))
        ),
        audit=audit,
    )
    next(stream)
    stream.close()
    audit.refresh_from_db()
    assert audit.completed is False
    assert audit.row_count == 1
    assert audit.finished_at is not None


def test_each_token_is_throttled_on_its_own(world, cqc, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "regulator", "2/minute")
    _, first = issue(cqc)
    _, second = issue(cqc)
    a, b = client_for(first), client_for(second)
    assert [a.get(AGGREGATES[0]).status_code for _ in range(3)] == [200, 200, 429]
    assert b.get(AGGREGATES[0]).status_code == 200


# --- Aggregates ------------------------------------------------------------------------------


def test_aggregates_count_and_four_week_compliance(trust, cqc):
    today = timezone.localdate()
    received = timezone.now() - dt.timedelta(days=40)
    due = today - dt.timedelta(days=12)

    def complaint(**kw):
        return item(provider=trust, handled_by=trust, received=received, response_due=due, **kw)

    on_time = timezone.now() - dt.timedelta(days=20)
    late = timezone.now() - dt.timedelta(days=2)
    answered = complaint(responded_at=on_time)
    complaint(responded_at=on_time)
    complaint(responded_at=late)
    complaint()  # open past its due date
    complaint(status=Status.CLOSED, duplicate_of=answered)  # merged: answered with it
    complaint(status=Status.WITHDRAWN)  # withdrawn: neither
    item(provider=trust, handled_by=trust, received=received, kind=Kind.COMPLIMENT)
    item(
        provider=trust,
        handled_by=trust,
        received=received,
        response_due=today + dt.timedelta(days=5),
    )  # not due yet
    _, plain = issue(cqc)
    body = client_for(plain).get("/api/v1/aggregates/feedback/?group_by=organisation").json()
    (row,) = body["rows"]
    assert row["organisation_ods_code"] == "RAL"
    assert row["count"] == 8
    assert row["merged_duplicates"] == 1  # the complaint sent twice counts once: 8 - 1
    assert row["with_response_clock"] == 6
    assert row["responded"] == 3
    assert row["responded_within_target"] == 2
    assert row["open_past_target"] == 1
    assert row["compliance"] == 0.5


def test_aggregates_by_month_kind_theme_and_sentiment(trust, cqc):
    october = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)  # 31 Oct in England (GMT)
    november = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC) + dt.timedelta(hours=1)
    a = item(provider=trust, handled_by=trust, received=october, sentiment=5)
    b = item(provider=trust, handled_by=trust, received=november, sentiment=5)
    FeedbackTheme.objects.create(feedback=a, theme="parking", score=1)
    FeedbackTheme.objects.create(feedback=a, theme="staff_manner", score=1)
    FeedbackTheme.objects.create(feedback=b, theme="parking", score=1)
    _, plain = issue(cqc)
    client = client_for(plain)
    body = client.get(
        "/api/v1/aggregates/feedback/?group_by=month&group_by=kind&group_by=theme"
        "&group_by=sentiment"
    ).json()
    assert body["group_by"] == ["month", "kind", "theme", "sentiment"]
    counts = {(r["month"], r["kind"], r["theme"], r["sentiment"]): r["count"] for r in body["rows"]}
    assert counts == {
        ("2026-10", "complaint", "parking", 5): 1,
        ("2026-10", "complaint", "staff_manner", 5): 1,
        ("2026-11", "complaint", "parking", 5): 1,
    }


def test_the_schema_documents_the_regulator_endpoints_with_a_bearer_scheme(db):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/exports/feedback/",
        "/api/v1/exports/feedback/csv/",
        "/api/v1/exports/feedback/ndjson/",
        "/api/v1/aggregates/feedback/",
        "/api/v1/ko41/",
    ):
        operation = schema["paths"][path]["get"]
        assert operation["security"] == [{"regulatorToken": []}]
    scheme = schema["components"]["securitySchemes"]["regulatorToken"]
    assert scheme["scheme"] == "bearer"
    page = schema["paths"]["/api/v1/exports/feedback/"]["get"]["responses"]["200"]
    assert page["content"]["application/json"]["examples"]
    assert "RegulatorFeedbackRowOutput" in schema["components"]["schemas"]
    assert OrganisationKind.CQC.value == "cqc"


def test_with_the_cache_down_an_export_still_answers(world, cqc, monkeypatch):
    import redis
    from django.core.cache import cache

    _, plain = issue(cqc)

    def down(*args, **kwargs):
        raise redis.ConnectionError("connection refused")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    response = client_for(plain).get("/api/v1/exports/feedback/")
    assert response.status_code == 200
