"""CSV cells: formula neutralising (CSV injection), quoting, and a whole export row as a line of
CSV exactly as ``csv.writer`` writes it."""

from __future__ import annotations

from typing import Any

from analytics.exports.query import EXPORT_COLUMNS

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = frozenset("=+-@\t\r\n")
_FORMULA_AFTER_SPACE = frozenset("=+-@")


def csv_safe(value: str) -> str:
    """The cell prefixed with an apostrophe when a spreadsheet would run it as a formula."""
    if value and (
        value[0] in _FORMULA_STARTS
        or (value[0] == " " and value.lstrip(" ")[:1] in _FORMULA_AFTER_SPACE)
    ):
        return "'" + value
    return value


_COLUMN = {name: i for i, name in enumerate(EXPORT_COLUMNS)}
_CSV_LISTS = tuple(
    _COLUMN[c] for c in ("themes", "risk_flags", "ko41_subjects", "communication_needs")
)
_CSV_BOOLEANS = tuple(_COLUMN[c] for c in ("responded_within_target", "needs_review", "on_behalf"))
# Every text column whose value is not one of our own codes: anything typed by a person, or
# loaded from a directory, may start with "=".
CSV_TEXT = tuple(
    _COLUMN[c]
    for c in (
        "provider_ods_code",
        "provider_name",
        "handled_by_ods_code",
        "handled_by_name",
        "icb_ods_code",
        "icb_name",
        "model_version",
        "route_rule",
        "interpreter_language",
        "question",
        "text",
    )
)
RISKY_FIRST = _FORMULA_STARTS | {" "}


_THEMES_CELL, _RISKS_CELL, _SUBJECTS_CELL, _NEEDS_CELL = _CSV_LISTS
_NUMBER_CELLS = tuple(
    _COLUMN[c] for c in ("paused_days", "sentiment", "sentiment_confidence", "fft_rating")
)
# The free text comes last, so the cells before it (codes, dates, names) are joined and checked
# in one go.
assert EXPORT_COLUMNS[-2:] == ("question", "text")  # noqa: S101
_HEAD_CELLS = len(EXPORT_COLUMNS) - 2
_HEAD_COMMAS = _HEAD_CELLS - 1


def _csv_list(values: list[str]) -> str:
    if not values:
        return ""
    joined = ";".join(values)
    return csv_safe(joined) if joined[0] in RISKY_FIRST else joined


def csv_quoted(value: str) -> str:
    """A cell as the csv module writes it (minimal quoting): in double quotes, with its own
    double quotes doubled, when it holds a comma, a double quote or a line break."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(row: tuple[Any, ...]) -> str:
    """A row as one line of CSV, exactly as ``csv.writer`` writes it, without its line end.

    Lists are joined with ";", booleans are true/false, None is an empty cell, and a cell a
    spreadsheet would run as a formula starts with an apostrophe. The csv module looks at every
    character on its own; here the checks are substring searches, which run in C.
    """
    cells = ["" if value is None else value for value in row]
    cells[_THEMES_CELL] = _csv_list(row[_THEMES_CELL])
    cells[_RISKS_CELL] = _csv_list(row[_RISKS_CELL])
    cells[_SUBJECTS_CELL] = _csv_list(row[_SUBJECTS_CELL])
    cells[_NEEDS_CELL] = _csv_list(row[_NEEDS_CELL])
    for i in _CSV_BOOLEANS:
        value = row[i]
        if value is not None:
            cells[i] = "true" if value else "false"
    for i in _NUMBER_CELLS:
        value = row[i]
        if value is not None:
            cells[i] = str(value)
    for i in CSV_TEXT:
        value = cells[i]
        if value and value[0] in RISKY_FIRST:
            cells[i] = csv_safe(value)
    head = ",".join(cells[:_HEAD_CELLS])
    if head.count(",") != _HEAD_COMMAS or '"' in head or "\n" in head or "\r" in head:
        head = ",".join([csv_quoted(cell) for cell in cells[:_HEAD_CELLS]])
    return f"{head},{csv_quoted(cells[-2])},{csv_quoted(cells[-1])}"
