"""Writing demo items: COPY on PostgreSQL, ``bulk_create`` in batches elsewhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
from typing import Any

from django.db import connection, transaction

from demo.tables import _Item
from feedback.models import Feedback, FeedbackTheme, Identity

# --- Writing ---------------------------------------------------------------------------------


_FEEDBACK_FIELDS = [f for f in Feedback._meta.concrete_fields if not f.primary_key]
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return _copy_text(json.dumps(value))
    return str(value)


class _Writer:
    """Writes batches of items with their themes and identities."""

    def write(self, items: list[_Item]) -> tuple[int, int]:
        raise NotImplementedError


class _OrmWriter(_Writer):
    def write(self, items: list[_Item]) -> tuple[int, int]:
        with transaction.atomic():
            made = Feedback.objects.bulk_create([Feedback(**item.values) for item in items])
            if any(f.pk is None for f in made):  # a database that does not return new keys
                by_token = dict(
                    Feedback.objects.filter(
                        tracking_token__in=[f.tracking_token for f in made]
                    ).values_list("tracking_token", "pk")
                )
                for f in made:
                    f.pk = by_token[f.tracking_token]
            themes = [
                FeedbackTheme(feedback_id=f.pk, theme=slug, score=score)
                for f, item in zip(made, items, strict=True)
                for slug, score in item.themes
            ]
            identities = [
                Identity(feedback_id=f.pk, name=i[0], email=i[1], phone=i[2], nhs_number=i[3])
                for f, item in zip(made, items, strict=True)
                if (i := item.identity) is not None
            ]
            FeedbackTheme.objects.bulk_create(themes)
            Identity.objects.bulk_create(identities)
        return len(themes), len(identities)


class _CopyWriter(_Writer):
    """PostgreSQL: keys taken from the table's sequence up front, then three COPY statements."""

    def __init__(self) -> None:
        quote = connection.ops.quote_name
        self.table = Feedback._meta.db_table
        columns = ", ".join(quote(c) for c in ["id", *(str(f.column) for f in _FEEDBACK_FIELDS)])
        self.copy_feedback = f"COPY {quote(self.table)} ({columns}) FROM STDIN"
        self.copy_themes = (
            f"COPY {quote(FeedbackTheme._meta.db_table)} (feedback_id, theme, score) FROM STDIN"
        )
        self.copy_identities = (
            f"COPY {quote(Identity._meta.db_table)} "
            "(feedback_id, name, email, phone, nhs_number) FROM STDIN"
        )
        # Each row starts as the model's defaults; an item overwrites the cells it sets.
        self.position = {f.attname: i for i, f in enumerate(_FEEDBACK_FIELDS)}
        self.template = [
            _copy_text(None if f.null and not f.has_default() else f.get_default())
            if f.attname != "tracking_token"
            else ""
            for f in _FEEDBACK_FIELDS
        ]
        self.token_cell = self.position["tracking_token"]

    def write(self, items: list[_Item]) -> tuple[int, int]:
        position = self.position
        template = self.template
        token_cell = self.token_cell
        token = secrets.token_urlsafe
        lines: list[str] = []
        theme_lines: list[str] = []
        identity_lines: list[str] = []
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.table, len(items)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            for pk, item in zip(ids, items, strict=True):
                cells = template.copy()
                cells[token_cell] = token(32)
                for name, value in item.values.items():
                    cells[position[name]] = _copy_text(value)
                lines.append(f"{pk}\t" + "\t".join(cells) + "\n")
                for slug, score in item.themes:
                    theme_lines.append(f"{pk}\t{slug}\t{score}\n")
                if item.identity is not None:
                    identity_lines.append(
                        f"{pk}\t" + "\t".join(map(_copy_text, item.identity)) + "\n"
                    )
            raw = cursor.cursor
            raw.copy_expert(self.copy_feedback, io.StringIO("".join(lines)))
            if theme_lines:
                raw.copy_expert(self.copy_themes, io.StringIO("".join(theme_lines)))
            if identity_lines:
                raw.copy_expert(self.copy_identities, io.StringIO("".join(identity_lines)))
        return len(theme_lines), len(identity_lines)
