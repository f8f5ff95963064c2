"""``manage.py evaluate_models`` on a tiny made-up FFT file: offline, seconds, no shared data."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from analytics.ml import baselines
from analytics.ml.training import FFT_FILE
from tests.analytics.test_ml import COMMITTED, write_synthetic_fft


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    write_synthetic_fft(directory / FFT_FILE)
    return directory


def test_evaluate_models_prints_the_models_side_by_side(tiny_data: Path) -> None:
    out, err = StringIO(), StringIO()
    call_command("evaluate_models", data_dir=tiny_data, artifacts=COMMITTED, stdout=out, stderr=err)
    text = out.getvalue()
    assert (
        "| Measure | this model | this model, text and question only | frozen MiniLM + LR "
        "| VADER |" in text
    )
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| Measure")
    }
    for name in (
        "Sentiment 5-point macro-F1",
        "Sentiment 5-point accuracy",
        "Sentiment 3-way macro-F1",
    ):
        assert len(rows[name]) == 4
        assert all(0.0 <= float(cell) <= 1.0 for cell in rows[name])
    # A lexicon has no themes.
    assert rows["Themes micro-F1"][3] == "n/a"
    assert all(0.0 <= float(cell) <= 1.0 for cell in rows["Themes micro-F1"][:3])
    per_class = [name for name in rows if name.startswith("F1 class ")]
    assert len(per_class) == 5
    # Risk flags of this model with routing's rules, recall and precision per labelled flag.
    assert "| safeguarding | " in text and "| mental_health_act | " in text
    assert "| serious_risk | no label in the data |" in text


def test_evaluate_models_without_data_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        call_command("evaluate_models", data_dir=tmp_path, artifacts=COMMITTED, stdout=StringIO())


def test_vader_cut_points_are_fitted_for_macro_f1() -> None:
    # Scores that separate the classes perfectly: the fitted cuts must find that.
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, size=500)
    scores = 1.0 - (y - 1) / 2.0 + rng.uniform(-0.1, 0.1, size=500)  # 1 -> ~1, 5 -> ~-1
    model = baselines.fit_vader(scores, y)
    assert (model.five_point(scores) == y).mean() > 0.95
    three = np.where(y <= 2, 0, np.where(y == 3, 1, 2))
    assert (model.three_way(scores) == three).mean() > 0.95
    # Unlabelled rows (0) are ignored when fitting.
    with_unlabelled = baselines.fit_vader(np.append(scores, [0.0] * 50), np.append(y, [0] * 50))
    assert with_unlabelled.five_point_cuts == model.five_point_cuts
