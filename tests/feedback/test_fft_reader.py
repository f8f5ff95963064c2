"""Reading FFT exports as trusts' survey systems write them: columns, answers, dates, files."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from feedback.choices import FFT_QUESTION, FftRating, ServiceType
from feedback.clocks import LONDON
from feedback.fft_files import FftFileError, sniff_format
from feedback.fft_reader import (
    FftRow,
    RowProblem,
    parse_date,
    parse_rating,
    read_export,
    service_type_for,
)
from tests.fft_files import (
    QUESTION,
    ROWS,
    as_dates,
    csv_bytes,
    xlsx_bytes,
)

NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=LONDON)


def read(content: bytes, *, max_rows: int = 1000, text_max_length: int = 5000) -> list:
    file = io.BytesIO(content)
    return list(
        read_export(
            file,
            file_format=sniff_format(file),
            now=NOW,
            text_max_length=text_max_length,
            max_rows=max_rows,
        )
    )


@pytest.mark.parametrize("make", [csv_bytes, lambda: xlsx_bytes(as_dates(ROWS))])
def test_an_export_reads_as_its_answers_in_order(make):
    rows = read(make())
    assert all(isinstance(row, FftRow) for row in rows)
    assert [row.line for row in rows] == [2, 3, 4, 5, 6, 7]
    assert [row.rating for row in rows] == [1, 2, 4, 5, 6, 3]
    first = rows[0]
    assert first.received_at == dt.datetime(2026, 10, 1, tzinfo=LONDON)
    assert first.question == FFT_QUESTION
    assert first.text == "The nurses on ward 7 were kind and quick."
    assert [row.service_type for row in rows] == ["acute"] * 5 + [""]
    # A rating on its own is an answer too.
    assert rows[4].text == ""


def test_columns_are_found_by_the_names_survey_systems_give_them_in_any_case():
    content = csv_bytes(
        [("Very good", "Lovely staff", "2026-10-01 09:15", "Ward 7", "community")],
        header=("FFT RESPONSE", "Comments", "date completed", "Ward", "Setting"),
    )
    (row,) = read(content)
    assert row.rating == FftRating.VERY_GOOD
    assert row.text == "Lovely staff"
    assert row.received_at == dt.datetime(2026, 10, 1, 9, 15, tzinfo=LONDON)
    assert row.service_type == ServiceType.COMMUNITY
    # No question column: the FFT question, as the export is of the FFT.
    assert row.question == FFT_QUESTION


def test_the_columns_of_the_nhs_shared_fft_data_are_understood():
    header = (
        "Comment ID", "Trust", "Respondent ID", "Date", "Service type 1", "Service type 2",
        "FFT categorical answer", "FFT question", "FFT answer",
    )  # fmt: skip
    row = ("1", "T1", "9", "30/09/2021", "PTS\u00a0 - Patient Transport", "", "2", "FFT Why?",
           "Driver was on time and kind.")  # fmt: skip
    (read_row,) = read(csv_bytes([row], header=header))
    assert (read_row.rating, read_row.question) == (2, "FFT Why?")
    assert read_row.text == "Driver was on time and kind."
    assert read_row.service_type == ServiceType.PATIENT_TRANSPORT


def test_a_missing_required_column_is_named_with_the_columns_found():
    content = csv_bytes([("01/10/2026", "Good")], header=("When", "Score"))
    with pytest.raises(FftFileError) as caught:
        read(content)
    message = str(caught.value)
    assert "no free text column" in message and "no date column" in message
    assert "no rating column" not in message
    assert "Columns found in the first row: When, Score." in message


def test_the_header_may_sit_below_a_title():
    content = xlsx_bytes(as_dates(ROWS[:2]), title_rows=["Friends and Family Test", "October 2026"])
    rows = read(content)
    assert [row.line for row in rows] == [4, 5]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Very good", 1),
        ("VERY GOOD", 1),
        (" good ", 2),
        ("Neither good nor poor", 3),
        ("poor", 4),
        ("Very Poor", 5),
        ("Don't know", 6),
        ("Don\u2019t know", 6),
        ("Dont know", 6),
        ("1", 1),
        ("6", 6),
        ("5.0", 5),
        (4, 4),
        (2.0, 2),
    ],
)
def test_ratings_are_the_six_answers_in_words_or_numbers(value, expected):
    assert parse_rating(value) == (expected, "")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Excellent", "“Excellent” is not an FFT answer"),
        ("7", "“7” is not an FFT answer"),
        (0, "“0” is not an FFT answer"),
        (2.5, "“2.5” is not an FFT answer"),
        ("", "The rating is blank"),
        ("Extremely likely", "answers the question asked before April 2020"),
    ],
)
def test_a_rating_that_is_not_an_answer_says_what_to_use(value, words):
    rating, why = parse_rating(value)
    assert rating is None
    assert words in why
    assert "Very good, Good, Neither good nor poor, Poor, Very poor or Don't know" in why


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/10/2026", dt.datetime(2026, 10, 31, tzinfo=LONDON)),
        ("1/2/2026", dt.datetime(2026, 2, 1, tzinfo=LONDON)),
        ("31-10-2026 14:05", dt.datetime(2026, 10, 31, 14, 5, tzinfo=LONDON)),
        ("31.10.26", dt.datetime(2026, 10, 31, tzinfo=LONDON)),
        ("2026-10-31", dt.datetime(2026, 10, 31, tzinfo=LONDON)),
        ("2026-10-31T13:05:00Z", dt.datetime(2026, 10, 31, 13, 5, tzinfo=dt.UTC)),
        ("31 Oct 2026", dt.datetime(2026, 10, 31, tzinfo=LONDON)),
        ("3rd November 2026 08:00", dt.datetime(2026, 11, 3, 8, 0, tzinfo=LONDON)),
        (dt.datetime(2026, 10, 31, 9, 30), dt.datetime(2026, 10, 31, 9, 30, tzinfo=LONDON)),
        (dt.date(2026, 10, 31), dt.datetime(2026, 10, 31, tzinfo=LONDON)),
        (46326, dt.datetime(2026, 10, 31, tzinfo=LONDON)),  # Excel's day number
    ],
)
def test_dates_are_read_day_first_as_england_writes_them(value, expected):
    assert parse_date(value, now=NOW) == (expected, "")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("10/13/2026", "The date is not a date that can be read"),
        ("31/02/2026", "The date is not a date that can be read"),
        ("yesterday", "The date is not a date that can be read"),
        ("", "The date is blank"),
        ("04/11/2026", "The date is in the future (after 03/11/2026)"),
        ("2026-11-03 14:00", "The date is in the future (after 03/11/2026)"),
        ("01/01/2012", "before the Friends and Family Test began"),
    ],
)
def test_a_date_that_cannot_be_taken_says_why(value, words):
    moment, why = parse_date(value, now=NOW)
    assert moment is None
    assert words in why
    # Never the cell's own words: a date column may hold anything.
    assert not value or value not in why


def test_today_is_not_the_future():
    assert parse_date("03/11/2026", now=NOW)[0] == dt.datetime(2026, 11, 3, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Inpatient", "acute"),
        ("A&E", "acute"),
        ("Maternity - Birth", "acute"),
        ("Mental health inpatient", "mental_health"),
        ("Maternity", "acute"),
        ("Mental Health", "mental_health"),
        ("GP", "gp"),
        ("Patient Transport Service", "patient_transport"),
        ("NHS 111", "111"),
        ("Hospital (acute)", "acute"),
        ("Ward 7", ""),
        ("", ""),
    ],
)
def test_services_map_to_ours_or_are_left_blank(value, expected):
    assert service_type_for(value) == expected


def test_every_problem_of_a_row_is_given_with_its_line_and_the_rest_are_still_read():
    rows = [
        ("01/10/2026", "", "Very good", "Fine", ""),
        ("31/13/2026", "", "Superb", "Fine", ""),
        ("02/10/2026", "", "Good", "x" * 5001, ""),
        ("03/10/2026", "", "Good", "Fine", ""),
    ]
    results = read(csv_bytes(rows))
    assert [type(r) for r in results] == [FftRow, RowProblem, RowProblem, FftRow]
    bad_date_and_rating, too_long = results[1], results[2]
    assert bad_date_and_rating.line == 3
    assert len(bad_date_and_rating.messages) == 2
    assert "“Superb” is not an FFT answer" in bad_date_and_rating.messages[0]
    assert "The date is not a date that can be read" in bad_date_and_rating.messages[1]
    assert "31/13/2026" not in bad_date_and_rating.messages[1]
    assert too_long.messages == (
        "The free text is 5,001 characters: the limit is 5,000 (column “Free text”).",
    )


def test_line_numbers_count_text_over_several_lines_and_skip_blank_rows():
    content = csv_bytes(
        [
            ("01/10/2026", "", "Good", "First line\nSecond line", ""),
            ("", "", "", "", ""),
            ("02/10/2026", "", "Nope", "Fine", ""),
        ]
    )
    results = read(content)
    assert results[0].text == "First line\nSecond line"
    assert [r.line for r in results] == [2, 5]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("cp1252", ","), ("utf-8-sig", ";"), ("utf-16", "\t")],
)
def test_csv_as_excel_saves_it_in_each_region_and_encoding(encoding, delimiter):
    content = csv_bytes(
        [("01/10/2026", "", "Very good", "Caf\u00e9 staff were great \u2013 thank you", "")],
        encoding=encoding,
        delimiter=delimiter,
    )
    (row,) = read(content)
    assert row.text == "Caf\u00e9 staff were great \u2013 thank you"


def test_more_rows_than_allowed_is_refused_naming_the_limit():
    with pytest.raises(FftFileError, match="more than 5 rows, the most one upload can take"):
        read(csv_bytes(ROWS), max_rows=5)


def test_a_header_with_no_rows_and_an_unclosed_quote_are_refused():
    with pytest.raises(FftFileError, match="a header but no rows"):
        read(csv_bytes([]))
    broken = csv_bytes(ROWS[:1]) + b'02/10/2026,,Good,"never closed' + b"x" * 200_000
    with pytest.raises(FftFileError, match="cannot be read as CSV"):
        read(broken)


@pytest.mark.parametrize(
    ("question", "counts"),
    [
        ("", True),
        (QUESTION, True),
        ("Overall, how was your experience of our ward?", True),
        ("Thinking about your visit, overall how was your experience of our A&E?", True),
        ("FFT Why?", True),
        ("How likely are you to recommend our service to friends and family?", False),
        ("Were you treated with dignity?", False),
        ("How was your experience of the food?", False),
    ],
)
def test_only_the_fft_question_and_its_wordings_give_an_fft_rating(question, counts):
    header = ("Date", "Question", "Rating", "Free text")
    (row,) = read(csv_bytes([("01/10/2026", question, "Good", "Fine")], header=header))
    assert isinstance(row, FftRow)
    assert row.is_fft is counts
    assert row.rating == (FftRating.GOOD if counts else None)


def test_a_long_bad_rating_is_not_quoted_back():
    rating, why = parse_rating("My name is Jane Smith and it was fine")
    assert rating is None
    assert "Jane" not in why and "not shown: more than 20" in why
