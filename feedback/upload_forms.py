"""Forms that take a file: one attached to an item, and an organisation's FFT export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class AttachmentForm(forms.Form):
    """A file to attach to an item (the staff item page, the patient's tracking page). Only that
    one was chosen is checked here: what it is, its size and whether it may be added are for
    ``attachment_add`` to say."""

    file = forms.FileField(
        label=_("Attach a letter, photo or form"),
        allow_empty_file=True,
        error_messages={
            "required": _("Choose a file to attach"),
            "missing": _("Choose a file to attach"),
            "invalid": _("Choose a file to attach"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "attach-%s")
        super().__init__(*args, **kwargs)


class FftUploadForm(forms.Form):
    """An organisation's FFT export to upload. Only that one was chosen is checked here: what
    it is and whether it can be taken are for ``fft_upload_receive`` to say."""

    file = forms.FileField(
        label="Choose the export to upload",
        allow_empty_file=True,
        error_messages={
            "required": "Choose the FFT export to upload",
            "missing": "Choose the FFT export to upload",
            "invalid": "Choose the FFT export to upload",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "fft-%s")
        super().__init__(*args, **kwargs)
