"""Create the administrator on a new deployment (docker-compose's setup step); idempotent."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from feedback.choices import Role
from feedback.models import User


class Command(BaseCommand):
    help = (
        "Create the administrator from DJANGO_ADMIN_USERNAME, DJANGO_ADMIN_EMAIL and "
        "DJANGO_ADMIN_PASSWORD if no such account exists yet. They sign in at /staff/login/ and "
        "set up their authenticator app there before using /admin/."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_ADMIN_USERNAME", "admin").strip()
        email = os.environ.get("DJANGO_ADMIN_EMAIL", "").strip()
        password = os.environ.get("DJANGO_ADMIN_PASSWORD", "")
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"administrator {username} already exists")
            return
        if not (email and len(password) >= 12):
            raise CommandError(
                "set DJANGO_ADMIN_EMAIL and DJANGO_ADMIN_PASSWORD (12 characters or more)"
            )
        User.objects.create_superuser(
            username=username, email=email, password=password, role=Role.ADMINISTRATOR
        )
        self.stdout.write(
            f"administrator {username} created: sign in at /staff/login/ and set up the "
            "authenticator app before opening /admin/"
        )
