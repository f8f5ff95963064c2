"""Paper forms (issue 20): how well and how fast scanned forms are read.

    make bench BENCH=paper
    .venv/bin/python bench/paper.py --pages 400 --seed 20

The test set is generated each run and never stored: FFT cards and complaint forms printed by the
product (paper/scan/printing.py), filled in with handwriting-like fonts (Debian's
fonts-dkg-handwriting, fonts-breip, fonts-femkeklaver, fonts-humor-sans) with real FFT comments
read from ../shared/data/patient-feedback/ (the NHS pxtextmining data: keep its attribution), then
turned by any angle, skewed, shaded, blurred and made noisy, half of them as phone photos on a
table (paper/scan/synthetic.py). A few blank sheets are mixed in.

Figures: tick-box accuracy (each question read as ticked), QR read rate, alignment rate, blank
pages found, character error rate of the free text (and of names and contact details), the share
of fields marked for checking, and pages per second on all the machine's cores (one process per
core, as the worker would run), with and without OCR. Generation is not timed.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "paper.md"
DATA = Path(
    os.environ.get(
        "PATIENT_FEEDBACK_DATA_DIR", ROOT.parent / "shared" / "data" / "patient-feedback"
    )
)


def comments(count: int, seed: int) -> list[str]:
    path = DATA / "fft_v6_shared.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        texts = [" ".join((row.get("FFT answer") or "").split()) for row in csv.DictReader(f)]
    texts = [t for t in texts if 15 <= len(t) <= 400]
    random.Random(seed).shuffle(texts)
    return texts[:count]


def _init_worker() -> None:
    # One Tesseract thread per process: the processes share the cores.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    sys.path.insert(0, str(ROOT))
    import cv2

    cv2.setNumThreads(1)
    import paper.scan.reader  # noqa: F401  (loaded before the clock starts)


def _read(job: tuple[bytes, bool]) -> dict[str, Any]:
    from paper.scan import reader

    data, ocr = job
    image = reader.decode_image(data)
    assert image is not None
    reading = reader.read_page(image, ocr=ocr)
    return {
        "status": reading.status,
        "qr": reading.qr_text,
        "form": reading.form,
        "fields": {name: f.as_dict() for name, f in reading.fields.items()},
    }


def read_all(jpegs: list[bytes], *, ocr: bool, workers: int) -> tuple[list[dict[str, Any]], float]:
    # Spawned, not forked: OpenCV's and OpenMP's threads in this process would deadlock a fork.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, mp_context=context
    ) as pool:
        pool.submit(_init_worker).result()  # the workers started before the clock does
        started = time.perf_counter()
        results = list(pool.map(_read, [(j, ocr) for j in jpegs], chunksize=4))
    return results, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from paper.scan import synthetic
    from paper.scan.layout import FORMS
    from paper.scan.metrics import edit_distance, normalise
    from paper.scan.reader import LOW_CONFIDENCE

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--blank", type=int, default=8, help="blank sheets mixed in")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)

    if not DATA.joinpath("fft_v6_shared.csv").is_file():
        print(f"No FFT data at {DATA}: set PATIENT_FEEDBACK_DATA_DIR.")
        return 1
    texts = comments(args.pages, args.seed)
    print(f"generating {args.pages} filled pages and {args.blank} blank sheets ...", flush=True)
    started = time.perf_counter()
    pages = synthetic.generate(args.pages, comments=texts, seed=args.seed, batch="BENCHBATCH")
    pages += [synthetic.blank_sheet(seed=args.seed + i) for i in range(args.blank)]
    random.Random(args.seed).shuffle(pages)
    jpegs = [p.jpeg() for p in pages]
    generated_s = time.perf_counter() - started
    photos = sum(1 for p in pages if p.transforms.get("scale", 1.0) != 1.0)
    print(f"generated in {generated_s:.0f} s; reading ...", flush=True)

    load_before = _load()
    _, quick_s = read_all(jpegs, ocr=False, workers=args.workers)
    full, full_s = read_all(jpegs, ocr=True, workers=args.workers)

    forms = [(p, r) for p, r in zip(pages, full, strict=True) if not p.blank]
    blanks = [(p, r) for p, r in zip(pages, full, strict=True) if p.blank]
    aligned = sum(r["status"] == "read" for _, r in forms)
    qr_read = sum(bool(r["qr"]) for _, r in forms)
    ticks_total = ticks_right = 0
    for page, reading in forms:
        for group in FORMS[page.form].ticks:
            ticks_total += 1
            got = reading["fields"].get(group.name, {}).get("value")
            ticks_right += got == page.answers[group.name]
    text_edits = {"text": 0, "name": 0, "contact": 0}
    text_chars = {"text": 0, "name": 0, "contact": 0}
    fields_total = fields_low = 0
    for page, reading in forms:
        for name in text_edits:
            truth = normalise(page.answers.get(name, ""))
            if not truth:
                continue
            read = normalise(reading["fields"].get(name, {}).get("value", ""))
            text_edits[name] += edit_distance(truth, read)
            text_chars[name] += len(truth)
        for field in reading["fields"].values():
            fields_total += 1
            fields_low += field["confidence"] < LOW_CONFIDENCE
    blank_found = sum(r["status"] == "blank" for _, r in blanks)
    false_blank = sum(r["status"] == "blank" for _, r in forms)

    def cer(name: str) -> str:
        return f"{text_edits[name] / max(text_chars[name], 1):.3f}"

    n = len(pages)
    tick_rate = ticks_right / max(ticks_total, 1)
    qr_rate = qr_read / max(len(forms), 1)
    fonts = ", ".join(Path(f).stem for f in synthetic.HANDWRITING_FONTS) or "none (DejaVu Sans)"
    forms_n = max(len(forms), 1)
    rows = [
        ("tick boxes read right", f"**{tick_rate:.4f}** ({ticks_right} of {ticks_total})", "0.995"),
        ("QR codes read", f"**{qr_rate:.4f}** ({qr_read} of {len(forms)})", "0.99"),
        ("pages aligned (marks found)", f"{aligned / forms_n:.4f} ({aligned} of {len(forms)})", ""),
        (
            "blank sheets skipped",
            f"{blank_found} of {len(blanks)} (forms taken for blank: {false_blank})",
            "",
        ),
        (
            "character error rate, free text",
            f"**{cer('text')}** ({text_chars['text']} characters)",
            "reported",
        ),
        ("character error rate, names", f"{cer('name')} ({text_chars['name']} characters)", ""),
        (
            "character error rate, email or phone",
            f"{cer('contact')} ({text_chars['contact']} characters)",
            "",
        ),
        (
            f"fields marked for checking (confidence < {LOW_CONFIDENCE})",
            f"{fields_low / max(fields_total, 1):.3f} ({fields_low} of {fields_total})",
            "",
        ),
        (
            f"pages per second, all of it (OCR included), {args.workers} processes",
            f"**{n / full_s:.2f}** ({n} pages in {full_s:.1f} s)",
            "5",
        ),
        (
            "pages per second without OCR (marks, QR, ticks)",
            f"{n / quick_s:.2f} ({n} pages in {quick_s:.1f} s)",
            "",
        ),
    ]
    table = ["| figure | measured | target |", "| --- | --- | --- |"]
    table += [f"| {figure} | {measured} | {target} |" for figure, measured, target in rows]
    text = "\n".join(
        [
            f"## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC",
            "",
            f"`make bench BENCH=paper` ({os.cpu_count()} cores, load average {load_before:.1f} "
            f"before reading and {_load():.1f} at the end). {n} generated pages "
            f"(seed {args.seed}): {len(forms)} filled forms (FFT cards and complaint forms in "
            f"turn, a fifth large print), {photos} of them photographed (perspective, shadow, "
            f"a table round the page), every rotation, blur, noise and shading; {len(blanks)} "
            f"blank sheets. Free text: real FFT comments from the shared NHS pxtextmining data "
            f"(The Strategy Unit / NHS England), in the fonts {fonts}. Generating them took "
            f"{generated_s:.0f} s (not timed below). Tesseract {_tesseract_version()} "
            "(tesserocr, the model loaded once a process), English.",
            "",
            *table,
            "",
            "The character error rate is edits per character of what was written (case and line "
            "breaks aside). Handwriting fonts read poorly: that is why every page is checked "
            "by a person beside its image before it becomes feedback.",
            "",
        ]
    )
    RESULTS.write_text(_with_earlier_runs(text), encoding="utf-8")
    print(text)
    return 0


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


TITLE = "# Paper forms: reading scans (issue 20)"


def _with_earlier_runs(section: str) -> str:
    """This run's section first, the earlier runs' below it, newest first."""
    earlier = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    earlier = earlier.removeprefix(TITLE).strip()
    if earlier and not earlier.startswith("## "):
        earlier = "## An earlier run\n\n" + earlier
    return "\n".join([TITLE, "", section.strip(), "", *([earlier, ""] if earlier else [])])


def _tesseract_version() -> str:
    import tesserocr

    # "tesseract 5.5.4\n leptonica-1.87.0 ...": the first line's version.
    return tesserocr.tesseract_version().split()[1]


if __name__ == "__main__":
    raise SystemExit(main())
