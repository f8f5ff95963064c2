from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.ml.analyser import Analyser, ModelUnavailable
from analytics.ml.runtime import EncoderUnavailable
from analytics.ml.training import is_held_out
from analytics.ml.triage_data import TriageDataError
from analytics.ml.triage_output import format_scores
from analytics.ml.triage_training import DEFAULT_SEED, TriageConfig, train_triage


class Command(BaseCommand):
    help = (
        "Fine-tune the triage branch (safeguarding, Mental Health Act, serious risk, primary care, "
        "commissioning, asking for the commissioner) on the written corpus and the shared data's "
        "labelled rows, for the committed encoder; writes triage_branch.npz, triage.npz and "
        "triage.json (with out-of-fold scores) to the artifacts directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", type=Path, default=None)
        parser.add_argument("--artifacts", type=Path, default=None)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--corrections",
            type=Path,
            default=None,
            help="a file written by export_corrections to learn from too (off by default)",
        )
        parser.add_argument(
            "--out-of-fold",
            type=Path,
            default=None,
            help="write each example's calibrated out-of-fold probabilities to this file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = options["data_dir"] or Path(settings.PATIENT_FEEDBACK_DATA_DIR)
        artifacts = options["artifacts"] or Path(settings.ANALYSIS_ARTIFACTS_DIR)
        try:
            analyser = Analyser.load(artifacts, triage=False)
            manifest = train_triage(
                data_dir=data_dir,
                output_dir=artifacts,
                encoder=analyser.encoder,
                model_version=analyser.model_version,
                keep_fft=lambda comment_id: not is_held_out(comment_id),
                config=TriageConfig(seed=options["seed"]),
                corrections=options["corrections"],
                log=self.stdout.write,
                out_of_fold=options["out_of_fold"],
            )
        except (ModelUnavailable, EncoderUnavailable, TriageDataError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_scores(manifest["validation_scores"], "out of fold"))
        self.stdout.write(self.style.SUCCESS(f"wrote the triage reader to {artifacts}"))
