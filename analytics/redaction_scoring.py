"""Scoring redaction against texts whose identifiers are marked: {{KIND:the text}}.

A marked identifier counts as caught when every character of it was replaced, whatever
placeholder replaced it (an address swallowed with its postcode is still gone). A replaced span
is a false alarm when it touches no marked identifier. Recall is per kind; precision is per
replaced span.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MARK = re.compile(r"\{\{([A-Z_]+):(.*?)\}\}", re.DOTALL)
DIRECT = ("NAME", "NHS_NUMBER", "PHONE", "EMAIL", "ADDRESS", "DATE_OF_BIRTH", "HOSPITAL_NUMBER")


@dataclass(frozen=True)
class MarkedText:
    id: str
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, kind) in ``text``


def parse(marked: str, ident: str = "") -> MarkedText:
    """The plain text and where each marked identifier lies in it."""
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position = 0
    length = 0
    for match in MARK.finditer(marked):
        before = marked[position : match.start()]
        out.append(before)
        length += len(before)
        kind, value = match.group(1), match.group(2)
        spans.append((length, length + len(value), kind))
        out.append(value)
        length += len(value)
        position = match.end()
    out.append(marked[position:])
    return MarkedText(ident, "".join(out), tuple(spans))


def read_marked(path: Path) -> list[MarkedText]:
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                items.append(parse(record["text"], record.get("id", "")))
    return items


@dataclass(frozen=True)
class RedactionScores:
    texts: int
    recall: dict[str, tuple[int, int]]  # kind -> (caught, marked)
    replaced: int
    false_alarms: int
    misses: list[tuple[str, str, str]]  # (id, kind, identifier) not caught
    alarms: list[tuple[str, str]]  # (id, replaced text touching no identifier)

    @property
    def precision(self) -> float:
        return (self.replaced - self.false_alarms) / max(1, self.replaced)

    def kind_recall(self, kinds: Iterable[str]) -> float:
        caught = sum(self.recall.get(k, (0, 0))[0] for k in kinds)
        marked = sum(self.recall.get(k, (0, 0))[1] for k in kinds)
        return caught / max(1, marked)


def score(
    items: Sequence[MarkedText], find: Callable[[str], Sequence[tuple[int, int, str]]]
) -> RedactionScores:
    """Recall per kind and precision of ``find`` (text -> replaced spans) on ``items``."""
    caught: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    replaced = alarms = 0
    misses: list[tuple[str, str, str]] = []
    alarm_texts: list[tuple[str, str]] = []
    for item in items:
        found = list(find(item.text))
        covered: set[int] = set()
        for start, end, _ in found:
            covered.update(range(start, end))
        for start, end, kind in item.spans:
            marked[kind] += 1
            if all(i in covered or item.text[i].isspace() for i in range(start, end)):
                caught[kind] += 1
            else:
                misses.append((item.id, kind, item.text[start:end]))
        for start, end, _ in found:
            replaced += 1
            if not any(start < e and s < end for s, e, _ in item.spans):
                alarms += 1
                alarm_texts.append((item.id, item.text[start:end]))
    return RedactionScores(
        texts=len(items),
        recall={k: (caught[k], marked[k]) for k in sorted(marked)},
        replaced=replaced,
        false_alarms=alarms,
        misses=misses,
        alarms=alarm_texts,
    )
