"""The load bench's request bodies: varied valid submissions, one JSON object per line."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

from nhs_number import is_valid as nhs_number_is_valid

from bench.common import ROOT

FFT = ROOT.parent / "shared" / "data" / "patient-feedback" / "fft_v6_shared.csv"


def _nhs_number(rng: random.Random) -> str:
    """A random NHS number that the service accepts (check digit and issuing range)."""
    while True:
        number = "".join(str(rng.randrange(10)) for _ in range(10))
        if nhs_number_is_valid(number):
            return number


def _comments() -> list[str]:
    texts: list[str] = []
    if FFT.exists():
        with FFT.open(newline="", encoding="utf-8", errors="replace") as fh:
            texts = [
                r["FFT answer"].strip()
                for r in csv.DictReader(fh)
                if len(r["FFT answer"].strip()) > 3 and r["FFT answer"].strip() != "Did not answer"
            ]
    return texts or [
        "The nurses were kind but we waited six hours in A&E and nobody told us why.",
        "Excellent care from start to finish, thank you to everyone on ward 7.",
        "My appointment was cancelled twice and the phone line was always engaged.",
        "Food was cold and the ward was noisy at night.",
    ]


RISKY = [
    " A healthcare assistant shouted at my father and pushed him back into bed.",
    " My son was sectioned last week and nobody has told him his rights.",
    " There was only one nurse for the whole ward overnight and patients were left in soiled beds.",
    " The ICB refused funding for the treatment my consultant recommended.",
]


def make_bodies(path: Path, trusts: list[str], icbs: list[str], n: int, seed: int = 7) -> None:
    """N valid, varied submissions, one JSON object per line."""
    rng = random.Random(seed)
    comments = _comments()
    kinds = ["complaint"] * 35 + ["concern"] * 20 + ["compliment"] * 35 + ["suggestion"] * 10
    lines = []
    for i in range(n):
        kind = rng.choice(kinds)
        text = rng.choice(comments)
        if rng.random() < 0.08:
            text += rng.choice(RISKY)
        if rng.random() < 0.05:  # a long letter, up to the 5,000-character limit
            while len(text) < 3000:
                text += " " + rng.choice(comments)
            text = text[:5000]
        body: dict[str, Any] = {"kind": kind, "text": text}
        if rng.random() < 0.8:
            body["provider"] = rng.choice(trusts)
            if rng.random() < 0.5:
                body["service_type"] = rng.choice(["acute", "mental_health", "community"])
        else:
            body["area"] = rng.choice(icbs)
            body["service_type"] = rng.choice(["gp", "dental", "pharmacy", "optometry"])
        if kind in ("complaint", "concern") and rng.random() < 0.05:
            body["wants_commissioner"] = True
        if rng.random() < 0.3:
            body["question"] = "Overall, how was your experience of our service?"
        if rng.random() < 0.3:
            body["name"] = f"Patient {i}"
            body["email"] = f"patient{i}@example.com"
            if rng.random() < 0.5:
                body["nhs_number"] = _nhs_number(rng)
        lines.append(json.dumps(body, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
