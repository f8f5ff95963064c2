"""Synthetic patient feedback in bulk, for demonstrations, dashboards and benchmarks.

``feedback_generate`` makes items whose every field is one the real pipeline could have written:
routed by the same rules (trust, ICB for primary care and commissioning, CQC for safeguarding,
Mental Health Act and serious risk), analysed (sentiment, label, confidence, model version, themes
of the framework, risk flags only where a CQC rule fired), and moved through the complaint
workflow with its clocks (acknowledged, investigating, paused, responded late with a reason,
closed, withdrawn, or still open; compliments and suggestions have no clock). Each organisation
works at its own pace, so dashboards have peers to compare. Texts are real FFT comments from
``shared/data/patient-feedback/fft_v6_shared.csv`` when that file is present (read at run time,
never copied into the repository; its labelled sentiment and themes guide the synthetic analysis),
composed sentences otherwise.

Items carry no audit trail or notifications: they stand for history that happened elsewhere.
On PostgreSQL rows go in with COPY (about a million in a few minutes); elsewhere with
``bulk_create`` in batches. The same seed, organisation directory and ``now`` give the same items
(tracking tokens excepted: they stay secret and unique).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from analytics.ml.heads import MANIFEST_FILE
from demo.directory import _Directory
from demo.errors import SyntheticDataError
from demo.generator import _Generator
from demo.tables import _Item
from demo.texts import _fft_texts, _synthetic_texts
from demo.writers import _CopyWriter, _OrmWriter, _Writer
from feedback.models import Feedback, FeedbackTheme, Identity

FFT_PATH = (
    Path(settings.BASE_DIR).parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"
)
DEFAULT_YEARS = 2
DEFAULT_BATCH_SIZE = 20_000
SQLITE_BATCH_SIZE = 2_000


@dataclass(frozen=True)
class GenerateResult:
    """What one run of ``feedback_generate`` made."""

    items: int
    themes: int
    identities: int
    seconds: float
    seed: int
    texts_from: str  # "fft" (real comments) or "synthetic"


def _current_model_version() -> str:
    try:
        manifest = json.loads(
            (Path(settings.ANALYSIS_ARTIFACTS_DIR) / MANIFEST_FILE).read_text(encoding="utf-8")
        )
        return str(manifest["model_version"])
    except (OSError, ValueError, KeyError):
        return "minilm-l6-heads-current"


def _batches(generator: _Generator, count: int, size: int) -> Iterator[list[_Item]]:
    items = generator.items(count)
    while batch := list(islice(items, size)):
        yield batch


def feedback_generate(
    *,
    count: int,
    seed: int,
    years: int = DEFAULT_YEARS,
    batch_size: int | None = None,
    now: dt.datetime | None = None,
    fft_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    focus: Sequence[str] = (),
    focus_share: float = 0.0,
) -> GenerateResult:
    """Make ``count`` synthetic items received over the last ``years`` years; see the module."""
    if count < 1:
        raise SyntheticDataError("The count must be at least 1.")
    if not 1 <= years <= 10:
        raise SyntheticDataError("Years must be between 1 and 10.")
    began = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
    if not 0 <= focus_share <= 1:
        raise SyntheticDataError("The focus share must be between 0 and 1.")
    directory = _Directory(rng, focus)
    texts = _fft_texts(fft_path or FFT_PATH)
    texts_from = "fft" if texts else "synthetic"
    if not texts:
        texts = _synthetic_texts(rng)
    generator = _Generator(
        rng=rng,
        directory=directory,
        texts=texts,
        now=now or timezone.now(),
        years=years,
        current_model=_current_model_version(),
        focus_share=focus_share if focus else 0.0,
    )
    postgres = connection.vendor == "postgresql"
    writer: _Writer = _CopyWriter() if postgres else _OrmWriter()
    size = batch_size or (DEFAULT_BATCH_SIZE if postgres else SQLITE_BATCH_SIZE)
    made = themes = identities = 0
    for batch in _batches(generator, count, size):
        t, i = writer.write(batch)
        made += len(batch)
        themes += t
        identities += i
        if progress is not None:
            progress(made)
    if postgres:
        with connection.cursor() as cursor:
            # Fresh planner statistics: a million new rows change every plan on these tables.
            for model in (Feedback, FeedbackTheme, Identity):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return GenerateResult(
        items=made,
        themes=themes,
        identities=identities,
        seconds=time.perf_counter() - began,
        seed=seed,
        texts_from=texts_from,
    )
