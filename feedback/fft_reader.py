"""Reading an organisation's Friends and Family Test export, CSV or XLSX, one row at a time.

No database here: a file in, checked rows or the problems with them out. The file is streamed
and told apart by its content (``feedback.fft_files``), so memory does not grow with its length.

Columns are found by their headings, whatever their case and punctuation, under the names trusts'
survey systems give them ("Rating", "FFT response", "Free text", "Comments", "Date completed",
...); rating, free text and date are required (a free-text cell may be blank: a rating alone is an
answer too), question, response ID, site (ward, location...) and service are optional. The header
may sit below a few title lines.

Only a row answering the FFT question has an FFT rating: in an export of one row per question of
the survey, the other questions' rows are read for their free text, their answer cells left
alone (``FftRow.rating`` is None).

A problem's message names the column and the rule broken, never the patient's words: a bad
rating is shown only when it is short enough not to be a sentence (RATING_SHOWN_MAX), no other
cell ever (an export's cells hold free text, names, dates of birth in the wrong column...).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from feedback.choices import FFT_QUESTION, FftRating
from feedback.clocks import LONDON
from feedback.fft_files import FftFileError, rows_of
from feedback.fft_vocabulary import (
    COLUMNS,
    MONTHS,
    OLD_SCALE,
    RATING_HELP,
    RATING_WORDS,
    REQUIRED,
    SERVICES,
    is_fft_question,
    normalised,
)
from feedback.services.intake import clean_text

# The model's limit on a question (Feedback.question).
QUESTION_MAX_LENGTH = 300
# The Friends and Family Test began in April 2013: an earlier date is a mistake in the file
# (often month and day swapped, or Excel's day 0, 1900).
FFT_STARTED = dt.date(2013, 4, 1)
# A timestamp this far ahead of the server's clock is a survey system's clock, not the future.
CLOCK_SKEW = dt.timedelta(minutes=10)
# How far down the header is looked for (survey systems put a title and a date range above it).
HEADER_SEARCH_ROWS = 10
# A bad rating longer than this is not quoted back (it may be a patient's sentence).
RATING_SHOWN_MAX = 20
# The longest heading or response ID kept: a heading is quoted in messages, an ID in a digest.
HEADING_SHOWN_MAX = 40
RESPONSE_ID_MAX = 100


@dataclass(frozen=True)
class FftRow:
    """One answer of the export, checked: what an item is made of."""

    line: int
    received_at: dt.datetime
    rating: int | None  # None: the row answers another question of the survey than the FFT's
    question: str
    text: str
    service_type: str  # a ServiceType value, or "" when the file's service is not one we know
    service: str  # the service as the file wrote it, normalised: part of the row's identity
    # Also parts of its identity, "" when the file has no such column: the survey system's id
    # of the response, the site (ward, location...), and another question's answer, normalised.
    response_id: str = ""
    site: str = ""
    answer: str = ""

    @property
    def is_fft(self) -> bool:
        """Whether the row answers the FFT question (and so counts in the FFT figures)."""
        return self.rating is not None


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be taken, and why (one message per problem found in it)."""

    line: int
    messages: tuple[str, ...]


# --- Headings --------------------------------------------------------------------------------


def _match_header(cells: Sequence[object]) -> dict[str, int]:
    """Which position holds each field, the best-named heading winning when several match."""
    headings = [normalised(cell) if cell is not None else "" for cell in cells]
    found: dict[str, int] = {}
    for column in COLUMNS:
        for name in column.names:
            position = next(
                (i for i, h in enumerate(headings) if h == name and i not in found.values()),
                None,
            )
            if position is not None:
                found[column.field] = position
                break
    return found


def _missing_message(found: dict[str, int], cells: Sequence[object]) -> str:
    missing = [c for c in REQUIRED if c.field not in found]
    # The cells are quoted only when the row is a header (one heading at least was known) and
    # each is short as a heading is: a row of answers is never quoted back.
    shown = (
        [
            " ".join(str(cell).split())
            for cell in cells
            if cell is not None
            and str(cell).strip()
            and len(str(cell).strip()) <= HEADING_SHOWN_MAX
        ]
        if found
        else []
    )
    parts = [
        f"The file has no {c.label} column: name it “{c.names[0].capitalize()}” "
        f"(or {', '.join('“' + n.capitalize() + '”' for n in c.names[1:3])})."
        for c in missing
    ]
    parts.append(
        "Columns found in the first row: " + ", ".join(shown[:20]) + "."
        if shown
        else f"No row among the first {HEADER_SEARCH_ROWS} has the headings of an FFT export."
    )
    return " ".join(parts)


# --- Values ----------------------------------------------------------------------------------


def _shown_rating(value: object) -> str:
    """A bad rating as a message may quote it: short, or not at all."""
    text = " ".join(str(value).split())
    if len(text) > RATING_SHOWN_MAX:
        return f"of {len(text):,} characters (not shown: more than {RATING_SHOWN_MAX})"
    return f"“{text}”"


def parse_rating(value: object) -> tuple[int | None, str]:
    """The FFT answer as its number 1-6, or None and what is wrong."""
    if isinstance(value, bool):
        return None, f"The rating “{value}” is not an FFT answer: {RATING_HELP}."
    if isinstance(value, int | float):
        number = int(value)
        if number == value and number in FftRating.values:
            return number, ""
        return None, f"The rating “{value:g}” is not an FFT answer: {RATING_HELP}."
    words = normalised(value)
    if not words:
        return None, f"The rating is blank: {RATING_HELP}."
    if words in RATING_WORDS:
        return RATING_WORDS[words], ""
    if re.fullmatch(r"[1-6](?: 0+)?", words):  # "3", "3.0" (punctuation became a space)
        return int(words[0]), ""
    shown = _shown_rating(value)
    if words in OLD_SCALE:
        return None, (
            f"The rating {shown} answers the question asked before April 2020 (“How likely "
            f"are you to recommend...”), not “{FFT_QUESTION}”: {RATING_HELP}."
        )
    return None, f"The rating {shown} is not an FFT answer: {RATING_HELP}."


def service_type_for(value: str) -> str:
    """The product's service type for the file's service, or "" (left blank) when unknown. A
    setting with more words after a known one counts as it ("Maternity - Birth", "Mental health
    inpatient", "GP surgery")."""
    words = normalised(value).split()
    for end in range(len(words), 0, -1):
        found = SERVICES.get(" ".join(words[:end]))
        if found:
            return found
    return ""


_UK_DATE = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
)
_NAMED_MONTH = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[ \-]([A-Za-z]{3,9})[ \-,]+(\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
DATE_HELP = "write dates as day/month/year (31/10/2026, with a time if you like) or 2026-10-31"
# Excel counts days from 30 December 1899 (its 1900 leap-year bug included).
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time the file gave without a zone is the time in England."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LONDON)


def _from_parts(parts: Sequence[str | None], month: int | None = None) -> dt.datetime | None:
    day, month_text, year_text, hour, minute, second = parts
    year = int(year_text or 0)
    if year < 100:
        year += 2000
    try:
        return dt.datetime(
            year,
            month if month is not None else int(month_text or 0),
            int(day or 0),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=LONDON,
        )
    except ValueError:
        return None


def _parse_date_text(text: str) -> tuple[dt.datetime | None, bool]:
    """The moment a date in text means, and whether it had a time."""
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        try:
            parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
        except ValueError:
            return None, False
        return _aware(parsed), len(text) > 10
    match = _UK_DATE.fullmatch(text)
    if match:
        return _from_parts(match.groups()), match.group(4) is not None
    match = _NAMED_MONTH.fullmatch(text)
    if match:
        month = MONTHS.get(match.group(2).casefold())
        if month is None:
            return None, False
        parts = (match.group(1), None, match.group(3), *match.group(4, 5, 6))
        return _from_parts(parts, month), match.group(4) is not None
    return None, False


def parse_date(value: object, *, now: dt.datetime) -> tuple[dt.datetime | None, str]:
    """When the answer was given (aware), or None and what is wrong with the date."""
    has_time = True
    moment: dt.datetime | None
    if isinstance(value, dt.datetime):
        moment = _aware(value)
    elif isinstance(value, dt.date):
        moment, has_time = dt.datetime.combine(value, dt.time.min, tzinfo=LONDON), False
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # A workbook's date cell that lost its date format: a serial day number.
        if not 1 <= value < 2958466:
            return None, f"The date is a number that is not a day of Excel's calendar: {DATE_HELP}."
        moment = (_EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(tzinfo=LONDON)
        has_time = value != int(value)
    else:
        text = " ".join(str(value or "").split())
        if not text:
            return None, f"The date is blank: {DATE_HELP}."
        moment, has_time = _parse_date_text(text)
        if moment is None:
            # The cell is not quoted: it may hold anything (a comment in the wrong column).
            return None, f"The date is not a date that can be read: {DATE_HELP}."
    local = moment.astimezone(LONDON)
    today = now.astimezone(LONDON).date()
    # The date read is not quoted either: a date of birth in the wrong column is personal.
    if (has_time and moment > now + CLOCK_SKEW) or local.date() > today:
        return None, f"The date is in the future (after {today:%d/%m/%Y})."
    if local.date() < FFT_STARTED:
        return None, (
            "The date is before the Friends and Family Test began (April 2013): check the "
            "dates are day/month/year."
        )
    return moment, ""


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _in_column(message: str, heading: str) -> str:
    """The message with the file's heading of the column it is about ("... (column “Rating”)")."""
    if not heading:
        return message
    return f"{message[:-1] if message.endswith('.') else message} (column “{heading}”)."


def check_row(
    line: int,
    cells: Sequence[object],
    columns: dict[str, int],
    *,
    now: dt.datetime,
    text_max_length: int,
    headings: dict[str, str] | None = None,
) -> FftRow | RowProblem:
    """One data row checked: the row to save, or every problem found in it. ``headings`` are the
    file's headings of the columns, by field, for the messages to name them."""
    headings = headings or {}

    def cell(field: str) -> object:
        position = columns.get(field)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    problems = []
    question = clean_text(_cell_text(cell("question"))) or FFT_QUESTION
    if len(question) > QUESTION_MAX_LENGTH:
        problems.append(
            _in_column(
                f"The question is {len(question):,} characters: the limit is "
                f"{QUESTION_MAX_LENGTH:,}.",
                headings.get("question", ""),
            )
        )
    fft = is_fft_question(question)
    rating: int | None = None
    answer = ""
    if fft:
        rating, why = parse_rating(cell("rating") if cell("rating") is not None else "")
        if rating is None:
            problems.append(_in_column(why, headings.get("rating", "")))
    else:
        # Another question's answer ("Yes, always", "Very clean"): not an FFT rating, whatever
        # its words; kept only as part of the row's identity.
        answer = normalised(_cell_text(cell("rating")))
    received_at, why = parse_date(cell("date"), now=now)
    if received_at is None:
        problems.append(_in_column(why, headings.get("date", "")))
    text = clean_text(_cell_text(cell("text")))
    if len(text) > text_max_length:
        problems.append(
            _in_column(
                f"The free text is {len(text):,} characters: the limit is {text_max_length:,}.",
                headings.get("text", ""),
            )
        )
    response_id = " ".join(_cell_text(cell("response_id")).split())
    if len(response_id) > RESPONSE_ID_MAX:
        problems.append(
            _in_column(
                f"The response ID is {len(response_id):,} characters: the limit is "
                f"{RESPONSE_ID_MAX:,}.",
                headings.get("response_id", ""),
            )
        )
    service = " ".join(_cell_text(cell("service")).split())
    if problems or (fft and rating is None) or received_at is None:
        return RowProblem(line, tuple(problems))
    return FftRow(
        line=line,
        received_at=received_at,
        rating=rating,
        question=question,
        text=text,
        service_type=service_type_for(service),
        service=normalised(service),
        response_id=response_id,
        site=normalised(_cell_text(cell("site"))),
        answer=answer,
    )


def _headings(found: dict[str, int], cells: Sequence[object]) -> dict[str, str]:
    """The file's own heading of each field's column, as messages name it."""
    return {
        field: " ".join(str(cells[position]).split())[:HEADING_SHOWN_MAX]
        for field, position in found.items()
    }


def _header(
    rows: Iterator[tuple[int, Sequence[object]]],
) -> tuple[int, dict[str, int], dict[str, str]]:
    """The header's line, where each field is and its heading, from the first rows;
    FftFileError when no row among them has every required column."""
    best: tuple[dict[str, int], Sequence[object]] | None = None
    for _, (line, cells) in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        found = _match_header(cells)
        if all(c.field in found for c in REQUIRED):
            return line, found, _headings(found, cells)
        if best is None or len(found) > len(best[0]):
            best = (found, cells)
    if best is None:
        raise FftFileError("The file has no rows: upload the export with its header and rows.")
    raise FftFileError(_missing_message(*best))


def read_export(
    file: IO[bytes],
    *,
    file_format: str,
    now: dt.datetime,
    text_max_length: int,
    max_rows: int,
) -> Iterator[FftRow | RowProblem]:
    """Each data row of the export, checked, in file order. Raises FftFileError for a problem
    with the file as a whole: no header with the required columns, more than ``max_rows`` rows,
    no rows at all, or content that is not a readable CSV or workbook."""
    rows = rows_of(file, file_format)
    _, columns, headings = _header(rows)
    count = 0
    for line, cells in rows:
        count += 1
        if count > max_rows:
            raise FftFileError(
                f"The file has more than {max_rows:,} rows, the most one upload can take: "
                "split the export (by month, or by service) and upload each part."
            )
        yield check_row(
            line, cells, columns, now=now, text_max_length=text_max_length, headings=headings
        )
    if count == 0:
        raise FftFileError("The file has a header but no rows under it.")
