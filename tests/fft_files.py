"""FFT exports as trusts' survey systems write them, made here: CSV and Excel workbooks, and
files an upload must refuse."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = ("Date", "Question", "Rating", "Free text", "Service")
QUESTION = "Overall, how was your experience of our service?"

ROWS: list[tuple[object, ...]] = [
    ("01/10/2026", QUESTION, "Very good", "The nurses on ward 7 were kind and quick.", "Inpatient"),
    ("02/10/2026", QUESTION, "Good", "Seen on time, clear explanation.", "Outpatient"),
    ("02/10/2026", QUESTION, "Poor", "Waited four hours in A&E with no update.", "A&E"),
    ("03/10/2026", QUESTION, "Very poor", "Nobody answered the call bell at night.", "Inpatient"),
    ("04/10/2026", QUESTION, "Don't know", "", "Maternity"),
    ("05/10/2026", QUESTION, "Neither good nor poor", "Parking was hard to find.", ""),
]


def csv_bytes(
    rows: Iterable[Sequence[object]] = ROWS,
    header: Sequence[str] = HEADER,
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
) -> bytes:
    """A CSV export (Excel's "CSV UTF-8" by default: a byte order mark, then the rows)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Iterable[Sequence[object]] = ROWS,
    header: Sequence[str] = HEADER,
    *,
    title_rows: Sequence[str] = (),
) -> bytes:
    """An Excel workbook with the export on its first sheet (title lines above it, if given)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("FFT export")
    for title in title_rows:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_dates(rows: Iterable[Sequence[object]]) -> list[tuple[object, ...]]:
    """The rows with their day/month/year dates as the date cells a workbook holds."""
    return [
        (dt.datetime.strptime(str(row[0]), "%d/%m/%Y"), *row[1:]) if row[0] else tuple(row)
        for row in rows
    ]


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# An OLE2 compound file's signature and the name of the stream an encrypted Office file keeps its
# contents in (what "Encrypt with password" in Excel makes), with the padding of a real header.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_XLSX = (
    OLE2
    + bytes(504)
    + "EncryptionInfo".encode("utf-16-le")
    + bytes(50)
    + "EncryptedPackage".encode("utf-16-le")
    + bytes(400)
)
# An Excel 97-2003 workbook: the same container, a "Workbook" stream, no encryption.
XLS = OLE2 + bytes(504) + "Workbook".encode("utf-16-le") + bytes(400)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
