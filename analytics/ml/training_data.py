"""The analyser's training data: the shared FFT file, read and split.

A row is held out when the SHA-256 of its ``Comment ID`` falls in the lowest 20% (independent of
the seed and of the other rows, so it never moves when the seed or the file changes). The rest
is the training portion, whose cross-validation folds come from hashing ``Comment ID`` with the
seed. The data is never copied into the repository. No torch here: evaluation and the benchmarks
read the file too.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics.ml.fft_export import RATING_COLUMN, SERVICE_COLUMN, parse_rating, service_type
from analytics.themes import THEMES

FFT_FILE = "fft_v6_shared.csv"
HELD_OUT_PERCENT = 20
# Part of the held-out hash: changing it would move rows between the splits, so it never changes.
HELD_OUT_SALT = "patientview-held-out-v1:"
HELD_OUT_DESCRIPTION = (
    f"{HELD_OUT_PERCENT}% of {FFT_FILE}: rows where int(sha256('{HELD_OUT_SALT}' + Comment ID)"
    f"[:8], 16) % 100 < {HELD_OUT_PERCENT}; never used to fit, select or calibrate anything"
)


class TrainingDataError(Exception):
    """The training data is missing or not in the expected format; the message says what."""


@dataclass(frozen=True)
class FftData:
    """The FFT rows: comments, their labels and which of them are held out."""

    comment_ids: tuple[str, ...]
    questions: tuple[str, ...]
    texts: tuple[str, ...]
    ratings: tuple[int | None, ...]  # the FFT rating, 1 very good ... 6 don't know; None if none
    service_types: tuple[str, ...]  # feedback.choices.ServiceType values, "" where not known
    sentiment: np.ndarray  # 1-5, 0 where not labelled
    themes: np.ndarray  # (n, len(THEMES)) 0/1, columns in THEME_SLUGS order
    held_out: np.ndarray  # bool


def _hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def is_held_out(comment_id: str) -> bool:
    """Whether this FFT row belongs to the held-out split (fixed: no seed involved)."""
    return _hash_int(HELD_OUT_SALT + comment_id) % 100 < HELD_OUT_PERCENT


def fold_of(comment_id: str, *, seed: int, folds: int) -> int:
    """The cross-validation fold of a training row."""
    return _hash_int(f"fold:{seed}:{comment_id}") % folds


def _read_rows(path: Path, required: Sequence[str]) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise TrainingDataError(f"training data not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise TrainingDataError(f"{path.name} lacks the columns: " + ", ".join(missing))
        yield from reader


def read_fft(path: Path) -> FftData:
    """Read the FFT file; every theme of analytics.themes must be one of its columns.

    The FFT rating and service type columns are optional: without them every comment is read
    as unrated, of an unknown service.
    """
    theme_columns = [t.label for t in THEMES]
    required = ["Comment ID", "FFT question", "FFT answer", "Comment sentiment", *theme_columns]
    ids, questions, texts, ratings, services, sentiment, themes = [], [], [], [], [], [], []
    for row in _read_rows(path, required):
        ids.append(row["Comment ID"])
        questions.append(row["FFT question"] or "")
        texts.append(row["FFT answer"] or "")
        ratings.append(parse_rating(row.get(RATING_COLUMN)))
        services.append(service_type(row.get(SERVICE_COLUMN)))
        label = (row["Comment sentiment"] or "").strip()
        sentiment.append(int(label) if label in {"1", "2", "3", "4", "5"} else 0)
        themes.append([1 if (row[c] or "").strip() == "1" else 0 for c in theme_columns])
    if len(set(ids)) != len(ids):
        raise TrainingDataError(f"{path.name}: Comment ID values are not unique")
    return FftData(
        comment_ids=tuple(ids),
        questions=tuple(questions),
        texts=tuple(texts),
        ratings=tuple(ratings),
        service_types=tuple(services),
        sentiment=np.array(sentiment, dtype=np.int64),
        themes=np.array(themes, dtype=np.int8).reshape(len(ids), len(THEMES)),
        held_out=np.array([is_held_out(i) for i in ids], dtype=bool),
    )
