"""Optional TOTP two-factor authentication for staff, on django-otp."""

from __future__ import annotations

import base64
import io

import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from feedback.audit import audit_record
from feedback.models import User

DEVICE_NAME = "Authenticator app"


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The user's unconfirmed device, created on first visit so the key stays the same."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": DEVICE_NAME}
    )
    return device


def totp_has_confirmed(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


def totp_qr_svg(device: TOTPDevice) -> str:
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, title="QR code for your authenticator app"
    )
    return out.getvalue().decode()


def totp_confirm(*, user: User, token: str) -> TOTPDevice | None:
    """Turn the pending device on if the code matches (audited); the device, or None."""
    with transaction.atomic():
        device = totp_device_pending(user=user)
        if not device.verify_token(token.strip()):
            return None
        device.confirmed = True
        device.save()
        audit_record(feedback=None, actor=user, action="two_factor_enabled")
    return device


def totp_enrol_confirmed(*, user: User) -> TOTPDevice:
    """A new confirmed device for a demo account whose key is printed for the person trying it."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
