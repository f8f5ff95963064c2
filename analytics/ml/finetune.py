"""Fine-tuning the top layers of all-MiniLM-L6-v2 with the sentiment and theme heads, on 2 cores.

The lower layers stay frozen, so their output for each training comment is computed once
(:meth:`analytics.ml.encoder.Encoder.lower_states`) and every epoch only runs the tuned top layers
forward and backward: about a third of a full forward pass per comment. One model learns both
tasks: a 5-way sentiment layer (class-weighted cross-entropy) and one logistic output per theme
(binary cross-entropy), both on the comment's mean-pooled tokens. The theme outputs shape the
tuned layers; the analyser's theme heads are then fitted on the pooled vectors
(analytics.ml.training).

Runs are deterministic for a given seed and thread count: a seeded generator shuffles, dropout
draws from the seeded global generator, and torch's deterministic algorithms are enforced.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers.masking_utils import create_bidirectional_mask

from analytics.ml.encoder import BASE_LAYERS, HIDDEN_SIZE, TUNED_LAYERS
from analytics.ml.pooling import comment_mask, mean_pool

# (states after the frozen layers (length, HIDDEN_SIZE), token type ids (length,))
LowerState = tuple[torch.Tensor, torch.Tensor]
N_SENTIMENT = 5


@dataclass(frozen=True)
class FineTuneConfig:
    """Hyperparameters of one fine-tuning run (chosen by cross-validation on the training rows)."""

    # Four layers, theme weight 3: chosen by cross-validation on the training portion (the
    # table in docs/model-card.md); more layers help sentiment, the heavier theme loss keeps the
    # theme information that tuning four layers otherwise loses.
    tuned_layers: int = TUNED_LAYERS
    epochs: int = 4
    batch_size: int = 32
    layer_lr: float = 1.5e-4
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    # Sentiment class weights are (balanced weight) ** power: 0 plain, 1 fully balanced.
    class_weight_power: float = 0.5
    # Weight of the theme loss (mean over themes of binary cross-entropy, summed over themes / 10).
    theme_weight: float = 3.0
    dropout: float = 0.1
    # Share of the examples with a service type or FFT rating read without either in each epoch
    # (a fresh draw per epoch), so that comments sent without them (the API, letters) are still
    # read well.
    context_dropout: float = 0.3
    # Of the examples not withheld both, the shares read without their rating only and without
    # their service only (independent draws), so that items with one and not the other (a staff
    # entry with no rating, a web form whose patient did not know the service) are seen too. 0
    # draws nothing. 0.3 / 0.15 / 0.15 (about half the examples read with both, 32% with
    # neither, 9% with each alone) beat 0.25 / 0 / 0 out of fold on every measure (model card).
    rating_dropout: float = 0.15
    service_dropout: float = 0.15


@dataclass(frozen=True)
class Example:
    """One training comment: its cached lower states, labels and weight.

    ``bare`` holds the lower states of the same comment read without its service type and FFT
    rating, for a comment that has either (None otherwise).
    """

    state: LowerState
    sentiment: int  # 1-5, 0 when not labelled
    themes: np.ndarray | None  # (k,) 0/1, None when the row has no theme labels
    weight: float = 1.0
    bare: LowerState | None = None
    # The same comment without its rating only, and without its service only (None when the
    # comment lacks that part, or training does not withhold it alone).
    unrated: LowerState | None = None
    unserviced: LowerState | None = None


class TopModel(torch.nn.Module):
    """The tuned top layers, mean pooling over the comment and the two linear heads."""

    def __init__(self, base: Any, *, tuned_layers: int, n_themes: int, dropout: float) -> None:
        super().__init__()
        self.config = base.config
        self.first = BASE_LAYERS - tuned_layers
        self.layers = copy.deepcopy(base.encoder.layer[self.first :])
        self.drop = torch.nn.Dropout(dropout)
        self.sentiment = torch.nn.Linear(HIDDEN_SIZE, N_SENTIMENT)
        self.themes = torch.nn.Linear(HIDDEN_SIZE, n_themes)

    def pooled(
        self, hidden: torch.Tensor, mask: torch.Tensor, token_types: torch.Tensor
    ) -> torch.Tensor:
        attention = create_bidirectional_mask(
            config=self.config, inputs_embeds=hidden, attention_mask=mask
        )
        for layer in self.layers:
            hidden = layer(hidden, attention)
        return mean_pool(hidden, comment_mask(mask, token_types))

    def forward(
        self, hidden: torch.Tensor, mask: torch.Tensor, token_types: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.drop(self.pooled(hidden, mask, token_types))
        return self.sentiment(pooled), self.themes(pooled)

    def top_layer_arrays(self) -> dict[str, np.ndarray]:
        """The tuned layers' parameters under the base model's names, as float32 arrays."""
        return {
            f"encoder.layer.{self.first + int(name.split('.')[0])}.{name.split('.', 1)[1]}": (
                param.detach().numpy().astype(np.float32)
            )
            for name, param in self.layers.named_parameters()
        }


def collate(states: Sequence[LowerState]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad cached states into a batch: (hidden, attention mask, token type ids)."""
    length = max(state.shape[0] for state, _ in states)
    hidden = torch.zeros(len(states), length, HIDDEN_SIZE)
    mask = torch.zeros(len(states), length, dtype=torch.long)
    token_types = torch.zeros(len(states), length, dtype=torch.long)
    for i, (state, types) in enumerate(states):
        n = state.shape[0]
        hidden[i, :n] = state
        mask[i, :n] = 1
        token_types[i, :n] = types
    return hidden, mask, token_types


def _batches(lengths: np.ndarray, batch_size: int, generator: torch.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length: shuffle, sort within windows of 50 batches, shuffle."""
    order = torch.randperm(len(lengths), generator=generator).numpy()
    window = batch_size * 50
    batches: list[np.ndarray] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    shuffled = torch.randperm(len(batches), generator=generator).numpy()
    return [batches[i] for i in shuffled]


def fine_tune(
    base: Any,
    examples: Sequence[Example],
    *,
    n_themes: int,
    config: FineTuneConfig,
    seed: int,
    log: Callable[[str], None] = lambda message: None,
) -> TopModel:
    """Train the top layers and heads on ``examples``; returns the model in eval mode."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(seed)
    model = TopModel(
        base, tuned_layers=config.tuned_layers, n_themes=n_themes, dropout=config.dropout
    )
    sentiment = torch.tensor([e.sentiment - 1 for e in examples])
    has_themes = torch.tensor([e.themes is not None for e in examples])
    themes = torch.tensor(
        np.stack(
            [
                e.themes if e.themes is not None else np.zeros(n_themes, dtype=np.float32)
                for e in examples
            ]
        ).astype(np.float32)
    ).reshape(len(examples), n_themes)
    weights = torch.tensor([e.weight for e in examples], dtype=torch.float32)
    lengths = np.array([e.state[0].shape[0] for e in examples])

    labelled = sentiment >= 0
    counts = torch.bincount(sentiment[labelled], minlength=N_SENTIMENT).float()
    class_weight = torch.where(
        counts > 0,
        (counts.sum() / (N_SENTIMENT * counts.clamp(min=1))) ** config.class_weight_power,
        0.0,
    )
    head_params = [*model.sentiment.parameters(), *model.themes.parameters()]
    optimiser = torch.optim.AdamW(
        [
            {"params": list(model.layers.parameters()), "lr": config.layer_lr},
            {"params": head_params, "lr": config.head_lr},
        ],
        weight_decay=config.weight_decay,
        # One batched update over all tensors instead of a loop over them: ~3x faster on CPU.
        foreach=True,
    )
    steps = math.ceil(len(examples) / config.batch_size) * config.epochs
    warmup = max(1, int(config.warmup_share * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))),
    )
    for epoch in range(config.epochs):
        model.train()
        total = 0.0
        started = time.perf_counter()
        for rows in _batches(lengths, config.batch_size, generator):
            index = torch.from_numpy(rows)
            draws = torch.rand(len(rows), generator=generator)
            withhold = (draws < config.context_dropout).tolist()
            alone = [(False, False)] * len(rows)
            if config.rating_dropout or config.service_dropout:
                parts = torch.rand(len(rows), 2, generator=generator)
                alone = [
                    (bool(r < config.rating_dropout), bool(s < config.service_dropout))
                    for r, s in parts.tolist()
                ]
            hidden, mask, token_types = collate(
                [
                    _state(examples[i], drop, *part)
                    for i, drop, part in zip(rows, withhold, alone, strict=True)
                ]
            )
            sentiment_logits, theme_logits = model(hidden, mask, token_types)
            loss = torch.zeros(())
            y = sentiment[index]
            keep = y >= 0
            if keep.any():
                w = weights[index][keep]
                cw = class_weight[y[keep]]
                ce = torch.nn.functional.cross_entropy(
                    sentiment_logits[keep], y[keep], reduction="none"
                )
                loss = loss + (ce * cw * w).sum() / (cw * w).sum()
            with_themes = has_themes[index]
            if with_themes.any():
                bce = torch.nn.functional.binary_cross_entropy_with_logits(
                    theme_logits[with_themes], themes[index][with_themes], reduction="none"
                )
                loss = loss + config.theme_weight * bce.sum(dim=1).mean() / 10
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(rows)
        log(
            f"    epoch {epoch + 1}/{config.epochs}: loss {total / len(examples):.4f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    return model.eval()


def _state(
    example: Example,
    withhold_context: bool,
    withhold_rating: bool = False,
    withhold_service: bool = False,
) -> LowerState:
    if withhold_context or (withhold_rating and withhold_service):
        return example.bare or example.state
    if withhold_rating and example.unrated is not None:
        return example.unrated
    if withhold_service and example.unserviced is not None:
        return example.unserviced
    return example.state


def pooled_features(
    model: TopModel, states: Sequence[LowerState], *, batch_size: int = 128
) -> np.ndarray:
    """The pooled comment vectors (n, HIDDEN_SIZE) the heads read, float32, dropout off.

    The same numbers, up to float rounding, as the tuned encoder gives the analyser.
    """
    model.eval()
    out = np.zeros((len(states), HIDDEN_SIZE), dtype=np.float32)
    order = np.argsort([state.shape[0] for state, _ in states], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(states), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = model.pooled(*collate([states[i] for i in rows])).numpy()
    return out


def sentiment_layer(model: TopModel) -> tuple[np.ndarray, np.ndarray]:
    """The trained sentiment layer as (weights (5, HIDDEN_SIZE), bias (5,)) float64 arrays."""
    return (
        model.sentiment.weight.detach().double().numpy().copy(),
        model.sentiment.bias.detach().double().numpy().copy(),
    )
