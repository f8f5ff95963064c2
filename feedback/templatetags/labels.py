"""Template filters that turn stored codes into the words people read (feedback.labels)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language_info

from feedback import labels
from feedback.services.attachments import megabytes

register = template.Library()


@register.filter
def route_rule_label(code: str) -> str:
    return labels.label(labels.ROUTE_RULES, code) if code else ""


@register.filter
def audit_action_label(code: str) -> str:
    return labels.label(labels.AUDIT_ACTIONS, code)


@register.filter
def theme_label(code: str) -> str:
    return labels.label(labels.THEME_LABELS, code)


@register.filter
def ko41_subject_label(code: str) -> str:
    return labels.label(labels.SUBJECT_LABELS, code)


@register.filter
def status_label(code: str) -> str:
    return labels.label(labels.STATUS_LABELS, code) if code else ""


@register.filter
def check_flag_label(code: str) -> str:
    return labels.label(labels.CHECK_FLAG_LABELS, code)


@register.filter
def attachment_type_label(content_type: str) -> str:
    return labels.ATTACHMENT_TYPE_LABELS.get(content_type, content_type)


@register.filter
def file_size(size: int) -> str:
    """An attachment's size as a file manager shows it: "240 KB", "1.2 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{megabytes(size)} MB"


@register.filter
def language_label(code: str) -> str:
    """A language code in words for staff: "Welsh (Cymraeg)", "British English"."""
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    if info["name_local"] == info["name"] or code == settings.LANGUAGE_CODE:
        return str(info["name"])
    return f"{info['name']} ({info['name_local']})"


@register.filter
def status_text(code: str) -> str:
    """A status in the words of the page's language (the patient's pages, the status tag)."""
    return str(labels.STATUS_TEXT.get(code, code))


@register.filter
def kind_text(code: str) -> str:
    """A kind inside a sentence in the page's language: "complaint", "cwyn"."""
    return labels.kind_text(code)


@register.simple_tag
def cqc_explained() -> tuple[labels.Text, ...]:
    return labels.CQC_EXPLAINED


@register.simple_tag
def complaint_help_heading() -> labels.Text:
    return labels.COMPLAINT_HELP_HEADING


@register.simple_tag
def complaint_help() -> tuple[labels.Text, ...]:
    return labels.COMPLAINT_HELP


@register.filter
def communication_needs(item: Any) -> str:
    """An item's communication needs in words ("Large print, an interpreter (Polish)"), or ""."""
    return labels.communication_needs_text(item.communication_needs, item.interpreter_language)


@register.filter
def relationship_text(item: Any) -> str:
    """How the person who wrote for the patient knows them, in words, or ""."""
    return labels.relationship_text(item.relationship, item.relationship_other)
