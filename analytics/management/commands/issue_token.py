"""Issue a regulator API token and print it, once.

    manage.py issue_token --organisation CQC --scopes exports:read aggregates:read \
        --name "CQC analytics" [--days 90] [--national]

The token alone goes to standard output (TOKEN=$(manage.py issue_token ...)); what it is for goes
to standard error.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.models import ApiScope
from analytics.tokens import TokenError, api_token_issue
from feedback.models import Organisation


class Command(BaseCommand):
    help = "Issue a regulator API token for a client organisation; prints the token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="ODS code, e.g. CQC, QMJ, RJ1")
        parser.add_argument(
            "--scopes", required=True, nargs="+", choices=ApiScope.values, metavar="SCOPE"
        )
        parser.add_argument("--name", default="", help="Who holds it (default: the ODS code)")
        parser.add_argument("--days", type=int, default=None, help="Lifetime (default 90)")
        parser.add_argument(
            "--national",
            action="store_true",
            help="Sees every organisation (NHS England). CQC tokens are national anyway.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["organisation"].strip().upper()
        try:
            organisation = Organisation.objects.get(ods_code=code)
        except Organisation.DoesNotExist as exc:
            raise CommandError(
                f"No organisation with ODS code {code}. Load them with manage.py import_ods."
            ) from exc
        try:
            issued = api_token_issue(
                organisation=organisation,
                scopes=options["scopes"],
                name=options["name"] or f"{organisation.ods_code} API client",
                days=options["days"],
                national=options["national"],
                actor=None,
            )
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        token = issued.token
        self.stderr.write(
            f"Token {token.prefix} for {organisation}: scopes {', '.join(token.scopes)}"
            f"{', national' if token.national else ''}; expires {token.expires_at:%Y-%m-%d %H:%M}."
            "\nIt is shown once, below; only a digest is kept."
        )
        self.stdout.write(issued.plain)
