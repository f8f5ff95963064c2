from django.core.management.base import BaseCommand

from feedback.services.staff import demo_staff_load


class Command(BaseCommand):
    help = "Create or reset the demo staff accounts and print their logins."

    def handle(self, *args: object, **options: object) -> None:
        for login in demo_staff_load():
            self.stdout.write(
                f"  {login.username:<15} {login.password:<18} {login.role:<9} {login.organisation}"
            )
