"""GP practices, dentists and pharmacies: loaded from ODS, found by patients, routed to their ICB;
and feedback whose organisation nobody can name, which still reaches a queue."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from feedback.choices import OrganisationKind, Route
from feedback.models import AuditEvent, Feedback, Organisation
from feedback.ods import DEMO_DENTAL_PRACTICES_PATH, read_practices
from feedback.selectors import organisation_area_for_place, organisation_search
from feedback.services.analysis import feedback_analyse_batch
from feedback.services.intake import feedback_submit
from tests.feedback.test_views import answer


@pytest.fixture
def directory(db: None) -> None:
    """The demo directory as `make run` loads it: trusts, ICBs, practices, CQC, NHS England."""
    call_command("import_ods", stdout=StringIO())


def org(code: str) -> Organisation:
    return Organisation.objects.select_related("icb").get(ods_code=code)


# Loading the directory


@pytest.mark.django_db
def test_the_demo_import_loads_practices_linked_to_their_icb(directory):
    townhead = org("B82007")  # Townhead Surgery, Settle: West Yorkshire
    assert townhead.kind == OrganisationKind.GP_PRACTICE
    assert townhead.name == "Townhead Surgery"
    assert townhead.icb is not None and townhead.icb.ods_code == "QWO"
    assert townhead.postcode == "BD24 9JA"
    assert "Settle" in townhead.address
    assert org("V00040").kind == OrganisationKind.DENTAL_PRACTICE
    assert org("FA141").kind == OrganisationKind.PHARMACY
    for kind in (
        OrganisationKind.GP_PRACTICE,
        OrganisationKind.DENTAL_PRACTICE,
        OrganisationKind.PHARMACY,
    ):
        offered = Organisation.objects.filter(kind=kind, is_active=True)
        assert offered.count() > 100
        assert set(offered.values_list("icb__ods_code", flat=True)) == {"QMJ", "QWO"}
    national = org("X24")
    assert national.kind == OrganisationKind.NATIONAL and national.is_active


@pytest.mark.django_db
def test_private_only_dentists_are_not_offered_to_patients(directory):
    extract = read_practices(DEMO_DENTAL_PRACTICES_PATH, kind=OrganisationKind.DENTAL_PRACTICE)
    private = [r for r in extract.records if r.left_out == "private dental practice"]
    assert private
    assert not Organisation.objects.filter(
        ods_code__in=[r.code for r in private], is_active=True
    ).exists()


@pytest.mark.django_db
def test_importing_again_changes_nothing(directory):
    before = set(Organisation.objects.values_list("ods_code", "name", "is_active", "icb_id"))
    out = StringIO()
    call_command("import_ods", stdout=out)
    assert set(Organisation.objects.values_list("ods_code", "name", "is_active", "icb_id")) == (
        before
    )
    assert "0 created" in out.getvalue()


@pytest.mark.django_db
def test_a_practice_file_naming_an_unknown_icb_changes_nothing(tmp_path: Path, directory):
    row = (
        '"Z99999","NEW SURGERY","Y63","QZZ","1 HIGH STREET","","LEEDS","","","LS1 1AA",'
        '"20200101","","A","B","15F","20200101","","","","","","0","","15F","","4",""\n'
    )
    bad = tmp_path / "epraccur.csv"
    bad.write_text(row)
    count = Organisation.objects.count()
    with pytest.raises(CommandError, match="QZZ"):
        call_command("import_ods", "--gp-practices", str(bad), stdout=StringIO())
    assert Organisation.objects.count() == count
    assert not Organisation.objects.filter(ods_code="Z99999").exists()


# Finding a practice and an area


@pytest.mark.django_db
def test_search_finds_a_practice_by_postcode_name_or_town(directory):
    by_postcode, _ = organisation_search("bd24 9ja", kind=OrganisationKind.GP_PRACTICE)
    assert by_postcode[0].ods_code == "B82007"
    by_name, total = organisation_search("townhead", kind=OrganisationKind.GP_PRACTICE)
    assert [o.ods_code for o in by_name] == ["B82007"] and total == 1
    in_leeds, total = organisation_search("Leeds", kind=OrganisationKind.GP_PRACTICE)
    assert len(in_leeds) == 20 and total > 20
    # Each kind is searched apart: no dentist comes up for a GP.
    assert all(o.kind == OrganisationKind.GP_PRACTICE for o in in_leeds)
    assert organisation_search("no such surgery anywhere", kind=OrganisationKind.GP_PRACTICE) == (
        [],
        0,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("place", "icb"),
    [
        ("LS10 2JJ", "QWO"),
        ("bd7", "QWO"),
        ("Dewsbury", "QWO"),
        ("N9 0TZ", "QMJ"),
        ("Timbuktu", None),
        ("", None),
    ],
)
def test_the_area_is_found_from_a_postcode_or_town(directory, place, icb):
    found = organisation_area_for_place(place)
    assert (found.ods_code if found else None) == icb


# The patient's journey


def _start(client: Client, service_type: str) -> None:
    answer(client, "kind", {"kind": "complaint"})
    answer(client, "service", {"service_type": service_type})


def _check_page(client: Client) -> str:
    """Answer the remaining pages; the "Check your answers" page."""
    answer(client, "experience", {"fft_rating": "4"})
    answer(client, "what-happened", {"text": "The receptionist was rude and I got no appointment."})
    answer(client, "safety", {"safety_answer": "no"})
    answer(client, "patient", {"complainant_status": "patient"})
    answer(client, "your-details", {"name": "", "email": "", "phone": "", "nhs_number": ""})
    answer(client, "communication", {})
    response = client.get("/feedback/new/check/")
    assert response.status_code == 200
    return response.content.decode()


def _send(client: Client) -> Feedback:
    response = client.post("/feedback/new/check/")
    assert response.status_code == 302, response.content[:2000]
    return Feedback.objects.get()


@pytest.mark.django_db
def test_a_patient_finds_their_gp_and_the_icb_handles_it(client: Client, directory, cqc):
    _start(client, "gp")
    page = client.get("/feedback/new/where/", {"q": "Townhead"}).content.decode()
    assert "Find the GP practice" in page
    assert "Townhead Surgery" in page and "BD24 9JA" in page
    assert "It is not listed" in page

    response = answer(client, "where", {"practice": "B82007", "q": "Townhead", "area": ""})
    assert response.status_code == 302
    assert "Townhead Surgery" in _check_page(client)
    item = _send(client)
    assert item.provider == org("B82007") and item.service_type == "gp"
    feedback_analyse_batch()
    item.refresh_from_db()
    assert item.route == Route.ICB
    assert item.handled_by == org("QWO")


@pytest.mark.django_db
def test_a_search_with_no_match_says_so_and_offers_the_area(client: Client, directory):
    _start(client, "dental")
    page = client.get("/feedback/new/where/", {"q": "Zzyzx"}).content.decode()
    assert "No dentist found for" in page
    assert "If you cannot find it" in page
    assert 'name="area"' in page and 'name="place"' in page


@pytest.mark.django_db
def test_a_practice_of_another_kind_is_refused_on_the_page(client: Client, directory):
    _start(client, "pharmacy")
    response = answer(client, "where", {"practice": "B82007", "area": ""})
    assert response.status_code == 200
    assert "Select a practice from the search results" in response.content.decode()


@pytest.mark.django_db
def test_a_patient_who_gives_only_a_postcode_reaches_the_right_icb(client: Client, directory, cqc):
    _start(client, "optometry")
    response = answer(client, "where", {"area": "", "place": "LS10 2JJ"})
    assert response.status_code == 302
    assert "LS10 2JJ" in _check_page(client)
    item = _send(client)
    assert item.area == org("QWO") and item.place == "LS10 2JJ"
    assert AuditEvent.objects.filter(feedback=item, action="area_from_place").exists()
    feedback_analyse_batch()
    item.refresh_from_db()
    assert item.handled_by == org("QWO")


@pytest.mark.django_db
def test_feedback_nobody_can_place_waits_for_nhs_england_to_assign_it(
    client: Client, directory, cqc
):
    _start(client, "unsure")
    response = answer(client, "where", {"provider": "", "area": "", "place": "somewhere"})
    assert response.status_code == 302  # never a dead end
    _check_page(client)
    item = _send(client)
    assert item.provider is None and item.area is None
    feedback_analyse_batch()
    item.refresh_from_db()
    assert item.handled_by == org("X24")
    assert item.route_rule == "national_triage"
    assert any("NHS England assigns it" in line for line in item.route_evidence)


# The API and staff entry


@pytest.mark.django_db
def test_the_api_takes_a_practice_as_the_provider(directory):
    api = APIClient()
    body = {
        "kind": "complaint",
        "text": "Could not get a dental appointment.",
        "provider": "v00040",
    }
    response = api.post("/api/v1/feedback/", body, format="json")
    assert response.status_code == 201, response.json()
    item = Feedback.objects.get()
    assert item.provider == org("V00040") and item.service_type == "dental"


@pytest.mark.django_db
def test_the_api_names_the_field_when_an_icb_is_given_as_the_provider(directory):
    api = APIClient()
    body = {"kind": "complaint", "text": "Hello.", "provider": "QWO"}
    response = api.post("/api/v1/feedback/", body, format="json")
    assert response.status_code == 400
    assert "provider" in response.json()
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_a_practice_that_does_not_match_the_service_is_refused(directory):
    from feedback.errors import InvalidFeedback

    with pytest.raises(InvalidFeedback) as caught:
        feedback_submit(kind="complaint", text="Hello.", provider=org("FA141"), service_type="gp")
    assert "provider" in caught.value.errors
    assert Feedback.objects.count() == 0


@pytest.mark.django_db
def test_staff_enter_a_letter_about_a_dentist_by_its_code(client: Client, directory):
    from tests.factories import UserFactory

    client.force_login(UserFactory(organisation=org("QMJ")))
    response = client.post(
        "/staff/entries/new/",
        {
            "channel": "letter",
            "kind": "complaint",
            "practice": " v00040 ",
            "text": "Wrote about being removed from the dentist's list.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    item = Feedback.objects.get()
    assert item.provider == org("V00040") and item.service_type == "dental"


@pytest.mark.django_db
def test_the_handler_sees_the_practice_and_the_place_given(client: Client, directory, cqc):
    from tests.factories import UserFactory

    item = feedback_submit(
        kind="complaint",
        text="The practice never answers the phone.",
        provider=org("B82007"),
        place="Settle",
        patient_age="65_plus",
    )
    feedback_analyse_batch()
    client.force_login(UserFactory(organisation=org("QWO")))
    page = client.get(f"/staff/items/{item.pk}/").content.decode()
    assert "Townhead Surgery (GP practice B82007, BD24 9JA)" in page
    assert "Postcode or town given" in page and "Settle" in page
    assert "patient's age: 65 or over" in page


@pytest.mark.django_db
def test_a_null_character_in_the_search_is_not_an_error(client: Client, directory):
    _start(client, "gp")
    assert client.get("/feedback/new/where/", {"q": "Town\x00head"}).status_code == 200
    response = answer(client, "where", {"practice": "B8\x00", "area": ""})
    assert response.status_code == 200  # a practice error on the page, never a 500


@pytest.mark.django_db
def test_a_practice_posted_for_a_hospital_or_left_from_before_is_not_sent(
    client: Client, directory, cqc
):
    _start(client, "gp")
    answer(client, "where", {"practice": "B82007", "area": ""})
    # The patient changes the kind of service to a hospital: the practice no longer applies.
    answer(client, "service", {"service_type": "acute"}, change="1")
    answer(client, "where", {"practice": "V00040", "area": "", "place": "Leeds"})
    _check_page(client)
    item = _send(client)
    assert item.provider is None and item.service_type == "acute"
