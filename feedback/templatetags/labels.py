"""Template filters that turn stored codes into the words people read (feedback.labels)."""

from __future__ import annotations

from django import template

from feedback import labels

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


@register.simple_tag
def cqc_explained() -> tuple[str, ...]:
    return labels.CQC_EXPLAINED
