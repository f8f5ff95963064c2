from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.ml.runtime import EncoderUnavailable
from analytics.redaction_learnt import WordReader
from analytics.redaction_scoring import DIRECT, read_marked
from analytics.redaction_training import MIN_PRECISION, train

DATA = Path(__file__).resolve().parents[2] / "data" / "redaction"
# What the learnt recogniser learns from: the development set, the held-out sets whose figures
# have been read (docs/adr/0019), and texts written for training. evaluation_v4 is not here: it
# judges this recogniser, once.
TRAINING_SETS = (
    "development.jsonl",
    "evaluation.jsonl",
    "evaluation_v2.jsonl",
    "evaluation_v3.jsonl",
    "training/written_1.jsonl",
)
LAYERS = (3,)


class Command(BaseCommand):
    help = (
        "Train the learnt name and address recogniser on the marked redaction texts (all but "
        "the newest held-out set); choose its regularisation and cut-offs out of fold for the "
        "best recall of direct identifiers with the rules at precision >= "
        f"{MIN_PRECISION}; write redaction_words.npz and .json to the artifacts directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--artifacts", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        from analytics.redaction_engine import find_many

        artifacts = options["artifacts"] or Path(settings.ANALYSIS_ARTIFACTS_DIR)
        items = [item for name in TRAINING_SETS for item in read_marked(DATA / name)]
        try:
            reader = WordReader(LAYERS)
        except EncoderUnavailable as exc:
            raise CommandError(str(exc)) from exc

        def rules(texts: Any) -> list[list[tuple[int, int, str]]]:
            return [
                spans
                for start in range(0, len(texts), 64)
                for spans in find_many(texts[start : start + 64], learnt_too=False)
            ]

        trained = train(items, rules, reader, log=self.stdout.write)
        oof, alone = trained.oof, trained.rules_only
        manifest = {
            "training_sets": list(TRAINING_SETS),
            "texts": len(items),
            "C": trained.c,
            "min_precision": MIN_PRECISION,
            "out_of_fold": {
                "rules_and_learnt": {
                    "direct_recall": round(oof.kind_recall(DIRECT), 4),
                    "precision": round(oof.precision, 4),
                    "recall": {k: list(v) for k, v in oof.recall.items()},
                },
                "rules_alone": {
                    "direct_recall": round(alone.kind_recall(DIRECT), 4),
                    "precision": round(alone.precision, 4),
                    "recall": {k: list(v) for k, v in alone.recall.items()},
                },
                "by_C": {str(c): [round(r, 4), round(p, 4)] for c, (r, p) in trained.by_c.items()},
            },
        }
        trained.model.save(artifacts, manifest)
        self.stdout.write(
            f"out of fold, rules and learnt: direct recall {oof.kind_recall(DIRECT):.3f}, "
            f"precision {oof.precision:.3f}; rules alone {alone.kind_recall(DIRECT):.3f} / "
            f"{alone.precision:.3f}"
        )
        self.stdout.write(self.style.SUCCESS(f"wrote the learnt recogniser to {artifacts}"))
