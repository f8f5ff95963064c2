from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from feedback.services.staff import DEMO_ADMIN, DEMO_STAFF


class Command(BaseCommand):
    help = "Print the current security code of a demo account (only with the local settings)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", choices=[u for u, _, _ in DEMO_STAFF] + [DEMO_ADMIN])

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if not getattr(settings, "DEMO_TOOLS", False):
            raise CommandError("demo_security_code works only with the local (demo) settings")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator: run `make demo` first")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
