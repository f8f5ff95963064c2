"""How the encoder's token states become a comment's vectors: the comment's tokens pooled (not the
question's, which are the same in thousands of comments), and each passage (a sentence, or a piece
of a run-on one) pooled on its own so that a disclosure made in passing is still read. NumPy for
reading; the PyTorch twins for training. No model here.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


# Where a passage ends: sentence punctuation, a semicolon, a line break. Patients who write without
# punctuation get pieces of at most PASSAGE_WORDS words instead, so a disclosure made in passing
# inside a long run-on story is still read on its own.
_PASSAGE_END = re.compile(r"[.!?;]+(?=\s|$)|\n+")
PASSAGE_WORDS = 30
_WORD = re.compile(r"\S+")


def passage_starts(text: str) -> list[int]:
    """Character offsets in ``text`` where each passage (a sentence or a piece of one) starts."""
    starts = [0]
    for match in _PASSAGE_END.finditer(text):
        if match.end() < len(text):
            starts.append(match.end())
    pieces: list[int] = []
    bounds = [*starts, len(text)]
    for begin, end in itertools.pairwise(bounds):
        words = [m.start() + begin for m in _WORD.finditer(text[begin:end])]
        pieces.append(begin)
        pieces.extend(words[i] for i in range(PASSAGE_WORDS, len(words), PASSAGE_WORDS))
    return sorted(set(pieces))


def comment_mask_np(attention: np.ndarray, types: np.ndarray) -> np.ndarray:
    """:func:`comment_mask` on arrays: the comment's tokens, or the whole pair if it is empty."""
    comment = attention * types
    empty = comment.sum(axis=1, keepdims=True) == 0
    return np.where(empty, attention, comment)


def mean_pool_np(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """:func:`mean_pool` on arrays: (b, length, h) and (b, length) -> (b, h) float32."""
    weights = mask[..., None].astype(np.float32)
    total = np.maximum(weights.sum(axis=1), 1e-9)
    return np.asarray((hidden * weights).sum(axis=1) / total, dtype=np.float32)


def passage_maxima(hidden: np.ndarray, passages: np.ndarray) -> np.ndarray:
    """Per sequence, the element-wise maximum of its passages' mean vectors (-inf: none)."""
    slots = int(passages.max()) + 1
    if slots <= 0:
        return np.full((hidden.shape[0], hidden.shape[-1]), -np.inf, dtype=np.float32)
    onehot = (passages[..., None] == np.arange(slots)).astype(np.float32)  # (b, length, slots)
    counts = onehot.sum(axis=1)  # (b, slots)
    sums = np.einsum("bls,blh->bsh", onehot, hidden)
    means = sums / np.maximum(counts, 1)[..., None]
    means[counts == 0] = -np.inf
    return np.asarray(means.max(axis=1), dtype=np.float32)


def passage_ids(text: str, types: Sequence[int], offsets: Sequence[Sequence[int]]) -> list[int]:
    """For each token of a (context, comment) pair: the comment passage it falls in, or -1."""
    starts = passage_starts(text)
    return [
        bisect.bisect_right(starts, start) - 1 if kind == 1 and end > start else -1
        for kind, (start, end) in zip(types, offsets, strict=True)
    ]


def comment_mask(attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
    """The tokens to pool: the comment (segment B), or the whole pair when the comment is empty."""
    import torch

    comment = attention_mask * token_type_ids
    empty = comment.sum(dim=1, keepdim=True) == 0
    return torch.where(empty, attention_mask, comment)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
