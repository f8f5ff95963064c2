"""The triage branch: its own tuned copy of the encoder's top layers, and how it reads an item.

The encoder's lower layers (the base model's, frozen) are shared; from ``first_layer`` on, the
sentiment path and the triage branch each have their own tuned layers, so training one never
moves the other. The branch reads every window of an item (a comment longer than one window is
read to its end) and gives the item two vectors: the mean of the first window's comment tokens,
and the element-wise maximum, over every passage of every window, of the passage's mean vector.
The maximum is what finds a harm told in passing inside a long story.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers.masking_utils import create_bidirectional_mask

from analytics.ml.encoder import HIDDEN_SIZE
from analytics.ml.pooling import comment_mask, mean_pool

TRIAGE_FEATURE_DIM = 2 * HIDDEN_SIZE


@dataclass(frozen=True)
class WindowBatch:
    """Padded windows of several items: hidden states after the shared layers and their masks."""

    hidden: torch.Tensor  # (w, length, HIDDEN_SIZE)
    attention: torch.Tensor  # (w, length)
    token_types: torch.Tensor  # (w, length)
    passages: torch.Tensor  # (w, length): passage index of each comment token, -1 elsewhere
    owner: torch.Tensor  # (w,): which item (0 .. n-1) each window belongs to
    primary: torch.Tensor  # (w,) bool: the item's first window


def collate_windows(
    states: Sequence[torch.Tensor],
    token_types: Sequence[Sequence[int]],
    passages: Sequence[Sequence[int]],
    owner: Sequence[int],
    primary: Sequence[bool],
) -> WindowBatch:
    length = max(s.shape[0] for s in states)
    w = len(states)
    hidden = torch.zeros(w, length, HIDDEN_SIZE)
    attention = torch.zeros(w, length, dtype=torch.long)
    types = torch.zeros(w, length, dtype=torch.long)
    passage = torch.full((w, length), -1, dtype=torch.long)
    for i, state in enumerate(states):
        n = state.shape[0]
        hidden[i, :n] = state
        attention[i, :n] = 1
        types[i, :n] = torch.as_tensor(list(token_types[i])[:n])
        passage[i, :n] = torch.as_tensor(list(passages[i])[:n])
    return WindowBatch(
        hidden=hidden,
        attention=attention,
        token_types=types,
        passages=passage,
        owner=torch.as_tensor(list(owner), dtype=torch.long),
        primary=torch.as_tensor(list(primary), dtype=torch.bool),
    )


class TriageBranch(torch.nn.Module):
    """The branch's layers (a copy of the model's from ``first_layer`` on) and its linear head."""

    def __init__(self, base: Any, *, first_layer: int, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.config = base.config
        self.first_layer = first_layer
        self.layers = copy.deepcopy(base.encoder.layer[first_layer:])
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(TRIAGE_FEATURE_DIM, n_labels)

    def run_layers(self, hidden: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        mask = create_bidirectional_mask(
            config=self.config, inputs_embeds=hidden, attention_mask=attention
        )
        for layer in self.layers:
            hidden = layer(hidden, mask)
        return hidden

    def features(self, batch: WindowBatch, n_items: int) -> torch.Tensor:
        """The items' features (n_items, TRIAGE_FEATURE_DIM): first-window mean, passage max."""
        hidden = self.run_layers(batch.hidden, batch.attention)
        return item_features(hidden, batch, n_items)

    def forward(self, batch: WindowBatch, n_items: int) -> torch.Tensor:
        return self.head(self.drop(self.features(batch, n_items)))

    def layer_arrays(self) -> dict[str, np.ndarray]:
        """The branch's layers under the base model's parameter names, float32."""
        return {
            f"encoder.layer.{self.first_layer + int(name.split('.')[0])}."
            f"{name.split('.', 1)[1]}": param.detach().numpy().astype(np.float32)
            for name, param in self.layers.named_parameters()
        }

    def load_layer_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        expected = set(self.layer_arrays())
        if set(arrays) != expected:
            raise ValueError("the triage branch's layers do not match the base model's")
        params = dict(self.layers.named_parameters())
        with torch.no_grad():
            for name, array in arrays.items():
                index, rest = name.removeprefix("encoder.layer.").split(".", 1)
                local = f"{int(index) - self.first_layer}.{rest}"
                if tuple(array.shape) != tuple(params[local].shape):
                    raise ValueError(f"{name} has shape {tuple(array.shape)}")
                params[local].copy_(torch.from_numpy(np.asarray(array, dtype=np.float32)))


def item_features(hidden: torch.Tensor, batch: WindowBatch, n_items: int) -> torch.Tensor:
    """Mean over each item's first-window comment tokens, and the maximum over its passages."""
    pooled = mean_pool(hidden, comment_mask(batch.attention, batch.token_types))
    mean = torch.zeros(n_items, hidden.shape[-1], dtype=hidden.dtype)
    mean = mean.index_copy(0, batch.owner[batch.primary], pooled[batch.primary])
    slots = int(batch.passages.max().item()) + 1
    if slots <= 0:
        return torch.cat([mean, mean], dim=1)
    valid = (batch.passages >= 0).unsqueeze(-1).to(hidden.dtype)
    onehot = torch.nn.functional.one_hot(batch.passages.clamp(min=0), slots).to(hidden.dtype)
    onehot = onehot * valid
    counts = onehot.sum(dim=1)  # (w, slots)
    means = torch.einsum("bls,blh->bsh", onehot, hidden) / counts.clamp(min=1).unsqueeze(-1)
    means = means.masked_fill((counts == 0).unsqueeze(-1), float("-inf"))
    per_window = means.max(dim=1).values  # (w, h); -inf where a window has no passage
    maxima = torch.full((n_items, hidden.shape[-1]), float("-inf"), dtype=hidden.dtype)
    maxima = maxima.index_reduce(0, batch.owner, per_window, "amax", include_self=True)
    maxima = torch.where(torch.isfinite(maxima), maxima, mean)
    return torch.cat([mean, maxima], dim=1)
