"""Widgets, fields and the base form shared by the patient's journey and the staff forms."""

from __future__ import annotations

from typing import Any

from django import forms

from feedback import labels
from feedback.models import Organisation


class Radios(forms.RadioSelect):
    """Radios that carry a hint per item and an "or" divider, for the NHS radios markup."""

    def __init__(
        self,
        *,
        hints: dict[str, labels.Text] | None = None,
        divider_before: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hints = hints or {}
        self.divider_before = divider_before

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["hint"] = self.hints.get(str(option["value"]), "")
        option["divider_before"] = bool(self.divider_before) and option["value"] == (
            self.divider_before
        )
        return option


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class StepForm(forms.Form):
    """Ids are the field names (``id="kind"``), so error summary links are stable."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class OptionalChoices(forms.MultipleChoiceField):
    """Checkboxes where an empty value (a form that sends "" for "none ticked") is no choice."""

    def to_python(self, value: Any) -> list[str]:
        return [choice for choice in super().to_python(value) if choice != ""]
