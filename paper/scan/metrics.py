"""How well the reader did, as the benchmark and tests measure it. No Django."""

from __future__ import annotations


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of characters."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalise(text: str) -> str:
    """Case and line breaks aside: a form's words are compared, not its layout."""
    return " ".join(text.lower().split())


def character_error_rate(truth: str, read: str) -> float:
    """Edits needed to turn what was read into the truth, per character of the truth."""
    truth, read = normalise(truth), normalise(read)
    if not truth:
        return 0.0 if not read else 1.0
    return edit_distance(truth, read) / len(truth)
