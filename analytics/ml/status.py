"""A cheap check of the committed model artifacts, for the health endpoint (no model load)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ArtifactsStatus:
    status: str  # ok | missing | broken
    version: str
    detail: str


def artifacts_status(directory: Path) -> ArtifactsStatus:
    manifest_path = Path(directory) / "manifest.json"
    if not manifest_path.is_file():
        return ArtifactsStatus("missing", "", f"no manifest.json in {directory}")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        return ArtifactsStatus("broken", "", f"manifest.json unreadable: {exc}")
    version = str(manifest.get("version") or manifest.get("model_version") or "")
    files = manifest.get("files") or {}
    missing = [name for name in files if not (Path(directory) / name).is_file()]
    if missing:
        return ArtifactsStatus("broken", version, "missing files: " + ", ".join(sorted(missing)))
    return ArtifactsStatus("ok", version, "")
