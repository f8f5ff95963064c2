"""Attachments: letters, photos and forms added to an item by staff, or by the patient from the
tracking page; reading one, audited.

- What is accepted is decided by the content, never by the file's name or the type the browser
  claims: PDF, JPEG, PNG and Word (.docx) by their signatures (the ``filetype`` library; a Word
  document is also opened as the zip it is and must hold a Word body and no macros), plain text
  by decoding it (UTF-8, or Windows-1252 as older Notepad saved it) with no control characters.
- Each file at most ``ATTACHMENT_MAX_BYTES``, at most ``ATTACHMENTS_PER_ITEM`` an item; the
  patient adds none to a closed or withdrawn item.
- Nothing half-saved: the file is stored before its row and deleted again if the row is not
  saved; a deleted row's file is deleted once the deletion is committed (``connect_signals``).
- Who may open one is checked by the caller with the item, as for the item itself: staff through
  the one scoping rule (``feedback_get_for_user``), the patient through the tracking link and,
  when they gave an email address, the code sent to it (``patient.response_access``). Regulator
  tokens never reach them. Every addition and every download is written to the audit trail.
"""

from __future__ import annotations

import codecs
import logging
import math
import re
import unicodedata
import zipfile
from typing import Any

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

from feedback.audit import audit_record
from feedback.choices import TERMINAL_STATUSES, Status
from feedback.errors import IllegalTransition, InvalidFeedback
from feedback.models import Attachment, Feedback, User
from feedback.services.transitions import item_locked
from feedback.services.workflow import complaint_resume

logger = logging.getLogger(__name__)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
# The types accepted, each with the extensions its files are known by (the first one is given to
# a file that came with another name: a JPEG called "scan.pdf" is kept as "scan.jpg").
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    JPEG: ("jpg", "jpeg"),
    PNG: ("png",),
    DOCX: ("docx",),
    TEXT: ("txt",),
}
# What the file picker offers first (the content is checked all the same).
ACCEPT = ",".join(f".{ext}" for extensions in EXTENSIONS.values() for ext in extensions)

WRONG_TYPE = gettext_lazy("Attach a PDF, JPEG, PNG, Word document or plain text file")
MEGABYTE = 1024 * 1024
# How much of a file its signature is looked for in (what ``filetype`` reads of a file itself).
SIGNATURE_BYTES = 8192


def megabytes(size: int) -> str:
    """A size in MB as people read it: "12.3", or "10" for exactly 10 MB. Rounded up, so a file
    just over a limit never reads as the limit itself."""
    tenths = math.ceil(size * 10 / MEGABYTE)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def attachment_limits_hint() -> str:
    """The limits in the words the upload forms give as their hint."""
    return gettext(
        "A PDF, JPEG, PNG, Word document (.docx) or plain text file of %(size)s MB or less. "
        "Up to %(count)s files can be attached in all."
    ) % {"size": megabytes(settings.ATTACHMENT_MAX_BYTES), "count": settings.ATTACHMENTS_PER_ITEM}


# --- What a file is ------------------------------------------------------------------------------

# Control characters other than tab, line feed, form feed and carriage return (C1 ones too): a
# text file has none, nearly every binary file has some (a NUL in the first few bytes).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def attachment_sniff(content: File) -> str | None:
    """The accepted type ``content`` is (one of ``EXTENSIONS``), found from the bytes alone;
    None when it is none of them."""
    content.seek(0)
    head = content.read(SIGNATURE_BYTES)
    found = filetype.guess(head) if head else None
    if found is not None:
        if found.mime == DOCX:
            return DOCX if _is_word_document(content) else None
        return found.mime if found.mime in (PDF, JPEG, PNG) else None
    return TEXT if head and _is_plain_text(content) else None


def _is_word_document(content: File) -> bool:
    """A .docx is a zip: it must open as one and hold a Word body, and no macros (a macro-enabled
    document renamed .docx carries a vbaProject.bin)."""
    try:
        content.seek(0)
        with zipfile.ZipFile(content) as archive:
            names = {name.lower() for name in archive.namelist()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return False
    return (
        "[content_types].xml" in names
        and "word/document.xml" in names
        and not any(name.endswith("vbaproject.bin") for name in names)
    )


def _is_plain_text(content: File) -> bool:
    content.seek(0)
    data = content.read()
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return _CONTROL.search(text) is None


# Characters kept in a file's name as shown: letters and digits of any script, spaces and plain
# punctuation. Path separators, control and direction-changing characters and the like go.
_UNSAFE_IN_NAME = re.compile("[^\\w .,()\\[\\]&+'\u2013\u2014-]")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,5}")
NAME_MAX_LENGTH = 100


def attachment_name(original: str, content_type: str) -> str:
    """The name a file is shown and downloaded under: the name it came with (its last path part,
    unsafe characters replaced), its extension the one of the type its content is."""
    name = unicodedata.normalize("NFC", original or "")
    name = re.split(r"[\\/]", name)[-1]  # old browsers on Windows sent the whole path
    name = " ".join(_UNSAFE_IN_NAME.sub("_", name).split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extensions = EXTENSIONS[content_type]
    if extension.lower() in extensions:
        extension = extension.lower()
    else:
        if extension and not (_EXTENSION.fullmatch(extension) and not extension.isdigit()):
            stem = f"{stem}.{extension}"  # not an extension: "Scan 03.12.2026"
        extension = extensions[0]
    stem = stem.strip(" .")[: NAME_MAX_LENGTH - len(extension) - 1].rstrip(" .") or "attachment"
    return f"{stem}.{extension}"


# --- Adding one ----------------------------------------------------------------------------------


def _refuse_if_full_or_closed(item: Feedback, *, by_patient: bool) -> None:
    if by_patient and item.status in TERMINAL_STATUSES:
        raise IllegalTransition(gettext("This feedback is closed: you cannot add to it here."))
    limit = settings.ATTACHMENTS_PER_ITEM
    if Attachment.objects.filter(feedback=item).count() >= limit:
        raise InvalidFeedback(
            {
                "file": gettext(
                    "An item can have up to %(limit)s attached files, and this one has %(limit)s"
                )
                % {"limit": limit}
            }
        )


def attachment_add(
    *,
    feedback: Feedback,
    uploaded_file: File,
    actor: User | None = None,
    by_patient: bool = False,
) -> Attachment:
    """Attach ``uploaded_file`` to the item, added by ``actor`` (staff) or by the patient.

    InvalidFeedback (field "file") when it is empty, too large, of a type not accepted, or the
    item has as many as it may; IllegalTransition when the patient's item is closed or withdrawn.
    Call it outside a transaction: the file is deleted again if the row fails, which a rollback
    of an enclosing transaction would not do.
    """
    if by_patient == (actor is not None):
        raise ValueError("an attachment is added by a member of staff or by the patient")
    size = uploaded_file.size or 0
    limit = settings.ATTACHMENT_MAX_BYTES
    if size == 0:
        raise InvalidFeedback(
            {"file": gettext("The file is empty: attach a file with something in it")}
        )
    if size > limit:
        raise InvalidFeedback(
            {
                "file": gettext("The file is %(size)s MB: attach files of %(limit)s MB or less")
                % {"size": megabytes(size), "limit": megabytes(limit)}
            }
        )
    _refuse_if_full_or_closed(feedback, by_patient=by_patient)
    content_type = attachment_sniff(uploaded_file)
    if content_type is None:
        raise InvalidFeedback({"file": str(WRONG_TYPE)})

    attachment = Attachment(
        name=attachment_name(uploaded_file.name or "", content_type),
        content_type=content_type,
        size=size,
        added_by=actor,
        by_patient=by_patient,
    )
    uploaded_file.seek(0)
    # upload_to gives it a random name under attachments/<yyyy>/<mm>/ with this extension.
    attachment.file.save(f"upload.{EXTENSIONS[content_type][0]}", uploaded_file, save=False)
    stored = str(attachment.file.name)
    try:
        with transaction.atomic():
            item = item_locked(feedback)
            # Again under the item's lock: two uploads at once cannot pass the limit together.
            _refuse_if_full_or_closed(item, by_patient=by_patient)
            attachment.feedback = item
            attachment.save()
            audit_record(
                feedback=item,
                actor=actor,
                action="attachment_added",
                to_value=attachment.name,
                detail=_audit_detail(attachment),
            )
            if by_patient and item.status == Status.AWAITING_COMPLAINANT:
                # A file from the patient while the team waits for them (a signed consent form,
                # a letter) is their answer, as a message is: the clock runs again.
                complaint_resume(feedback=item, actor=None)
    except BaseException:
        attachment.file.storage.delete(stored)
        raise
    return attachment


def _audit_detail(attachment: Attachment) -> dict[str, Any]:
    return {
        "attachment": attachment.pk,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "by": "patient" if attachment.by_patient else "staff",
    }


# --- Reading one ---------------------------------------------------------------------------------


def attachments_of(feedback: Feedback, *, by_patient: bool | None = None) -> QuerySet[Attachment]:
    """The item's attachments, oldest first (those the patient added, or staff, if asked)."""
    attachments = Attachment.objects.filter(feedback=feedback).select_related("added_by")
    if by_patient is not None:
        attachments = attachments.filter(by_patient=by_patient)
    return attachments.order_by("added_at", "pk")


def attachment_get(*, feedback: Feedback, pk: int, by_patient: bool | None = None) -> Attachment:
    """One of the attachments of an item the caller may see; any other does not exist (404)."""
    try:
        return attachments_of(feedback, by_patient=by_patient).get(pk=pk)
    except Attachment.DoesNotExist as exc:
        raise Http404("No such attachment on this item.") from exc


def attachment_open(*, attachment: Attachment, actor: User | None) -> File:
    """The attachment's content, open for reading, and the download written to the audit trail
    (``actor`` None: the patient, from the tracking page). The caller closes it, as a response
    does."""
    opened = attachment.file.storage.open(str(attachment.file.name), "rb")
    try:
        with transaction.atomic():
            audit_record(
                feedback=attachment.feedback,
                actor=actor,
                action="attachment_downloaded",
                to_value=attachment.name,
                detail={**_audit_detail(attachment), "by": "staff" if actor else "patient"},
            )
    except BaseException:
        opened.close()
        raise
    return opened


# --- Removing them -------------------------------------------------------------------------------


def attachments_delete(*, feedback: Feedback) -> int:
    """Delete the item's attachments (erasure, retention): the rows now, the files once that is
    committed. Returns how many."""
    deleted, _ = Attachment.objects.filter(feedback=feedback).delete()
    return deleted


def _delete_file_after_commit(sender: type[Attachment], instance: Attachment, **_: Any) -> None:
    """Whichever way a row goes (erasure, retention, an item deleted with its attachments), its
    file goes too, and only once the deletion is committed: a rolled-back deletion keeps both."""
    name = instance.file.name
    if name:
        storage = instance.file.storage
        transaction.on_commit(lambda: _delete_stored(storage, name))


def _delete_stored(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:
        # The row is gone already; an object store that failed leaves a file nothing refers to,
        # logged for the operator to remove.
        logger.exception("could not delete the attachment file %s", name)


def connect_signals() -> None:
    """Called once from FeedbackConfig.ready()."""
    post_delete.connect(
        _delete_file_after_commit, sender=Attachment, dispatch_uid="attachment-file-delete"
    )
