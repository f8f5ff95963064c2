"""What a triage training run leaves behind: files the worker can load and check, the
out-of-fold probabilities for decisions made out of fold, and folds that keep a situation whole."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analytics.ml.heads import ArtifactError
from analytics.ml.triage import TRIAGE_MANIFEST_FILE, TriageHeads, load_triage
from analytics.ml.triage_data import TRIAGE_LABELS, TriageExample
from analytics.ml.triage_output import save_triage, write_out_of_fold
from analytics.ml.triage_scoring import Calibration
from analytics.ml.triage_training import fold_of

K = len(TRIAGE_LABELS)


def heads() -> TriageHeads:
    return TriageHeads(
        labels=TRIAGE_LABELS,
        weights=np.full((K, 4), 0.1),
        bias=np.zeros(K),
        platt_a=np.ones(K),
        platt_b=np.zeros(K),
        cutoffs=np.full(K, 0.5),
        check_floors=np.array([0.2, 0.2, 0.2, np.nan, np.nan, np.nan]),
    )


def example(i: int, situation: str = "") -> TriageExample:
    return TriageExample(
        id=f"x-{i}", situation=situation or f"s-{i}", text="t", kind="complaint",
        service_type="", provider_named=True, labels=frozenset(), source="corpus",
    )  # fmt: skip


def test_the_saved_reader_loads_and_a_changed_file_is_refused(tmp_path):
    branch = {"layer.0.weight": np.ones((2, 2), dtype=np.float32)}
    save_triage(tmp_path, heads(), branch, {"encoder_model_version": "v1", "config": {}})
    loaded, layers, manifest = load_triage(tmp_path)
    assert loaded.labels == TRIAGE_LABELS
    assert layers["layer.0.weight"].dtype == np.float32
    assert manifest["files"]["triage_branch.npz"]["dtype"] == "float16"

    manifest_path = tmp_path / TRIAGE_MANIFEST_FILE
    edited = json.loads(manifest_path.read_text())
    edited["files"]["triage.npz"]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(edited))
    with pytest.raises(ArtifactError):
        load_triage(tmp_path)


def test_out_of_fold_probabilities_are_written_with_the_cutoffs_chosen_on_them(tmp_path):
    path = tmp_path / "oof.jsonl"
    calibration = Calibration(np.ones(K), np.zeros(K), np.full(K, 0.4), heads().check_floors)
    write_out_of_fold(path, [example(1), example(2)], np.full((2, K), 0.25), calibration)
    header, *rows = (json.loads(line) for line in path.read_text().splitlines())
    assert header["cutoffs"]["safeguarding"] == 0.4
    assert set(header["check_floors"]) == {"safeguarding", "mental_health_act", "serious_risk"}
    assert [row["id"] for row in rows] == ["x-1", "x-2"]
    assert rows[0]["scores"]["serious_risk"] == 0.25


def test_tellings_of_one_situation_share_a_fold_and_folds_are_all_used():
    assert fold_of("s-7", seed=1, folds=3) == fold_of("s-7", seed=1, folds=3)
    folds = {fold_of(f"s-{i}", seed=1, folds=3) for i in range(60)}
    assert folds == {0, 1, 2}
