"""``manage.py analyse_csv``: the committed model over a CSV, offline, the worker's code path."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from analytics.csv_analysis import OUTPUT_COLUMNS, CsvInputError, analyse_csv_stream
from tests.analytics.test_ml import COMMITTED


@pytest.fixture(autouse=True)
def committed_model(settings) -> None:
    settings.ANALYSIS_ARTIFACTS_DIR = COMMITTED


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_every_row_comes_back_with_its_columns_and_the_analysis(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.csv",
        [
            {
                "id": "1",
                "question": "What was good?",
                "fft_rating": "1",
                "text": "The staff were wonderful, kind and caring, thank you",
            },
            {
                "id": "2",
                "question": "What could we do better?",
                "fft_rating": "",
                "text": "I waited 9 hours in pain and nobody told me anything, disgraceful",
            },
        ],
    )
    out = StringIO()
    call_command("analyse_csv", source, output=tmp_path / "out.csv", stdout=out)
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert list(rows[0]) == ["id", "question", "fft_rating", "text", *OUTPUT_COLUMNS]
    assert [r["sentiment_label"] for r in rows] == ["positive", "negative"]
    assert all(r["route"] for r in rows)
    assert out.getvalue().startswith("analysed 2 rows in ")


@pytest.mark.parametrize("rating", ["7", "good", "0"])
def test_a_rating_out_of_range_names_the_row_and_writes_nothing(
    tmp_path: Path, rating: str
) -> None:
    source = write(
        tmp_path / "in.csv",
        [
            {"text": "Lovely staff", "fft_rating": "2"},
            {"text": "Long wait", "fft_rating": rating},
        ],
    )
    with pytest.raises(CommandError, match=f"row 3: fft_rating '{rating}' is not 1"):
        call_command("analyse_csv", source, output=tmp_path / "out.csv", stdout=StringIO())
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "out.csv.partial").exists()


def test_a_file_without_a_text_column_is_refused() -> None:
    with pytest.raises(CsvInputError, match="no 'text' column"):
        analyse_csv_stream(StringIO("comment\nhello\n"), StringIO())
