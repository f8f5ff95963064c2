"""Before an evaluation set judges the triage reader: is any of its items near a corpus item?

    .venv/bin/python bench/triage_near_duplicates.py EVALUATION_FILE

Embeds every corpus item and every item of the set with the base all-MiniLM-L6-v2 (mean-pooled,
normalised: the model as shipped, never a tuned one) and prints, for the set, the closest corpus
item's cosine: the largest, the median, and the items at or above ``--threshold`` (0.90), which
the rule of each training run drops from the set before it is scored. It reads no reader's
output, so it can run before the set is scored without looking at it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("evaluation", type=Path)
    parser.add_argument("--threshold", type=float, default=0.90)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from analytics.ml.encoder import Encoder
    from analytics.ml.triage_data import CORPUS_DIR, read_directory, read_jsonl

    corpus = read_directory(CORPUS_DIR, source="corpus")
    evaluation = read_jsonl(args.evaluation, source="evaluation")
    encoder = Encoder()
    near = encoder.sentence_embeddings([e.text for e in evaluation]) @ (
        encoder.sentence_embeddings([c.text for c in corpus]).T
    )
    closest = near.max(axis=1)
    print(f"{args.evaluation.name}: {len(evaluation)} items against {len(corpus)} corpus items")
    print(
        f"closest corpus item: largest cosine {closest.max():.3f}, median {np.median(closest):.3f}"
    )
    dropped = [(e, corpus[int(near[i].argmax())], closest[i]) for i, e in enumerate(evaluation)
               if closest[i] >= args.threshold]  # fmt: skip
    print(f"at or above {args.threshold:.2f}: {len(dropped)}")
    for item, neighbour, cosine in dropped:
        print(f"  {item.id} ~ {neighbour.id} ({cosine:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
