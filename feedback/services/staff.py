"""Staff accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from feedback.choices import Role
from feedback.models import Organisation, User


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    organisation: str
    role: str


# One account per kind of queue, at real organisations of the demo directory.
DEMO_STAFF: tuple[tuple[str, str, str], ...] = (
    ("trust.handler", "RJ1", Role.HANDLER),
    ("trust.manager", "RJ1", Role.MANAGER),
    ("icb.handler", "QMJ", Role.HANDLER),
    ("cqc.handler", "CQC", Role.HANDLER),
)


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
            logins.append(DemoLogin(username, password, organisation.name, role))
    return logins
