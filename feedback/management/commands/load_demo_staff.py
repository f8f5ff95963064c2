from django.core.management.base import BaseCommand

from feedback.services.staff import demo_staff_load


class Command(BaseCommand):
    help = (
        "Create or reset the demo staff accounts and the administrator with fresh passwords and "
        "authenticator keys; prints them."
    )

    def handle(self, *args: object, **options: object) -> None:
        for login in demo_staff_load():
            self.stdout.write(
                f"  {login.username:<15} {login.password:<18} {login.role:<14} {login.organisation}"
                f"\n  {'':<15} authenticator key {login.authenticator_key}"
            )
        self.stdout.write(
            "Sign in at /staff/login/ with the username, password and the 6-digit security code "
            "from an authenticator app given the key above, or print the current code with "
            "`.venv/bin/python manage.py demo_security_code USERNAME` (local settings only)."
        )
