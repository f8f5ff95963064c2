import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.csv_analysis import CsvInputError, analyse_csv_file
from analytics.ml.analyser import ModelUnavailable


class Command(BaseCommand):
    help = (
        "Analyse a CSV of comments offline: needs a 'text' column, may have 'question', "
        "'service_type' and 'fft_rating' (1 very good ... 5 very poor, 6 don't know); "
        "writes the input columns plus sentiment, themes and route."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--batch-size", type=int, default=64)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            summary = analyse_csv_file(
                input_path=options["input"],
                output_path=options["output"],
                batch_size=options["batch_size"],
            )
        except (CsvInputError, ModelUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        routes = ", ".join(f"{route} {count}" for route, count in sorted(summary.routes.items()))
        self.stdout.write(
            f"analysed {summary.rows} rows in {elapsed:.1f} s -> {options['output']} ({routes})"
        )
