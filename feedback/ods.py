"""Reading the NHS Organisation Data Service (ODS) CSV files: trusts, integrated care boards and
primary care practices (GP practices ``epraccur``, dental practices ``egdpprac``, pharmacies
``edispensary``).

ODS publishes each organisation type as a headerless CSV in its 27-column standard layout
(``etr.csv`` for NHS trusts). Only the first twelve columns matter here: code, name, national
grouping (the NHS England region), high level health geography (the ICB), five address lines,
postcode, open date and close date. See ``feedback/fixtures/ods/README.md`` for the sources.

Nothing here touches the database: ``feedback.services.organisations`` does that.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar

from feedback.choices import OrganisationKind, TrustType

DEMO_DATA_DIR = Path(__file__).resolve().parent / "fixtures" / "ods"
DEMO_TRUSTS_PATH = DEMO_DATA_DIR / "etr.csv"
DEMO_ICBS_PATH = DEMO_DATA_DIR / "icbs.csv"
DEMO_TRUST_TYPES_PATH = DEMO_DATA_DIR / "trust_types.csv"
DEMO_GP_PRACTICES_PATH = DEMO_DATA_DIR / "epraccur.csv"
DEMO_DENTAL_PRACTICES_PATH = DEMO_DATA_DIR / "egdpprac.csv"
DEMO_PHARMACIES_PATH = DEMO_DATA_DIR / "edispensary.csv"

# The seven NHS England regions: ODS national grouping code -> region name.
REGION_NAMES: dict[str, str] = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}

STANDARD_COLUMN_COUNT = 27
# 1-based column numbers of the ODS standard layout, as ODS documents them.
COLUMN_NAMES: dict[int, str] = {
    1: "Organisation Code",
    2: "Name",
    3: "National Grouping",
    4: "High Level Health Geography",
    5: "Address Line 1",
    6: "Address Line 2",
    7: "Address Line 3",
    8: "Address Line 4",
    9: "Address Line 5",
    10: "Postcode",
    11: "Open Date",
    12: "Close Date",
}
CODE_COLUMN, NAME_COLUMN, GROUPING_COLUMN, GEOGRAPHY_COLUMN = 1, 2, 3, 4
ADDRESS_COLUMNS = range(5, 10)
POSTCODE_COLUMN, OPEN_COLUMN, CLOSE_COLUMN = 10, 11, 12
# Primary care files fill more columns: a status (A active, C closed, D dormant, P proposed), a
# sub-type, and for GP practices the prescribing setting (4: a GP practice; others are walk-in
# centres, out-of-hours services, prisons and the like, which patients do not register with).
STATUS_COLUMN, SUBTYPE_COLUMN, PRESCRIBING_SETTING_COLUMN = 13, 14, 26
ACTIVE_STATUS = "A"
GP_PRACTICE_SETTING = "4"
# Dental practices of sub-type P are private only: not NHS care, so not offered.
PRIVATE_DENTAL_SUBTYPE = "P"

TRUST_TYPES_HEADER = ("ods_code", "trust_type")

# Three-character codes (RJ1, QMJ) and the five-character ones issued since October 2020 (G6V2S).
ODS_CODE = re.compile(r"[A-Z0-9]{3}(?:[A-Z0-9]{2})?")
# Practices: B82007 (GP), V00040 (dental), FA141 (pharmacy).
# Pharmacies have 5 characters (FA141), GP practices 6 (B82007), newer dental contracts 7.
PRACTICE_CODE = re.compile(r"[A-Z0-9]{5,7}")
NATIONAL_GROUPING = re.compile(r"[A-Z][0-9]{2}")
POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")

# Words that keep their capitals, and words written in lower case inside a name.
_UPPER_WORDS = frozenset({"NHS", "ICB", "CQC", "UK"})
_SMALL_WORDS = frozenset({"and", "of", "the", "for", "upon", "on", "in", "at", "under", "super"})


class OdsFormatError(ValueError):
    """A file that does not fit the published ODS layout; says which file, line and column."""

    def __init__(
        self,
        path: Path,
        line: int,
        message: str,
        *,
        column: int | None = None,
        column_name: str = "",
    ) -> None:
        where = f"{path}, line {line}"
        if column is not None:
            where += f", column {column}"
            column_name = column_name or COLUMN_NAMES.get(column, "")
            if column_name:
                where += f" ({column_name})"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class TrustRecord:
    """One NHS trust as a row of the ODS ``etr.csv`` file describes it."""

    code: str
    name: str
    region_code: str
    icb_code: str
    address: tuple[str, ...]
    postcode: str
    opened: date | None
    closed: date | None

    @property
    def in_england(self) -> bool:
        # etr.csv also lists Welsh trusts, whose national grouping is W00.
        return self.region_code in REGION_NAMES

    @property
    def display_name(self) -> str:
        return display_name(self.name)

    @property
    def display_address(self) -> str:
        return ", ".join(display_name(line) for line in self.address)


@dataclass(frozen=True, slots=True)
class IcbRecord:
    """One integrated care board as a row of an ODS standard-layout file describes it."""

    code: str
    name: str
    region_code: str
    address: tuple[str, ...]
    postcode: str
    opened: date | None
    closed: date | None

    @property
    def display_name(self) -> str:
        return display_name(self.name)


@dataclass(frozen=True, slots=True)
class PracticeRecord:
    """One GP practice, dental practice or pharmacy as a row of its ODS file describes it."""

    code: str
    name: str
    region_code: str
    icb_code: str
    address: tuple[str, ...]
    postcode: str
    opened: date | None
    closed: date | None
    # Why the row is not offered to patients although open ("" when it is): dormant, proposed,
    # private-only dentistry, a prescribing setting that is not a GP practice.
    left_out: str

    @property
    def in_england(self) -> bool:
        return self.region_code in REGION_NAMES

    @property
    def display_name(self) -> str:
        return display_name(self.name)

    @property
    def display_address(self) -> str:
        return ", ".join(display_name(line) for line in self.address)


RecordT = TypeVar("RecordT", TrustRecord, IcbRecord, PracticeRecord)


@dataclass(frozen=True, slots=True)
class OdsExtract(Generic[RecordT]):
    """The organisations of one ODS file that are open on a day, and the codes of those closed."""

    path: Path
    on: date
    records: tuple[RecordT, ...]
    closed_codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Row:
    """One data row of a standard-layout file, stripped, with where it came from."""

    path: Path
    line: int
    cells: tuple[str, ...]

    def __getitem__(self, column: int) -> str:
        return self.cells[column - 1]

    def error(self, column: int, message: str) -> OdsFormatError:
        return OdsFormatError(self.path, self.line, message, column=column)


def display_name(name: str) -> str:
    """An ODS name (published in capitals) as people write it: 'Guy's and St Thomas' NHS ...'."""
    words = name.split()
    return " ".join(_display_word(word, first=index == 0) for index, word in enumerate(words))


def _display_word(word: str, *, first: bool) -> str:
    if word.strip(",.&()'").upper() in _UPPER_WORDS:
        return word.upper()
    parts = word.split("-")
    shown = []
    for index, part in enumerate(parts):
        lowered = part.lower()
        if lowered in _SMALL_WORDS and not (first and index == 0):
            shown.append(lowered)
        else:
            shown.append(_capitalise(lowered))
    return "-".join(shown)


def _capitalise(word: str) -> str:
    # str.title() would give "Guy'S"; only the first letter is raised.
    for index, char in enumerate(word):
        if char.isalpha():
            return word[:index] + char.upper() + word[index + 1 :]
    return word


def read_trusts(path: Path, *, on: date | None = None) -> OdsExtract[TrustRecord]:
    """Read an ODS ``etr.csv`` file: the trusts open on ``on`` (default today), and those closed."""
    return _read_extract(path, on, _trust_from_row)


def read_icbs(path: Path, *, on: date | None = None) -> OdsExtract[IcbRecord]:
    """Read integrated care boards from an ODS standard-layout file; each must name its region."""
    return _read_extract(path, on, _icb_from_row)


def read_practices(path: Path, *, kind: str, on: date | None = None) -> OdsExtract[PracticeRecord]:
    """Read an ODS primary care file (``epraccur``, ``egdpprac`` or ``edispensary``) for
    practices of ``kind`` (an ``OrganisationKind`` value): those open on ``on``, those closed.

    Rows closed by date or by status are closed; rows open but not offered to patients keep their
    reason in ``left_out``.
    """
    return _read_extract(path, on, lambda row: _practice_from_row(row, kind))


def read_trust_types(path: Path) -> dict[str, str]:
    """Read our own ``ods_code,trust_type`` classification; returns ODS code -> TrustType value."""
    types: dict[str, str] = {}
    first_line: dict[str, int] = {}
    allowed = ", ".join(TrustType.values)
    header_seen = False
    for line, cells in _csv_rows(path):
        if not header_seen:
            if tuple(cell.strip() for cell in cells) != TRUST_TYPES_HEADER:
                raise OdsFormatError(
                    path, line, "the first row must be the header ods_code,trust_type"
                )
            header_seen = True
            continue
        if len(cells) != len(TRUST_TYPES_HEADER):
            raise OdsFormatError(path, line, f"has {len(cells)} columns; expected 2")
        code, trust_type = (cell.strip() for cell in cells)
        if not ODS_CODE.fullmatch(code):
            raise OdsFormatError(
                path, line, f"{code!r} is not an ODS code", column=1, column_name="ods_code"
            )
        if trust_type not in TrustType.values:
            raise OdsFormatError(
                path,
                line,
                f"{trust_type!r} is not a trust type; use one of {allowed}",
                column=2,
                column_name="trust_type",
            )
        if code in first_line:
            raise OdsFormatError(
                path,
                line,
                f"{code} is listed again (first on line {first_line[code]})",
                column=1,
                column_name="ods_code",
            )
        first_line[code] = line
        types[code] = trust_type
    if not header_seen:
        raise OdsFormatError(path, 1, "is empty; expected the header ods_code,trust_type")
    return types


def _read_extract(
    path: Path, on: date | None, build: Callable[[_Row], RecordT]
) -> OdsExtract[RecordT]:
    day = on or date.today()
    records: list[RecordT] = []
    closed: set[str] = set()
    first_line: dict[str, int] = {}
    for row in _standard_rows(path):
        record = build(row)
        if record.code in first_line:
            first = first_line[record.code]
            raise row.error(CODE_COLUMN, f"{record.code} appears again (first on line {first})")
        first_line[record.code] = row.line
        # ODS gives the last day an organisation existed as its close date.
        if record.closed is not None and record.closed < day:
            closed.add(record.code)
        elif record.opened is None or record.opened <= day:
            records.append(record)
    return OdsExtract(path=path, on=day, records=tuple(records), closed_codes=frozenset(closed))


def _standard_rows(path: Path) -> Iterator[_Row]:
    for line, cells in _csv_rows(path):
        if len(cells) != STANDARD_COLUMN_COUNT:
            raise OdsFormatError(
                path,
                line,
                f"has {len(cells)} columns; the ODS standard layout has {STANDARD_COLUMN_COUNT}",
            )
        yield _Row(path=path, line=line, cells=tuple(cell.strip() for cell in cells))


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, cells
        except csv.Error as exc:
            raise OdsFormatError(path, reader.line_num, f"is not valid CSV ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise OdsFormatError(path, reader.line_num + 1, "is not UTF-8 text") from exc


def _trust_from_row(row: _Row) -> TrustRecord:
    return TrustRecord(
        code=_code(row),
        name=_name(row),
        region_code=_national_grouping(row),
        icb_code=_health_geography(row),
        address=_address(row),
        postcode=_postcode(row),
        opened=_date(row, OPEN_COLUMN),
        closed=_date(row, CLOSE_COLUMN),
    )


def _icb_from_row(row: _Row) -> IcbRecord:
    region_code = _national_grouping(row)
    if region_code not in REGION_NAMES:
        known = ", ".join(REGION_NAMES)
        message = f"{region_code!r} is not an NHS England region; expected one of {known}"
        raise row.error(GROUPING_COLUMN, message)
    return IcbRecord(
        code=_code(row),
        name=_name(row),
        region_code=region_code,
        address=_address(row),
        postcode=_postcode(row),
        opened=_date(row, OPEN_COLUMN),
        closed=_date(row, CLOSE_COLUMN),
    )


def _practice_from_row(row: _Row, kind: str) -> PracticeRecord:
    code = row[CODE_COLUMN]
    if not PRACTICE_CODE.fullmatch(code):
        hint = " (ODS files have no header row)" if row.line == 1 else ""
        raise row.error(CODE_COLUMN, f"{code!r} is not a practice's ODS code{hint}")
    status = row[STATUS_COLUMN]
    closed = _date(row, CLOSE_COLUMN)
    if status == "C" and closed is None:
        closed = date.min
    left_out = ""
    if status == "D":
        left_out = "dormant"
    elif status == "P":
        left_out = "proposed, not yet open"
    elif status not in (ACTIVE_STATUS, "C", ""):
        raise row.error(STATUS_COLUMN, f"{status!r} is not an ODS status (A, C, D or P)")
    elif kind == OrganisationKind.GP_PRACTICE and row[PRESCRIBING_SETTING_COLUMN] not in (
        GP_PRACTICE_SETTING,
        "",
    ):
        left_out = f"prescribing setting {row[PRESCRIBING_SETTING_COLUMN]}, not a GP practice"
    elif kind == OrganisationKind.DENTAL_PRACTICE and row[SUBTYPE_COLUMN] == (
        PRIVATE_DENTAL_SUBTYPE
    ):
        left_out = "private dental practice"
    region = row[GROUPING_COLUMN]
    # Practices in Wales, Scotland and elsewhere carry other groupings or none: not NHS England's.
    geography = row[GEOGRAPHY_COLUMN] if region in REGION_NAMES else ""
    if geography and not ODS_CODE.fullmatch(geography):
        raise row.error(GEOGRAPHY_COLUMN, f"{geography!r} is not an ICB code such as QMJ")
    return PracticeRecord(
        code=code,
        name=_name(row),
        region_code=region,
        icb_code=geography,
        address=_address(row),
        postcode=_postcode(row),
        opened=_date(row, OPEN_COLUMN),
        closed=closed,
        left_out=left_out,
    )


def _code(row: _Row) -> str:
    code = row[CODE_COLUMN]
    if not ODS_CODE.fullmatch(code):
        hint = " (ODS files have no header row)" if row.line == 1 else ""
        raise row.error(CODE_COLUMN, f"{code!r} is not an ODS code{hint}")
    return code


def _name(row: _Row) -> str:
    name = row[NAME_COLUMN]
    if not name:
        raise row.error(NAME_COLUMN, "is empty")
    return name


def _national_grouping(row: _Row) -> str:
    value = row[GROUPING_COLUMN]
    if not NATIONAL_GROUPING.fullmatch(value):
        raise row.error(GROUPING_COLUMN, f"{value!r} is not a national grouping code such as Y56")
    return value


def _health_geography(row: _Row) -> str:
    value = row[GEOGRAPHY_COLUMN]
    if not ODS_CODE.fullmatch(value):
        raise row.error(GEOGRAPHY_COLUMN, f"{value!r} is not an ICB code such as QMJ")
    return value


def _address(row: _Row) -> tuple[str, ...]:
    return tuple(row[column] for column in ADDRESS_COLUMNS if row[column])


def _postcode(row: _Row) -> str:
    value = row[POSTCODE_COLUMN]
    if value and not POSTCODE.fullmatch(value):
        raise row.error(POSTCODE_COLUMN, f"{value!r} is not a postcode")
    return value


def _date(row: _Row, column: int) -> date | None:
    value = row[column]
    if not value:
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise row.error(column, f"{value!r} is not a date in the form YYYYMMDD") from None
