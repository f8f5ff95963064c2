"""The reader pools on NumPy arrays: the same figures as the PyTorch functions training uses."""

from __future__ import annotations

import numpy as np
import torch

from analytics.ml.pooling import (
    comment_mask,
    comment_mask_np,
    mean_pool,
    mean_pool_np,
    passage_maxima,
)


def _batch(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    b, length, h = 6, 17, 8
    hidden = rng.standard_normal((b, length, h)).astype(np.float32)
    attention = np.ones((b, length), dtype=np.int64)
    attention[1, 10:] = 0
    types = np.zeros((b, length), dtype=np.int64)
    types[:, 5:] = 1
    types[2] = 0  # an empty comment: the whole pair is pooled
    passages = np.where(types * attention == 1, (np.arange(length) - 5) // 4, -1)
    passages[3] = -1  # no passage at all
    return hidden, attention, types, passages


def test_numpy_pooling_equals_the_torch_functions() -> None:
    for seed in range(5):
        hidden, attention, types, _ = _batch(seed)
        mask = comment_mask_np(attention, types)
        expected_mask = comment_mask(torch.from_numpy(attention), torch.from_numpy(types))
        assert np.array_equal(mask, expected_mask.numpy())
        pooled = mean_pool_np(hidden, mask)
        expected = mean_pool(torch.from_numpy(hidden), expected_mask).numpy()
        assert np.allclose(pooled, expected, atol=1e-6)


def test_passage_maxima_is_the_maximum_of_each_passages_mean() -> None:
    hidden, _, _, passages = _batch(7)
    got = passage_maxima(hidden, passages)
    for row in range(hidden.shape[0]):
        ids = sorted(set(passages[row][passages[row] >= 0].tolist()))
        if not ids:
            assert np.isneginf(got[row]).all()
            continue
        means = [hidden[row][passages[row] == p].mean(axis=0) for p in ids]
        assert np.allclose(got[row], np.max(means, axis=0), atol=1e-6)
