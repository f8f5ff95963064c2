"""Training the triage reader: the branch's tuned layers, its heads, their calibration and cut-offs.

What happens, in order (``manage.py train_triage`` runs :func:`train_triage`):

1. Gather the examples: the written corpus (``data/triage/corpus``), the shared FFT file's
   training portion (never a held-out row) with its safeguarding and Mental Health Act labels,
   the criticality file's "feeling safe" and "leave under the Act" rows, and staff corrections
   when a file of them is given. The evaluation set is never read here.
2. Split every item into the windows the encoder reads and run the frozen lower layers once over
   each window; epochs then run only the branch's layers.
3. Cross-validate with folds grouped by situation (paraphrases of one situation never sit on both
   sides): each fold's branch is fine-tuned on the other folds and predicts its fold. ("Told in
   passing" composites made from the training folds were tried and lowered the out-of-fold
   figures; the corpus now holds items written that way instead: docs/model-card.md.)
4. From the out-of-fold logits: Platt scaling per label, each label's cut-off and, for the CQC's
   labels, the floor of the band a person checks. Every figure in the manifest is out of fold.
5. Fine-tune once more on everything, write ``triage_branch.npz``, ``triage.npz`` and
   ``triage.json``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from analytics.ml.encoder import Encoder, Window, _contexts
from analytics.ml.heads import sha256_file
from analytics.ml.triage import (
    TriageHeads,
)
from analytics.ml.triage_branch import TriageBranch, collate_windows
from analytics.ml.triage_data import (
    CORPUS_DIR,
    CRITICALITY_FILE,
    FFT_FILE,
    TRIAGE_LABELS,
    TriageExample,
    read_criticality_rows,
    read_directory,
    read_fft_rows,
    read_jsonl,
)
from analytics.ml.triage_output import (
    by_source,
    count_sources,
    format_scores,
    save_triage,
    write_out_of_fold,
)
from analytics.ml.triage_scoring import calibrate, route_scores

DEFAULT_SEED = 20261203


@dataclass(frozen=True)
class TriageConfig:
    """Knobs of one triage training run; the defaults made the committed artifacts."""

    seed: int = DEFAULT_SEED
    folds: int = 3
    # The branch: its own copy of the encoder's layers from this one up (the lower ones are the
    # base model's, shared with the sentiment path). Three layers of its own (3-5) since the
    # corpus grew to 3,040 items: a quarter less reading time than four, and four epochs over
    # the larger corpus take about as many steps as five did over the 2,020 items before.
    first_layer: int = 3
    epochs: int = 4
    batch_size: int = 32
    layer_lr: float = 1.5e-4
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    dropout: float = 0.1
    # FFT and criticality rows: real patients' words, few of them positive. Every positive is
    # kept; of the rows without a label, this share (drawn by the seed), at this weight.
    real_negative_share: float = 0.15
    real_row_weight: float = 0.3
    # Positive examples weigh (negatives / positives) ** this power, at most 20x.
    positive_weight_power: float = 0.5
    # The CQC's operating point, out of fold: at most this share of items not for the CQC sent
    # there, and the band people check reaching down until CQC items reach the CQC or a check
    # this share of the time.
    cqc_false_alarm: float = 0.05
    check_recall: float = 0.97
    batch_windows: int = 96


@dataclass
class Prepared:
    """Every example's windows with their lower-layer states, ready for the branch."""

    states: list[torch.Tensor] = field(default_factory=list)
    types: list[list[int]] = field(default_factory=list)
    passages: list[list[int]] = field(default_factory=list)
    primary: list[bool] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # example index of each window
    windows_of: list[list[int]] = field(default_factory=list)  # window indices per example

    def lengths(self) -> np.ndarray:
        return np.array([sum(self.states[w].shape[0] for w in ws) for ws in self.windows_of])


def _hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


def fold_of(situation: str, *, seed: int, folds: int) -> int:
    """A situation's cross-validation fold: all its tellings fall in the same one."""
    return _hash_int(f"triage-fold:{seed}:{situation}") % folds


def gather(
    data_dir: Path,
    *,
    corpus_dir: Path = CORPUS_DIR,
    corrections: Path | None = None,
    config: TriageConfig,
    keep_fft: Callable[[str], bool],
) -> list[TriageExample]:
    """The training examples: written corpus, real labelled rows, and staff corrections."""
    examples = read_directory(corpus_dir, source="corpus")
    with (data_dir / FFT_FILE).open(newline="", encoding="utf-8-sig") as handle:
        ids = [row["Comment ID"] for row in csv.DictReader(handle)]
    real = read_fft_rows(data_dir / FFT_FILE, keep=[i for i in ids if keep_fft(i)])
    if (data_dir / CRITICALITY_FILE).is_file():
        real += read_criticality_rows(data_dir / CRITICALITY_FILE)
    rng = np.random.default_rng(config.seed)
    kept = [e for e in real if e.labels or rng.random() < config.real_negative_share]
    examples += kept
    if corrections is not None:
        examples += read_jsonl(corrections, source="corrections")
    return examples


def prepare(encoder: Encoder, examples: Sequence[TriageExample], *, first_layer: int) -> Prepared:
    """Tokenise every example into windows and run the shared lower layers over each, once."""
    windows, order = encoder.windows(
        [e.question for e in examples],
        [e.text for e in examples],
        None,
        [e.service_type for e in examples],
    )
    states = encoder.lower_states(
        {
            "input_ids": [w.ids for w in windows],
            "token_type_ids": [w.types for w in windows],
            "attention_mask": [[1] * len(w.ids) for w in windows],
        },
        lower_layers=first_layer,
    )
    by_pair: dict[int, list[int]] = {}
    for index, window in enumerate(windows):
        by_pair.setdefault(window.item, []).append(index)
    prepared = Prepared()
    for example_index, pair in enumerate(order):
        ws = []
        for w in by_pair[pair]:
            item_window: Window = windows[w]
            prepared.states.append(states[w][0])
            prepared.types.append(item_window.types)
            prepared.passages.append(item_window.passages)
            prepared.primary.append(item_window.primary)
            prepared.owner.append(example_index)
            ws.append(len(prepared.states) - 1)
        prepared.windows_of.append(ws)
    return prepared


def _batch(prepared: Prepared, items: Sequence[int]) -> Any:
    windows = [w for i in items for w in prepared.windows_of[i]]
    local = {item: j for j, item in enumerate(items)}
    return collate_windows(
        [prepared.states[w] for w in windows],
        [prepared.types[w] for w in windows],
        [prepared.passages[w] for w in windows],
        [local[prepared.owner[w]] for w in windows],
        [prepared.primary[w] for w in windows],
    )


def _batches(lengths: np.ndarray, batch_size: int, generator: torch.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (as the sentiment training makes them)."""
    order = torch.randperm(len(lengths), generator=generator).numpy()
    window = batch_size * 50
    batches: list[np.ndarray] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    shuffled = torch.randperm(len(batches), generator=generator).numpy()
    return [batches[i] for i in shuffled]


def fine_tune_branch(
    base: Any,
    prepared: Prepared,
    labels: np.ndarray,
    known: np.ndarray,
    weights: np.ndarray,
    *,
    config: TriageConfig,
    seed: int,
    log: Callable[[str], None] = lambda message: None,
) -> TriageBranch:
    """Train the branch's layers and head on the prepared examples; returns it in eval mode."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)
    branch = TriageBranch(
        base, first_layer=config.first_layer, n_labels=len(TRIAGE_LABELS), dropout=config.dropout
    )
    y = torch.tensor(labels, dtype=torch.float32)
    mask = torch.tensor(known, dtype=torch.float32) * torch.tensor(weights).unsqueeze(1)
    positives = (y * (mask > 0)).sum(dim=0)
    negatives = ((1 - y) * (mask > 0)).sum(dim=0)
    pos_weight = (negatives / positives.clamp(min=1)).clamp(min=1, max=20) ** (
        config.positive_weight_power
    )
    optimiser = torch.optim.AdamW(
        [
            {"params": list(branch.layers.parameters()), "lr": config.layer_lr},
            {"params": list(branch.head.parameters()), "lr": config.head_lr},
        ],
        weight_decay=config.weight_decay,
        foreach=True,
    )
    lengths = prepared.lengths()
    steps = math.ceil(len(lengths) / config.batch_size) * config.epochs
    warmup = max(1, int(config.warmup_share * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))),
    )
    for epoch in range(config.epochs):
        branch.train()
        total, started = 0.0, time.perf_counter()
        for rows in _batches(lengths, config.batch_size, generator):
            items = [int(i) for i in rows]
            logits = branch(_batch(prepared, items), len(items))
            index = torch.as_tensor(items)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y[index], pos_weight=pos_weight, reduction="none"
            )
            loss = (loss * mask[index]).sum() / mask[index].sum().clamp(min=1)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(items)
        log(
            f"    epoch {epoch + 1}/{config.epochs}: loss {total / len(lengths):.4f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    return branch.eval()


def branch_logits(
    branch: TriageBranch, prepared: Prepared, items: Sequence[int], *, batch_items: int = 64
) -> np.ndarray:
    """The branch's logits (len(items), k) for some of the prepared examples, dropout off."""
    branch.eval()
    out = np.zeros((len(items), len(TRIAGE_LABELS)))
    lengths = prepared.lengths()[list(items)]
    order = np.argsort(lengths, kind="stable")
    with torch.inference_mode():
        for start in range(0, len(items), batch_items):
            rows = order[start : start + batch_items]
            chosen = [items[int(r)] for r in rows]
            out[rows] = branch(_batch(prepared, chosen), len(chosen)).double().numpy()
    return out


# --- the run ------------------------------------------------------------------------------------


def _arrays(examples: Sequence[TriageExample], config: TriageConfig) -> tuple[np.ndarray, ...]:
    y = np.array([e.label_vector() for e in examples], dtype=np.float32)
    known = np.array(
        [[label in e.known_labels() for label in TRIAGE_LABELS] for e in examples],
        dtype=np.float32,
    )
    weights = np.array(
        [config.real_row_weight if e.source in ("fft", "criticality") else 1.0 for e in examples],
        dtype=np.float32,
    )
    return y, known, weights


def train_triage(
    *,
    data_dir: Path,
    output_dir: Path,
    encoder: Encoder,
    model_version: str,
    keep_fft: Callable[[str], bool],
    config: TriageConfig | None = None,
    corpus_dir: Path = CORPUS_DIR,
    corrections: Path | None = None,
    log: Callable[[str], None] = print,
    out_of_fold: Path | None = None,
) -> dict[str, Any]:
    """Train, calibrate and write the triage reader for the encoder of ``model_version``.

    ``out_of_fold``: a JSON-lines file to write each example's calibrated out-of-fold
    probabilities to, for decisions made out of fold (``bench/triage_rules_oof.py``)."""
    config = config or TriageConfig()
    started = time.perf_counter()
    laps: dict[str, float] = {}

    def lap(name: str) -> None:
        laps[name] = round(time.perf_counter() - started - sum(laps.values()), 1)

    examples = gather(
        data_dir, corpus_dir=corpus_dir, corrections=corrections, config=config, keep_fft=keep_fft
    )
    log(f"{len(examples)} examples: " + count_sources(examples))
    prepared = prepare(encoder, examples, first_layer=config.first_layer)
    lap("prepare_s")
    folds = np.array([fold_of(e.situation, seed=config.seed, folds=config.folds) for e in examples])
    oof = np.zeros((len(examples), len(TRIAGE_LABELS)))
    for fold in range(config.folds):
        pool = [i for i in range(len(examples)) if folds[i] != fold]
        held = [i for i in range(len(examples)) if folds[i] == fold]
        log(f"  fold {fold + 1}/{config.folds}: {len(pool)} training, {len(held)} predicted")
        y, known, weights = _arrays(examples, config)
        branch = fine_tune_branch(
            encoder.model,
            _subset(prepared, pool),
            y[pool],
            known[pool],
            weights[pool],
            config=config,
            seed=config.seed + fold,
            log=log,
        )
        oof[held] = branch_logits(branch, prepared, held)
    lap("cross_validation_s")

    y, known, weights = _arrays(examples, config)
    calibration = calibrate(oof, y, known, examples, config=config)
    oof_scores = route_scores(calibration.probabilities(oof), examples, calibration)
    log(format_scores(oof_scores, "out of fold"))
    if out_of_fold is not None:
        write_out_of_fold(out_of_fold, examples, calibration.probabilities(oof), calibration)

    log(f"  all {len(examples)} examples")
    branch = fine_tune_branch(
        encoder.model,
        _subset(prepared, range(len(examples))),
        y,
        known,
        weights,
        config=config,
        seed=config.seed,
        log=log,
    )
    lap("final_fit_s")
    heads = TriageHeads(
        labels=TRIAGE_LABELS,
        weights=branch.head.weight.detach().double().numpy().copy(),
        bias=branch.head.bias.detach().double().numpy().copy(),
        platt_a=calibration.platt_a,
        platt_b=calibration.platt_b,
        cutoffs=calibration.cutoffs,
        check_floors=calibration.check_floors,
    )
    heads.check()
    manifest = {
        "encoder_model_version": model_version,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": asdict(config),
        "labels": list(TRIAGE_LABELS),
        "training_data": {
            "examples": len(examples),
            "by_source": by_source(examples),
            "positives": {
                label: int(sum(label in e.labels for e in examples)) for label in TRIAGE_LABELS
            },
            "corpus_sha256": {
                path.name: sha256_file(path) for path in sorted(corpus_dir.glob("*.jsonl"))
            },
            "fft_sha256": sha256_file(data_dir / FFT_FILE),
            "corrections": str(corrections) if corrections else None,
        },
        "cutoffs": dict(zip(TRIAGE_LABELS, calibration.cutoffs.round(4).tolist(), strict=True)),
        "check_floors": {
            label: round(float(v), 4)
            for label, v in zip(TRIAGE_LABELS, calibration.check_floors, strict=True)
            if np.isfinite(v)
        },
        "validation_scores": oof_scores,
        "timings": {
            **laps,
            "total_s": round(time.perf_counter() - started, 1),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
    }
    return save_triage(output_dir, heads, branch.layer_arrays(), manifest)


def _subset(prepared: Prepared, items: Sequence[int]) -> Prepared:
    """The prepared examples ``items``, renumbered 0..len(items)-1."""
    out = Prepared()
    for new, item in enumerate(items):
        ws = []
        for w in prepared.windows_of[item]:
            out.states.append(prepared.states[w])
            out.types.append(prepared.types[w])
            out.passages.append(prepared.passages[w])
            out.primary.append(prepared.primary[w])
            out.owner.append(new)
            ws.append(len(out.states) - 1)
        out.windows_of.append(ws)
    return out


__all__ = ["TriageConfig", "_contexts", "train_triage"]
