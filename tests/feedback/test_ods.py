"""Reading ODS files and loading the organisation directory from them."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from feedback.choices import OrganisationKind, TrustType
from feedback.models import Organisation, Region
from feedback.ods import (
    DEMO_ICBS_PATH,
    DEMO_TRUST_TYPES_PATH,
    DEMO_TRUSTS_PATH,
    REGION_NAMES,
    OdsFormatError,
    display_name,
    read_icbs,
    read_trust_types,
    read_trusts,
)
from feedback.services.organisations import OrganisationImportError, organisations_import
from tests.factories import CqcFactory, TrustFactory

# Rows exactly as they appear in published ODS etr.csv files (K0N6A from a 2026 copy, the rest
# from the 2025 one the demo set comes from), so the parser is tested against the real layout.
RJ1 = (
    '"RJ1","GUY\'S AND ST THOMAS\' NHS FOUNDATION TRUST","Y56","QKK","ST THOMAS\' HOSPITAL",'
    '"WESTMINSTER BRIDGE ROAD","","LONDON","","SE1 7EH","19930401","","","","","","","","","",'
    '"","0","","H","","",""'
)
RRU = (
    '"RRU","LONDON AMBULANCE SERVICE NHS TRUST","Y56","QKK","220 WATERLOO ROAD","","","LONDON",'
    '"","SE1 8SD","19960401","","","","","","","","","","","0","","H","","",""'
)
RRP_CLOSED = (
    '"RRP","BARNET, ENFIELD AND HARINGEY MENTAL HEALTH NHS TRUST","Y56","QMJ",'
    '"TRUST HEADQUARTERS BLOCK B2","ST ANN\'S HOSPITAL","ST ANN\'S ROAD","LONDON","","N15 3TH",'
    '"20010401","20241031","","","","","","","","","","0","","H","","",""'
)
RT4_WALES = (
    '"RT4","WELSH AMBULANCE SERVICES NHS TRUST","W00","Q99","UNIT 7","FFORDD RICHARD DAVIES",'
    '"ST ASAPH BUSINESS PARK","ST. ASAPH","","LL17 0LJ","19980401","","","","","","","","","",'
    '"","0","","W","","",""'
)
K0N6A_NOT_YET_OPEN = (
    '"K0N6A","THE ONLINE NHS TRUST","Y56","QKK","WELLINGTON HOUSE","133-155 WATERLOO ROAD","",'
    '"LONDON","","SE1 8UG","20260601","","","","","","","","","","","1","","H","","",""'
)
QKK = '"QKK","NHS SOUTH EAST LONDON INTEGRATED CARE BOARD","Y56"' + ',""' * 24
QMJ = '"QMJ","NHS NORTH CENTRAL LONDON INTEGRATED CARE BOARD","Y56"' + ',""' * 24

# The ten ambulance trusts of England (ODS codes), all in the demo set.
ENGLISH_AMBULANCE_TRUSTS = {
    "RRU", "RX6", "RX7", "RX8", "RX9", "RYA", "RYC", "RYD", "RYE", "RYF",
}  # fmt: skip


def write(directory: Path, name: str, *lines: str) -> Path:
    path = directory / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def with_cell(row: str, column: int, value: str) -> str:
    """A copy of a CSV row with one (1-based) column replaced."""
    cells = next(csv.reader([row]))
    cells[column - 1] = value
    out = StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="").writerow(cells)
    return out.getvalue()


def import_demo():
    return organisations_import(
        trusts_path=DEMO_TRUSTS_PATH,
        icbs_path=DEMO_ICBS_PATH,
        trust_types_path=DEMO_TRUST_TYPES_PATH,
    )


# Parsing


def test_reads_a_published_trust_row(tmp_path):
    extract = read_trusts(write(tmp_path, "etr.csv", RJ1, RRU), on=date(2025, 6, 1))

    guys, ambulance = extract.records
    assert guys.code == "RJ1"
    assert guys.name == "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST"
    assert guys.display_name == "Guy's and St Thomas' NHS Foundation Trust"
    assert (guys.region_code, guys.icb_code) == ("Y56", "QKK")
    assert guys.address == ("ST THOMAS' HOSPITAL", "WESTMINSTER BRIDGE ROAD", "LONDON")
    assert guys.postcode == "SE1 7EH"
    assert guys.opened == date(1993, 4, 1)
    assert guys.closed is None
    assert guys.in_england
    assert ambulance.display_name == "London Ambulance Service NHS Trust"
    assert extract.closed_codes == frozenset()


def test_closed_trusts_are_left_out_and_reported_as_closed(tmp_path):
    extract = read_trusts(write(tmp_path, "etr.csv", RJ1, RRP_CLOSED), on=date(2025, 6, 1))

    assert [record.code for record in extract.records] == ["RJ1"]
    assert extract.closed_codes == {"RRP"}


def test_a_trust_is_open_until_the_end_of_its_close_date(tmp_path):
    path = write(tmp_path, "etr.csv", RRP_CLOSED)

    assert [r.code for r in read_trusts(path, on=date(2024, 10, 31)).records] == ["RRP"]
    assert read_trusts(path, on=date(2024, 11, 1)).closed_codes == {"RRP"}


def test_a_trust_not_yet_open_is_neither_listed_nor_closed(tmp_path):
    extract = read_trusts(write(tmp_path, "etr.csv", K0N6A_NOT_YET_OPEN), on=date(2026, 5, 31))

    assert extract.records == ()
    assert extract.closed_codes == frozenset()


def test_welsh_trusts_are_read_but_not_in_england(tmp_path):
    (welsh,) = read_trusts(write(tmp_path, "etr.csv", RT4_WALES)).records

    assert welsh.region_code == "W00"
    assert not welsh.in_england


def test_reads_icbs_in_the_standard_layout(tmp_path):
    (icb,) = read_icbs(write(tmp_path, "icbs.csv", QMJ)).records

    assert icb.code == "QMJ"
    assert icb.region_code == "Y56"
    assert icb.display_name == "NHS North Central London Integrated Care Board"
    assert icb.postcode == ""


@pytest.mark.parametrize(
    ("published", "written"),
    [
        ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Guy's and St Thomas' NHS Foundation Trust"),
        (
            "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST",
            "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
        ),
        (
            "NHS STAFFORDSHIRE AND STOKE-ON-TRENT INTEGRATED CARE BOARD",
            "NHS Staffordshire and Stoke-on-Trent Integrated Care Board",
        ),
        (
            "NHS CORNWALL AND THE ISLES OF SCILLY INTEGRATED CARE BOARD",
            "NHS Cornwall and the Isles of Scilly Integrated Care Board",
        ),
        (
            "THE QUEEN ELIZABETH HOSPITAL, KING'S LYNN, NHS FOUNDATION TRUST",
            "The Queen Elizabeth Hospital, King's Lynn, NHS Foundation Trust",
        ),
    ],
)
def test_names_are_written_as_people_write_them(published, written):
    assert display_name(published) == written


# Malformed files


def test_a_row_with_the_wrong_number_of_columns_names_file_and_line(tmp_path):
    path = write(tmp_path, "etr.csv", RJ1, '"RRU","LONDON AMBULANCE SERVICE NHS TRUST","Y56"')

    with pytest.raises(OdsFormatError) as caught:
        read_trusts(path)

    assert caught.value.path == path
    assert caught.value.line == 2
    assert "etr.csv, line 2" in str(caught.value)
    assert "has 3 columns" in str(caught.value)


@pytest.mark.parametrize(
    ("column", "value", "column_name"),
    [
        (1, "RJ 1", "Organisation Code"),
        (2, "", "Name"),
        (3, "LONDON", "National Grouping"),
        (4, "", "High Level Health Geography"),
        (10, "19930401", "Postcode"),
        (11, "1993-04-01", "Open Date"),
        (12, "20241331", "Close Date"),
    ],
)
def test_a_bad_value_names_file_line_and_column(tmp_path, column, value, column_name):
    path = write(tmp_path, "etr.csv", RRU, with_cell(RJ1, column, value))

    with pytest.raises(OdsFormatError) as caught:
        read_trusts(path)

    assert caught.value.line == 2
    assert caught.value.column == column
    assert f"etr.csv, line 2, column {column} ({column_name})" in str(caught.value)


def test_a_header_row_is_refused_because_ods_files_have_none(tmp_path):
    header = ",".join(f'"Column {n}"' for n in range(1, 28))

    with pytest.raises(OdsFormatError, match=r"line 1, column 1 .*no header row"):
        read_trusts(write(tmp_path, "etr.csv", header, RJ1))


def test_a_code_listed_twice_is_refused(tmp_path):
    with pytest.raises(OdsFormatError, match=r"line 2, column 1 .*RJ1 appears again"):
        read_trusts(write(tmp_path, "etr.csv", RJ1, RJ1))


def test_an_icb_must_be_in_an_nhs_england_region(tmp_path):
    path = write(tmp_path, "icbs.csv", with_cell(QMJ, 3, "W00"))

    with pytest.raises(OdsFormatError, match=r"icbs.csv, line 1, column 3 \(National Grouping\)"):
        read_icbs(path)


def test_reads_trust_types(tmp_path):
    path = write(tmp_path, "trust_types.csv", "ods_code,trust_type", "RJ1,acute", "RRU,ambulance")

    assert read_trust_types(path) == {"RJ1": TrustType.ACUTE, "RRU": TrustType.AMBULANCE}


def test_an_unknown_trust_type_names_line_and_column(tmp_path):
    path = write(tmp_path, "trust_types.csv", "ods_code,trust_type", "RJ1,acute", "RRU,paramedic")

    with pytest.raises(OdsFormatError, match=r"line 3, column 2 \(trust_type\): 'paramedic'"):
        read_trust_types(path)


def test_trust_types_need_their_header(tmp_path):
    with pytest.raises(OdsFormatError, match="line 1: the first row must be the header"):
        read_trust_types(write(tmp_path, "trust_types.csv", "RJ1,acute"))


# The committed demo set


def test_the_demo_files_have_every_icb_region_and_enough_trusts():
    icbs = read_icbs(DEMO_ICBS_PATH).records
    trusts = read_trusts(DEMO_TRUSTS_PATH).records
    types = read_trust_types(DEMO_TRUST_TYPES_PATH)

    assert len(icbs) == 42
    assert {icb.region_code for icb in icbs} == set(REGION_NAMES)
    assert len(trusts) >= 60
    assert {trust.code for trust in trusts} == set(types)
    assert set(types.values()) == set(TrustType.values)


@pytest.mark.django_db
def test_importing_the_demo_set_loads_regions_icbs_trusts_and_the_cqc():
    result = import_demo()

    open_trusts = read_trusts(DEMO_TRUSTS_PATH).records
    assert Region.objects.count() == 7
    assert dict(Region.objects.values_list("code", "name")) == REGION_NAMES
    assert Organisation.objects.filter(kind=OrganisationKind.ICB).count() == 42
    assert Organisation.objects.filter(kind=OrganisationKind.TRUST).count() == len(open_trusts)
    assert len(open_trusts) >= 60
    assert result.trusts.created == len(open_trusts)
    # The regions, ICBs and trusts, the CQC and NHS England's national triage queue.
    assert result.created == 7 + 42 + len(open_trusts) + 2
    cqc = Organisation.objects.get(ods_code="CQC")
    assert (cqc.name, cqc.kind) == ("Care Quality Commission", OrganisationKind.CQC)


@pytest.mark.django_db
def test_every_demo_trust_sits_in_an_icb_of_its_own_region():
    import_demo()

    trusts = Organisation.objects.filter(kind=OrganisationKind.TRUST).select_related("icb")
    for trust in trusts:
        assert trust.icb is not None, trust.ods_code
        assert trust.icb.kind == OrganisationKind.ICB
        assert trust.region_id == trust.icb.region_id, trust.ods_code
        assert trust.trust_type in TrustType.values, trust.ods_code
    every_icb_has_a_trust = set(trusts.values_list("icb__ods_code", flat=True))
    assert len(every_icb_has_a_trust) == 42


@pytest.mark.django_db
def test_known_facts_of_the_demo_set():
    import_demo()

    guys = Organisation.objects.get(ods_code="RJ1")
    assert guys.name == "Guy's and St Thomas' NHS Foundation Trust"
    assert guys.icb.ods_code == "QKK"
    assert guys.region.name == "London"
    assert guys.postcode == "SE1 7EH"
    assert Organisation.objects.get(ods_code="RAL").icb.ods_code == "QMJ"
    ncl = Organisation.objects.get(ods_code="QMJ")
    assert ncl.name == "NHS North Central London Integrated Care Board"
    assert ncl.region.code == "Y56"
    ambulance = Organisation.objects.filter(trust_type=TrustType.AMBULANCE)
    assert set(ambulance.values_list("ods_code", flat=True)) == ENGLISH_AMBULANCE_TRUSTS
    # Barnet, Enfield and Haringey closed on 31 October 2024 when North London NHS FT opened.
    assert not Organisation.objects.filter(ods_code="RRP").exists()
    assert Organisation.objects.get(ods_code="G6V2S").icb.ods_code == "QMJ"


# Importing


@pytest.mark.django_db
def test_importing_twice_changes_nothing_the_second_time():
    import_demo()
    before = list(Organisation.objects.order_by("ods_code").values())

    again = import_demo()

    assert again.created == 0
    assert again.updated == 0
    assert again.icbs.unchanged == 42
    assert again.regions.unchanged == 7
    assert list(Organisation.objects.order_by("ods_code").values()) == before


@pytest.mark.django_db
def test_a_changed_row_updates_the_existing_organisation(tmp_path):
    icbs = write(tmp_path, "icbs.csv", QKK)
    organisations_import(trusts_path=write(tmp_path, "etr.csv", RJ1), icbs_path=icbs)
    renamed = with_cell(RJ1, 2, "GUY'S AND ST THOMAS' HOSPITALS NHS FOUNDATION TRUST")

    result = organisations_import(trusts_path=write(tmp_path, "etr2.csv", renamed), icbs_path=icbs)

    assert (result.trusts.created, result.trusts.updated) == (0, 1)
    assert Organisation.objects.get(ods_code="RJ1").name.startswith("Guy's and St Thomas' Hosp")


@pytest.mark.django_db
def test_a_trust_the_file_lists_as_closed_is_marked_inactive(tmp_path):
    icbs = write(tmp_path, "icbs.csv", QMJ)
    still_open = with_cell(RRP_CLOSED, 12, "")
    organisations_import(trusts_path=write(tmp_path, "etr.csv", still_open), icbs_path=icbs)

    result = organisations_import(
        trusts_path=write(tmp_path, "etr2.csv", RRP_CLOSED), icbs_path=icbs
    )

    assert result.trusts.deactivated == 1
    assert Organisation.objects.get(ods_code="RRP").is_active is False


@pytest.mark.django_db
def test_a_trust_whose_icb_is_missing_is_an_error_and_nothing_is_written(tmp_path):
    trusts = write(tmp_path, "etr.csv", RJ1, RRU)
    icbs = write(tmp_path, "icbs.csv", QMJ)

    with pytest.raises(OrganisationImportError) as caught:
        organisations_import(trusts_path=trusts, icbs_path=icbs)

    message = str(caught.value)
    assert "RJ1 (Guy's and St Thomas' NHS Foundation Trust) is in ICB QKK" in message
    assert "RRU" in message
    assert str(icbs) in message
    assert not Organisation.objects.exists()
    assert not Region.objects.exists()


@pytest.mark.django_db
def test_trusts_outside_england_are_skipped(tmp_path):
    result = organisations_import(
        trusts_path=write(tmp_path, "etr.csv", RJ1, RT4_WALES),
        icbs_path=write(tmp_path, "icbs.csv", QKK),
    )

    assert result.trusts_outside_england == 1
    assert not Organisation.objects.filter(ods_code="RT4").exists()
    assert Organisation.objects.filter(ods_code="RJ1").exists()


@pytest.mark.django_db
def test_without_trust_types_a_trust_keeps_its_type(tmp_path):
    TrustFactory(ods_code="RRU", trust_type=TrustType.AMBULANCE)

    organisations_import(
        trusts_path=write(tmp_path, "etr.csv", RRU), icbs_path=write(tmp_path, "icbs.csv", QKK)
    )

    ambulance = Organisation.objects.get(ods_code="RRU")
    assert ambulance.trust_type == TrustType.AMBULANCE
    assert ambulance.icb.ods_code == "QKK"
    assert ambulance.name == "London Ambulance Service NHS Trust"


@pytest.mark.django_db
def test_an_existing_cqc_is_kept_not_duplicated(tmp_path):
    CqcFactory()

    result = organisations_import(
        trusts_path=write(tmp_path, "etr.csv", RJ1), icbs_path=write(tmp_path, "icbs.csv", QKK)
    )

    assert result.cqc_created is False
    assert Organisation.objects.filter(kind=OrganisationKind.CQC).count() == 1


# The management command


@pytest.mark.django_db
def test_the_command_loads_the_demo_set_and_prints_counts():
    out = StringIO()

    call_command("import_ods", stdout=out)

    assert "ICBs: 42 created" in out.getvalue()
    assert "Care Quality Commission: created" in out.getvalue()
    assert Organisation.objects.filter(kind=OrganisationKind.ICB).count() == 42


@pytest.mark.django_db
def test_the_command_reports_a_malformed_file(tmp_path):
    bad = write(tmp_path, "etr.csv", with_cell(RJ1, 11, "1 April 1993"))

    with pytest.raises(CommandError, match=r"etr.csv, line 1, column 11 \(Open Date\)"):
        call_command("import_ods", "--trusts", str(bad), stdout=StringIO())
