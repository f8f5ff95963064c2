"""What an uploaded Friends and Family Test export is, and its rows as cells, streamed.

What the file is comes from its content, never its name: a workbook is a zip holding
``xl/workbook.xml`` (its unpacked size and packing ratio bounded, so a zip bomb is refused); a
password-protected workbook is an OLE2 compound file holding an ``EncryptedPackage`` stream (as is
an old ``.xls``, without it); anything else must be text, whose encoding is found. Rows come out
one at a time (the ``csv`` module on a text wrapper; openpyxl in read-only mode), so memory does
not grow with the file's length. ``feedback.fft_reader`` checks the rows.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO

import filetype

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
READ_CHUNK = 1024 * 1024


class FftFileError(ValueError):
    """The file as a whole cannot be read as an FFT export; the message says what to do."""


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
WRONG_KIND = (
    "Upload the export as a CSV file or an Excel workbook (.xlsx): in Excel, File > Save as, "
    "and choose “CSV UTF-8” or “Excel Workbook”."
)


def _contains(file: IO[bytes], needle: bytes) -> bool:
    file.seek(0)
    tail = b""
    while chunk := file.read(READ_CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle) :]
    return False


# What a workbook may unpack to. An export's sheet XML packs 5 to 20 times smaller; a workbook
# that unpacks to far more than its rows could need (a "zip bomb") would exhaust the worker's
# memory before a row is read, so it is refused when it arrives, before it is stored.
XLSX_MAX_UNPACKED_BYTES = 500 * 1024 * 1024
XLSX_MAX_PACKING_RATIO = 100
_RATIO_CHECKED_FROM_BYTES = 1024 * 1024


def _refuse_a_bomb(members: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(member.file_size for member in members)
    if unpacked > XLSX_MAX_UNPACKED_BYTES:
        raise FftFileError(
            f"The workbook unpacks to {unpacked // (1024 * 1024)} MB, more than the "
            f"{XLSX_MAX_UNPACKED_BYTES // (1024 * 1024)} MB an export may: save it as CSV, or "
            "split it by month or by service."
        )
    for member in members:
        if (
            member.file_size > _RATIO_CHECKED_FROM_BYTES
            and member.file_size > XLSX_MAX_PACKING_RATIO * max(member.compress_size, 1)
        ):
            raise FftFileError(
                f"The workbook's part {member.filename} unpacks to more than "
                f"{XLSX_MAX_PACKING_RATIO} times its packed size, which no FFT export does: "
                "save the export as CSV and upload that."
            )


def sniff_format(file: IO[bytes]) -> str:
    """CSV or XLSX, told from the content; FftFileError for anything else (with what it is, when
    that helps: an empty file, a password-protected workbook, an old .xls, a PDF...)."""
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    if not head.strip():
        raise FftFileError("The file is empty: upload the export with its header and rows.")
    if head.startswith(OLE2):
        if _contains(file, ENCRYPTED_PACKAGE):
            raise FftFileError(
                "The workbook is password-protected (encrypted), so it cannot be read: open it "
                "in Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
                "Password, and clear it), save it, and upload it again. Or save it as CSV."
            )
        raise FftFileError(
            "The file is an Excel 97-2003 workbook (.xls), which cannot be read here. " + WRONG_KIND
        )
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
            members = []
        finally:
            file.seek(0)
        if "xl/workbook.xml" in {member.filename.lower() for member in members}:
            _refuse_a_bomb(members)
            return XLSX
        raise FftFileError("The file is a zip archive, not an Excel workbook. " + WRONG_KIND)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return CSV
    found = filetype.guess(head)
    if found is not None or b"\x00" in head:
        kind = f" ({found.extension.upper()})" if found is not None else ""
        raise FftFileError(f"The file is not a CSV or Excel file{kind}. " + WRONG_KIND)
    return CSV


def csv_encoding(file: IO[bytes]) -> str:
    """The file's text encoding: by its byte order mark, else UTF-8 if all of it decodes as
    UTF-8, else Windows-1252 (what Excel's plain "CSV" saves in England)."""
    file.seek(0)
    head = file.read(4)
    file.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := file.read(READ_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            file.seek(0)
        return encoding
    raise FftFileError("The file is not text in a known encoding. " + WRONG_KIND)


def _csv_rows(file: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells), blank lines left out."""
    encoding = csv_encoding(file)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        first = text.readline()
        text.seek(0)
        # Excel saves with the list separator of the computer's region: "," here, ";" in much of
        # Europe; a "Unicode text" save uses tabs. The header says which.
        delimiter = max(",;\t", key=first.count) if first else ","
        reader = csv.reader(text, delimiter=delimiter)
        previous = 0
        try:
            for record in reader:
                start, previous = previous + 1, reader.line_num
                if any(cell.strip() for cell in record):
                    yield start, record
        except csv.Error as exc:
            raise FftFileError(
                f"Line {reader.line_num} cannot be read as CSV ({exc}): a quotation mark may "
                "not be closed. " + WRONG_KIND
            ) from None
    finally:
        # The wrapper must not close the file it wraps (the caller owns it, and may have closed
        # it already when it stops reading early).
        with contextlib.suppress(ValueError):
            text.detach()


def _xlsx_rows(file: IO[bytes]) -> Iterator[tuple[int, Sequence[object]]]:
    """(row number as Excel shows it, its cells) of the first worksheet, blank rows left out."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FftFileError(
            f"The workbook cannot be read ({type(exc).__name__}): open it in Excel and save it "
            "again, or save it as CSV."
        ) from None
    try:
        if not workbook.worksheets:
            raise FftFileError("The workbook has no worksheet.")
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(cell is not None and str(cell).strip() for cell in row):
                yield number, row
    finally:
        workbook.close()


def rows_of(file: IO[bytes], file_format: str) -> Iterator[tuple[int, Sequence[object]]]:
    """Every non-blank row of the file with its line (CSV) or row (XLSX) number."""
    if file_format == XLSX:
        return _xlsx_rows(file)
    if file_format == CSV:
        return _csv_rows(file)
    raise ValueError(f"unknown FFT file format {file_format!r}")
