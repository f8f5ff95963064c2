"""The reading an item is compared by: the encoder's pooled features, quantised to int8.

Duplicate checks (``feedback.services.duplicates``) ask which items of a queue say nearly the same
thing as a new one. They compare *readings*: each comment's mean-pooled features from the tuned
encoder (the vector the sentiment and theme heads read), scaled so that the largest component is
127 and rounded to int8, 384 bytes a comment (a quarter of float32's). Only the direction counts:
similarity is the cosine, computed from the rounded vectors with their own lengths (rounding moves
one by a few thousandths at most: bench/results/duplicate_threshold.md).

A busy queue holds tens of thousands of readings within 90 days of an item, more than can be
fetched and compared in the time a page has. So a first pass reads a *sketch* of each (96 bytes):
every component coded by the quarter of the reading's own components it falls in (two bits), and
compares sketches by the dot product of those codes; only the nearest by that are compared
exactly. The readings are anisotropic (unrelated complaints share a cosine near 0.5), so signs
alone rank close readings poorly; quarters keep enough of each component's size (ADR 0016).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

READING_DIM = 384
READING_BYTES = READING_DIM
SKETCH_BYTES = READING_DIM // 4
# The largest component of each reading is scaled to this: the int8 range, used in full.
_LEVELS = 127.0
# A sketch is two planes of 384 bits: six 64-bit words each.
_PLANE_WORDS = READING_DIM // 64


def readings_from_features(features: np.ndarray) -> list[bytes]:
    """Each row of ``features`` (n, READING_DIM) as a reading: its direction, int8, 384 bytes.

    Only the direction counts (cosines), so each row is scaled on its own to use the int8 range.
    """
    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[1] != READING_DIM:
        raise ValueError(f"features must have shape (n, {READING_DIM}), not {features.shape}")
    largest = np.abs(features).max(axis=1, keepdims=True)
    scaled = features * (_LEVELS / np.maximum(largest, 1e-12))
    quantised = np.clip(np.rint(scaled), -127, 127).astype(np.int8)
    return [row.tobytes() for row in quantised]


def reading_matrix(readings: Sequence[bytes] | bytes) -> np.ndarray:
    """Readings (a list, or one concatenated run of them) as an (n, READING_DIM) int8 array."""
    data = b"".join(readings) if not isinstance(readings, bytes | bytearray) else bytes(readings)
    if len(data) % READING_BYTES:
        raise ValueError("readings must be whole multiples of 384 bytes")
    return np.frombuffer(data, dtype=np.int8).reshape(-1, READING_DIM)


def reading_sketch(reading: bytes) -> bytes:
    """The reading's sketch (96 bytes): each component's quarter among the reading's own, as
    two bit planes (the high bits of the 384 codes, then the low bits, 48 bytes each).

    Integer arithmetic throughout (order statistics of the int8 components), so a sketch made
    today and one made by another version of NumPy agree.
    """
    values = reading_matrix(reading)[0].astype(np.int16)
    ordered = np.sort(values)
    quarter = READING_DIM // 4
    cuts = ordered[[quarter - 1, 2 * quarter - 1, 3 * quarter - 1]]
    codes = (values > cuts[0]).astype(np.uint8) + (values > cuts[1]) + (values > cuts[2])
    return np.packbits(codes >> 1).tobytes() + np.packbits(codes & 1).tobytes()


def sketch_matrix(sketches: Sequence[bytes] | bytes) -> np.ndarray:
    """Sketches (a list, or one run of them) as an (n, SKETCH_BYTES) uint8 array."""
    data = b"".join(sketches) if not isinstance(sketches, bytes | bytearray) else bytes(sketches)
    if len(data) % SKETCH_BYTES:
        raise ValueError("sketches must be whole multiples of 96 bytes")
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, SKETCH_BYTES)


def _planes(sketches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The high and the low bit planes of (n, SKETCH_BYTES) sketches, as (n, 6) uint64 words."""
    words = np.ascontiguousarray(sketches).view(np.uint64)
    return words[:, :_PLANE_WORDS], words[:, _PLANE_WORDS:]


def _ones(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).sum(axis=1, dtype=np.int32)


def sketch_scores(query: bytes, sketches: np.ndarray) -> np.ndarray:
    """How alike each row of ``sketches`` is to the sketch ``query`` (higher: more alike): the
    dot product of their components' values (-3, -1, 1, 3 for the quarters, lowest first), less
    a constant of the query's.

    A value is 4h + 2l - 3 for its code's high and low bits, so the dot product expands into
    counts of bits set in both planes (popcounts of ANDs), a few machine words a row: several
    times faster than looking the codes up for tens of thousands of sketches.
    """
    query_high, query_low = _planes(np.frombuffer(query, dtype=np.uint8)[None, :])
    high, low = _planes(sketches)
    return (
        16 * _ones(high & query_high)
        + 8 * _ones(low & query_high)
        + 8 * _ones(high & query_low)
        + 4 * _ones(low & query_low)
        - 12 * _ones(high)
        - 6 * _ones(low)
    )


def nearest_by_sketch(query: bytes, sketches: np.ndarray, keep: int) -> np.ndarray:
    """Row indices of the ``keep`` rows whose sketches are most like the query's (any order)."""
    if sketches.shape[0] <= keep:
        return np.arange(sketches.shape[0])
    return np.argpartition(-sketch_scores(query, sketches), keep - 1)[:keep]


def cosines(query: bytes, matrix: np.ndarray) -> np.ndarray:
    """Cosine similarity of the reading ``query`` with each row of an int8 reading matrix."""
    q = reading_matrix(query)[0].astype(np.int32)
    rows = matrix.astype(np.int32)
    dots = rows @ q
    norms = np.sqrt((rows * rows).sum(axis=1, dtype=np.int64)) * np.sqrt(float(q @ q))
    return np.asarray(dots / np.maximum(norms, 1.0), dtype=np.float64)
