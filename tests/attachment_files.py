"""Small real files of each kind an attachment may be (and some it may not), made here."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
# The start of a JPEG from a phone's camera (SOI, JFIF APP0); enough to be told by its content.
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(200)
    + (b"\xff\xd9")
)
# A Windows program: what a "letter.pdf" sent to trick a member of staff may really be.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)
TEXT = b"Dear Sir or Madam,\n\nI am writing about my mother's care on ward 7.\n"


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG, grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def docx(*, macros: bool = False) -> bytes:
    """A minimal Word document (a zip holding a Word body); with a macro project if asked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        if macros:
            archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return buffer.getvalue()


def upload(name: str, content: bytes, claimed: str = "application/pdf") -> SimpleUploadedFile:
    """A file as a browser sends it: a name and a type it claims, which prove nothing."""
    return SimpleUploadedFile(name, content, content_type=claimed)


def stored_files(root: Path) -> list[Path]:
    """Every file kept under the storage folder ``root``."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
