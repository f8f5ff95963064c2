"""The triage reader's output and its stored form: what an item raises, and how sure the reader is.

The triage heads read an item through the encoder's triage branch (its own tuned copy of the top
layers, see ``analytics.ml.encoder``) and give a calibrated probability for each of
``TRIAGE_LABELS``: safeguarding, the use of Mental Health Act powers and a serious risk (the
CQC's), primary care, commissioning and the patient asking for the commissioner (the ICB's).

Each label has a cut-off, chosen out of fold in training: at or above it the label is raised and
routing acts on it. The CQC's labels also have a lower floor: between the floor and the cut-off
the reader is unsure, and a person checks the item within a working day instead of the item
going to the CQC unseen or being left in a routine queue unflagged.

Nothing here imports Django or torch: the heads are numpy arrays (``triage.npz``, no pickle) and
a JSON manifest (``triage.json``) holding the cut-offs and the scores they were chosen on.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from analytics.ml.heads import ArtifactError, sha256_file, sigmoid
from analytics.ml.triage_data import CQC_LABELS, TRIAGE_LABELS

TRIAGE_HEADS_FILE = "triage.npz"
TRIAGE_BRANCH_FILE = "triage_branch.npz"
TRIAGE_MANIFEST_FILE = "triage.json"
TRIAGE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TriageReading:
    """The reader's probabilities for one item, with the cut-offs routing acts on."""

    scores: Mapping[str, float]
    cutoffs: Mapping[str, float]
    check_floors: Mapping[str, float] = field(default_factory=dict)

    def score(self, label: str) -> float:
        return float(self.scores.get(label, 0.0))

    def raised(self, label: str) -> bool:
        """The reader is sure enough that the item raises ``label`` for routing to act on it."""
        cutoff = self.cutoffs.get(label)
        return cutoff is not None and self.score(label) >= cutoff

    def unsure(self, label: str) -> bool:
        """Below the cut-off but at or above the floor: a person should check."""
        floor = self.check_floors.get(label)
        return floor is not None and floor <= self.score(label) and not self.raised(label)


@dataclass(frozen=True)
class TriageHeads:
    """Logistic heads over the triage branch's features, Platt-scaled, with cut-offs.

    ``weights`` (k, dim) and ``bias`` (k,) give logits for ``labels``; ``platt_a``/``platt_b``
    turn them into probabilities; ``cutoffs`` and ``check_floors`` (NaN: none) are probabilities.
    """

    labels: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    platt_a: np.ndarray
    platt_b: np.ndarray
    cutoffs: np.ndarray
    check_floors: np.ndarray

    @property
    def feature_dim(self) -> int:
        return int(self.weights.shape[1])

    def proba(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (n, k), columns in ``labels`` order."""
        z = features @ self.weights.T + self.bias
        return sigmoid(self.platt_a * z + self.platt_b)

    def readings(self, features: np.ndarray) -> list[TriageReading]:
        cutoffs = _finite(self.labels, self.cutoffs)
        floors = _finite(self.labels, self.check_floors)
        return [
            TriageReading(
                scores={label: float(p) for label, p in zip(self.labels, row, strict=True)},
                cutoffs=cutoffs,
                check_floors=floors,
            )
            for row in self.proba(features)
        ]

    def check(self) -> None:
        k = len(self.labels)
        if self.labels != TRIAGE_LABELS:
            raise ArtifactError(f"triage heads for {self.labels}, this code reads {TRIAGE_LABELS}")
        for name in ("bias", "platt_a", "platt_b", "cutoffs", "check_floors"):
            if tuple(getattr(self, name).shape) != (k,):
                raise ArtifactError(f"triage {name} has shape {getattr(self, name).shape}")
        if self.weights.ndim != 2 or self.weights.shape[0] != k:
            raise ArtifactError(f"triage weights have shape {self.weights.shape}")
        arrays = (self.weights, self.bias, self.platt_a, self.platt_b)
        if not all(np.isfinite(a).all() for a in arrays):
            raise ArtifactError("triage heads hold NaN or infinite values")
        # A cut-off may be NaN (a label with nothing to learn from is never raised), never
        # outside 0..1; a floor lies between 0 and its cut-off.
        for j, label in enumerate(self.labels):
            cutoff, floor = self.cutoffs[j], self.check_floors[j]
            if np.isfinite(cutoff) and not 0 < cutoff <= 1:
                raise ArtifactError(f"triage cut-off of {label} is {cutoff}")
            if label in CQC_LABELS and np.isfinite(floor) and not 0 < floor <= cutoff:
                raise ArtifactError(f"triage floor and cut-off of {label} are out of order")

    def arrays(self) -> dict[str, Any]:
        return {
            "format_version": np.array(TRIAGE_FORMAT_VERSION),
            "labels": np.array(self.labels, dtype=np.str_),
            "weights": self.weights,
            "bias": self.bias,
            "platt_a": self.platt_a,
            "platt_b": self.platt_b,
            "cutoffs": self.cutoffs,
            "check_floors": self.check_floors,
        }

    @classmethod
    def from_arrays(cls, arrays: Any) -> TriageHeads:
        try:
            version = int(arrays["format_version"])
            if version != TRIAGE_FORMAT_VERSION:
                raise ArtifactError(f"triage format {version}; this code reads 1")
            heads = cls(
                labels=tuple(str(s) for s in arrays["labels"]),
                **{
                    name: np.asarray(arrays[name], dtype=np.float64)
                    for name in ("weights", "bias", "platt_a", "platt_b", "cutoffs")
                },
                check_floors=np.asarray(arrays["check_floors"], dtype=np.float64),
            )
        except KeyError as exc:
            raise ArtifactError(f"{TRIAGE_HEADS_FILE} lacks the array {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"{TRIAGE_HEADS_FILE} holds an unreadable array: {exc}") from exc
        heads.check()
        return heads


def _finite(labels: tuple[str, ...], values: np.ndarray) -> Mapping[str, float]:
    return MappingProxyType(
        {label: float(v) for label, v in zip(labels, values, strict=True) if math.isfinite(v)}
    )


def load_triage(directory: Path) -> tuple[TriageHeads, dict[str, np.ndarray], dict[str, Any]]:
    """The triage heads, the branch's tuned layers (float32) and the manifest in ``directory``.

    ArtifactError says what is missing or wrong; every file is checked against the SHA-256 the
    manifest records.
    """
    manifest_path = directory / TRIAGE_MANIFEST_FILE
    if not manifest_path.is_file():
        raise ArtifactError(f"{manifest_path} is missing (run `manage.py train_triage`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{manifest_path} is not valid JSON: {exc}") from exc
    files = manifest.get("files", {}) if isinstance(manifest, dict) else {}
    loaded: dict[str, Any] = {}
    for name in (TRIAGE_HEADS_FILE, TRIAGE_BRANCH_FILE):
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"{path} is missing (run `manage.py train_triage`)")
        if files.get(name, {}).get("sha256") != sha256_file(path):
            raise ArtifactError(f"{path} does not match the SHA-256 recorded in {manifest_path}")
        try:
            with np.load(path, allow_pickle=False) as arrays:
                loaded[name] = {key: np.asarray(arrays[key]) for key in arrays.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ArtifactError(f"{path} cannot be read: {exc}") from exc
    heads = TriageHeads.from_arrays(loaded[TRIAGE_HEADS_FILE])
    branch = {k: v.astype(np.float32) for k, v in loaded[TRIAGE_BRANCH_FILE].items()}
    if not all(np.isfinite(a).all() for a in branch.values()):
        raise ArtifactError(f"{directory / TRIAGE_BRANCH_FILE} holds NaN or infinite values")
    return heads, branch, manifest
