from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.ml.routing import detect_risks
from analytics.ml.runtime import EncoderUnavailable
from analytics.ml.training import (
    DEFAULT_SEED,
    TrainingConfig,
    TrainingDataError,
    format_report,
    train,
)


class Command(BaseCommand):
    help = (
        "Fine-tune the top layers of all-MiniLM-L6-v2 with the sentiment, theme and risk heads on "
        "the shared NHS feedback data and write encoder_top.npz, heads.npz and manifest.json "
        "(with held-out scores) to the artifacts directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder with fft_v6_shared.csv (default: setting PATIENT_FEEDBACK_DATA_DIR)",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="artifacts folder to write (default: setting ANALYSIS_ARTIFACTS_DIR)",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = options["data_dir"] or Path(settings.PATIENT_FEEDBACK_DATA_DIR)
        output = options["output"] or Path(settings.ANALYSIS_ARTIFACTS_DIR)
        try:
            manifest = train(
                data_dir=data_dir,
                output_dir=output,
                config=TrainingConfig(seed=options["seed"]),
                log=self.stdout.write,
                detect_risks=detect_risks,
            )
        except (TrainingDataError, EncoderUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_report(manifest))
        self.stdout.write(self.style.SUCCESS(f"wrote {output}"))
