"""Staff accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from feedback.choices import Role
from feedback.models import Organisation, User
from feedback.services import two_factor


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    organisation: str
    role: str
    authenticator_key: str  # base32, for an authenticator app (or manage.py demo_security_code)


# One account per kind of queue, at real organisations of the demo directory.
DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    ("trust.handler", "RJ1", Role.HANDLER),
    ("trust.manager", "RJ1", Role.MANAGER),
    ("icb.handler", "QMJ", Role.HANDLER),
    ("cqc.handler", "CQC", Role.HANDLER),
    # NHS England's national triage: assigns feedback nobody could place to an ICB or trust.
    ("national.triage", "X24", Role.HANDLER),
)
# The administrator (Django's admin: organisations, staff accounts, regulator tokens).
DEMO_ADMIN = "admin"


def demo_staff_load() -> list[DemoLogin]:
    """Create or reset the demo accounts with fresh random passwords, printed once by the caller.

    Random each time, so no password for any environment is ever written in the repository.
    """
    logins = []
    with transaction.atomic():
        for username, ods_code, role in DEMO_STAFF:
            organisation = Organisation.objects.get(ods_code=ods_code)
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username=username)
            user.organisation = organisation
            user.role = role
            user.set_password(password)
            user.save()
            device = two_factor.totp_enrol_confirmed(user=user)
            logins.append(
                DemoLogin(
                    username,
                    password,
                    organisation.name,
                    role,
                    two_factor.totp_secret_base32(device),
                )
            )
        password = secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(username=DEMO_ADMIN)
        admin.is_staff = admin.is_superuser = True
        admin.role = Role.ADMINISTRATOR
        admin.set_password(password)
        admin.save()
        device = two_factor.totp_enrol_confirmed(user=admin)
        logins.append(
            DemoLogin(
                DEMO_ADMIN,
                password,
                "administrator (/admin/)",
                Role.ADMINISTRATOR,
                two_factor.totp_secret_base32(device),
            )
        )
    return logins
