"""The reader's precision: bfloat16 reads as fp32 does, and "auto" uses it only where it pays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analytics.ml.analyser import Analyser, AnalysisInput, ModelUnavailable
from analytics.ml.runtime import bfloat16_units

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "analytics" / "artifacts"
CORPUS = ROOT / "analytics" / "ml" / "data" / "triage" / "corpus"


def corpus_items(per_file: int = 12) -> list[AnalysisInput]:
    """Items of every kind the triage corpus holds (harm, ordinary, hard negatives), long and
    short, as a patient wrote them."""
    items = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()][:per_file]
        items += [
            AnalysisInput(text=row["text"], service_type=row.get("service_type") or "")
            for row in rows
        ]
    return items


@pytest.fixture(scope="module")
def readings() -> dict[str, list]:
    items = corpus_items()
    return {
        precision: Analyser.load(COMMITTED, precision=precision).analyse(items)
        for precision in ("fp32", "bf16")
    }


def test_bfloat16_reads_as_fp32_does(readings) -> None:
    fp32, bf16 = readings["fp32"], readings["bf16"]
    assert len(fp32) == len(bf16) > 60
    sentiments = np.mean([a.sentiment == b.sentiment for a, b in zip(fp32, bf16, strict=True)])
    assert sentiments >= 0.95
    for a, b in zip(fp32, bf16, strict=True):
        assert a.triage is not None and b.triage is not None
        for label, score in a.triage.scores.items():
            assert abs(score - b.triage.scores[label]) < 0.1, (label, score)
    raised = {label: sum(r.triage.raised(label) for r in fp32) for label in fp32[0].triage.scores}
    assert {label: sum(r.triage.raised(label) for r in bf16) for label in raised} == pytest.approx(
        raised, abs=2
    )


@pytest.mark.parametrize(("units", "expected"), [(True, "bf16"), (False, "fp32")])
def test_auto_uses_bfloat16_only_where_the_cpu_has_the_units(monkeypatch, units, expected) -> None:
    from analytics.ml import encoder

    monkeypatch.setattr(encoder, "bfloat16_units", lambda: units)
    assert Analyser.load(COMMITTED, precision="auto").encoder.precision == expected


def test_this_cpu_is_asked_about_its_bfloat16_units() -> None:
    assert isinstance(bfloat16_units(), bool)


def test_an_unknown_precision_is_refused_naming_the_choices() -> None:
    with pytest.raises(ModelUnavailable, match="fp32, bf16, auto"):
        Analyser.load(COMMITTED, precision="int4")
