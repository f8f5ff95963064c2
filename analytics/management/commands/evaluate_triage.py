from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.ml.analyser import Analyser, ModelUnavailable
from analytics.ml.runtime import EncoderUnavailable
from analytics.ml.triage_data import EVALUATION_DIR, TriageDataError, read_evaluation_sets
from analytics.triage_evaluation import evaluate_triage, format_triage_evaluation


class Command(BaseCommand):
    help = (
        "Route the triage evaluation sets (written apart from the training corpus, never trained "
        "on) with the product's router, the triage reader alone and the phrase rules alone; "
        "prints, for each set, per-label recall and precision and the route confusion matrix "
        "(Markdown). --evaluation takes the directory of sets or one set's file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--artifacts", type=Path, default=None)
        parser.add_argument("--evaluation", type=Path, default=EVALUATION_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        artifacts = options["artifacts"] or Path(settings.ANALYSIS_ARTIFACTS_DIR)
        try:
            analyser = Analyser.load(artifacts)
            sets = read_evaluation_sets(options["evaluation"])
            for name, examples in sets.items():
                evaluation = evaluate_triage(analyser, examples)
                self.stdout.write(f"## Evaluation set `{name}` ({len(examples)} items)\n")
                self.stdout.write(format_triage_evaluation(evaluation))
        except (ModelUnavailable, EncoderUnavailable, TriageDataError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
