"""Readings and sketches: what duplicate checks compare items by (analytics.ml.similarity)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.ml.similarity import (
    READING_BYTES,
    SKETCH_BYTES,
    cosines,
    nearest_by_sketch,
    reading_matrix,
    reading_sketch,
    readings_from_features,
    sketch_matrix,
    sketch_scores,
)

RNG = np.random.default_rng(16)


def test_a_reading_keeps_the_direction_to_within_a_few_thousandths():
    features = RNG.standard_normal((200, 384)).astype(np.float32) * 3 + 1
    readings = readings_from_features(features)
    assert all(len(r) == READING_BYTES for r in readings)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    exact = unit @ unit[0]
    rounded = cosines(readings[0], reading_matrix(readings))
    assert np.abs(rounded - exact).max() < 0.005
    assert rounded[0] == pytest.approx(1.0)
    # Only the direction counts: a longer vector reads the same.
    assert readings_from_features(features[:1] * 10) == readings[:1]


def test_features_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="shape"):
        readings_from_features(np.zeros((2, 10)))


def test_a_sketch_is_96_bytes_and_the_same_every_time():
    [reading] = readings_from_features(RNG.standard_normal((1, 384)))
    sketch = reading_sketch(reading)
    assert len(sketch) == SKETCH_BYTES
    assert reading_sketch(reading) == sketch
    # The high bits mark the components above the reading's own median (about half of them:
    # int8 components tie now and then).
    values = reading_matrix(reading)[0]
    high = np.unpackbits(np.frombuffer(sketch, dtype=np.uint8))[:384].astype(bool)
    assert (high == (values > np.sort(values)[191])).all()
    assert abs(int(high.sum()) - 192) <= 20


def test_sketch_scores_are_the_dot_product_of_the_quarters():
    readings = readings_from_features(RNG.standard_normal((50, 384)))
    sketches = sketch_matrix([reading_sketch(r) for r in readings])

    def values(reading: bytes) -> np.ndarray:
        v = reading_matrix(reading)[0].astype(np.int16)
        cuts = np.sort(v)[[95, 191, 287]]
        return 2 * ((v > cuts[0]).astype(int) + (v > cuts[1]) + (v > cuts[2])) - 3

    exact = np.stack([values(r) for r in readings]) @ values(readings[3])
    scores = sketch_scores(reading_sketch(readings[3]), sketches)
    # The same order: they differ by a constant of the query's.
    assert len(set(exact - scores)) == 1


def test_the_first_pass_keeps_the_close_readings():
    meaning = RNG.standard_normal(384)
    close = readings_from_features(meaning + 0.2 * RNG.standard_normal((5, 384)))
    others = readings_from_features(RNG.standard_normal((300, 384)))
    everything = others[:150] + close + others[150:]
    sketches = sketch_matrix([reading_sketch(r) for r in everything])
    [query] = readings_from_features(meaning[None, :])
    kept = set(nearest_by_sketch(reading_sketch(query), sketches, keep=10).tolist())
    assert set(range(150, 155)) <= kept
    assert len(nearest_by_sketch(reading_sketch(query), sketches[:4], keep=10)) == 4
