"""``manage.py import_ods``: load the NHS organisation directory from ODS CSV files."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError

from feedback.ods import (
    DEMO_ICBS_PATH,
    DEMO_TRUST_TYPES_PATH,
    DEMO_TRUSTS_PATH,
    OdsFormatError,
)
from feedback.services.organisations import (
    ImportCounts,
    OrganisationImportError,
    organisations_import,
)


class Command(BaseCommand):
    help = (
        "Create or update NHS regions, integrated care boards and trusts from ODS CSV files. "
        "Without options, loads the demo set in feedback/fixtures/ods/."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--trusts", type=Path, default=DEMO_TRUSTS_PATH, help="ODS etr.csv (NHS trusts)"
        )
        parser.add_argument(
            "--icbs",
            type=Path,
            default=DEMO_ICBS_PATH,
            help="integrated care boards in the ODS standard layout",
        )
        parser.add_argument(
            "--trust-types",
            type=Path,
            default=DEMO_TRUST_TYPES_PATH,
            help="ods_code,trust_type classification of trusts",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = organisations_import(
                trusts_path=cast(Path, options["trusts"]),
                icbs_path=cast(Path, options["icbs"]),
                trust_types_path=cast(Path, options["trust_types"]),
            )
        except (OdsFormatError, OrganisationImportError, OSError) as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(_line("Regions", result.regions))
        self.stdout.write(_line("ICBs", result.icbs))
        self.stdout.write(_line("Trusts", result.trusts))
        if result.trusts_outside_england:
            self.stdout.write(f"Trusts outside England skipped: {result.trusts_outside_england}")
        cqc = "created" if result.cqc_created else "already present"
        self.stdout.write(f"Care Quality Commission: {cqc}")


def _line(label: str, counts: ImportCounts) -> str:
    return (
        f"{label}: {counts.created} created, {counts.updated} updated, "
        f"{counts.unchanged} unchanged, {counts.deactivated} marked closed"
    )
