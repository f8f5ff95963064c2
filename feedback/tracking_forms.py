"""Forms on the patient's tracking page, once the feedback is sent: adding to it, withdrawing it,
and the emailed code that shows the response."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AddInformationForm(forms.Form):
    text = forms.CharField(
        label=_("What do you want to add?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=settings.FEEDBACK_TEXT_MAX_LENGTH,
        error_messages={
            "required": _("Enter what you want to add"),
            "max_length": _("What you add must be %(limit_value)d characters or fewer"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "add-%s")
        super().__init__(*args, **kwargs)


class WithdrawFeedbackForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you want to withdraw it?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Tell us why you want to withdraw it")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "withdraw-%s")
        super().__init__(*args, **kwargs)


class ResponseCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the email"),
        max_length=6,
        error_messages={"required": _("Enter the 6-digit code from the email")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "response-%s")
        super().__init__(*args, **kwargs)
