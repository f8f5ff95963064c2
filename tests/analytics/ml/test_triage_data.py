"""The written triage data: every file follows the labelling guide, and the evaluation sets stay
apart from what the reader learns from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analytics.ml.triage_data import (
    CORPUS_DIR,
    EVALUATION_DIR,
    TriageDataError,
    read_directory,
    read_evaluation_sets,
)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def test_every_written_file_follows_the_guide_and_its_routes_agree_with_the_labels() -> None:
    for directory, source in ((CORPUS_DIR, "corpus"), (EVALUATION_DIR, "evaluation")):
        examples = read_directory(directory, source=source)
        assert examples, directory
        for example in examples:
            assert example.route in {"cqc", "icb", "trust"}, example.id


def test_no_evaluation_item_is_also_in_the_training_corpus() -> None:
    corpus = read_directory(CORPUS_DIR, source="corpus")
    evaluation = read_directory(EVALUATION_DIR, source="evaluation")
    assert not {e.id for e in corpus} & {e.id for e in evaluation}
    assert not {e.situation for e in corpus} & {e.situation for e in evaluation}
    assert not {_words(e.text) for e in corpus} & {_words(e.text) for e in evaluation}


def _write(path: Path, ids: list[str]) -> None:
    record = {
        "situation": "s1", "text": "The nurse was kind.", "kind": "compliment",
        "service_type": "acute", "provider_named": True, "labels": [], "route": "trust",
        "voice": "patient", "register": "plain",
    }  # fmt: skip
    path.write_text("".join(json.dumps({**record, "id": i}) + "\n" for i in ids))


def test_each_evaluation_set_is_scored_on_its_own(tmp_path: Path) -> None:
    _write(tmp_path / "eval.jsonl", ["a1", "a2"])
    _write(tmp_path / "eval_v2.jsonl", ["b1"])

    sets = read_evaluation_sets(tmp_path)

    assert {name: [e.id for e in examples] for name, examples in sets.items()} == {
        "eval.jsonl": ["a1", "a2"],
        "eval_v2.jsonl": ["b1"],
    }
    assert list(read_evaluation_sets(tmp_path / "eval_v2.jsonl")) == ["eval_v2.jsonl"]


def test_an_id_in_two_evaluation_sets_is_refused_naming_it(tmp_path: Path) -> None:
    _write(tmp_path / "eval.jsonl", ["a1"])
    _write(tmp_path / "eval_v2.jsonl", ["a1"])

    with pytest.raises(TriageDataError, match="a1"):
        read_evaluation_sets(tmp_path)
