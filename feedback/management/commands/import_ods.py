"""``manage.py import_ods``: load the NHS organisation directory from ODS CSV files."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from feedback.choices import OrganisationKind
from feedback.ods import (
    DEMO_DENTAL_PRACTICES_PATH,
    DEMO_GP_PRACTICES_PATH,
    DEMO_ICBS_PATH,
    DEMO_PHARMACIES_PATH,
    DEMO_TRUST_TYPES_PATH,
    DEMO_TRUSTS_PATH,
    OdsFormatError,
)
from feedback.services.organisations import (
    ImportCounts,
    OrganisationImportError,
    organisations_import,
    practices_import,
)

# Option name, ODS file, kind and label of each primary care file.
PRACTICE_FILES = (
    ("gp_practices", DEMO_GP_PRACTICES_PATH, OrganisationKind.GP_PRACTICE, "GP practices"),
    (
        "dental_practices",
        DEMO_DENTAL_PRACTICES_PATH,
        OrganisationKind.DENTAL_PRACTICE,
        "Dental practices",
    ),
    ("pharmacies", DEMO_PHARMACIES_PATH, OrganisationKind.PHARMACY, "Pharmacies"),
)
PRACTICE_HELP = {
    "gp_practices": "ODS epraccur.csv (GP practices)",
    "dental_practices": "ODS egdpprac.csv (dental practices)",
    "pharmacies": "ODS edispensary.csv (pharmacies)",
}


class Command(BaseCommand):
    help = (
        "Create or update NHS regions, integrated care boards, trusts, GP practices, dental "
        "practices and pharmacies from ODS CSV files. Without options, loads the demo set in "
        "feedback/fixtures/ods/. Give a full ODS file to any option to load all of England; "
        "--skip-practices loads only regions, ICBs and trusts."
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
        for option, default, _kind, _label in PRACTICE_FILES:
            parser.add_argument(
                f"--{option.replace('_', '-')}",
                dest=option,
                type=Path,
                default=default,
                help=PRACTICE_HELP[option],
            )
        parser.add_argument(
            "--skip-practices",
            action="store_true",
            help="load no primary care files",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            # One transaction: a bad practice file leaves the trusts as they were too.
            with transaction.atomic():
                result = organisations_import(
                    trusts_path=cast(Path, options["trusts"]),
                    icbs_path=cast(Path, options["icbs"]),
                    trust_types_path=cast(Path, options["trust_types"]),
                )
                practices = []
                if not options["skip_practices"]:
                    for option, _default, kind, label in PRACTICE_FILES:
                        path = cast(Path, options[option])
                        practices.append((label, practices_import(path, kind=kind)))
        except (OdsFormatError, OrganisationImportError, OSError) as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(_line("Regions", result.regions))
        self.stdout.write(_line("ICBs", result.icbs))
        self.stdout.write(_line("Trusts", result.trusts))
        if result.trusts_outside_england:
            self.stdout.write(f"Trusts outside England skipped: {result.trusts_outside_england}")
        cqc = "created" if result.cqc_created else "already present"
        self.stdout.write(f"Care Quality Commission: {cqc}")
        national = "created" if result.national_created else "already present"
        self.stdout.write(f"NHS England national triage queue: {national}")
        for label, outcome in practices:
            self.stdout.write(_line(label, outcome.counts))
            for reason, count in sorted(outcome.left_out.items()):
                self.stdout.write(f"  not offered to patients ({reason}): {count}")
            if outcome.outside_england:
                self.stdout.write(f"  outside England skipped: {outcome.outside_england}")


def _line(label: str, counts: ImportCounts) -> str:
    return (
        f"{label}: {counts.created} created, {counts.updated} updated, "
        f"{counts.unchanged} unchanged, {counts.deactivated} marked closed"
    )
