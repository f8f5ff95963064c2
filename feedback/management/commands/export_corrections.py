"""Write staff corrections as training examples (JSON Lines, the triage data format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from feedback.corrections import corrections_as_records


class Command(BaseCommand):
    help = (
        "Write every corrected item (route, possible risks, sentiment, themes) as a training "
        "example, text redacted; make train reads the file with TRIAGE_CORRECTIONS=FILE."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("output", type=Path, help="the .jsonl file to write")

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        count = 0
        with output.open("w", encoding="utf-8") as handle:
            for record in corrections_as_records():
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        self.stdout.write(f"{count} corrected item{'s' if count != 1 else ''} written to {output}")
