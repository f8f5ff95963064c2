"""What an uploaded FFT export is, told by its content: CSV, a workbook, or refused, saying why."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from feedback.fft_files import CSV, XLSX, FftFileError, sniff_format
from tests.fft_files import ENCRYPTED_XLSX, PDF, QUESTION, XLS, csv_bytes, xlsx_bytes


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty"),
        (b"  \r\n", "The file is empty"),
        (ENCRYPTED_XLSX, "password-protected (encrypted)"),
        (XLS, "Excel 97-2003 workbook (.xls)"),
        (PDF, "not a CSV or Excel file (PDF)"),
        (b"\x00\x01\x02binary\x00", "not a CSV or Excel file"),
    ],
)
def test_files_that_are_not_an_export_are_refused_with_what_they_are(content, words):
    with pytest.raises(FftFileError, match=re.escape(words)):
        sniff_format(io.BytesIO(content))


def test_a_zip_that_is_not_a_workbook_is_refused():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(FftFileError, match="a zip archive, not an Excel workbook"):
        sniff_format(buffer)


def test_formats_are_told_by_content_not_name():
    assert sniff_format(io.BytesIO(csv_bytes())) == CSV
    assert sniff_format(io.BytesIO(xlsx_bytes())) == XLSX


def test_a_workbook_that_unpacks_to_far_more_than_an_export_is_refused_before_it_is_read():
    """A small file holding one huge repeated cell (a 'zip bomb') would exhaust the worker's
    memory: refused when it arrives, with what to do instead."""
    normal = xlsx_bytes([["01/11/2026 10:00", QUESTION, "Very good", "Kind staff", "Inpatient"]])
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(normal)) as source,
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for member in source.infolist():
            bomb.writestr(member, source.read(member))
        bomb.writestr("xl/sharedStrings2.xml", b"A" * (30 * 1024 * 1024))
    assert len(packed.getvalue()) < 1024 * 1024
    with pytest.raises(FftFileError, match="save the export as CSV"):
        sniff_format(io.BytesIO(packed.getvalue()))
    # The export itself still reads.
    assert sniff_format(io.BytesIO(normal)) == "xlsx"
