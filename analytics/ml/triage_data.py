"""The examples triage learns from and is judged on: the written corpus, the written evaluation set,
the real labelled rows of the shared data, and staff corrections.

Every example carries the six triage labels (``TRIAGE_LABELS``) and a ``situation``: paraphrases
or tellings of one situation share it, and cross-validation keeps a situation on one side of each
split, so a score never rewards recognising a story seen in training.

The written files are JSON Lines in the format of ``data/triage/GUIDE.md``. The shared data is
read where it lies (``PATIENT_FEEDBACK_DATA_DIR``) and never copied.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from analytics.ml.vocabulary import PRIMARY_CARE_SERVICES, Kind, ServiceType

TRIAGE_LABELS: tuple[str, ...] = (
    "safeguarding",
    "mental_health_act",
    "serious_risk",
    "primary_care",
    "commissioning",
    "asks_commissioner",
)
CQC_LABELS: tuple[str, ...] = TRIAGE_LABELS[:3]
ICB_LABELS: tuple[str, ...] = TRIAGE_LABELS[3:]
KINDS: tuple[str, ...] = tuple(kind.value for kind in Kind)
SERVICE_TYPES: frozenset[str] = frozenset(service.value for service in ServiceType)

DATA_DIR = Path(__file__).resolve().parent / "data" / "triage"
CORPUS_DIR = DATA_DIR / "corpus"
EVALUATION_DIR = DATA_DIR / "evaluation"

FFT_FILE = "fft_v6_shared.csv"
CRITICALITY_FILE = "phase1_criticality.csv"


class TriageDataError(ValueError):
    """A triage data file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class TriageExample:
    """One item with its triage labels, as training and evaluation read it."""

    id: str
    situation: str
    text: str
    kind: str
    service_type: str  # a service type value, or ""
    provider_named: bool
    labels: frozenset[str]
    source: str  # "corpus", "evaluation", "fft", "criticality", "corrections"
    question: str = ""
    route: str = ""  # the route the labels give (written files say it; real rows do not)
    # The labels whose value is known (1 if in ``labels``, else 0); None: those its source
    # knows (``LABELLED``). A correction knows only what the member of staff decided.
    known: frozenset[str] | None = None

    def label_vector(self) -> list[int]:
        return [int(label in self.labels) for label in TRIAGE_LABELS]

    def known_labels(self) -> frozenset[str]:
        return self.known if self.known is not None else LABELLED[self.source]


def expected_route(
    labels: Iterable[str], *, kind: str, service_type: str, provider_named: bool
) -> str:
    """The route DOMAIN.md's rules give an item with these labels (first match wins)."""
    found = set(labels)
    if found & {"safeguarding", "serious_risk"}:
        return "cqc"
    if "mental_health_act" in found and kind != "compliment":
        return "cqc"
    if found & set(ICB_LABELS) or service_type in PRIMARY_CARE_SERVICES or not provider_named:
        return "icb"
    return "trust"


def _example(record: dict[str, object], *, source: str, where: str) -> TriageExample:
    try:
        labels = frozenset(str(label) for label in record["labels"])  # type: ignore[attr-defined]
        example = TriageExample(
            id=str(record["id"]),
            situation=str(record["situation"]),
            text=str(record["text"]),
            kind=str(record["kind"]),
            service_type=str(record["service_type"]),
            provider_named=bool(record["provider_named"]),
            labels=labels,
            source=source,
            question=str(record.get("question", "")),
            route=str(record.get("route", "")),
            known=(
                frozenset(str(k) for k in record["known"])  # type: ignore[attr-defined]
                if "known" in record
                else None
            ),
        )
    except (KeyError, TypeError) as exc:
        raise TriageDataError(f"{where}: missing or malformed field {exc}") from exc
    problems = []
    if not example.text.strip():
        problems.append("empty text")
    if example.kind not in KINDS:
        problems.append(f"kind {example.kind!r}")
    if example.service_type and example.service_type not in SERVICE_TYPES:
        problems.append(f"service_type {example.service_type!r}")
    if not labels <= set(TRIAGE_LABELS):
        problems.append(f"labels {sorted(labels - set(TRIAGE_LABELS))}")
    if example.known is not None and not labels <= example.known <= set(TRIAGE_LABELS):
        problems.append("known must hold every label given, and only triage labels")
    route = expected_route(
        labels,
        kind=example.kind,
        service_type=example.service_type,
        provider_named=example.provider_named,
    )
    if example.route and example.known is None and example.route != route:
        problems.append(f"route {example.route!r} where the labels give {route!r}")
    if problems:
        raise TriageDataError(f"{where}: " + "; ".join(problems))
    return example


def read_jsonl(path: Path, *, source: str) -> list[TriageExample]:
    """Examples from one JSON Lines file; TriageDataError names the line at fault."""
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TriageDataError(f"{where}: not JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise TriageDataError(f"{where}: not a JSON object")
            examples.append(_example(record, source=source, where=where))
    return examples


def read_directory(directory: Path, *, source: str) -> list[TriageExample]:
    """Every ``*.jsonl`` file of a directory, in name order; ids must be unique."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise TriageDataError(f"no .jsonl files in {directory}")
    examples = [e for path in files for e in read_jsonl(path, source=source)]
    seen: set[str] = set()
    for example in examples:
        if example.id in seen:
            raise TriageDataError(f"{directory.name}: id {example.id} appears twice")
        seen.add(example.id)
    return examples


def read_evaluation_sets(path: Path) -> dict[str, list[TriageExample]]:
    """The evaluation sets by file name: each ``*.jsonl`` of a directory, or the one file given.

    Each set is scored on its own: a set written later to judge a retrained reader is never
    mixed with one whose figures were already read."""
    if path.is_file():
        return {path.name: read_jsonl(path, source="evaluation")}
    read_directory(path, source="evaluation")  # ids unique across the sets
    return {
        file.name: read_jsonl(file, source="evaluation") for file in sorted(path.glob("*.jsonl"))
    }


def _csv_rows(path: Path, required: Sequence[str]) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise TriageDataError(f"data not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise TriageDataError(f"{path.name} lacks the columns: " + ", ".join(missing))
        yield from reader


# The shared FFT file's service types (``Service type 1``) as the product's.
FFT_SERVICE_TYPES = {
    "See and Convey": "ambulance",
    "111": "111",
    "PTS - Patient Transport": "patient_transport",
    "Local partnerships- MH": "mental_health",
    "Forensic": "mental_health",
    "Community health services": "community",
}


def read_fft_rows(path: Path, *, keep: Iterable[str] | None = None) -> list[TriageExample]:
    """The FFT rows as triage examples: NHS staff's ``Safeguarding concerns?`` and ``Mental
    Health Act`` labels; the services are ambulance, 111, transport, mental health and community,
    none of them primary care, and no patient asks for the commissioner.

    ``keep``: the Comment IDs to read (the training portion); None reads every row. A ``Mental
    Health Act`` row the staff rated positive (1-2: "Getting leave") praises, so it does not raise
    the label, as a compliment would not. Nothing here says whether a row is about commissioning
    or a serious risk: callers train those heads without FFT rows (see ``LABELLED``).
    """
    wanted = set(keep) if keep is not None else None
    examples = []
    required = ["Comment ID", "FFT question", "FFT answer", "Comment sentiment"]
    for row in _csv_rows(path, [*required, "Safeguarding concerns?", "Mental Health Act"]):
        comment_id = row["Comment ID"]
        text = (row["FFT answer"] or "").strip()
        if (wanted is not None and comment_id not in wanted) or not text:
            continue
        sentiment = (row["Comment sentiment"] or "").strip()
        praise = sentiment in {"1", "2"}
        labels = set()
        if (row["Safeguarding concerns?"] or "").strip() == "1":
            labels.add("safeguarding")
        if (row["Mental Health Act"] or "").strip() == "1" and not praise:
            labels.add("mental_health_act")
        examples.append(
            TriageExample(
                id=f"fft-{comment_id}",
                situation=f"fft-{comment_id}",
                text=text,
                kind="compliment" if praise else "concern",
                service_type=FFT_SERVICE_TYPES.get((row.get("Service type 1") or "").strip(), ""),
                provider_named=True,
                labels=frozenset(labels),
                source="fft",
                question=row["FFT question"] or "",
            )
        )
    return examples


def read_criticality_rows(path: Path) -> list[TriageExample]:
    """Criticality rows coded "Feeling safe including bullying" or "Leave (under MHA)".

    Read from the rows themselves: almost every "feeling safe" row says the patient felt safe
    (criticality above 0), a hard negative in patients' own words; the few critical ones are
    mixed (frightened by a night move, wanting more supervision) and are left out rather than
    guessed. "Leave (under MHA)" rows are detained patients asking for more leave: the label
    when critical (0 or below), praise ("Getting some leave") otherwise.
    """
    examples = []
    for row in _csv_rows(path, ["subcategory", "feedback", "criticality", "row_index"]):
        subcategory = (row["subcategory"] or "").strip()
        text = (row["feedback"] or "").strip()
        try:
            criticality = int((row["criticality"] or "").strip())
        except ValueError:
            continue
        if not text or subcategory not in {"Feeling safe including bullying", "Leave (under MHA)"}:
            continue
        labels: frozenset[str] = frozenset()
        if subcategory.startswith("Feeling safe"):
            if criticality <= 0:
                continue
        elif criticality <= 0:
            labels = frozenset({"mental_health_act"})
        ident = f"crit-{row['row_index']}"
        examples.append(
            TriageExample(
                id=ident,
                situation=ident,
                text=text,
                kind="compliment" if criticality > 0 else "suggestion",
                service_type="mental_health",
                provider_named=True,
                labels=labels,
                source="criticality",
            )
        )
    return examples


# Which sources carry a trustworthy 0 for each label: the FFT and criticality rows say nothing
# about commissioning or serious risk, so those heads never learn a 0 from them.
LABELLED: dict[str, frozenset[str]] = {
    "corpus": frozenset(TRIAGE_LABELS),
    "corrections": frozenset(TRIAGE_LABELS),
    "evaluation": frozenset(TRIAGE_LABELS),
    "fft": frozenset({"safeguarding", "mental_health_act", "primary_care", "asks_commissioner"}),
    "criticality": frozenset(
        {"safeguarding", "mental_health_act", "primary_care", "asks_commissioner"}
    ),
}


def example_record(example: TriageExample) -> dict[str, object]:
    """An example as one JSON Lines record (the format of data/triage/GUIDE.md)."""
    record: dict[str, object] = {
        "id": example.id,
        "situation": example.situation,
        "text": example.text,
        "kind": example.kind,
        "service_type": example.service_type,
        "provider_named": example.provider_named,
        "labels": sorted(example.labels),
        "route": example.route,
    }
    if example.question:
        record["question"] = example.question
    if example.known is not None:
        record["known"] = sorted(example.known)
    return record
