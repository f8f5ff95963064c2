"""The trained heads on top of the encoder: their arrays, their file format and their arithmetic.

An artifacts directory holds ``heads.npz`` (the linear heads), ``encoder_top.npz`` (the encoder's
fine-tuned top layers in float16, under the base model's parameter names), both numpy arrays only,
read with ``allow_pickle=False``, and ``manifest.json`` (what was trained, on what, how well it
scored, and the SHA-256 of each file). Training writes them with :func:`save_artifacts`; the
analyser reads them with :func:`load_artifacts` and :func:`load_top_layers`. Nothing here imports
torch, so the heads can be tested and evaluated on cached features.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HEADS_FILE = "heads.npz"
TOP_LAYERS_FILE = "encoder_top.npz"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 2
SENTIMENT_CLASSES: tuple[int, ...] = (1, 2, 3, 4, 5)


class ArtifactError(Exception):
    """The artifacts directory is missing, incomplete, corrupt or of another format."""


def sentiment_label(sentiment: int) -> str:
    """The 3-way label of a 5-point NHS sentiment: 1-2 positive, 3 neutral, 4-5 negative."""
    if sentiment <= 2:
        return "positive"
    if sentiment == 3:
        return "neutral"
    return "negative"


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


@dataclass(frozen=True)
class Heads:
    """Linear heads on encoder features.

    Sentiment: a linear layer over the 5 NHS classes (trained with the encoder's top layers; its
    bias includes per-class offsets tuned out of fold for macro-F1), divided by a temperature
    fitted on out-of-fold predictions. Binary heads: one logistic regression per theme, each with
    Platt scaling (``platt_a * z + platt_b``) so its output is a probability. A binary head with
    a finite ``threshold`` is reported as a theme when its probability reaches it; heads with a
    NaN threshold (too few examples to tune one) only feed ``risk_scores``.
    """

    sentiment_weights: np.ndarray  # (5, dim)
    sentiment_bias: np.ndarray  # (5,)
    temperature: float
    binary_slugs: tuple[str, ...]
    binary_weights: np.ndarray  # (k, dim)
    binary_bias: np.ndarray  # (k,)
    platt_a: np.ndarray  # (k,)
    platt_b: np.ndarray  # (k,)
    thresholds: np.ndarray  # (k,), NaN where the head is not reported as a theme

    @property
    def feature_dim(self) -> int:
        return int(self.sentiment_weights.shape[1])

    def sentiment_proba(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (n, 5), columns in SENTIMENT_CLASSES order."""
        logits = features @ self.sentiment_weights.T + self.sentiment_bias
        return softmax(logits / self.temperature)

    def binary_proba(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (n, k), columns in ``binary_slugs`` order."""
        z = features @ self.binary_weights.T + self.binary_bias
        return sigmoid(self.platt_a * z + self.platt_b)

    def check(self) -> None:
        """Raise ArtifactError unless the arrays fit together and hold finite numbers."""
        k = len(self.binary_slugs)
        shapes = {
            "sentiment_weights": (self.sentiment_weights.shape, (5, self.feature_dim)),
            "sentiment_bias": (self.sentiment_bias.shape, (5,)),
            "binary_weights": (self.binary_weights.shape, (k, self.feature_dim)),
            "binary_bias": (self.binary_bias.shape, (k,)),
            "platt_a": (self.platt_a.shape, (k,)),
            "platt_b": (self.platt_b.shape, (k,)),
            "thresholds": (self.thresholds.shape, (k,)),
        }
        for name, (actual, expected) in shapes.items():
            if tuple(actual) != expected:
                raise ArtifactError(f"{name} has shape {tuple(actual)}, expected {expected}")
        finite = [
            self.sentiment_weights,
            self.sentiment_bias,
            self.binary_weights,
            self.binary_bias,
            self.platt_a,
            self.platt_b,
        ]
        if not all(np.isfinite(a).all() for a in finite):
            raise ArtifactError("head weights contain NaN or infinite values")
        if not (np.isfinite(self.temperature) and self.temperature > 0):
            raise ArtifactError(f"temperature must be a positive number, not {self.temperature}")
        if len(set(self.binary_slugs)) != k:
            raise ArtifactError("binary head slugs are not unique")

    def arrays(self) -> dict[str, Any]:
        """The arrays stored in ``heads.npz``, by name."""
        return {
            "format_version": np.array(FORMAT_VERSION),
            "sentiment_weights": self.sentiment_weights,
            "sentiment_bias": self.sentiment_bias,
            "temperature": np.array(self.temperature),
            "binary_slugs": np.array(self.binary_slugs, dtype=np.str_),
            "binary_weights": self.binary_weights,
            "binary_bias": self.binary_bias,
            "platt_a": self.platt_a,
            "platt_b": self.platt_b,
            "thresholds": self.thresholds,
        }

    @classmethod
    def from_arrays(cls, arrays: Any) -> Heads:
        try:
            version = int(arrays["format_version"])
            if version != FORMAT_VERSION:
                raise ArtifactError(f"heads format {version}; this code reads {FORMAT_VERSION}")
            heads = cls(
                sentiment_weights=np.asarray(arrays["sentiment_weights"], dtype=np.float64),
                sentiment_bias=np.asarray(arrays["sentiment_bias"], dtype=np.float64),
                temperature=float(arrays["temperature"]),
                binary_slugs=tuple(str(s) for s in arrays["binary_slugs"]),
                binary_weights=np.asarray(arrays["binary_weights"], dtype=np.float64),
                binary_bias=np.asarray(arrays["binary_bias"], dtype=np.float64),
                platt_a=np.asarray(arrays["platt_a"], dtype=np.float64),
                platt_b=np.asarray(arrays["platt_b"], dtype=np.float64),
                thresholds=np.asarray(arrays["thresholds"], dtype=np.float64),
            )
        except KeyError as exc:
            raise ArtifactError(f"{HEADS_FILE} lacks the array {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"{HEADS_FILE} holds an unreadable array: {exc}") from exc
        heads.check()
        return heads


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_atomically(target: Path, write: Any) -> None:
    """Write through a temporary file in the same directory, then rename over ``target``."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates files only the owner can read; artifacts are read by worker processes
        # that may run as another user.
        tmp.chmod(0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_artifacts(
    directory: Path,
    heads: Heads,
    manifest: dict[str, Any],
    top_layers: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Write ``heads.npz``, ``encoder_top.npz`` (if given), then ``manifest.json``.

    The manifest, holding each file's SHA-256, goes last, so a reader never sees a manifest that
    vouches for other files. Tuned layers are stored as float16 (half the size); training scores
    the held-out split with the same rounded weights, so its scores are the stored model's.
    """
    heads.check()
    directory.mkdir(parents=True, exist_ok=True)
    heads_path = directory / HEADS_FILE

    def write_heads(path: Path) -> None:
        with path.open("wb") as handle:
            np.savez_compressed(handle, **heads.arrays())

    _replace_atomically(heads_path, write_heads)
    files: dict[str, dict[str, Any]] = {HEADS_FILE: {"sha256": sha256_file(heads_path)}}
    top_path = directory / TOP_LAYERS_FILE
    if top_layers is not None:

        def write_top(path: Path) -> None:
            with path.open("wb") as handle:
                halves: dict[str, Any] = {k: v.astype(np.float16) for k, v in top_layers.items()}
                np.savez(handle, **halves)

        _replace_atomically(top_path, write_top)
        files[TOP_LAYERS_FILE] = {
            "sha256": sha256_file(top_path),
            "parameters": int(sum(v.size for v in top_layers.values())),
            "dtype": "float16",
        }
    else:
        top_path.unlink(missing_ok=True)
    manifest = {**manifest, "format_version": FORMAT_VERSION, "files": files}
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    _replace_atomically(directory / MANIFEST_FILE, lambda p: p.write_text(text, encoding="utf-8"))
    return manifest


def _check_file(directory: Path, manifest: dict[str, Any], name: str) -> Path:
    path = directory / name
    if not path.is_file():
        raise ArtifactError(f"{path} is missing (run `manage.py train_models`)")
    expected = manifest.get("files", {}).get(name, {}).get("sha256")
    if expected != sha256_file(path):
        raise ArtifactError(f"{path} does not match the SHA-256 recorded in the manifest")
    return path


def load_artifacts(directory: Path) -> tuple[Heads, dict[str, Any]]:
    """Read and check the heads and manifest in ``directory``; ArtifactError says what is wrong."""
    manifest_path = directory / MANIFEST_FILE
    heads_path = directory / HEADS_FILE
    for path in (manifest_path, heads_path):
        if not path.is_file():
            raise ArtifactError(f"{path} is missing (run `manage.py train_models`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{manifest_path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not manifest.get("model_version"):
        raise ArtifactError(f"{manifest_path} has no model_version")
    _check_file(directory, manifest, HEADS_FILE)
    try:
        with np.load(heads_path, allow_pickle=False) as arrays:
            heads = Heads.from_arrays(arrays)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{heads_path} cannot be read: {exc}") from exc
    return heads, manifest


def load_top_layers(directory: Path, manifest: dict[str, Any]) -> dict[str, np.ndarray] | None:
    """The tuned top layers named in the manifest, as float32 arrays; None if it names none."""
    if TOP_LAYERS_FILE not in manifest.get("files", {}):
        return None
    path = _check_file(directory, manifest, TOP_LAYERS_FILE)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            top = {name: np.asarray(arrays[name], dtype=np.float32) for name in arrays.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"{path} cannot be read: {exc}") from exc
    if not all(np.isfinite(a).all() for a in top.values()):
        raise ArtifactError(f"{path} holds NaN or infinite values")
    return top
