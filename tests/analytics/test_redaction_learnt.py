from pathlib import Path

import numpy as np
import pytest

from analytics import redaction_engine
from analytics.redaction import redact
from analytics.redaction_learnt import (
    ARTIFACT,
    CLASSES,
    WordModel,
    learnt_recogniser,
    spans_from,
    words_of,
)
from analytics.redaction_scoring import parse
from analytics.redaction_training import word_labels

ARTIFACTS = Path(__file__).resolve().parents[2] / "analytics" / "artifacts"
CUTOFFS = {"NAME": 0.5, "ADDRESS": 0.5}


def _probabilities(kinds: list[str]) -> np.ndarray:
    out = np.zeros((len(kinds), len(CLASSES)))
    for i, kind in enumerate(kinds):
        out[i, CLASSES.index(kind)] = 0.9
        out[i, 0] = 0.1
    return out


def test_consecutive_name_words_and_an_initial_become_one_span() -> None:
    text = "thanks to J. Okafor and sue"
    kinds = ["O", "O", "NAME", "NAME", "O", "NAME"]
    spans = spans_from(text, words_of(text), _probabilities(kinds), CUTOFFS)
    assert [text[s:e] for s, e, _ in spans] == ["J. Okafor", "sue"]


def test_an_address_runs_across_its_commas_but_not_into_other_words() -> None:
    text = "we live at 4 mill lane, hawes and the ward"
    kinds = ["O", "O", "O", "ADDRESS", "ADDRESS", "ADDRESS", "ADDRESS", "O", "O", "O"]
    spans = spans_from(text, words_of(text), _probabilities(kinds), CUTOFFS)
    assert [(text[s:e], k) for s, e, k in spans] == [("4 mill lane, hawes", "ADDRESS")]


def test_a_word_below_its_kinds_cut_off_is_left() -> None:
    text = "grace was lovely"
    probabilities = np.array([[0.6, 0.4, 0.0], [1, 0, 0], [1, 0, 0]])
    assert spans_from(text, words_of(text), probabilities, CUTOFFS) == []


def test_words_take_the_kind_of_the_mark_they_lie_in() -> None:
    item = parse("ask {{NAME:mark o'brien}} at {{ADDRESS:2 the close}} on {{PHONE:07700 900123}}")
    labels = word_labels(item, words_of(item.text))
    assert [CLASSES[i] for i in labels] == [
        "O", "NAME", "NAME", "O", "ADDRESS", "ADDRESS", "ADDRESS", "O", "O", "O",
    ]  # fmt: skip


def test_a_stored_model_reads_back_the_same(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    model = WordModel(
        mean=rng.normal(size=5).astype(np.float32),
        scale=np.ones(5, dtype=np.float32),
        coef=rng.normal(size=(3, 5)).astype(np.float32),
        intercept=np.zeros(3, dtype=np.float32),
        layers=(3,),
        cutoffs={"NAME": 0.45, "ADDRESS": 0.3},
    )
    model.save(tmp_path, {"texts": 1})
    again = WordModel.load(tmp_path)
    features = rng.normal(size=(4, 5)).astype(np.float32)
    assert np.allclose(model.probabilities(features), again.probabilities(features))
    assert again.cutoffs == model.cutoffs and again.layers == (3,)


def test_without_a_stored_model_the_rules_still_redact(tmp_path: Path) -> None:
    assert learnt_recogniser(str(tmp_path)) is None


needs_model = pytest.mark.skipif(
    not (ARTIFACTS / ARTIFACT).exists(), reason="the learnt recogniser is not stored"
)


@needs_model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("my wife jane smith was left without water all night", "jane smith"),
        ("the physio tomasz wisniewski was brilliant with my dad", "tomasz wisniewski"),
        ("ask for oluwaseun adeyemi, my son, he knows all the details", "oluwaseun adeyemi"),
    ],
)
def test_names_patients_type_in_lower_case_are_replaced(text: str, name: str) -> None:
    assert redaction_engine.learnt() is not None
    redacted = redact(text)
    assert name not in redacted.lower()
    assert "[NAME]" in redacted


@needs_model
def test_an_address_without_a_postcode_is_replaced() -> None:
    redacted = redact("please write to me at 14 brook farm cottages, low bentham as I moved")
    assert "brook farm" not in redacted.lower()


@needs_model
@pytest.mark.parametrize(
    "text",
    [
        "I hope the ward will mark the change and bill us less for parking",
        "The nurse on Rose Ward gave him his 10mg dose at 14:00 in bay 3",
    ],
)
def test_words_that_can_be_names_are_kept_where_they_are_words(text: str) -> None:
    assert redact(text) == text
