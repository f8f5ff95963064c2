from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.ml.analyser import Analyser, ModelUnavailable
from analytics.ml.comparison import compare, format_comparison
from analytics.ml.routing import detect_risks
from analytics.ml.runtime import EncoderUnavailable
from analytics.ml.training import TrainingDataError


class Command(BaseCommand):
    help = (
        "Score the committed model, frozen MiniLM embeddings with logistic regression, and VADER "
        "side by side on the held-out split of the shared FFT data (baselines are fitted on the "
        "training portion here); prints a Markdown table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="folder with fft_v6_shared.csv (default: setting PATIENT_FEEDBACK_DATA_DIR)",
        )
        parser.add_argument(
            "--artifacts",
            type=Path,
            default=None,
            help="model artifacts folder (default: setting ANALYSIS_ARTIFACTS_DIR)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = options["data_dir"] or Path(settings.PATIENT_FEEDBACK_DATA_DIR)
        artifacts = options["artifacts"] or Path(settings.ANALYSIS_ARTIFACTS_DIR)
        try:
            analyser = Analyser.load(artifacts)
            comparison = compare(
                data_dir=data_dir,
                analyser=analyser,
                detect_risks=detect_risks,
                log=self.stderr.write,
            )
        except (ModelUnavailable, TrainingDataError, EncoderUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_comparison(comparison))
