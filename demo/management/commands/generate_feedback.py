"""``manage.py generate_feedback --count N``: realistic synthetic feedback, fast (COPY on PG).

The items go into whatever database the settings point at, next to any real ones: use it on a
demonstration or benchmark database, never on a live service.
"""

from __future__ import annotations

import secrets
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from demo.errors import SyntheticDataError
from demo.generate import DEFAULT_YEARS, feedback_generate
from feedback.models import Feedback

MAX_COUNT = 50_000_000
# The lead's daily aggregates: rebuilt after a bulk load, when that command exists.
STATS_COMMAND = "rebuild_stats"


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise ArgumentTypeError(f"'{value}' is not a whole number") from exc
    if number < 1:
        raise ArgumentTypeError(f"{number} is not a positive number")
    return number


class Command(BaseCommand):
    help = (
        "Create N synthetic feedback items received over the last years, analysed, routed and "
        "at realistic stages of the complaint workflow. Needs the organisation directory "
        "(manage.py import_ods)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=_positive, required=True, help="how many items")
        parser.add_argument(
            "--seed", type=int, help="random seed, for the same items again (default: random)"
        )
        parser.add_argument(
            "--years",
            type=_positive,
            default=DEFAULT_YEARS,
            help=f"received over this many years up to now (default {DEFAULT_YEARS})",
        )
        parser.add_argument(
            "--batch-size", type=_positive, help="items written per batch (default: by database)"
        )
        parser.add_argument(
            "--focus",
            nargs="+",
            default=[],
            metavar="ODS_CODE",
            help="trusts or ICBs to give a share of the items, as a busy organisation's queue",
        )
        parser.add_argument(
            "--focus-share",
            type=float,
            default=0.7,
            help="the share of the items for the --focus organisations, split evenly (default 0.7)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds feedback (for `make run`'s demo)",
        )
        parser.add_argument(
            "--no-stats",
            action="store_true",
            help=f"do not run `{STATS_COMMAND}` afterwards",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        if count > MAX_COUNT:
            raise CommandError(f"--count must be at most {MAX_COUNT:,}.")
        if options["if_empty"] and Feedback.objects.exists():
            self.stdout.write("The database already holds feedback: nothing generated.")
            return
        seed: int = options["seed"] if options["seed"] is not None else secrets.randbelow(2**31)
        verbosity: int = options["verbosity"]
        step = max(1, count // 10)
        next_report = step

        def progress(done: int) -> None:
            # About ten lines for any count, whatever the batch size.
            nonlocal next_report
            if done >= next_report or done == count:
                self.stdout.write(f"  {done:,} / {count:,}")
                next_report = (done // step + 1) * step

        try:
            result = feedback_generate(
                count=count,
                seed=seed,
                years=options["years"],
                batch_size=options["batch_size"],
                progress=progress if verbosity >= 1 else None,
                focus=options["focus"],
                focus_share=options["focus_share"],
            )
        except SyntheticDataError as exc:
            raise CommandError(str(exc)) from exc
        rate = result.items / result.seconds if result.seconds else 0
        self.stdout.write(
            f"Created {result.items:,} feedback items ({result.themes:,} themes, "
            f"{result.identities:,} identities) in {result.seconds:.1f} s, {rate:,.0f} items/s; "
            f"seed {result.seed}; texts: {result.texts_from}."
        )
        if not options["no_stats"] and STATS_COMMAND in get_commands():
            self.stdout.write(f"Running {STATS_COMMAND} ...")
            call_command(STATS_COMMAND, verbosity=verbosity)
